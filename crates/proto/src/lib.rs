//! mrap-proto
