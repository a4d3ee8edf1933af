//! mrap-api-gateway
