//! mrap-testkit: real dependencies for tests — a nats-server per test, the whole stack
//! in-process, and helpers to find the service binaries.
pub mod nats;
pub mod stack;

pub use nats::NatsServer;
pub use stack::{Stack, StackOptions};
