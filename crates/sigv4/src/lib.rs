//! mrap-sigv4
