//! The whole HTTP pipeline of the gateway, in process, against fake authorizer and policy-store
//! responders on a real `nats-server` (core NATS only). The real services and the AWS SDKs are
//! exercised by the workspace's end-to-end suite; this checks what the gateway itself owns: routing,
//! error layouts, request ids, integrity checks, what it asks the authorizer and the store, and
//! bucket directories.
//!
//! Skipped (with a message) when no `nats-server` is found (`$NATS_SERVER_BIN` or `PATH`).
#![allow(clippy::unwrap_used)]

use std::{
    collections::HashMap,
    net::{SocketAddr, TcpListener as StdListener, TcpStream},
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use base64::Engine;
use bytes::Bytes;
use futures::StreamExt;
use http_body_util::{BodyExt, Full};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use mrap_model::{
    AccountId, ApiError, AsyncOperation, BucketRecord, ErrorCode, OpStatus, RegionsConfig,
    RequestToken,
};
use mrap_proto::{
    Namespace,
    authz::{AuthzRequest, Grant, Resource},
    codec,
    store::{self, StoreCall},
};
use serde::{Serialize, de::DeserializeOwned};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

const ACCOUNT: &str = "123456789012";

// ---------- nats-server ----------

struct Nats {
    child: Child,
    port: u16,
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_nats() -> Option<Nats> {
    let bin = std::env::var("NATS_SERVER_BIN")
        .ok()
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|p| p.join("nats-server"))
                    .find(|p| p.is_file())
            })
        });
    let Some(bin) = bin else {
        eprintln!("SKIPPED: no nats-server (set NATS_SERVER_BIN or put one on PATH)");
        return None;
    };
    let port = StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(bin)
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "nats-server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(Nats { child, port })
}

// ---------- fake responders ----------

/// Answers `subject` with `f` (the reply body is `Result<Resp, ApiError>`, as `mrap_proto::call`
/// expects).
async fn respond<Req, Resp, F>(client: &async_nats::Client, subject: String, f: F)
where
    Req: DeserializeOwned + Send + 'static,
    Resp: Serialize + Send + 'static,
    F: Fn(Req) -> Result<Resp, ApiError> + Send + 'static,
{
    let mut sub = client.subscribe(subject).await.unwrap();
    let client = client.clone();
    tokio::spawn(async move {
        while let Some(msg) = sub.next().await {
            let reply = match codec::decode::<Req>(&msg.payload) {
                Ok(req) => f(req),
                Err(e) => Err(ApiError::internal(e.to_string())),
            };
            if let Some(to) = msg.reply {
                let _ = client.publish(to, codec::encode(&reply).unwrap()).await;
            }
        }
    });
}

async fn store_fn<C, F>(client: &async_nats::Client, ns: &Namespace, f: F)
where
    C: StoreCall,
    F: Fn(C) -> Result<C::Reply, ApiError> + Send + 'static,
{
    respond(client, store::subject::<C>(ns), f).await;
}

#[derive(Default)]
struct Seen {
    authz: Vec<AuthzRequest>,
    submits: Vec<store::SubmitOp>,
    ops: HashMap<String, AsyncOperation>,
    buckets: HashMap<String, BucketRecord>,
}

struct Harness {
    _nats: Nats,
    base: String,
    seen: Arc<Mutex<Seen>>,
    data_dir: tempfile::TempDir,
    shutdown: CancellationToken,
    http: Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

fn grant() -> Grant {
    Grant {
        account: AccountId::parse(ACCOUNT).unwrap(),
        principal_arn: format!("arn:aws:iam::{ACCOUNT}:root"),
        access_key: "AKIDEXAMPLE".into(),
    }
}

/// Starts NATS, the fakes (`with_authorizer = false` leaves nobody answering authz) and the
/// gateway.
async fn harness(with_authorizer: bool) -> Option<Harness> {
    let nats = start_nats()?;
    let client = async_nats::connect(format!("nats://127.0.0.1:{}", nats.port))
        .await
        .unwrap();
    let ns = Namespace::new("gwtest");
    let seen = Arc::new(Mutex::new(Seen::default()));

    if with_authorizer {
        let s = seen.clone();
        // Refuses requests without an Authorization header, like the real authorizer would.
        respond(&client, ns.authz_check(), move |req: AuthzRequest| {
            let signed = req
                .headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("authorization"));
            s.lock().unwrap().authz.push(req);
            if signed {
                Ok(grant())
            } else {
                Err(ApiError::new(ErrorCode::AccessDenied, "Access Denied"))
            }
        })
        .await;
    }

    let s = seen.clone();
    store_fn(&client, &ns, move |req: store::SubmitOp| {
        let mut seen = s.lock().unwrap();
        let op: AsyncOperation = serde_json::from_value(serde_json::json!({
            "token": req.token,
            "account": req.token.account,
            "created_at": 1_630_606_893_000_i64,
            "updated_at": 1_630_606_893_000_i64,
            "request_id": req.request_id,
            "params": req.params,
            "status": OpStatus::New,
        }))
        .unwrap();
        seen.ops.insert(req.token.id.clone(), op);
        seen.submits.push(req.clone());
        Ok(req.token)
    })
    .await;
    let s = seen.clone();
    store_fn(&client, &ns, move |req: store::GetOp| {
        s.lock()
            .unwrap()
            .ops
            .get(&req.op_id)
            .filter(|op| op.account == req.account)
            .cloned()
            .ok_or_else(|| ApiError::new(ErrorCode::NoSuchAsyncRequest, "no such request"))
    })
    .await;
    store_fn(&client, &ns, |req: store::GetMrap| {
        Err::<mrap_model::MrapRecord, _>(ApiError::new(
            ErrorCode::NoSuchMultiRegionAccessPoint,
            format!("no MRAP {}", req.name),
        ))
    })
    .await;
    store_fn(&client, &ns, |_: store::ListMraps| Ok(vec![])).await;
    let s = seen.clone();
    store_fn(&client, &ns, move |req: store::CreateBucket| {
        let mut seen = s.lock().unwrap();
        if seen.buckets.contains_key(req.name.as_str()) {
            return Err(ApiError::new(ErrorCode::BucketAlreadyOwnedByYou, "yours"));
        }
        let record: BucketRecord = serde_json::from_value(serde_json::json!({
            "name": req.name, "region": req.region, "owner": req.owner,
            "created_at": 1_630_606_893_123_i64,
        }))
        .unwrap();
        seen.buckets.insert(req.name.to_string(), record.clone());
        Ok(record)
    })
    .await;
    let s = seen.clone();
    store_fn(&client, &ns, move |req: store::GetBucket| {
        Ok(s.lock().unwrap().buckets.get(req.name.as_str()).cloned())
    })
    .await;
    let s = seen.clone();
    store_fn(&client, &ns, move |req: store::ListBuckets| {
        Ok(s.lock()
            .unwrap()
            .buckets
            .values()
            .filter(|b| b.owner == req.owner)
            .cloned()
            .collect())
    })
    .await;
    let s = seen.clone();
    store_fn(&client, &ns, move |req: store::DeleteBucket| {
        s.lock()
            .unwrap()
            .buckets
            .remove(req.name.as_str())
            .ok_or_else(|| ApiError::new(ErrorCode::NoSuchBucket, "gone"))
    })
    .await;
    client.flush().await.unwrap();

    let data_dir = tempfile::tempdir().unwrap();
    let config = mrap_api_gateway::Config {
        namespace: ns,
        data_dir: data_dir.path().to_path_buf(),
        regions: RegionsConfig::load(None).unwrap(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let shutdown = CancellationToken::new();
    tokio::spawn(mrap_api_gateway::run(
        config,
        client,
        listener,
        shutdown.clone(),
    ));
    Some(Harness {
        _nats: nats,
        base,
        seen,
        data_dir,
        shutdown,
        http: Client::builder(TokioExecutor::new()).build_http(),
    })
}

struct Reply {
    status: u16,
    headers: http::HeaderMap,
    body: String,
}

impl Harness {
    async fn send(
        &self,
        method: &str,
        path_and_query: &str,
        host: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Reply {
        let mut req = http::Request::builder()
            .method(method)
            .uri(format!("{}{path_and_query}", self.base))
            .header("host", host);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Full::new(Bytes::from(body.to_owned()))).unwrap();
        let resp = self.http.request(req).await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let reply = Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        };
        // Every response, success or error, carries a fresh request id pair.
        let id = reply.headers["x-amz-request-id"].to_str().unwrap();
        assert_eq!(id.len(), 16, "{id}");
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
        );
        assert!(!reply.headers["x-amz-id-2"].is_empty());
        reply
    }

    /// A request that looks signed (the fake authorizer only checks the header is present), with
    /// the integrity headers the SDKs send.
    async fn control(&self, method: &str, path: &str, body: &str) -> Reply {
        let sha = hex::encode(Sha256::digest(body.as_bytes()));
        let md5 =
            base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(body.as_bytes()));
        self.send(
            method,
            path,
            &format!("{ACCOUNT}.localhost:4566"),
            &[
                ("authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00"),
                ("x-amz-account-id", ACCOUNT),
                ("x-amz-content-sha256", &sha),
                ("content-md5", &md5),
            ],
            body,
        )
        .await
    }

    async fn s3(&self, method: &str, path: &str, body: &str) -> Reply {
        self.send(
            method,
            path,
            "127.0.0.1:4566",
            &[
                ("authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00"),
                ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
            ],
            body,
        )
        .await
    }

    fn last_authz(&self) -> AuthzRequest {
        self.seen.lock().unwrap().authz.last().cloned().unwrap()
    }
}

fn code_of(body: &str) -> &str {
    let start = body.find("<Code>").map(|i| i + 6).unwrap_or(0);
    let end = body.find("</Code>").unwrap_or(start);
    &body[start..end]
}

const CREATE_BODY: &str = r#"<CreateMultiRegionAccessPointRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><ClientToken>tok-1</ClientToken><Details><Name>my-mrap</Name><Regions><Region><Bucket>bucket-a</Bucket></Region></Regions></Details></CreateMultiRegionAccessPointRequest>"#;

#[tokio::test]
async fn create_then_describe_an_mrap_operation() {
    let Some(h) = harness(true).await else { return };

    let r = h
        .control("POST", "/v20180820/async-requests/mrap/create", CREATE_BODY)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.headers["content-type"], "application/xml");
    assert!(r.body.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?><CreateMultiRegionAccessPointResult xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><RequestTokenARN>arn:aws:s3:us-west-2:123456789012:async-request/mrap/create/"#), "{}", r.body);

    let authz = h.last_authz();
    assert_eq!(authz.action, "s3:CreateMultiRegionAccessPoint");
    assert_eq!(
        authz.resource,
        Resource::Account(AccountId::parse(ACCOUNT).unwrap())
    );
    assert_eq!(authz.path, "/v20180820/async-requests/mrap/create");
    assert!(authz.s3_control);
    assert_eq!(
        authz.payload_hash,
        hex::encode(Sha256::digest(CREATE_BODY.as_bytes()))
    );
    assert_eq!(
        authz.request_id,
        r.headers["x-amz-request-id"].to_str().unwrap()
    );
    let submit = h.seen.lock().unwrap().submits.last().cloned().unwrap();
    assert_eq!(submit.client_token, "tok-1");
    assert_eq!(submit.request_id, authz.request_id);

    let arn = submit.token.arn();
    let encoded = arn.replace(':', "%3A");
    let r = h
        .control(
            "GET",
            &format!("/v20180820/async-requests/mrap/{encoded}"),
            "",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body
            .contains("<Operation>CreateMultiRegionAccessPoint</Operation>")
    );
    assert!(
        r.body
            .contains(&format!("<RequestTokenARN>{arn}</RequestTokenARN>"))
    );
    assert!(r.body.contains("<RequestStatus>NEW</RequestStatus>"));
    // the authorizer saw the path exactly as sent (still percent-encoded)
    assert_eq!(
        h.last_authz().path,
        format!("/v20180820/async-requests/mrap/{encoded}")
    );

    // a token of another account, a mangled one, an unknown one: all 404 NoSuchAsyncRequest
    let other = RequestToken {
        account: AccountId::parse("111122223333").unwrap(),
        ..submit.token.clone()
    };
    for token in [
        other.arn(),
        "garbage".into(),
        arn.replace(&submit.token.id, &"0".repeat(32)),
    ] {
        let r = h
            .control(
                "GET",
                &format!("/v20180820/async-requests/mrap/{token}"),
                "",
            )
            .await;
        assert_eq!(r.status, 404, "{token}");
        assert!(
            r.body
                .contains("<ErrorResponse><Error><Code>NoSuchAsyncRequest</Code>"),
            "{}",
            r.body
        );
    }
}

#[tokio::test]
async fn control_plane_refusals_use_the_wrapped_layout() {
    let Some(h) = harness(true).await else { return };

    // synchronous validation
    let r = h
        .control(
            "POST",
            "/v20180820/async-requests/mrap/create",
            &CREATE_BODY.replace("my-mrap", "Bad_Name"),
        )
        .await;
    assert_eq!(
        (r.status, code_of(&r.body)),
        (400, "InvalidRequest"),
        "{}",
        r.body
    );
    assert!(r.body.contains("<ErrorResponse><Error>") && r.body.contains("<RequestId>"));
    let r = h
        .control("POST", "/v20180820/async-requests/mrap/create", "<nope")
        .await;
    assert_eq!((r.status, code_of(&r.body)), (400, "MalformedXML"));

    // missing account header: refused before the authorizer is asked
    let before = h.seen.lock().unwrap().authz.len();
    let r = h
        .send(
            "GET",
            "/v20180820/mrap/instances",
            "localhost",
            &[("authorization", "x")],
            "",
        )
        .await;
    assert_eq!((r.status, code_of(&r.body)), (400, "InvalidRequest"));
    assert_eq!(h.seen.lock().unwrap().authz.len(), before);

    // the authorizer's refusal
    let r = h
        .send(
            "GET",
            "/v20180820/mrap/instances",
            "localhost",
            &[("x-amz-account-id", ACCOUNT)],
            "",
        )
        .await;
    assert_eq!((r.status, code_of(&r.body)), (403, "AccessDenied"));
    assert!(r.body.contains("<ErrorResponse>"));

    // integrity checks
    let r = h
        .send(
            "POST",
            "/v20180820/async-requests/mrap/create",
            "localhost",
            &[
                ("authorization", "x"),
                ("x-amz-account-id", ACCOUNT),
                ("x-amz-content-sha256", &"0".repeat(64)),
            ],
            CREATE_BODY,
        )
        .await;
    assert_eq!(
        (r.status, code_of(&r.body)),
        (400, "XAmzContentSHA256Mismatch")
    );
    let r = h
        .send(
            "POST",
            "/v20180820/async-requests/mrap/create",
            "localhost",
            &[
                ("authorization", "x"),
                ("x-amz-account-id", ACCOUNT),
                ("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg=="),
            ],
            CREATE_BODY,
        )
        .await;
    assert_eq!((r.status, code_of(&r.body)), (400, "BadDigest"));
    let big = "x".repeat(1024 * 1024 + 1);
    let r = h
        .control("POST", "/v20180820/async-requests/mrap/create", &big)
        .await;
    assert_eq!((r.status, code_of(&r.body)), (400, "EntityTooLarge"));

    // store refusals and the unknown
    let r = h
        .control("GET", "/v20180820/mrap/instances/missing-mrap", "")
        .await;
    assert_eq!(
        (r.status, code_of(&r.body)),
        (404, "NoSuchMultiRegionAccessPoint")
    );
    let r = h
        .control("GET", "/v20180820/mrap/instances/Not_Valid", "")
        .await;
    assert_eq!(
        (r.status, code_of(&r.body)),
        (404, "NoSuchMultiRegionAccessPoint")
    );
    let r = h
        .control(
            "GET",
            "/v20180820/mrap/instances?maxResults=5&nextToken=abc",
            "",
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("<ListMultiRegionAccessPointsResult xmlns=\"http://awss3control.amazonaws.com/doc/2018-08-20/\"><AccessPoints/>"), "{}", r.body);
    let r = h
        .control("POST", "/v20180820/async-requests/mrap/put-policy", "")
        .await;
    assert_eq!((r.status, code_of(&r.body)), (501, "NotImplemented"));
    assert!(r.body.contains("<ErrorResponse>"));
    let r = h
        .control("DELETE", "/v20180820/mrap/instances/my-mrap", "")
        .await;
    assert_eq!((r.status, code_of(&r.body)), (405, "MethodNotAllowed"));
    let r = h.control("GET", "/v20180820/jobs", "").await;
    assert_eq!((r.status, code_of(&r.body)), (501, "NotImplemented"));
}

#[tokio::test]
async fn bucket_life_cycle_keeps_the_directory_in_step() {
    let Some(h) = harness(true).await else { return };
    let dir = h.data_dir.path().join("eu-west-1").join("bucket-eu");

    let r = h
        .s3("PUT", "/bucket-eu", r#"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"#)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.headers["location"], "/bucket-eu");
    assert!(dir.is_dir());
    let authz = h.last_authz();
    assert_eq!(
        (authz.action.as_str(), &authz.resource),
        ("s3:CreateBucket", &Resource::CallerAccount)
    );
    assert!(!authz.s3_control);
    assert_eq!(authz.payload_hash, "UNSIGNED-PAYLOAD");

    let r = h.s3("PUT", "/bucket-eu", "").await;
    assert_eq!(
        (r.status, code_of(&r.body)),
        (409, "BucketAlreadyOwnedByYou")
    );
    assert!(
        r.body
            .contains("<Error><Code>BucketAlreadyOwnedByYou</Code>")
            && r.body.contains("<Resource>/bucket-eu</Resource>"),
        "{}",
        r.body
    );

    // virtual-host style, account-prefixed host ignored for buckets
    let r = h
        .send(
            "HEAD",
            "/",
            "bucket-eu.localhost:4566",
            &[("authorization", "x")],
            "",
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["x-amz-bucket-region"], "eu-west-1");
    assert_eq!(
        h.last_authz().resource,
        Resource::Bucket(mrap_model::BucketName::parse("bucket-eu").unwrap())
    );

    let r = h.s3("GET", "/bucket-eu?location", "").await;
    assert_eq!(
        r.body,
        r#"<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">eu-west-1</LocationConstraint>"#
    );

    let r = h.s3("GET", "/?x-id=ListBuckets", "").await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("<Owner><ID>123456789012</ID>")
            && r.body.contains("<Name>bucket-eu</Name>"),
        "{}",
        r.body
    );

    // a bucket with an object in it is not deleted
    std::fs::write(dir.join("obj"), b"x").unwrap();
    let r = h.s3("DELETE", "/bucket-eu", "").await;
    assert_eq!((r.status, code_of(&r.body)), (409, "BucketNotEmpty"));
    std::fs::remove_file(dir.join("obj")).unwrap();

    let r = h.s3("DELETE", "/bucket-eu", "").await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert!(!dir.exists());

    let r = h.s3("HEAD", "/bucket-eu", "").await;
    assert_eq!((r.status, r.body.as_str()), (404, ""));
    let r = h.s3("GET", "/bucket-eu?location", "").await;
    assert_eq!((r.status, code_of(&r.body)), (404, "NoSuchBucket"));
}

#[tokio::test]
async fn s3_refusals_use_the_flat_layout() {
    let Some(h) = harness(true).await else { return };
    let r = h.s3("PUT", "/Bad_Bucket", "").await;
    assert_eq!((r.status, code_of(&r.body)), (400, "InvalidBucketName"));
    assert!(
        r.body.contains("<Error><Code>InvalidBucketName</Code>")
            && r.body.contains("<Resource>/Bad_Bucket</Resource>")
    );
    let r = h.s3("PUT", "/fine-bucket", r#"<CreateBucketConfiguration><LocationConstraint>mars-1</LocationConstraint></CreateBucketConfiguration>"#).await;
    assert_eq!(
        (r.status, code_of(&r.body)),
        (400, "InvalidLocationConstraint")
    );
    let r = h
        .s3("PUT", "/fine-bucket", "<CreateBucketConfiguration>")
        .await;
    assert_eq!((r.status, code_of(&r.body)), (400, "MalformedXML"));
    let r = h.s3("GET", "/fine-bucket/some/key", "").await;
    assert_eq!((r.status, code_of(&r.body)), (501, "NotImplemented"));
    let r = h.s3("PATCH", "/fine-bucket", "").await;
    assert_eq!((r.status, code_of(&r.body)), (405, "MethodNotAllowed"));
    let r = h
        .send(
            "GET",
            "/k",
            "mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com",
            &[],
            "",
        )
        .await;
    assert_eq!((r.status, code_of(&r.body)), (501, "NotImplemented"));
    let r = h.send("GET", "/", "localhost", &[], "").await;
    assert_eq!((r.status, code_of(&r.body)), (403, "AccessDenied"));
    assert!(
        r.body.starts_with(
            r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>"#
        )
    );
}

#[tokio::test]
async fn an_unreachable_authorizer_is_a_503_not_a_hang() {
    let Some(h) = harness(false).await else {
        return;
    };
    let r = h.control("GET", "/v20180820/mrap/instances", "").await;
    assert_eq!((r.status, code_of(&r.body)), (503, "ServiceUnavailable"));
}
