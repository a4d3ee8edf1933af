//! `CONNECT` handling: which targets are tunnelled, and serving the tunnel.
//!
//! Only `{label}.mrap.accesspoint.s3-global.amazonaws.com:443` is accepted (the host an SDK
//! derives from an MRAP ARN); any other host or port is refused with 403 and nothing is dialled —
//! the gateway never connects anywhere on a client's behalf. A target that is not `host:port` is
//! a 400. An accepted tunnel is not forwarded either: the gateway terminates TLS itself and
//! serves the requests inside with its own router.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Router,
    extract::{ConnectInfo, Request},
    http::{HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto,
};
use tokio_rustls::TlsAcceptor;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::{HttpLimits, Tunnelled, ca::MRAP_DOMAIN};

/// How long a client may take from the `200` to a finished TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a `CONNECT` target is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not `host:port` (400).
    Malformed(&'static str),
    /// A host or port this gateway does not serve (403).
    Forbidden,
}

/// Checks a `CONNECT` request target; returns the host (lower case, no trailing dot).
pub fn check_target(uri: &Uri) -> Result<String, Refusal> {
    if uri.scheme().is_some() || uri.path_and_query().is_some_and(|p| !p.as_str().is_empty()) {
        return Err(Refusal::Malformed("the CONNECT target must be host:port"));
    }
    let Some(authority) = uri.authority() else {
        return Err(Refusal::Malformed("the CONNECT target must be host:port"));
    };
    if authority.as_str().contains('@') {
        return Err(Refusal::Malformed("the CONNECT target must be host:port"));
    }
    let Some(port) = authority.port_u16() else {
        return Err(Refusal::Malformed("the CONNECT target has no port"));
    };
    let host = authority.host().to_ascii_lowercase();
    let host = host.strip_suffix('.').unwrap_or(&host);
    let label = host
        .strip_suffix(MRAP_DOMAIN)
        .and_then(|h| h.strip_suffix('.'))
        .ok_or(Refusal::Forbidden)?;
    let is_label = !label.is_empty()
        && label.len() <= 63
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !is_label || port != 443 {
        return Err(Refusal::Forbidden);
    }
    Ok(host.to_owned())
}

fn refuse(status: StatusCode, message: &str) -> Response {
    let mut response = (status, format!("{message}\n")).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// What a tunnel is served with.
pub(crate) struct Tunnel {
    pub app: Router,
    pub tls: TlsAcceptor,
    pub builder: Arc<auto::Builder<TokioExecutor>>,
    pub limits: HttpLimits,
    pub shutdown: CancellationToken,
}

/// Answers a `CONNECT`: a refusal, or `200` and a tunnel served in a task of `tunnels` that
/// finishes its requests in flight once `shutdown` is cancelled.
pub(crate) async fn connect(request: Request, tunnel: Tunnel, tunnels: &TaskTracker) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| *peer);
    let target = request.uri().to_string();
    let host = match check_target(request.uri()) {
        Ok(host) => host,
        Err(refusal) => {
            let (status, message) = match refusal {
                Refusal::Malformed(why) => (StatusCode::BAD_REQUEST, why),
                Refusal::Forbidden => (
                    StatusCode::FORBIDDEN,
                    "this proxy only serves {alias}.mrap.accesspoint.s3-global.amazonaws.com:443 \
                     (Multi-Region Access Points); it connects nowhere else",
                ),
            };
            tracing::info!(target = %target, ?peer, status = status.as_u16(), "proxy: CONNECT refused");
            return refuse(status, message);
        }
    };
    tracing::debug!(%host, ?peer, "proxy: tunnel accepted");
    tunnels.spawn(serve_tunnel(request, tunnel, host, peer));
    StatusCode::OK.into_response()
}

async fn serve_tunnel(request: Request, tunnel: Tunnel, host: String, peer: Option<SocketAddr>) {
    let Tunnel {
        app,
        tls,
        builder,
        limits,
        shutdown,
    } = tunnel;
    let upgraded = tokio::select! {
        upgraded = hyper::upgrade::on(request) => match upgraded {
            Ok(upgraded) => upgraded,
            Err(e) => {
                tracing::debug!(error = %e, ?peer, "proxy: the CONNECT was not upgraded");
                return;
            }
        },
        () = shutdown.cancelled() => return,
    };
    let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(TokioIo::new(upgraded)));
    let stream = tokio::select! {
        done = handshake => match done {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => {
                tracing::info!(error = %e, ?peer, %host, "proxy: TLS handshake failed (does the client trust the proxy CA?)");
                return;
            }
            Err(_) => {
                tracing::info!(?peer, %host, "proxy: TLS handshake timed out");
                return;
            }
        },
        () = shutdown.cancelled() => return,
    };

    let tunnelled = Tunnelled { host };
    let prepare = move |r: &mut Request| {
        r.extensions_mut().insert(tunnelled.clone());
        // HTTP/2 (only if a client insists without ALPN) carries the host in the URI alone.
        if !r.headers().contains_key(header::HOST)
            && let Some(value) = r
                .uri()
                .authority()
                .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
        {
            r.headers_mut().insert(header::HOST, value);
        }
    };
    // The same limits as a plain connection, on the requests inside the tunnel.
    super::conn::serve_connection(stream, &builder, limits, peer, prepare, app, &shutdown).await;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn check(target: &str) -> Result<String, Refusal> {
        check_target(&target.parse::<Uri>().unwrap())
    }

    #[test]
    fn mrap_hosts_on_443_are_tunnelled() {
        assert_eq!(
            check("mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com:443").unwrap(),
            "mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com"
        );
        assert_eq!(
            check("MFZWI23GNJVGW.mrap.accesspoint.s3-global.amazonaws.com.:443").unwrap(),
            "mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com"
        );
    }

    #[test]
    fn other_hosts_and_ports_are_forbidden() {
        for target in [
            "example.com:443",
            "s3.amazonaws.com:443",
            "127.0.0.1:4566",
            "localhost:443",
            "[::1]:443",
            "x.mrap.accesspoint.s3-global.amazonaws.com:80",
            "x.mrap.accesspoint.s3-global.amazonaws.com:8443",
            "mrap.accesspoint.s3-global.amazonaws.com:443",
            ".mrap.accesspoint.s3-global.amazonaws.com:443",
            "a.b.mrap.accesspoint.s3-global.amazonaws.com:443",
            "a_b.mrap.accesspoint.s3-global.amazonaws.com:443",
            "x.accesspoint.s3-global.amazonaws.com:443",
            "xmrap.accesspoint.s3-global.amazonaws.com:443",
            "x.mrap.accesspoint.s3-global.amazonaws.com.evil.test:443",
        ] {
            assert_eq!(check(target), Err(Refusal::Forbidden), "{target}");
        }
        let long = format!(
            "{}.mrap.accesspoint.s3-global.amazonaws.com:443",
            "a".repeat(64)
        );
        assert_eq!(check(&long), Err(Refusal::Forbidden));
    }

    #[test]
    fn targets_that_are_not_host_port_are_malformed() {
        for target in [
            "x.mrap.accesspoint.s3-global.amazonaws.com",
            "/",
            "/etc/passwd",
            "https://x.mrap.accesspoint.s3-global.amazonaws.com:443/",
            "http://x.mrap.accesspoint.s3-global.amazonaws.com:443",
            "user@x.mrap.accesspoint.s3-global.amazonaws.com:443",
        ] {
            assert!(
                matches!(check(target), Err(Refusal::Malformed(_))),
                "{target}: {:?}",
                check(target)
            );
        }
    }
}
