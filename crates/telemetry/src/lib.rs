//! mrap-telemetry
