//! Test harness: the real system in process — `mrap_testkit::Stack` starts a nats-server and the
//! policy-store, authorizer, provisioner and this gateway through their `run` functions — and a
//! small HTTP client that signs requests with `mrap_sigv4::sign` the way the SDKs do. Nothing is
//! faked: what the gateway asks the authorizer is observed with a plain NATS subscription next to
//! the authorizer's own ([`AuthzTap`]).
//!
//! Without a nats-server ≥ 2.11 (`$NATS_SERVER_BIN` or `PATH`) the tests fail, saying how to
//! install one: a suite that skips itself could pass without testing anything.
#![allow(clippy::unwrap_used, dead_code, unused_imports)]

use std::{
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::Engine;
use bytes::Bytes;
use futures::StreamExt;
use http_body_util::{BodyExt, Full};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use md5::Digest as _;
use mrap_proto::{authz::AuthzRequest, codec};
pub use mrap_testkit::stack::{
    ACCESS_KEY, ACCOUNT, OTHER_ACCESS_KEY, OTHER_ACCOUNT, OTHER_SECRET_KEY, SECRET_KEY,
};
use mrap_testkit::{NatsServer, Stack};
use sha2::Sha256;

/// The Region requests are signed for.
pub const REGION: &str = "us-east-1";

/// Who signs.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    pub access: &'static str,
    pub secret: &'static str,
}

/// The root key of [`ACCOUNT`].
pub const MAIN: Key = Key {
    access: ACCESS_KEY,
    secret: SECRET_KEY,
};
/// The root key of [`OTHER_ACCOUNT`].
pub const OTHER: Key = Key {
    access: OTHER_ACCESS_KEY,
    secret: OTHER_SECRET_KEY,
};

/// Every `AuthzRequest` the gateway sends, seen from a plain subscription on the authorizer's
/// subject (NATS delivers to it as well as to the authorizer's queue group).
#[derive(Clone, Default)]
pub struct AuthzTap(Arc<Mutex<Vec<AuthzRequest>>>);

impl AuthzTap {
    async fn start(stack: &Stack) -> AuthzTap {
        let tap = AuthzTap::default();
        let client = async_nats::connect(&stack.nats_url).await.unwrap();
        let mut sub = client
            .subscribe(stack.namespace.authz_check())
            .await
            .unwrap();
        // `flush` only writes the SUB out; a message published after it and received back on
        // the same connection proves that the server has processed the SUB before any request.
        let ready_subject = client.new_inbox();
        let mut ready = client.subscribe(ready_subject.clone()).await.unwrap();
        client.publish(ready_subject, Bytes::new()).await.unwrap();
        tokio::time::timeout(Duration::from_secs(10), ready.next())
            .await
            .expect("the tap's own probe message comes back");
        let seen = tap.0.clone();
        tokio::spawn(async move {
            let _client = client; // keeps the connection open
            while let Some(msg) = sub.next().await {
                if let Ok(req) = codec::decode::<AuthzRequest>(&msg.payload) {
                    seen.lock().unwrap().push(req);
                }
            }
        });
        tap
    }

    /// The request the gateway sent while serving the response with this `x-amz-request-id`.
    pub async fn of(&self, reply: &Reply) -> AuthzRequest {
        let id = reply.request_id();
        for _ in 0..200 {
            if let Some(r) = self.find(&id) {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let seen: Vec<(String, String)> = self
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|r| (r.request_id.clone(), r.action.clone()))
            .collect();
        panic!("the authorizer was never asked about request {id}; seen {seen:?}");
    }

    pub fn find(&self, request_id: &str) -> Option<AuthzRequest> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .find(|r| r.request_id == request_id)
            .cloned()
    }
}

pub struct Harness {
    pub stack: Stack,
    pub tap: AuthzTap,
    http: Client<HttpConnector, Full<Bytes>>,
}

/// The whole stack.
pub async fn harness() -> Harness {
    harness_with(mrap_testkit::stack::StackOptions::default()).await
}

/// The whole stack, started with `opts`. Its gateway asks the authorizer about every request
/// (no reused decisions): tests read what it asked from the tap.
pub async fn harness_with(mut opts: mrap_testkit::stack::StackOptions) -> Harness {
    opts.authz_reuse_ttl = Duration::ZERO;
    let stack = Stack::start_with(opts).await.unwrap();
    let tap = AuthzTap::start(&stack).await;
    Harness {
        stack,
        tap,
        http: http_client(),
    }
}

fn http_client() -> Client<HttpConnector, Full<Bytes>> {
    Client::builder(TokioExecutor::new()).build_http()
}

/// Signs as the SDKs do (S3's canonicalisation for `s3`, the generic one otherwise), now, in
/// [`REGION`]: appends the SigV4 headers of `key` to `headers`, which hold `host` and every
/// header to sign. The one signer of these tests.
pub fn sign(
    method: &str,
    path: &str,
    query: &str,
    headers: &mut Vec<(String, String)>,
    payload_hash: &str,
    key: Key,
    service: &str,
) {
    let opts = if service == "s3" {
        mrap_sigv4::Options::S3
    } else {
        mrap_sigv4::Options::DEFAULT
    };
    let added = mrap_sigv4::sign(
        method,
        path,
        query,
        headers,
        payload_hash,
        key.access,
        key.secret,
        REGION,
        service,
        now_unix(),
        opts,
    );
    headers.extend(added);
}

pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn request_id(&self) -> String {
        self.headers["x-amz-request-id"]
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// `<Code>` of an XML error body.
    pub fn code(&self) -> &str {
        let start = self.body.find("<Code>").map(|i| i + 6).unwrap_or(0);
        let end = self.body.find("</Code>").unwrap_or(start);
        &self.body[start..end]
    }

    /// Text of the first `<tag>…</tag>`.
    pub fn xml_text(&self, tag: &str) -> Option<&str> {
        let open = format!("<{tag}>");
        let start = self.body.find(&open)? + open.len();
        let end = self.body[start..].find(&format!("</{tag}>"))? + start;
        Some(&self.body[start..end])
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// An S3 Control error: wrapped `<ErrorResponse><Error>` with this status and code.
    pub fn assert_wrapped(&self, status: u16, code: &str) {
        assert_eq!((self.status, self.code()), (status, code), "{self:#?}");
        assert!(
            self.body.starts_with(
                r#"<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Code>"#
            ) && self
                .body
                .contains(&format!("<RequestId>{}</RequestId>", self.request_id())),
            "{self:#?}"
        );
    }

    /// An S3 error: flat `<Error>` naming `resource`.
    pub fn assert_flat(&self, status: u16, code: &str, resource: &str) {
        assert_eq!((self.status, self.code()), (status, code), "{self:#?}");
        assert!(
            self.body
                .starts_with(r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>"#)
                && self
                    .body
                    .contains(&format!("<Resource>{resource}</Resource>")),
            "{self:#?}"
        );
    }

    /// An Access Analyzer error: status, `x-amzn-ErrorType`, JSON body with a message.
    pub fn assert_json_error(&self, status: u16, error_type: &str) -> serde_json::Value {
        assert_eq!(self.status, status, "{self:#?}");
        assert_eq!(self.headers["x-amzn-errortype"], error_type, "{self:#?}");
        assert_eq!(self.headers["content-type"], "application/json");
        let json = self.json();
        assert!(json["message"].as_str().is_some_and(|m| !m.is_empty()));
        json
    }
}

/// A request to sign and send.
pub struct Req<'a> {
    pub method: &'a str,
    /// Wire path (already percent-encoded).
    pub path: &'a str,
    /// Raw query without `?`.
    pub query: &'a str,
    /// `None`: `127.0.0.1:{port}`.
    pub host: Option<String>,
    pub headers: Vec<(&'a str, String)>,
    pub body: &'a [u8],
    /// `None`: not signed.
    pub key: Option<Key>,
    /// The credential scope's service (`s3`, `access-analyzer`).
    pub service: &'a str,
    /// `x-amz-content-sha256` to send instead of the body's SHA-256 (only for `s3`).
    pub content_sha256: Option<&'a str>,
}

impl<'a> Req<'a> {
    pub fn new(method: &'a str, path: &'a str, query: &'a str, body: &'a [u8]) -> Self {
        Self {
            method,
            path,
            query,
            host: None,
            headers: vec![],
            body,
            key: Some(MAIN),
            service: "s3",
            content_sha256: None,
        }
    }
}

impl Harness {
    pub fn port(&self) -> u16 {
        self.stack.addr.port()
    }

    /// Signs (when `req.key` is set) and sends.
    pub async fn request(&self, req: Req<'_>) -> Reply {
        self.request_to(&self.stack.endpoint, req).await
    }

    /// [`Harness::request`] to another gateway of the stack (`http://127.0.0.1:{port}`).
    pub async fn request_to(&self, endpoint: &str, req: Req<'_>) -> Reply {
        let host = req.host.clone().unwrap_or_else(|| {
            endpoint
                .strip_prefix("http://")
                .unwrap_or(endpoint)
                .to_owned()
        });
        let mut headers: Vec<(String, String)> = vec![("host".into(), host)];
        headers.extend(
            req.headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone())),
        );
        let body_sha = hex::encode(Sha256::digest(req.body));
        if req.service == "s3" {
            let sent = req.content_sha256.unwrap_or(&body_sha);
            headers.push(("x-amz-content-sha256".into(), sent.to_owned()));
        }
        if let Some(key) = req.key {
            let payload_hash = req.content_sha256.unwrap_or(&body_sha);
            sign(
                req.method,
                req.path,
                req.query,
                &mut headers,
                payload_hash,
                key,
                req.service,
            );
        }
        send_to(
            &self.http, endpoint, req.method, req.path, req.query, &headers, req.body,
        )
        .await
    }

    /// Sends exactly these headers (`host` included) and body.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        query: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Reply {
        send_to(
            &self.http,
            &self.stack.endpoint,
            method,
            path,
            query,
            headers,
            body,
        )
        .await
    }

    /// An S3 Control request of `key`'s account, as aws-sdk-s3control sends it: account-prefixed
    /// host, `x-amz-account-id`, `Content-MD5`, payload hash signed.
    pub async fn control_as(
        &self,
        key: Key,
        account: &str,
        method: &str,
        path: &str,
        body: &str,
    ) -> Reply {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(body));
        let mut req = Req::new(method, path, query, body.as_bytes());
        req.key = Some(key);
        req.host = Some(format!("{account}.localhost:{}", self.port()));
        req.headers = vec![
            ("x-amz-account-id", account.to_owned()),
            ("content-md5", md5),
        ];
        if !body.is_empty() {
            req.headers
                .push(("content-type", "application/xml".to_owned()));
        }
        self.request(req).await
    }

    pub async fn control(&self, method: &str, path: &str, body: &str) -> Reply {
        self.control_as(MAIN, ACCOUNT, method, path, body).await
    }

    /// A path-style S3 request signed by `key` (`path` may carry `?query`).
    pub async fn s3_as(&self, key: Key, method: &str, path: &str, body: &str) -> Reply {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let mut req = Req::new(method, path, query, body.as_bytes());
        req.key = Some(key);
        self.request(req).await
    }

    pub async fn s3(&self, method: &str, path: &str, body: &str) -> Reply {
        self.s3_as(MAIN, method, path, body).await
    }

    /// `ValidatePolicy` signed for `access-analyzer` by `key`.
    pub async fn analyzer_as(&self, key: Key, query: &str, body: &str) -> Reply {
        let mut req = Req::new("POST", "/policy/validation", query, body.as_bytes());
        req.key = Some(key);
        req.service = "access-analyzer";
        req.headers = vec![("content-type", "application/json".to_owned())];
        self.request(req).await
    }

    pub async fn analyzer(&self, query: &str, body: &str) -> Reply {
        self.analyzer_as(MAIN, query, body).await
    }

    // ---------- fixtures ----------

    /// CreateBucket in `region` (us-east-1 when `None`), checked.
    pub async fn create_bucket(&self, key: Key, bucket: &str, region: Option<&str>) {
        let body = region.map_or_else(String::new, |r| {
            format!(
                r#"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>{r}</LocationConstraint></CreateBucketConfiguration>"#
            )
        });
        let r = self.s3_as(key, "PUT", &format!("/{bucket}"), &body).await;
        assert_eq!(r.status, 200, "CreateBucket {bucket}: {r:#?}");
    }

    /// Polls Describe until the operation is over; returns the last Describe body.
    pub async fn wait_for_op(&self, token_arn: &str) -> Reply {
        let path = format!(
            "/v20180820/async-requests/mrap/{}",
            token_arn.replace(':', "%3A")
        );
        for _ in 0..600 {
            let r = self.control("GET", &path, "").await;
            assert_eq!(r.status, 200, "{r:#?}");
            match r.xml_text("RequestStatus") {
                Some("SUCCEEDED" | "FAILED") => return r,
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        panic!("operation {token_arn} did not finish within 30 s");
    }

    /// A READY MRAP over one new bucket per Region; returns its alias.
    pub async fn create_mrap(&self, name: &str, buckets: &[(&str, &str)]) -> String {
        let mut regions = String::new();
        for (bucket, region) in buckets {
            self.create_bucket(MAIN, bucket, Some(region)).await;
            regions.push_str(&format!("<Region><Bucket>{bucket}</Bucket></Region>"));
        }
        let body = format!(
            r#"<CreateMultiRegionAccessPointRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><ClientToken>create-{name}</ClientToken><Details><Name>{name}</Name><Regions>{regions}</Regions></Details></CreateMultiRegionAccessPointRequest>"#
        );
        let r = self
            .control("POST", "/v20180820/async-requests/mrap/create", &body)
            .await;
        assert_eq!(r.status, 200, "{r:#?}");
        let arn = r.xml_text("RequestTokenARN").unwrap().to_owned();
        let done = self.wait_for_op(&arn).await;
        assert_eq!(
            done.xml_text("RequestStatus"),
            Some("SUCCEEDED"),
            "{done:#?}"
        );
        let r = self
            .control("GET", &format!("/v20180820/mrap/instances/{name}"), "")
            .await;
        assert_eq!(r.status, 200, "{r:#?}");
        r.xml_text("Alias").unwrap().to_owned()
    }
}

/// Sends one request with a fresh client connection pool; checks the request-id headers every
/// response carries.
pub async fn send_to(
    http: &Client<HttpConnector, Full<Bytes>>,
    endpoint: &str,
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Reply {
    let uri = if query.is_empty() {
        format!("{endpoint}{path}")
    } else {
        format!("{endpoint}{path}?{query}")
    };
    let mut builder = http::Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let request = builder
        .body(Full::new(Bytes::copy_from_slice(body)))
        .unwrap();
    let response = tokio::time::timeout(Duration::from_secs(20), http.request(request))
        .await
        .expect("the gateway answers within 20 s")
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let reply = Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    };
    // Every response, success or error, carries a fresh request id pair.
    let id = reply.request_id();
    assert_eq!(id.len(), 16, "{id}");
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
    );
    assert!(!reply.headers["x-amz-id-2"].is_empty());
    reply
}

/// Polls `f` until it returns `want` (the authorizer's read model follows the store's changes a
/// moment later); returns the last value seen.
pub async fn eventually<T, F, Fut>(want: T, mut f: F) -> T
where
    T: PartialEq + std::fmt::Debug,
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    let mut last = f().await;
    for _ in 0..200 {
        if last == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        last = f().await;
    }
    last
}

/// Only a nats-server and this gateway: nothing answers the authorizer's or the store's subject.
pub struct GatewayAlone {
    _nats: NatsServer,
    pub endpoint: String,
    shutdown: tokio_util::sync::CancellationToken,
    _data: tempfile::TempDir,
    http: Client<HttpConnector, Full<Bytes>>,
}

impl Drop for GatewayAlone {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn gateway_alone() -> GatewayAlone {
    let nats = NatsServer::start().unwrap();
    let client = async_nats::connect(nats.url()).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let config = mrap_api_gateway::Config {
        namespace: mrap_proto::Namespace::new("alone"),
        data_dir: data.path().to_path_buf(),
        regions: mrap_model::RegionsConfig::load(None).unwrap(),
        authz_reuse_ttl: mrap_testkit::AUTHZ_REUSE_TTL,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let shutdown = tokio_util::sync::CancellationToken::new();
    tokio::spawn(mrap_api_gateway::run(
        config,
        client,
        listener,
        shutdown.clone(),
    ));
    GatewayAlone {
        _nats: nats,
        endpoint,
        shutdown,
        _data: data,
        http: http_client(),
    }
}

impl GatewayAlone {
    pub async fn send(&self, method: &str, path: &str, headers: &[(String, String)]) -> Reply {
        send_to(&self.http, &self.endpoint, method, path, "", headers, b"").await
    }
}
