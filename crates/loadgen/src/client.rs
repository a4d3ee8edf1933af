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
        })
    }

    /// Sends a signed request; `path` is already percent-encoded, `query` raw.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &str,
    ) -> Result<Response> {
        let payload_hash = hex::encode(Sha256::digest(body.as_bytes()));
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
            &payload_hash,
            &self.access_key,
            &self.secret,
            "us-west-2",
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
        let req = req.body(Full::new(Bytes::from(body.to_owned())))?;
        let resp = self.http.request(req).await.context("HTTP request")?;
        let status = resp.status().as_u16();
        let bytes = resp
            .into_body()
            .collect()
            .await
            .context("reading body")?
            .to_bytes();
        Ok(Response {
            status,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }
}

/// The text of the first `<tag>…</tag>` in `xml` (enough for the few fields the harness reads).
pub fn xml_field<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(&xml[start..end])
}
