//! Proxy mode: MRAP ARNs from unmodified SDKs.
//!
//! An SDK sends a request for `arn:aws:s3::{account}:accesspoint/{alias}` to
//! `https://{alias}.accesspoint.s3-global.amazonaws.com`, whatever its endpoint setting. With
//! `HTTPS_PROXY` pointing at the gateway it asks for a tunnel there instead
//! (`CONNECT {alias}.accesspoint.s3-global.amazonaws.com:443`, HTTP/1.0 or 1.1); the gateway
//! answers `200`, terminates TLS with a certificate of its local CA ([`ca`]) and serves the
//! requests inside with the same router as every other request, which classifies their `Host`
//! as the MRAP data plane. Any other `CONNECT` target is refused ([`tunnel`]): this is not an
//! open proxy, and it never dials out.
//!
//! CONNECT is intercepted in front of the router (its target is `host:port`, not a path).
//! Everything else — including absolute-form requests (`GET http://host/path`, what a client
//! sends through `HTTP_PROXY`) — goes straight to the router, which already routes them by their
//! `Host` header and path: proxied plain-HTTP requests are served by the gateway itself, never
//! forwarded.
//!
//! Requests inside a tunnel carry the outer TCP peer as `ConnectInfo<SocketAddr>` (so
//! `aws:SourceIp` is the client's address) and a [`Tunnelled`] extension.

pub mod ca;
pub mod conn;
pub mod tunnel;

use std::{convert::Infallible, path::Path, sync::Arc};

use axum::{Router, extract::Request, http::Method, response::Response};
use hyper_util::{rt::TokioExecutor, server::conn::auto};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tower::ServiceExt;

pub use crate::config::HttpLimits;

/// Marks a request that arrived through a `CONNECT` tunnel, over TLS the gateway terminated.
/// Such a request was made over HTTPS as far as the client is concerned: the authorizer decides
/// it with `aws:SecureTransport` = `true` (`common::auth`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tunnelled {
    /// The `CONNECT` target's host (`{alias}.accesspoint.s3-global.amazonaws.com`).
    pub host: String,
}

/// The TLS side of proxy mode, ready to accept tunnels.
pub struct Proxy {
    tls: TlsAcceptor,
    ca_cert: std::path::PathBuf,
}

impl Proxy {
    /// Loads (or, on first start, creates) the CA in `ca_dir` and issues this start's leaf.
    pub fn start(ca_dir: &Path) -> Result<Proxy, ca::CaError> {
        let ca = ca::LocalCa::load_or_create(ca_dir)?;
        let config = ca.server_config()?;
        Ok(Proxy {
            tls: TlsAcceptor::from(config),
            ca_cert: ca.cert_path().to_path_buf(),
        })
    }

    /// `ca.pem`, for clients' `AWS_CA_BUNDLE`.
    pub fn ca_cert(&self) -> &Path {
        &self.ca_cert
    }
}

/// Serves `app` on `listener` — CONNECT tunnels included — until `shutdown` is cancelled; then
/// requests in flight finish, in tunnels too. Every connection is bounded by `limits` and by the
/// head size of [`conn`] (see there).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    proxy: Arc<Proxy>,
    limits: HttpLimits,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let connections = TaskTracker::new();
    let tunnels = TaskTracker::new();
    let front = Front {
        app,
        proxy,
        tunnels: tunnels.clone(),
        shutdown: shutdown.clone(),
        builder: Arc::new(conn::builder()),
        limits,
    };
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // As axum::serve: a failed handshake is the client's business; anything else
                    // (EMFILE) is waited out rather than spun on.
                    if !is_connection_error(&e) {
                        tracing::error!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        // Without TCP_NODELAY the kernel holds a small response's body until the client
        // acknowledges its headers, which a client delays by up to 40 ms: every request on a
        // kept-alive connection waited that long (4 KiB GETs on one connection: 23/s; with it:
        // 1,350/s).
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "could not set TCP_NODELAY");
        }
        let front = front.clone();
        connections.spawn(async move {
            let builder = front.builder.clone();
            let shutdown = front.shutdown.clone();
            conn::serve_connection(
                tcp,
                &builder,
                front.limits,
                Some(peer),
                |_: &mut Request| {},
                front,
                &shutdown,
            )
            .await;
        });
    }
    drop(listener);
    connections.close();
    connections.wait().await;
    // Tunnels are not connections of this loop once upgraded: wait for them here.
    tunnels.close();
    tunnels.wait().await;
    Ok(())
}

fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        e.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    )
}

/// The service in front of the router: CONNECT to the proxy, everything else to `app`.
#[derive(Clone)]
pub struct Front {
    app: Router,
    proxy: Arc<Proxy>,
    tunnels: TaskTracker,
    shutdown: CancellationToken,
    builder: Arc<auto::Builder<TokioExecutor>>,
    limits: HttpLimits,
}

impl tower::Service<Request> for Front {
    type Response = Response;
    type Error = Infallible;
    type Future = futures::future::BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(
        &mut self,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            if request.method() == Method::CONNECT {
                let tls = this.proxy.tls.clone();
                let tunnel = tunnel::Tunnel {
                    app: this.app,
                    tls,
                    builder: this.builder,
                    limits: this.limits,
                    shutdown: this.shutdown,
                };
                return Ok(tunnel::connect(request, tunnel, &this.tunnels).await);
            }
            this.app.oneshot(request).await
        })
    }
}
