//! mrap-policy-store
