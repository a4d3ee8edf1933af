//! `MRAP_LOG_FORMAT=json`: one JSON object per log line.
//!
//! ```json
//! {"timestamp":"2026-12-01T10:00:00.123456Z","level":"INFO","target":"mrap_authorizer",
//!  "message":"request denied","fields":{"action":"s3:GetObject"},"span":"nats.process",
//!  "trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7"}
//! ```
//!
//! `trace_id` / `span_id` name the OpenTelemetry span the event happened in. Spans exist only
//! when a trace exporter is configured (`OTEL_EXPORTER_OTLP_ENDPOINT`): without one no span is
//! created (it would cost throughput for nothing), so lines carry no trace id.

use std::{io::Write as _, sync::OnceLock};

use opentelemetry::trace::TraceContextExt as _;
use serde_json::{Map, Value};
use tracing::{
    Event, Subscriber,
    dispatcher::WeakDispatch,
    field::{Field, Visit},
    subscriber::Interest,
};
use tracing_subscriber::{
    fmt::MakeWriter,
    layer::{Context, Layer},
    registry::LookupSpan,
};

/// Writes each event as one JSON line to `writer`.
pub struct JsonLayer<W> {
    writer: W,
    /// Whether spans should exist for this layer's sake (only when a trace exporter uses them).
    spans: bool,
    dispatch: OnceLock<WeakDispatch>,
}

impl<W> JsonLayer<W> {
    /// `spans`: true when an OpenTelemetry layer is in the same subscriber (the trace ids come
    /// from it); false keeps spans from being created at all.
    pub fn new(writer: W, spans: bool) -> Self {
        Self {
            writer,
            spans,
            dispatch: OnceLock::new(),
        }
    }
}

impl<S, W> Layer<S> for JsonLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    fn on_register_dispatch(&self, subscriber: &tracing::Dispatch) {
        let _ = self.dispatch.set(subscriber.downgrade());
    }

    fn register_callsite(&self, meta: &'static tracing::Metadata<'static>) -> Interest {
        if meta.is_span() && !self.spans {
            Interest::never()
        } else {
            Interest::always()
        }
    }

    fn enabled(&self, meta: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        self.spans || meta.is_event()
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut fields = FieldsVisitor::default();
        event.record(&mut fields);
        let mut line = Map::new();
        let now = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        line.insert("timestamp".into(), now.into());
        line.insert("level".into(), meta.level().as_str().into());
        line.insert("target".into(), meta.target().into());
        line.insert(
            "message".into(),
            fields.message.take().unwrap_or_default().into(),
        );
        if !fields.fields.is_empty() {
            line.insert("fields".into(), Value::Object(fields.fields));
        }
        if let Some(span) = ctx.event_span(event) {
            line.insert("span".into(), span.name().into());
            let dispatch = self.dispatch.get().and_then(WeakDispatch::upgrade);
            if let Some(cx) =
                dispatch.and_then(|d| tracing_opentelemetry::get_otel_context(&span.id(), &d))
            {
                let sc = cx.span().span_context().clone();
                if sc.is_valid() {
                    line.insert("trace_id".into(), sc.trace_id().to_string().into());
                    line.insert("span_id".into(), sc.span_id().to_string().into());
                }
            }
        }
        let mut buf = serde_json::to_vec(&Value::Object(line)).unwrap_or_default();
        buf.push(b'\n');
        let _ = self.writer.make_writer_for(meta).write_all(&buf);
    }
}

#[derive(Default)]
struct FieldsVisitor {
    message: Option<String>,
    fields: Map<String, Value>,
}

impl FieldsVisitor {
    fn put(&mut self, field: &Field, value: Value) {
        if field.name() == "message" {
            self.message = Some(match value {
                Value::String(s) => s,
                other => other.to_string(),
            });
        } else {
            self.fields.insert(field.name().to_owned(), value);
        }
    }
}

impl Visit for FieldsVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.into());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, value.to_string().into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, format!("{value:?}").into());
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::{Arc, Mutex};

    use opentelemetry::trace::TracerProvider as _;
    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Buf {
        type Writer = Buf;
        fn make_writer(&'a self) -> Buf {
            self.clone()
        }
    }

    fn lines(buf: &Buf) -> Vec<Value> {
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    #[test]
    fn json_line_parses_with_level_message_fields_target() {
        let buf = Buf::default();
        let subscriber = tracing_subscriber::registry().with(JsonLayer::new(buf.clone(), false));
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(status = 503u16, route = "/{bucket}", who = %"a \"quoted\" name", "request");
        });
        let lines = lines(&buf);
        assert_eq!(lines.len(), 1, "{lines:?}");
        let l = &lines[0];
        assert_eq!(l["level"], "WARN");
        assert_eq!(l["message"], "request");
        assert_eq!(l["target"], module_path!());
        assert_eq!(l["fields"]["status"], 503);
        assert_eq!(l["fields"]["route"], "/{bucket}");
        assert_eq!(l["fields"]["who"], "a \"quoted\" name");
        assert!(l["timestamp"].as_str().unwrap().ends_with('Z'));
        // No exporter: no span, no trace id.
        assert!(l.get("trace_id").is_none());
    }

    #[test]
    fn json_line_carries_the_trace_id_of_its_otel_span() {
        let buf = Buf::default();
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
        let subscriber = tracing_subscriber::registry()
            .with(JsonLayer::new(buf.clone(), true))
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("http.request");
            let _in = span.enter();
            tracing::info!("inside");
        });
        let lines = lines(&buf);
        let l = &lines[0];
        assert_eq!(l["span"], "http.request");
        let trace_id = l["trace_id"].as_str().unwrap();
        assert_eq!(trace_id.len(), 32, "{l}");
        assert_ne!(trace_id, "0".repeat(32));
        assert_eq!(l["span_id"].as_str().unwrap().len(), 16);
    }
}
