//! mrap-testkit
pub mod nats;
