//! mrap-authorizer
