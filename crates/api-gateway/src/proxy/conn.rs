//! One HTTP connection, plain or inside a tunnel: the hyper builder with the head size cap, the
//! header-read and idle timeouts, S3's limit on the header section, and graceful shutdown.
//!
//! hyper 1.x's own `header_read_timeout` is not used: its clock starts whenever the connection
//! waits for a head — from the accept, and again as soon as a response is written — so it is an
//! idle timeout as much as a header timeout, and a kept-alive connection would be closed after
//! 10 s of quiet. Instead a watchdog per connection reads what [`Activity`] records (the reads of
//! the socket, the requests in flight) and distinguishes the two:
//!
//! - a request head whose first byte arrived more than `header_read_timeout` ago and that is not
//!   complete yet: the connection is closed, without an answer (hyper could not parse one);
//! - no request in flight and nothing received for `idle_timeout`: the connection is closed (a
//!   graceful HTTP/1.1 close of an idle connection: what a server's keep-alive timeout does).
//!
//! While a request is in flight — from its complete head until the last byte of its response is
//! written — neither applies: a slow upload or a slow download is never cut.

use std::{
    convert::Infallible,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    task::{Context, Poll},
    time::{Duration, Instant},
};

use axum::{
    body::Body,
    extract::{ConnectInfo, Request},
    http::{HeaderMap, HeaderValue, Method},
    response::Response,
};
use hyper::body::{Frame, SizeHint};
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto,
};
use mrap_model::{ApiError, ErrorCode};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::sync::CancellationToken;

use crate::config::HttpLimits;

/// hyper's read buffer, and so the largest request head (request line and headers) it accepts:
/// beyond it hyper answers `431 Request Header Fields Too Large` and closes. Above S3's 8 KiB
/// header section ([`MAX_HEADER_SECTION`]) plus the longest request line S3 serves (a 1,024-byte
/// key percent-encoded, a presigned query with a session token), so that a head S3 would accept
/// is never cut by hyper and one S3 would refuse gets S3's own error; it also bounds what a
/// stalled client can make the gateway hold (64 KiB a connection, for `header_read_timeout`).
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// S3's limit on the request header section: 8 KiB, counted as `name: value\r\n` per field.
/// More is S3's `400 RequestHeaderSectionTooLarge`.
pub const MAX_HEADER_SECTION: usize = 8 * 1024;

/// The connection builder every connection is served with.
pub(crate) fn builder() -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // No hyper timer: hyper's header_read_timeout stays off (see the module documentation).
    builder.http1().max_buf_size(MAX_HEAD_BYTES);
    builder
        .http2()
        .max_header_list_size(u32::try_from(MAX_HEAD_BYTES).unwrap_or(u32::MAX));
    builder
}

/// What the watchdog of a connection sees: milliseconds since the accept.
#[derive(Debug)]
pub(crate) struct Activity {
    started: Instant,
    /// When something was last received, or the last response finished.
    last: AtomicU64,
    /// 1 + when the first byte of a head arrived while no request was in flight; 0: none.
    head_started: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            started: Instant::now(),
            last: AtomicU64::new(0),
            head_started: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        })
    }

    fn now(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn received(&self) {
        let now = self.now();
        self.last.store(now, Ordering::Relaxed);
        if self.in_flight.load(Ordering::Acquire) == 0
            && self.head_started.load(Ordering::Relaxed) == 0
        {
            self.head_started.store(now + 1, Ordering::Relaxed);
        }
    }

    /// A complete head: the request is in flight until the guard (moved into the response
    /// body) is dropped.
    fn request(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.head_started.store(0, Ordering::Relaxed);
        InFlight(self.clone())
    }
}

/// A request in flight on a connection.
pub(crate) struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.last.store(self.0.now(), Ordering::Relaxed);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Why the watchdog closes a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expired {
    HeaderRead,
    Idle,
}

/// Resolves when the connection has overstayed one of `limits`.
async fn watchdog(activity: &Activity, limits: &HttpLimits) -> Expired {
    let header = u64::try_from(limits.header_read_timeout.as_millis()).unwrap_or(u64::MAX);
    let idle = u64::try_from(limits.idle_timeout.as_millis()).unwrap_or(u64::MAX);
    // A head that starts while the watchdog sleeps is noticed within a quarter of its timeout.
    let tick = (header / 4).max(1);
    loop {
        let now = activity.now();
        let wake = if activity.in_flight.load(Ordering::Acquire) > 0 {
            now.saturating_add(tick)
        } else {
            let head_started = activity.head_started.load(Ordering::Relaxed);
            let last = activity.last.load(Ordering::Relaxed);
            if head_started > 0 && now >= (head_started - 1).saturating_add(header) {
                return Expired::HeaderRead;
            }
            if now >= last.saturating_add(idle) {
                return Expired::Idle;
            }
            let head_deadline = if head_started > 0 {
                (head_started - 1).saturating_add(header)
            } else {
                now.saturating_add(tick)
            };
            head_deadline.min(last.saturating_add(idle))
        };
        tokio::time::sleep(Duration::from_millis(wake.saturating_sub(now).max(1))).await;
    }
}

/// The socket (or TLS stream) of a connection, telling [`Activity`] of what it receives.
struct Watched<I> {
    io: I,
    activity: Arc<Activity>,
}

impl<I: AsyncRead + Unpin> AsyncRead for Watched<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.received();
        }
        polled
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Watched<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// A response body that keeps its request in flight until it is written (or dropped).
pub(crate) struct Tracked {
    body: Body,
    _in_flight: InFlight,
}

impl hyper::body::Body for Tracked {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The size of the header section as S3 counts it: `name: value\r\n` per field.
pub fn header_section_size(headers: &HeaderMap) -> usize {
    headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum()
}

/// S3's answer to a header section over [`MAX_HEADER_SECTION`].
fn header_section_too_large(request: &Request) -> Response {
    let ids = crate::common::request_id::RequestIds::fresh();
    let err = ApiError::new(
        ErrorCode::RequestHeaderSectionTooLarge,
        "Your request header section exceeds the maximum allowed size.",
    );
    let path = percent_encoding::percent_decode_str(request.uri().path()).decode_utf8_lossy();
    let mut response = crate::s3::render(&err, &ids, &path, request.method() == Method::HEAD);
    for (name, value) in [
        ("x-amz-request-id", &ids.request_id),
        ("x-amz-id-2", &ids.host_id),
    ] {
        if let Ok(v) = HeaderValue::from_str(value) {
            response.headers_mut().insert(name, v);
        }
    }
    tracing::info!(
        request_id = %ids.request_id,
        bytes = header_section_size(request.headers()),
        "request refused: header section over 8 KiB"
    );
    response
}

/// Serves one connection with `service` until the client closes it, a limit expires, or — after
/// `shutdown` — its requests in flight are done. `prepare` runs on each request (extensions).
pub(crate) async fn serve_connection<I, S, P>(
    io: I,
    builder: &auto::Builder<TokioExecutor>,
    limits: HttpLimits,
    peer: Option<SocketAddr>,
    prepare: P,
    service: S,
    shutdown: &CancellationToken,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    P: Fn(&mut Request) + Clone + Send + Sync + 'static,
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let activity = Activity::new();
    let io = Watched {
        io,
        activity: activity.clone(),
    };
    let per_request = activity.clone();
    let hyper_service =
        hyper::service::service_fn(move |r: hyper::Request<hyper::body::Incoming>| {
            let in_flight = per_request.request();
            let mut r = r.map(Body::new);
            if let Some(peer) = peer {
                // `aws:SourceIp`.
                r.extensions_mut().insert(ConnectInfo(peer));
            }
            prepare(&mut r);
            let too_large = header_section_size(r.headers()) > MAX_HEADER_SECTION;
            let service = service.clone();
            async move {
                let response = if too_large {
                    header_section_too_large(&r)
                } else {
                    tower::ServiceExt::oneshot(service, r)
                        .await
                        .unwrap_or_else(|e| match e {})
                };
                Ok::<_, Infallible>(response.map(|body| Tracked {
                    body,
                    _in_flight: in_flight,
                }))
            }
        });
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), hyper_service);
    tokio::pin!(conn);
    let mut draining = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, ?peer, "connection ended with an error");
                }
                return;
            }
            expired = watchdog(&activity, &limits) => {
                match expired {
                    Expired::HeaderRead => tracing::debug!(?peer, "request head not received within the header read timeout: connection closed"),
                    Expired::Idle => {
                        tracing::trace!(?peer, "idle connection closed");
                        // Nothing is in flight: HTTP/1.1 closes at once, HTTP/2 says GOAWAY.
                        conn.as_mut().graceful_shutdown();
                        let _ = tokio::time::timeout(Duration::from_secs(1), conn.as_mut()).await;
                    }
                }
                return;
            }
            () = shutdown.cancelled(), if !draining => {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(header_ms: u64, idle_ms: u64) -> HttpLimits {
        HttpLimits {
            header_read_timeout: Duration::from_millis(header_ms),
            idle_timeout: Duration::from_millis(idle_ms),
        }
    }

    #[tokio::test]
    async fn a_quiet_connection_expires_after_the_idle_timeout() {
        let activity = Activity::new();
        let started = Instant::now();
        let expired = watchdog(&activity, &limits(100, 300)).await;
        assert_eq!(expired, Expired::Idle);
        assert!(started.elapsed() >= Duration::from_millis(300));
    }

    #[tokio::test]
    async fn a_started_head_expires_after_the_header_read_timeout() {
        let activity = Activity::new();
        activity.received();
        let started = Instant::now();
        let expired = watchdog(&activity, &limits(100, 60_000)).await;
        assert_eq!(expired, Expired::HeaderRead);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_request_in_flight_is_never_expired() {
        let activity = Activity::new();
        let in_flight = activity.request();
        // Several idle and header timeouts go by.
        let outcome = tokio::time::timeout(
            Duration::from_millis(800),
            watchdog(&activity, &limits(50, 100)),
        )
        .await;
        assert!(outcome.is_err(), "{outcome:?}");
        // Done: the idle clock starts from the end of the response.
        drop(in_flight);
        let started = Instant::now();
        assert_eq!(watchdog(&activity, &limits(50, 100)).await, Expired::Idle);
        assert!(started.elapsed() >= Duration::from_millis(90));
    }

    #[test]
    fn the_header_section_counts_names_values_and_separators() {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("a"));
        headers.append("x-a", HeaderValue::from_static("bc"));
        headers.append("x-a", HeaderValue::from_static("d"));
        assert_eq!(
            header_section_size(&headers),
            (4 + 1 + 4) + (3 + 2 + 4) + (3 + 1 + 4)
        );
    }
}
