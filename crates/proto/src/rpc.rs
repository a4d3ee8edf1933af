//! Request/reply over NATS with typed errors.
//!
//! Every reply body is `Result<T, ApiError>` in MessagePack, so a refusal (say `NoSuchBucket`)
//! travels as data and the caller can match on its code; only transport problems (no responders,
//! timeout) surface as other [`RpcError`] kinds. Servers use `async_nats::service` endpoints (queue
//! group `q`), so replicas of a service share the load and show up in `$SRV` discovery.

use std::{future::Future, sync::Arc, time::Instant};

use metrics::{Counter, Histogram};

use async_nats::{Client, HeaderMap, client::RequestErrorKind, service::endpoint::Endpoint};
use futures::StreamExt;
use mrap_model::ApiError;
use serde::{Serialize, de::DeserializeOwned};
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tracing::{Instrument, Span, info_span};

use crate::{codec, trace};

#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// The peer answered with a refusal.
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("nothing serves {0} (no responders)")]
    NoResponders(String),
    #[error("timed out waiting for a reply on {0}")]
    TimedOut(String),
    #[error("NATS request on {0} failed: {1}")]
    Transport(String, String),
    #[error(transparent)]
    Codec(#[from] codec::CodecError),
}

impl RpcError {
    /// The error to show a client: refusals as they are, everything else as `ServiceUnavailable`
    /// (the request may be retried) with the transport detail kept out of the message.
    pub fn into_api(self) -> ApiError {
        match self {
            RpcError::Api(e) => e,
            other => {
                tracing::warn!(error = %other, "backend call failed");
                ApiError::unavailable()
            }
        }
    }
}

/// Sends `req` to `subject` and decodes the typed reply. The CLIENT span it opens is a child of the
/// caller's current span, and its context rides along in the headers.
pub async fn call<Req, Resp>(client: &Client, subject: &str, req: &Req) -> Result<Resp, RpcError>
where
    Req: Serialize,
    Resp: DeserializeOwned,
{
    let span = info_span!(
        "nats.request",
        otel.name = %format!("send {subject}"),
        otel.kind = "client",
        messaging.system = "nats",
        messaging.operation.type = "send",
        messaging.destination.name = %subject,
    );
    async {
        // While the connection is down a request would wait for the whole request timeout (the
        // client queues it for the reconnect): refuse at once instead, so callers answer 503 in
        // milliseconds, not seconds.
        if client.connection_state() != async_nats::connection::State::Connected {
            return Err(RpcError::Transport(
                subject.to_owned(),
                "not connected to NATS".to_owned(),
            ));
        }
        let mut headers = HeaderMap::new();
        trace::inject(&Span::current(), &mut headers);
        let payload = codec::encode(req)?;
        let msg = client
            .request_with_headers(subject.to_owned(), headers, payload)
            .await
            .map_err(|e| match e.kind() {
                RequestErrorKind::NoResponders => RpcError::NoResponders(subject.to_owned()),
                RequestErrorKind::TimedOut => RpcError::TimedOut(subject.to_owned()),
                _ => RpcError::Transport(subject.to_owned(), e.to_string()),
            })?;
        let reply: Result<Resp, ApiError> = codec::decode(&msg.payload)?;
        Ok(reply?)
    }
    .instrument(span)
    .await
}

/// Serves `endpoint` until `shutdown`, one task per request, then waits for the tasks in flight.
///
/// `service` names the serving binary on every span (`mrap.service`), which lets a trace show
/// which process did what.
pub async fn serve<Req, Resp, H, Fut>(
    mut endpoint: Endpoint,
    subject: String,
    service: &'static str,
    shutdown: CancellationToken,
    handler: H,
) where
    Req: DeserializeOwned + Send + 'static,
    Resp: Serialize + Send + 'static,
    H: Fn(Req) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Resp, ApiError>> + Send + 'static,
{
    let tasks = TaskTracker::new();
    // Label sets built once per endpoint: a request only bumps a shared atomic.
    let counted = Arc::new(RpcMetrics::new(&subject));
    loop {
        let request = tokio::select! {
            _ = shutdown.cancelled() => break,
            next = endpoint.next() => match next {
                Some(r) => r,
                None => break,
            },
        };
        let handler = handler.clone();
        let subject = subject.clone();
        let counted = counted.clone();
        tasks.spawn(async move {
            let started = std::time::Instant::now();
            let span = info_span!(
                "nats.process",
                otel.name = %format!("process {subject}"),
                otel.kind = "server",
                messaging.system = "nats",
                messaging.operation.type = "process",
                messaging.destination.name = %subject,
                mrap.service = service,
                mrap.error_code = tracing::field::Empty,
            );
            trace::continue_from(&span, request.message.headers.as_ref());
            async move {
                let result = match codec::decode::<Req>(&request.message.payload) {
                    // Boxed: the spawned task then moves a pointer, not the handler's whole state
                    // machine (a memmove that showed at 7 % of the authorizer's profile).
                    Ok(req) => Box::pin(handler(req)).await,
                    Err(e) => Err(ApiError::internal(format!(
                        "undecodable request on {subject}: {e}"
                    ))),
                };
                if let Err(e) = &result {
                    Span::current().record("mrap.error_code", e.code.aws_code());
                }
                counted.record(outcome(&result), started);
                let body = codec::encode(&result).unwrap_or_else(|e| {
                    let fallback: Result<(), ApiError> =
                        Err(ApiError::internal(format!("unencodable reply: {e}")));
                    codec::encode(&fallback).unwrap_or_default()
                });
                if let Err(e) = request.respond(Ok(body)).await {
                    tracing::warn!(error = %e, "could not send reply");
                }
            }
            .instrument(span)
            .await
        });
    }
    tasks.close();
    tasks.wait().await;
}

/// `mrap_rpc_requests_total{subject,outcome}` and `mrap_rpc_request_duration_seconds{subject}` of
/// one served endpoint.
struct RpcMetrics {
    ok: Counter,
    refused: Counter,
    error: Counter,
    duration: Histogram,
}

impl RpcMetrics {
    fn new(subject: &str) -> Self {
        let count = |outcome: &'static str| metrics::counter!("mrap_rpc_requests_total", "subject" => subject.to_owned(), "outcome" => outcome);
        Self {
            ok: count("ok"),
            refused: count("refused"),
            error: count("error"),
            duration: metrics::histogram!("mrap_rpc_request_duration_seconds", "subject" => subject.to_owned()),
        }
    }

    fn record(&self, outcome: &'static str, started: Instant) {
        match outcome {
            "ok" => &self.ok,
            "refused" => &self.refused,
            _ => &self.error,
        }
        .increment(1);
        self.duration.record(started.elapsed().as_secs_f64());
    }
}

/// The outcome label of a reply: `ok`, `refused` (an answer the client caused: 4xx) or `error`
/// (the service failed: 5xx).
fn outcome<T>(result: &Result<T, ApiError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(e) if e.code.http_status() < 500 => "refused",
        Err(_) => "error",
    }
}

#[cfg(test)]
mod metric_tests {
    use mrap_model::ErrorCode;

    use super::*;

    #[test]
    fn rpc_outcomes_split_refusals_from_failures() {
        assert_eq!(outcome::<()>(&Ok(())), "ok");
        let refused: Result<(), ApiError> = Err(ApiError::new(ErrorCode::AccessDenied, "no"));
        assert_eq!(outcome(&refused), "refused");
        let failed: Result<(), ApiError> = Err(ApiError::internal("boom"));
        assert_eq!(outcome(&failed), "error");
        let unavailable: Result<(), ApiError> =
            Err(ApiError::new(ErrorCode::ServiceUnavailable, "later"));
        assert_eq!(outcome(&unavailable), "error");
    }
}
