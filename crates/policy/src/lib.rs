//! mrap-policy
