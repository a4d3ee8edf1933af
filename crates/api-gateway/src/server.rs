//! The HTTP server: one axum fallback handler that picks the API surface of each request and runs
//! it through that surface's pipeline.
//!
//! fresh request id → surface (Access Analyzer, IAM and STS by signing service — or, unsigned, by
//! their request shape; S3 Control by path prefix; otherwise S3) → the surface's router (refusals that need no authorizer) → its pipeline (body,
//! authorizer, handler) → response with `x-amz-request-id` / `x-amz-id-2`, whether it succeeded
//! or not. Surfaces live in `s3`, `s3control`, `access_analyzer`, `iam` and `sts` (over `query`);
//! what they share in `common`.

use std::{sync::Arc, time::Instant};

use axum::{
    Router,
    extract::{Request, State},
    http::{HeaderValue, Method, request::Parts},
    response::Response,
};
use mrap_model::{ApiError, RegionsConfig};
use mrap_proto::{
    Namespace,
    store::{self, StoreCall},
};
use mrap_storage::{RegionStore, Stores};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, Span, field::Empty, info_span};

use crate::{
    Config, Error, HttpLimits, SERVICE, access_analyzer,
    common::{
        credential_scope,
        host::{self, HostStyle},
        request_id::RequestIds,
    },
    proxy,
    query::{self, QueryService},
    routing::{self, Routing},
    s3, s3control,
};

/// What every handler may use.
pub(crate) struct AppState {
    pub nats: async_nats::Client,
    pub namespace: Namespace,
    pub regions: RegionsConfig,
    pub s3_domains: Vec<String>,
    pub stores: Stores,
    /// Where requests through an MRAP go.
    pub routing: Arc<Routing>,
    /// Authorizer decisions this gateway may reuse.
    pub grants: Arc<crate::common::grants::Grants>,
    /// Operation records, read without the store.
    pub operations: Arc<s3control::operations::Operations>,
    /// MRAP records, read without the store (GetMultiRegionAccessPoint).
    pub mrap_records: Arc<s3control::records::Records>,
}

impl AppState {
    /// The store of `region`; a bucket recorded in a Region this gateway does not serve is a
    /// deployment fault, reported as unavailable rather than as a missing bucket.
    pub fn region_store(&self, region: &str) -> Result<Arc<dyn RegionStore>, ApiError> {
        self.stores.get(region).ok_or_else(|| {
            tracing::error!(region, "a bucket's Region has no store in this gateway");
            ApiError::new(
                mrap_model::ErrorCode::ServiceUnavailable,
                "The Region of this bucket is not served by this endpoint.",
            )
        })
    }

    /// One policy-store call; refusals come back as the error to render.
    ///
    /// After a call that may have changed what decisions read (even one that failed: it may
    /// have been applied), this gateway forgets the authorizer decisions it reuses. A change that
    /// succeeded is answered once an authorizer has announced applying a change since the call
    /// began (at most 50 ms later): the authorizer learns of a change from its watch, and a
    /// client that asks right after the answer should be decided under it.
    pub async fn store<C: StoreCall>(&self, request: &C) -> Result<C::Reply, ApiError> {
        let since = C::may_change_access().then(|| self.grants.announcements());
        let reply = store::call(&self.nats, &self.namespace, request)
            .await
            .map_err(mrap_proto::RpcError::into_api);
        if let Some(since) = since {
            self.grants.forget_all();
            if reply.is_ok() {
                self.grants.until_announced(since).await;
            }
        }
        reply
    }
}

/// Serves HTTP on `listener` until `shutdown` is cancelled, then lets requests in flight finish.
/// The connection limits come from the environment ([`HttpLimits::from_env`]).
pub async fn run(
    config: Config,
    nats: async_nats::Client,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    run_with(config, HttpLimits::from_env()?, nats, listener, shutdown).await
}

/// [`run`] with these connection limits.
pub async fn run_with(
    config: Config,
    limits: HttpLimits,
    nats: async_nats::Client,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    let stores = Stores::open(&config.data_dir, &config.regions)
        .map_err(Error::Config)?
        .timed();
    let routing = Routing::start(
        nats.clone(),
        config.namespace.clone(),
        stores.clone(),
        &config.regions,
        routing::gateway_region_from_env(&config.regions).map_err(Error::Config)?,
        shutdown.clone(),
    );
    let grants = crate::common::grants::Grants::start(
        nats.clone(),
        config.namespace.authz_changed(),
        config.authz_reuse_ttl,
        shutdown.clone(),
    )
    .await;
    let operations = Arc::new(s3control::operations::Operations::start(
        nats.clone(),
        config.namespace.clone(),
        shutdown.clone(),
    ));
    let mrap_records = s3control::records::Records::open(
        nats.clone(),
        config.namespace.clone(),
        mrap_proto::subjects::KvBucket::Mraps,
        shutdown.clone(),
        |_| async {},
    );
    let state = Arc::new(AppState {
        grants,
        operations,
        mrap_records,
        routing,
        stores,
        nats,
        namespace: config.namespace,
        regions: config.regions,
        s3_domains: crate::config::s3_domains_from_env(),
    });
    let app = Router::new().fallback(handle).with_state(state);
    let ca_dir = crate::config::proxy_ca_dir_from_env(&config.data_dir);
    let proxy = Arc::new(proxy::Proxy::start(&ca_dir).map_err(|e| Error::Config(e.to_string()))?);
    tracing::info!(
        ca = %proxy.ca_cert().display(),
        "proxy mode: CONNECT to *.mrap.accesspoint.s3-global.amazonaws.com:443 served with a certificate of this CA"
    );
    tracing::info!(
        addr = %listener.local_addr()?,
        service = SERVICE,
        "api-gateway listening"
    );
    // TCP_NODELAY, the peer address, the connection limits, graceful shutdown; CONNECT tunnels to
    // MRAP hosts are served by the same router.
    proxy::serve(listener, app, proxy, limits, shutdown).await?;
    Ok(())
}

/// A request classified by its surface's router.
enum Routed {
    Control(s3control::Routed),
    S3(s3::Routed),
    AccessAnalyzer(access_analyzer::AaOp),
    /// IAM or STS: the operation is in the body, read by the pipeline.
    Query(query::Pending),
}

/// Which surface a request belongs to (and so which error document it gets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Surface {
    S3Control,
    S3,
    AccessAnalyzer,
    /// IAM or STS (query protocol); the service whose namespace errors are written in.
    Query(QueryService),
}

/// Picks the surface and runs its router.
fn classify(parts: &Parts, style: &HostStyle) -> (Surface, Result<Routed, ApiError>) {
    let (method, path) = (&parts.method, parts.uri.path());
    let query = parts.uri.query().unwrap_or("");
    let service = credential_scope::service(&parts.headers, query);
    if access_analyzer::claims(method, path, query, service.as_deref()) {
        let routed = access_analyzer::classify(method, path).map(Routed::AccessAnalyzer);
        return (Surface::AccessAnalyzer, routed);
    }
    if let Some(pending) = query::claims(
        method,
        path,
        query,
        &parts.headers,
        service.as_deref(),
        style,
    ) {
        return (
            Surface::Query(pending.service_or_default()),
            Ok(Routed::Query(pending)),
        );
    }
    if *style == HostStyle::Path
        && let Some(rest) = path.strip_prefix(s3control::CONTROL_PREFIX)
    {
        let routed = s3control::router::classify(method, rest).map(Routed::Control);
        return (Surface::S3Control, routed);
    }
    let routed = s3::router::classify(method, path, query, &parts.headers, style).map(Routed::S3);
    (Surface::S3, routed)
}

impl Routed {
    fn name(&self) -> &'static str {
        match self {
            Routed::Control(r) => r.op.name(),
            Routed::S3(r) => r.op.name(),
            Routed::AccessAnalyzer(op) => op.name(),
            // Replaced on the span by the operation once the body is read.
            Routed::Query(pending) => pending.name(),
        }
    }
    fn route(&self) -> &'static str {
        match self {
            Routed::Control(r) => r.op.route(),
            Routed::S3(r) => r.op.route(),
            Routed::AccessAnalyzer(op) => op.route(),
            Routed::Query(_) => "/",
        }
    }
}

/// The route of a request no router took.
fn unrouted(surface: Surface, style: &HostStyle, path: &str) -> &'static str {
    match (surface, style) {
        (Surface::S3Control, _) => "/v20180820/{*path}",
        (Surface::AccessAnalyzer, _) => "/{*path}",
        (Surface::Query(_), _) => "/",
        (Surface::S3, HostStyle::MrapDataPlane { .. }) => "/{*key}",
        (Surface::S3, HostStyle::VirtualHost { .. }) if path.len() > 1 => "/{*key}",
        (Surface::S3, HostStyle::VirtualHost { .. }) => "/",
        (Surface::S3, HostStyle::Path) => match path.trim_start_matches('/').split_once('/') {
            Some((_, key)) if !key.is_empty() => "/{bucket}/{*key}",
            _ if path.trim_start_matches('/').is_empty() => "/",
            _ => "/{bucket}",
        },
    }
}

/// The single entry point.
async fn handle(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let started = Instant::now();
    let ids = RequestIds::fresh();
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    let host = parts
        .headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()));
    let style = host::parse(host, &state.s3_domains);
    let (mut surface, routed) = classify(&parts, &style);
    let (operation, route) = match &routed {
        Ok(r) => (r.name(), r.route()),
        Err(_) => ("Unsupported", unrouted(surface, &style, path)),
    };

    let span = info_span!(
        "http.request",
        otel.name = %format!("{} {route}", parts.method),
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = %parts.method,
        http.route = route,
        url.path = %path,
        http.response.status_code = Empty,
        aws.s3.operation = operation,
        aws.request_id = %ids.request_id,
        mrap.service = SERVICE,
        mrap.error_code = Empty,
        mrap.routed_region = Empty,
        mrap.request_token = Empty,
        // Describe: where the operation came from (`mirror`, `kv` or `store`)
        mrap.operation.read = Empty,
        // true when the authorization was a decision reused without asking the authorizer
        mrap.authz.reused = Empty,
    );

    let head = parts.method == Method::HEAD;
    let mut response = async {
        let served = match routed {
            Err(err) => Err(err),
            Ok(Routed::Control(r)) => s3control::serve(&state, &ids, &parts, r, body).await,
            Ok(Routed::S3(r)) => s3::serve(&state, &ids, &parts, r, body).await,
            Ok(Routed::AccessAnalyzer(op)) => {
                access_analyzer::serve(&state, &ids, &parts, op, body).await
            }
            Ok(Routed::Query(pending)) => {
                let (service, served) = query::serve(&state, &ids, &parts, pending, body).await;
                surface = Surface::Query(service);
                served
            }
        };
        match served {
            Ok(response) => response,
            Err(err) => {
                Span::current().record("mrap.error_code", err.code.aws_code());
                match surface {
                    Surface::S3Control => s3control::render(&err, &ids, head),
                    Surface::S3 => s3::render(&err, &ids, &s3_resource(&style, path), head),
                    Surface::AccessAnalyzer => access_analyzer::render(&err, head),
                    Surface::Query(service) => query::render(service, &err, &ids, head),
                }
            }
        }
    }
    .instrument(span.clone())
    .await;

    stamp_ids(&mut response, &ids, surface);
    let status = response.status().as_u16();
    span.record("http.response.status_code", status);
    if status >= 500 {
        span.record("otel.status_code", "ERROR");
    }
    // One line per request; the query (presigned signatures) and headers are never logged.
    // Successes at DEBUG: at INFO this line alone cost the local stack ~30 % of its 4 KiB GET
    // throughput (3,534 against 5,058 req/s without it); refusals and failures stay visible.
    let elapsed = started.elapsed();
    crate::http_metrics::request(operation, status, elapsed);
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    macro_rules! request_line {
        ($level:ident) => {
            tracing::$level!(
                parent: &span,
                method = %parts.method,
                route,
                status,
                request_id = %ids.request_id,
                latency_ms,
                "request"
            )
        };
    }
    match status {
        500.. => request_line!(warn),
        400..=499 => request_line!(info),
        _ => request_line!(debug),
    }
    response
}

/// Every response carries the request id pair, errors included; clients of the JSON and query
/// APIs read `x-amzn-RequestId` instead (aws-sdk-rust's IAM and STS clients only that).
fn stamp_ids(response: &mut Response, ids: &RequestIds, surface: Surface) {
    let headers = response.headers_mut();
    let json_id = matches!(surface, Surface::AccessAnalyzer | Surface::Query(_))
        .then_some(("x-amzn-requestid", &ids.request_id));
    for (name, value) in [
        ("x-amz-request-id", &ids.request_id),
        ("x-amz-id-2", &ids.host_id),
    ]
    .into_iter()
    .chain(json_id)
    {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    }
    if let Some(region) = ids.routed_region()
        && let Ok(v) = HeaderValue::from_str(&region)
    {
        headers.insert(ROUTED_REGION_HEADER, v);
    }
}

/// The response header naming the Region a request through an MRAP was served by (documented
/// in the README).
pub(crate) const ROUTED_REGION_HEADER: &str = "x-mrap-region";

/// `<Resource>` of a flat S3 error: the path as the bucket/key the request named.
fn s3_resource(style: &HostStyle, path: &str) -> String {
    let path = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    match style {
        HostStyle::VirtualHost { bucket } if path.is_empty() || path == "/" => format!("/{bucket}"),
        HostStyle::VirtualHost { bucket } => format!("/{bucket}{path}"),
        _ if path.is_empty() => "/".to_owned(),
        _ => path.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn s3_resources_name_the_bucket_in_both_styles() {
        let vh = HostStyle::VirtualHost {
            bucket: "vh-bucket".into(),
        };
        assert_eq!(s3_resource(&vh, "/"), "/vh-bucket");
        assert_eq!(s3_resource(&vh, "/a/b%20c"), "/vh-bucket/a/b c");
        assert_eq!(s3_resource(&HostStyle::Path, "/my-bucket"), "/my-bucket");
        assert_eq!(s3_resource(&HostStyle::Path, ""), "/");
    }

    #[test]
    fn ids_are_stamped_on_every_response() {
        let mut r = Response::new(axum::body::Body::empty());
        let ids = RequestIds::fresh();
        stamp_ids(&mut r, &ids, Surface::S3);
        assert_eq!(r.headers()["x-amz-request-id"], ids.request_id.as_str());
        assert_eq!(r.headers()["x-amz-id-2"], ids.host_id.as_str());
        assert!(r.headers().get("x-amzn-RequestId").is_none());
        let mut r = Response::new(axum::body::Body::empty());
        stamp_ids(&mut r, &ids, Surface::AccessAnalyzer);
        assert_eq!(r.headers()["x-amzn-RequestId"], ids.request_id.as_str());
        assert_eq!(r.headers()["x-amz-request-id"], ids.request_id.as_str());
        assert!(r.headers().get(ROUTED_REGION_HEADER).is_none());
        ids.set_routed_region("eu-west-1");
        let mut r = Response::new(axum::body::Body::empty());
        stamp_ids(&mut r, &ids, Surface::S3);
        assert_eq!(r.headers()[ROUTED_REGION_HEADER], "eu-west-1");
    }
}
