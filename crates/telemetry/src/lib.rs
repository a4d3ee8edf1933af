//! mrap-telemetry: logging and tracing set-up shared by the four binaries.
//!
//! Logs go to stderr through `tracing-subscriber` (filter from `RUST_LOG`, default `info`). When
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) is set, spans are also exported over
//! OTLP/HTTP-protobuf with `service.name` from `OTEL_SERVICE_NAME` or the binary's name; without
//! it nothing is exported, so CI needs no collector. The W3C trace-context propagator is always
//! installed: `mrap-proto` relies on it to carry `traceparent` over NATS headers.
//!
//! `MRAP_LOG_FORMAT=json` writes one JSON object per line instead of text ([`json`]); with a trace
//! exporter configured, each line carries the trace and span id of the span it was logged in.
//! Prometheus metrics: [`metrics`].

pub mod json;
pub mod metrics;

use opentelemetry::{KeyValue, trace::TracerProvider as _};
use opentelemetry_sdk::{Resource, propagation::TraceContextPropagator, trace::SdkTracerProvider};
use tracing_subscriber::{
    EnvFilter, Layer, Registry, filter::filter_fn, layer::Layered, layer::SubscriberExt,
    util::SubscriberInitExt,
};

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Keeps the exporter alive; dropping it flushes and shuts the exporter down.
pub struct Guard {
    provider: Option<SdkTracerProvider>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(p) = self.provider.take() {
            // Best effort on the way out: a collector that is gone must not block exit.
            let _ = p.shutdown();
        }
    }
}

/// Installs the W3C `traceparent` propagator process-wide.
pub fn install_propagator() {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
}

fn otlp_configured() -> bool {
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|k| std::env::var(k).is_ok_and(|v| !v.is_empty()))
}

/// The log line format, from `MRAP_LOG_FORMAT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// `tracing`'s human-readable lines (the default).
    Text,
    /// One JSON object per line.
    Json,
}

impl LogFormat {
    /// `MRAP_LOG_FORMAT`: `text` (default) or `json`.
    pub fn from_env() -> Result<Self, Error> {
        Self::parse(std::env::var("MRAP_LOG_FORMAT").ok().as_deref())
    }

    fn parse(value: Option<&str>) -> Result<Self, Error> {
        match value.map(str::trim).unwrap_or("") {
            "" | "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("MRAP_LOG_FORMAT={other}: expected text or json").into()),
        }
    }
}

type Base = Layered<EnvFilter, Registry>;

/// The layer writing log lines to stderr, events only (see [`init`]); `spans`: whether an
/// OpenTelemetry layer follows (JSON lines then carry its trace ids).
fn log_layer(format: LogFormat, spans: bool) -> Box<dyn Layer<Base> + Send + Sync> {
    match format {
        // Colours only on a terminal: `deploy/local/up` sends each service's log to a file.
        // The log shows events only, not the spans around them: formatting every span's fields (a
        // request opens several) cost the local stack half its throughput at the default level
        // (4 KiB GETs: 2,537 req/s against 4,977 at RUST_LOG=warn). Each event that matters
        // carries its own fields (the per-request line has method, route, status and request id);
        // the spans go to the trace exporter when one is configured, and are not even created
        // when none is.
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_target(false)
            .with_filter(filter_fn(|meta| meta.is_event()))
            .boxed(),
        LogFormat::Json => json::JsonLayer::new(std::io::stderr, spans).boxed(),
    }
}

/// Sets up logging and (optionally) OTLP export for a binary called `service`.
pub fn init(service: &str) -> Result<Guard, Error> {
    install_propagator();
    let format = LogFormat::from_env()?;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    if !otlp_configured() {
        tracing_subscriber::registry()
            .with(filter)
            .with(log_layer(format, false))
            .try_init()?;
        return Ok(Guard { provider: None });
    }
    let name = std::env::var("OTEL_SERVICE_NAME").unwrap_or_else(|_| service.to_owned());
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name(name)
                .with_attribute(KeyValue::new("service.instance.id", instance_id()))
                .build(),
        )
        .build();
    let tracer = provider.tracer(service.to_owned());
    tracing_subscriber::registry()
        .with(filter)
        .with(log_layer(format, true))
        .with(tracing_opentelemetry::layer().with_tracer(tracer))
        .try_init()?;
    Ok(Guard {
        provider: Some(provider),
    })
}

fn instance_id() -> String {
    format!(
        "{}-{}",
        std::env::var("HOSTNAME").unwrap_or_else(|_| "local".into()),
        std::process::id()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_format_is_text_unless_json() {
        assert_eq!(LogFormat::parse(None).ok(), Some(LogFormat::Text));
        assert_eq!(LogFormat::parse(Some("text")).ok(), Some(LogFormat::Text));
        assert_eq!(LogFormat::parse(Some("json")).ok(), Some(LogFormat::Json));
        assert!(LogFormat::parse(Some("yaml")).is_err());
    }
}
