//! The HTTP server: one axum fallback handler running every request through the same pipeline.
//!
//! fresh request id → [`Endpoint`] → [`Operation::prepare`] (refusals that need no authorizer) →
//! body (size limit, `x-amz-content-sha256`, `Content-MD5`, `x-amz-checksum-*`) → authorizer → handler → response with
//! `x-amz-request-id` / `x-amz-id-2`, whether it succeeded or not.

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Instant};

use axum::{
    Router,
    body::Body,
    extract::{ConnectInfo, Request, State},
    http::{HeaderValue, Method, header, request::Parts},
    response::Response,
};
use mrap_model::{ApiError, RegionsConfig};
use mrap_proto::{
    Namespace,
    authz::Grant,
    store::{self, StoreCall},
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, Span, field::Empty, info_span};

use crate::{
    Config, Error, SERVICE, access_analyzer, auth, body, bucket_policy, buckets, checksum,
    credential_scope,
    endpoint::{Api, Endpoint},
    error::{ErrorStyle, render},
    host::{self, HostStyle},
    mrap_create, mrap_delete, mrap_describe, mrap_get, mrap_policy,
    operation::Operation,
    public_access_block,
    request_id::RequestIds,
};

/// What every handler may use.
pub(crate) struct AppState {
    pub nats: async_nats::Client,
    pub namespace: Namespace,
    pub data_dir: PathBuf,
    pub regions: RegionsConfig,
    pub s3_domains: Vec<String>,
}

impl AppState {
    /// One policy-store call; refusals come back as the error to render.
    pub async fn store<C: StoreCall>(&self, request: &C) -> Result<C::Reply, ApiError> {
        store::call(&self.nats, &self.namespace, request)
            .await
            .map_err(mrap_proto::RpcError::into_api)
    }
}

/// Serves HTTP on `listener` until `shutdown` is cancelled, then lets requests in flight finish.
pub async fn run(
    config: Config,
    nats: async_nats::Client,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    let state = Arc::new(AppState {
        nats,
        namespace: config.namespace,
        data_dir: config.data_dir,
        regions: config.regions,
        s3_domains: crate::config::s3_domains_from_env(),
    });
    let app = Router::new().fallback(handle).with_state(state);
    tracing::info!(
        addr = %listener.local_addr()?,
        service = SERVICE,
        "api-gateway listening"
    );
    // Connect info gives the authorizer the peer address for `aws:SourceIp`.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown.cancelled_owned())
    .await?;
    Ok(())
}

/// The single entry point.
async fn handle(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let started = Instant::now();
    let ids = RequestIds::fresh();
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or("");
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()));
    let style = host::parse(host, &state.s3_domains);
    let service = credential_scope::service(&parts.headers, query);
    let endpoint = Endpoint::classify(&parts.method, path, query, &style, service.as_deref());
    let route = endpoint.route();

    let span = info_span!(
        "http.request",
        otel.name = %format!("{} {route}", parts.method),
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = %parts.method,
        http.route = route,
        url.path = %path,
        http.response.status_code = Empty,
        aws.s3.operation = endpoint.operation(),
        aws.request_id = %ids.request_id,
        mrap.service = SERVICE,
        mrap.error_code = Empty,
    );

    let error_style = match endpoint.api() {
        Api::S3Control => ErrorStyle::Wrapped,
        Api::S3 => ErrorStyle::Flat {
            resource: s3_resource(&style, path),
        },
        Api::AccessAnalyzer => ErrorStyle::Json,
    };
    let head = parts.method == Method::HEAD;
    let mut response = async {
        match serve(&state, &ids, &endpoint, &parts, body).await {
            Ok(response) => response,
            Err(err) => {
                Span::current().record("mrap.error_code", err.code.aws_code());
                render(&err, &error_style, &ids, head)
            }
        }
    }
    .instrument(span.clone())
    .await;

    stamp_ids(&mut response, &ids, endpoint.api());
    let status = response.status().as_u16();
    span.record("http.response.status_code", status);
    if status >= 500 {
        span.record("otel.status_code", "ERROR");
    }
    // One line per request; the query (presigned signatures) and headers are never logged.
    tracing::info!(
        parent: &span,
        method = %parts.method,
        route,
        status,
        request_id = %ids.request_id,
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}

/// The pipeline after classification; any refusal is rendered by the caller.
async fn serve(
    state: &AppState,
    ids: &RequestIds,
    endpoint: &Endpoint,
    parts: &Parts,
    request_body: Body,
) -> Result<Response, ApiError> {
    let op = Operation::prepare(
        endpoint,
        parts.method.as_str(),
        parts.uri.query().unwrap_or(""),
        &parts.headers,
    )?;

    let bytes = body::read(request_body, body::MAX_BODY).await?;
    let payload_hash = body::payload_hash(
        parts
            .headers
            .get("x-amz-content-sha256")
            .map(HeaderValue::as_bytes),
        &bytes,
    )?;
    body::check_content_md5(
        parts.headers.get("content-md5").map(HeaderValue::as_bytes),
        &bytes,
    )?;
    checksum::check(&parts.headers, &bytes)?;

    let authz = auth::authz_request(
        auth::SignedParts {
            request_id: &ids.request_id,
            method: &parts.method,
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers: &parts.headers,
            payload_hash,
            source_ip: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(peer)| peer.ip().to_string()),
        },
        &op,
    );
    let grant = auth::authorize(state, &authz).await?;
    dispatch(state, ids, op, &grant, &bytes).await
}

async fn dispatch(
    state: &AppState,
    ids: &RequestIds,
    op: Operation,
    grant: &Grant,
    body: &[u8],
) -> Result<Response, ApiError> {
    match op {
        Operation::CreateMrap { account } => mrap_create::handle(state, ids, account, body).await,
        Operation::DeleteMrap { account } => mrap_delete::handle(state, ids, account, body).await,
        Operation::DescribeMrapOp { account, token_arn } => {
            mrap_describe::handle(state, account, &token_arn).await
        }
        Operation::GetMrap { account, name } => mrap_get::get(state, account, &name).await,
        Operation::ListMraps { account } => mrap_get::list(state, account).await,
        Operation::PutMrapPolicy { account } => mrap_policy::put(state, ids, account, body).await,
        Operation::GetMrapPolicy { account, name } => mrap_policy::get(state, account, &name).await,
        Operation::GetMrapPolicyStatus { account, name } => {
            mrap_policy::status(state, account, &name).await
        }
        Operation::PutAccountPab { account } => {
            public_access_block::put_account(state, account, body).await
        }
        Operation::GetAccountPab { account } => {
            public_access_block::get_account(state, account).await
        }
        Operation::DeleteAccountPab { account } => {
            public_access_block::delete_account(state, account).await
        }
        Operation::ListBuckets => buckets::list(state, grant).await,
        Operation::CreateBucket { bucket } => buckets::create(state, grant, bucket, body).await,
        Operation::HeadBucket { bucket } => buckets::head(state, bucket).await,
        Operation::GetBucketLocation { bucket } => buckets::location(state, bucket).await,
        Operation::DeleteBucket { bucket } => buckets::delete(state, bucket).await,
        Operation::PutBucketPolicy { bucket } => bucket_policy::put(state, bucket, body).await,
        Operation::GetBucketPolicy { bucket } => bucket_policy::get(state, bucket).await,
        Operation::DeleteBucketPolicy { bucket } => bucket_policy::delete(state, bucket).await,
        Operation::GetBucketPolicyStatus { bucket } => bucket_policy::status(state, bucket).await,
        Operation::PutBucketPab { bucket } => {
            public_access_block::put_bucket(state, bucket, body).await
        }
        Operation::GetBucketPab { bucket } => public_access_block::get_bucket(state, bucket).await,
        Operation::DeleteBucketPab { bucket } => {
            public_access_block::delete_bucket(state, bucket).await
        }
        Operation::ValidatePolicy { query } => access_analyzer::handle(&query, body),
    }
}

/// Every response carries the request id pair, errors included; JSON APIs' clients read
/// `x-amzn-RequestId` instead.
fn stamp_ids(response: &mut Response, ids: &RequestIds, api: Api) {
    let headers = response.headers_mut();
    let json_id = (api == Api::AccessAnalyzer).then_some(("x-amzn-requestid", &ids.request_id));
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
}

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
        let mut r = Response::new(Body::empty());
        let ids = RequestIds::fresh();
        stamp_ids(&mut r, &ids, Api::S3);
        assert_eq!(r.headers()["x-amz-request-id"], ids.request_id.as_str());
        assert_eq!(r.headers()["x-amz-id-2"], ids.host_id.as_str());
        assert!(r.headers().get("x-amzn-RequestId").is_none());
        let mut r = Response::new(Body::empty());
        stamp_ids(&mut r, &ids, Api::AccessAnalyzer);
        assert_eq!(r.headers()["x-amzn-RequestId"], ids.request_id.as_str());
        assert_eq!(r.headers()["x-amz-request-id"], ids.request_id.as_str());
    }
}
