//! mrap-testkit
