//! A bare HTTP/1 client (hyper) for requests no SDK will send: unsigned, signed at a chosen
//! time, or with a malformed body. Signing uses the workspace's own `mrap_sigv4::sign`.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use md5::{Digest as _, Md5};
use sha2::Sha256;

use super::{ACCOUNT, CONTROL_REGION, Stack};

/// Who signs a raw request, and when.
pub struct Signer<'a> {
    pub access_key: &'a str,
    pub secret: &'a str,
    /// Seconds since the Unix epoch written into `x-amz-date` and the scope.
    pub at_unix: i64,
}

impl<'a> Signer<'a> {
    /// Signs now.
    pub fn now(access_key: &'a str, secret: &'a str) -> Self {
        Self {
            access_key,
            secret,
            at_unix: now_unix(),
        }
    }
}

pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: String,
}

/// Sends an S3 Control request for [`ACCOUNT`] to the gateway: `x-amz-account-id`, and for a
/// body also `Content-Type: application/xml` and `Content-MD5` (as aws-sdk-s3control sends
/// them). `path` is the wire path (already percent-encoded), `query` without `?`.
pub async fn control_request(
    stack: &Stack,
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
    signer: Option<Signer<'_>>,
) -> RawResponse {
    let host = format!("{ACCOUNT}.s3-control.test:{}", stack.addr.port());
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), host),
        ("x-amz-account-id".into(), ACCOUNT.into()),
    ];
    if !body.is_empty() {
        headers.push(("content-type".into(), "application/xml".into()));
        headers.push((
            "content-md5".into(),
            base64::engine::general_purpose::STANDARD.encode(Md5::digest(body)),
        ));
    }
    if let Some(s) = signer {
        let payload_hash = hex::encode(Sha256::digest(body));
        let added = mrap_sigv4::sign(
            method,
            path,
            query,
            &headers,
            &payload_hash,
            s.access_key,
            s.secret,
            CONTROL_REGION,
            "s3",
            s.at_unix,
            mrap_sigv4::Options::S3,
        );
        headers.extend(added);
    }
    send(stack, method, path, query, &headers, body).await
}

/// Sends a JSON-protocol request (Access Analyzer's `POST /policy/validation`, …) to the
/// gateway: `Host` is the gateway's address and `Content-Type: application/json`; when signed,
/// it is signed for `service` in [`CONTROL_REGION`] with the generic (non-S3) canonicalisation,
/// as the AWS SDKs sign such services.
pub async fn json_request(
    stack: &Stack,
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
    service: &str,
    signer: Option<Signer<'_>>,
) -> RawResponse {
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), stack.addr.to_string()),
        ("content-type".into(), "application/json".into()),
    ];
    if let Some(s) = signer {
        let payload_hash = hex::encode(Sha256::digest(body));
        let added = mrap_sigv4::sign(
            method,
            path,
            query,
            &headers,
            &payload_hash,
            s.access_key,
            s.secret,
            CONTROL_REGION,
            service,
            s.at_unix,
            mrap_sigv4::Options::DEFAULT,
        );
        headers.extend(added);
    }
    send(stack, method, path, query, &headers, body).await
}

/// Sends exactly these headers and body to the gateway's socket.
pub async fn send(
    stack: &Stack,
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> RawResponse {
    let uri = if query.is_empty() {
        format!("{}{path}", stack.endpoint)
    } else {
        format!("{}{path}?{query}", stack.endpoint)
    };
    let mut builder = http::Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let request = builder
        .body(Full::new(Bytes::copy_from_slice(body)))
        .expect("a valid request");
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let response =
        tokio::time::timeout(std::time::Duration::from_secs(10), client.request(request))
            .await
            .expect("the gateway answers within 10 s")
            .expect("the gateway is reachable");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("a complete response body")
        .to_bytes();
    RawResponse {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

impl RawResponse {
    /// Asserts an S3 Control error: `status`, the WRAPPED `<ErrorResponse><Error><Code>` body
    /// with `code`, and an `x-amz-request-id` header equal to the body's RequestId.
    pub fn assert_wrapped_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{self:#?}");
        let body = self.body.trim_start();
        let body = body
            .strip_prefix("<?xml")
            .and_then(|rest| rest.split_once("?>"))
            .map_or(body, |(_, after)| after.trim_start());
        assert!(
            body.starts_with("<ErrorResponse><Error>")
                || body.starts_with("<ErrorResponse>\n<Error>")
                || body.starts_with("<ErrorResponse xmlns"),
            "not a wrapped S3 Control error body: {}",
            self.body
        );
        assert!(
            body.contains(&format!("<Error><Code>{code}</Code>")),
            "expected code {code}: {}",
            self.body
        );
        let request_id = self
            .headers
            .get("x-amz-request-id")
            .unwrap_or_else(|| panic!("no x-amz-request-id header: {self:#?}"))
            .to_str()
            .expect("an ASCII request id");
        assert!(!request_id.is_empty(), "empty x-amz-request-id");
        assert!(
            body.contains(&format!("<RequestId>{request_id}</RequestId>")),
            "the body's RequestId is not the x-amz-request-id header {request_id}: {}",
            self.body
        );
    }
}
