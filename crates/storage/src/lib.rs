//! Per-Region object store.
