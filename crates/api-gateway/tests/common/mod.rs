//! Test harness: the gateway in process, against fake authorizer and policy-store responders on a
//! real `nats-server` (core NATS only). [`harness`] returns `None` (and says so) when no
//! `nats-server` is found (`$NATS_SERVER_BIN` or `PATH`).
#![allow(clippy::unwrap_used, dead_code)]

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
};
use mrap_proto::{
    Namespace,
    authz::{AuthzRequest, Grant},
    codec,
    store::{self, StoreCall},
};
use serde::{Serialize, de::DeserializeOwned};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

pub const ACCOUNT: &str = "123456789012";

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
pub struct Seen {
    pub authz: Vec<AuthzRequest>,
    pub submits: Vec<store::SubmitOp>,
    pub ops: HashMap<String, AsyncOperation>,
    pub buckets: HashMap<String, BucketRecord>,
}

pub struct Harness {
    _nats: Nats,
    pub base: String,
    pub seen: Arc<Mutex<Seen>>,
    pub data_dir: tempfile::TempDir,
    pub shutdown: CancellationToken,
    pub http: Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
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
pub async fn harness(with_authorizer: bool) -> Option<Harness> {
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

pub struct Reply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Harness {
    pub async fn send(
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
    pub async fn control(&self, method: &str, path: &str, body: &str) -> Reply {
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

    pub async fn s3(&self, method: &str, path: &str, body: &str) -> Reply {
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

    pub fn last_authz(&self) -> AuthzRequest {
        self.seen.lock().unwrap().authz.last().cloned().unwrap()
    }
}

pub fn code_of(body: &str) -> &str {
    let start = body.find("<Code>").map(|i| i + 6).unwrap_or(0);
    let end = body.find("</Code>").unwrap_or(start);
    &body[start..end]
}
