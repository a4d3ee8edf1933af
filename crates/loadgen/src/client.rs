//! A minimal SigV4-signing HTTP client for the S3 and S3 Control APIs of the stack.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::{
    client::legacy::{Client as HyperClient, connect::HttpConnector},
    rt::TokioExecutor,
};
use sha2::{Digest, Sha256};

#[derive(Clone)]
pub struct Client {
    http: HyperClient<HttpConnector, Full<Bytes>>,
    /// `127.0.0.1:4566`
    pub authority: String,
    pub account: String,
    access_key: String,
    secret: String,
    /// The Region requests are signed for (us-west-2 unless [`Client::in_region`]).
    region: String,
}

pub struct Response {
    pub status: u16,
    pub body: String,
}

impl Client {
    pub fn new(endpoint: &str, account: &str, access_key: &str, secret: &str) -> Result<Self> {
        let authority = endpoint
            .strip_prefix("http://")
            .context("the endpoint must be http://host:port (the harness only talks to loopback)")?
            .trim_end_matches('/')
            .to_owned();
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Ok(Self {
            http: HyperClient::builder(TokioExecutor::new()).build(connector),
            authority,
            account: account.to_owned(),
            access_key: access_key.to_owned(),
            secret: secret.to_owned(),
            region: "us-west-2".to_owned(),
        })
    }

    /// The same client (and connection pool), signing for `region`: S3 peers insist that a
    /// CreateBucket's LocationConstraint is the Region it is signed for.
    pub fn in_region(&self, region: &str) -> Self {
        Self {
            region: region.to_owned(),
            ..self.clone()
        }
    }

    /// Sends a signed request; `path` is already percent-encoded, `query` raw.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &str,
    ) -> Result<Response> {
        let body = Bytes::from(body.to_owned());
        let hash = hex::encode(Sha256::digest(&body));
        let r = self.send_bytes(method, path, query, body, &hash).await?;
        Ok(Response {
            status: r.status,
            body: String::from_utf8_lossy(&r.body).into_owned(),
        })
    }

    /// Sends a signed request with a binary body whose hex SHA-256 is `payload_hash` (computed
    /// once by the caller for a body sent many times).
    pub async fn send_bytes(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: Bytes,
        payload_hash: &str,
    ) -> Result<RawResponse> {
        let mut headers = vec![("host".to_owned(), self.authority.clone())];
        if path.starts_with("/v20180820/") {
            headers.push(("x-amz-account-id".to_owned(), self.account.clone()));
        }
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64;
        let added = mrap_sigv4::sign(
            method,
            path,
            query,
            &headers,
            payload_hash,
            &self.access_key,
            &self.secret,
            &self.region,
            "s3",
            now,
            mrap_sigv4::Options::S3,
        );
        let uri = if query.is_empty() {
            format!("http://{}{path}", self.authority)
        } else {
            format!("http://{}{path}?{query}", self.authority)
        };
        let mut req = hyper::Request::builder().method(method).uri(uri);
        for (k, v) in headers.iter().chain(added.iter()) {
            req = req.header(k, v);
        }
        let req = req.body(Full::new(body))?;
        let resp = self.http.request(req).await.context("HTTP request")?;
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .collect()
            .await
            .context("reading body")?
            .to_bytes();
        Ok(RawResponse { status, body })
    }
}

pub struct RawResponse {
    pub status: u16,
    pub body: Bytes,
}

/// The text of the first `<tag>…</tag>` in `xml` (enough for the few fields the harness reads).
pub fn xml_field<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(&xml[start..end])
}

/// SigV4 (or SigV4A) header signing for object requests, with a configurable Region.
#[derive(Clone)]
pub struct Signer {
    pub access_key: String,
    pub secret: String,
    pub region: String,
    /// Sign with SigV4A for the Region set `*`, as SDKs sign requests through an MRAP.
    pub sigv4a: bool,
}

impl Signer {
    /// The headers to send: `host`, `extra`, and what signing adds (`x-amz-date`,
    /// `x-amz-content-sha256`, `authorization`). `path` is already percent-encoded.
    pub fn headers(
        &self,
        method: &str,
        authority: &str,
        path: &str,
        payload_hash: &str,
        extra: &[(String, String)],
    ) -> Vec<(String, String)> {
        let mut headers = vec![("host".to_owned(), authority.to_owned())];
        headers.extend(extra.iter().cloned());
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let sign = if self.sigv4a {
            mrap_sigv4::sign_v4a
        } else {
            mrap_sigv4::sign
        };
        let region = if self.sigv4a { "*" } else { &self.region };
        let added = sign(
            method,
            path,
            "",
            &headers,
            payload_hash,
            &self.access_key,
            &self.secret,
            region,
            "s3",
            now,
            mrap_sigv4::Options::S3,
        );
        headers.extend(added);
        headers
    }
}

/// One keep-alive HTTP/1.1 connection, reopened when the server closes it (e.g. a server that
/// answers `Connection: close`); `reconnects` counts those reopenings.
pub struct Conn<B> {
    authority: String,
    sender: Option<hyper::client::conn::http1::SendRequest<B>>,
    pub reconnects: u64,
}

impl<B> Conn<B>
where
    B: hyper::body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    pub fn new(authority: &str) -> Self {
        Self {
            authority: authority.to_owned(),
            sender: None,
            reconnects: 0,
        }
    }

    async fn connect(&mut self) -> Result<()> {
        let stream = tokio::net::TcpStream::connect(&self.authority)
            .await
            .with_context(|| format!("connecting to {}", self.authority))?;
        stream.set_nodelay(true)?;
        let (sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        if self.sender.is_some() {
            self.reconnects += 1;
        }
        self.sender = Some(sender);
        Ok(())
    }

    /// Sends `req` (origin-form URI, `host` header set by the caller).
    pub async fn send(
        &mut self,
        req: hyper::Request<B>,
    ) -> Result<hyper::Response<hyper::body::Incoming>> {
        // At most one reopening per request: a closed or unusable connection is replaced.
        let usable = match self.sender.as_mut() {
            Some(s) if !s.is_closed() => s.ready().await.is_ok(),
            _ => false,
        };
        if !usable {
            self.connect().await?;
            if let Some(s) = self.sender.as_mut() {
                s.ready().await.context("new connection not ready")?;
            }
        }
        let sender = self.sender.as_mut().context("no connection")?;
        sender
            .send_request(req)
            .await
            .context("HTTP request failed")
    }
}

/// `http://host:port[/]` → `host:port`, refusing anything that is not loopback.
pub fn loopback_authority(endpoint: &str) -> Result<String> {
    let authority = endpoint
        .strip_prefix("http://")
        .context("the endpoint must be http://host:port (the harness only talks to loopback)")?
        .trim_end_matches('/');
    ensure_loopback(authority, endpoint)?;
    Ok(authority.to_owned())
}

/// Refuses an `authority` (`host:port`, `[v6]:port`) that is not loopback; `shown` names it in
/// the error.
pub fn ensure_loopback(authority: &str, shown: &str) -> Result<()> {
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split([':', '/']).next().unwrap_or_default(),
    };
    if !(host == "localhost" || host == "::1" || host.starts_with("127.")) {
        anyhow::bail!("refusing to load {shown}: the harness only targets loopback");
    }
    Ok(())
}
