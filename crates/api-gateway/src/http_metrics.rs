//! The gateway's request metrics: `mrap_http_requests_total{operation,status}` and
//! `mrap_http_request_duration_seconds{operation}`.
//!
//! Labels are `&'static str` only (the operation's name, the status from a fixed table), so
//! recording formats nothing: the cost is one registry lookup per series.

use std::time::Duration;

/// Records one answered request.
pub(crate) fn request(operation: &'static str, status: u16, elapsed: Duration) {
    let status = mrap_telemetry::metrics::status_label(status);
    metrics::counter!("mrap_http_requests_total", "operation" => operation, "status" => status)
        .increment(1);
    metrics::histogram!("mrap_http_request_duration_seconds", "operation" => operation)
        .record(elapsed.as_secs_f64());
}
