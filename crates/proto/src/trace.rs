//! W3C trace context (`traceparent`, `tracestate`) on NATS headers.
//!
//! Senders inject the current span's context; receivers extract it and parent their span on it, so
//! one trace follows a request gateway → authorizer → policy-store. Work that outlives the request
//! (the provisioner's job) starts a trace of its own, linked to the request's.

use async_nats::HeaderMap;
use opentelemetry::{
    Context,
    propagation::{Extractor, Injector},
    trace::TraceContextExt as _,
};
use tracing_opentelemetry::OpenTelemetrySpanExt;

struct NatsInjector<'a>(&'a mut HeaderMap);

impl Injector for NatsInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key, value.as_str());
    }
}

struct NatsExtractor<'a>(&'a HeaderMap);

impl Extractor for NatsExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|v| v.as_str())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|(k, _)| k.as_ref()).collect()
    }
}

/// Writes the context of `span` into `headers`.
pub fn inject(span: &tracing::Span, headers: &mut HeaderMap) {
    let cx = span.context();
    opentelemetry::global::get_text_map_propagator(|p| {
        p.inject_context(&cx, &mut NatsInjector(headers))
    });
}

fn extract(headers: &HeaderMap) -> Context {
    opentelemetry::global::get_text_map_propagator(|p| p.extract(&NatsExtractor(headers)))
}

/// Makes `span` a child of the context found in `headers` (if any).
pub fn continue_from(span: &tracing::Span, headers: Option<&HeaderMap>) {
    if let Some(headers) = headers {
        // A span that is already closed or not sampled cannot take a parent; nothing to do then.
        let _ = span.set_parent(extract(headers));
    }
}

/// Links `span` to the context found in `headers` (if any), leaving it the root of its own trace:
/// for work done after the request that asked for it was answered (OpenTelemetry's messaging
/// conventions link such a consumer span to the message's creation context).
pub fn link_from(span: &tracing::Span, headers: Option<&HeaderMap>) {
    if let Some(headers) = headers {
        let remote = extract(headers).span().span_context().clone();
        if remote.is_valid() {
            span.add_link(remote);
        }
    }
}
