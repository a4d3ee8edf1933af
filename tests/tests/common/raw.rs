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

// ---------------------------------------------------------------- S3 object requests

/// The headers of a path-style S3 request to the gateway (`Host` = the gateway's address), signed
/// for `region` when `signer` is given. `payload_hash` is what goes into `x-amz-content-sha256`
/// and the canonical request (`UNSIGNED-PAYLOAD`, `STREAMING-…`, or the hex SHA-256 of the body).
#[allow(clippy::too_many_arguments)] // the request's parts, spelt out as a test wants them
pub fn s3_headers(
    stack: &Stack,
    region: &str,
    method: &str,
    path: &str,
    query: &str,
    extra: &[(&str, &str)],
    payload_hash: &str,
    signer: Option<Signer<'_>>,
) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = vec![("host".into(), stack.addr.to_string())];
    headers.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    if let Some(s) = signer {
        if !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("x-amz-content-sha256"))
        {
            headers.push(("x-amz-content-sha256".into(), payload_hash.into()));
        }
        let added = mrap_sigv4::sign(
            method,
            path,
            query,
            &headers,
            payload_hash,
            s.access_key,
            s.secret,
            region,
            "s3",
            s.at_unix,
            mrap_sigv4::Options::S3,
        );
        headers.extend(added);
    }
    headers
}

/// Sends a path-style S3 request with `body` signed by its SHA-256 (or unsigned).
#[allow(clippy::too_many_arguments)]
pub async fn s3_request(
    stack: &Stack,
    region: &str,
    method: &str,
    path: &str,
    query: &str,
    extra: &[(&str, &str)],
    body: &[u8],
    signer: Option<Signer<'_>>,
) -> RawResponse {
    let hash = hex::encode(Sha256::digest(body));
    let headers = s3_headers(stack, region, method, path, query, extra, &hash, signer);
    send(stack, method, path, query, &headers, body).await
}

/// The `Signature=` of an `authorization` header among `headers`: the seed of a chunk chain.
pub fn seed_signature(headers: &[(String, String)]) -> String {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, v)| v.rsplit_once("Signature="))
        .map(|(_, sig)| sig.trim().to_owned())
        .expect("a signed request has an authorization header with a Signature")
}

/// HMAC-SHA256 (RFC 2104), written out here so that the chunk signatures the tests send are
/// computed independently of the server's verifier.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` framing of `data` in chunks of `chunk_size` (plus the
/// final empty chunk), each signed over the previous signature as AWS's sigv4-streaming page
/// describes. `amz_date` is the request's `x-amz-date`, `scope` `{date}/{region}/s3/aws4_request`.
pub fn encode_signed_chunks(
    data: &[u8],
    chunk_size: usize,
    signing_key: &[u8; 32],
    amz_date: &str,
    scope: &str,
    seed: &str,
) -> Vec<u8> {
    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let mut out = Vec::with_capacity(data.len() + 256);
    let mut previous = seed.to_owned();
    let chunks = data
        .chunks(chunk_size.max(1))
        .chain(std::iter::once(&[][..]));
    for chunk in chunks {
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n{previous}\n{EMPTY_SHA256}\n{}",
            hex::encode(Sha256::digest(chunk))
        );
        let signature = hex::encode(hmac_sha256(signing_key, string_to_sign.as_bytes()));
        out.extend_from_slice(
            format!("{:x};chunk-signature={signature}\r\n", chunk.len()).as_bytes(),
        );
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
        previous = signature;
    }
    out
}

/// Writes `head` (request line and headers, ending with the blank line) to the gateway and
/// sends NO body, then reads the response: for requests that must be refused on their headers
/// alone (a declared size past the limit), before any body byte.
pub async fn send_head_only(stack: &Stack, head: &str) -> RawResponse {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(stack.addr)
            .await
            .expect("the gateway is reachable");
        stream
            .write_all(head.as_bytes())
            .await
            .expect("writing the request head");
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(end) = find(&buf, b"\r\n\r\n") {
                let head_text = String::from_utf8_lossy(&buf[..end]).into_owned();
                let length = head_text
                    .lines()
                    .find_map(|l| {
                        let (n, v) = l.split_once(':')?;
                        n.trim()
                            .eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse::<usize>().ok())
                            .flatten()
                    })
                    .unwrap_or(0);
                if buf.len() >= end + 4 + length {
                    return parse_response(&buf[..end], &buf[end + 4..end + 4 + length]);
                }
            }
            let n = stream.read(&mut chunk).await.expect("reading the response");
            if n == 0 {
                let end = find(&buf, b"\r\n\r\n")
                    .unwrap_or_else(|| panic!("connection closed before a response head: {buf:?}"));
                return parse_response(&buf[..end], &buf[end + 4..]);
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), exchange)
        .await
        .expect("the gateway answers a request head within 10 s without waiting for its body")
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn parse_response(head: &[u8], body: &[u8]) -> RawResponse {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP status line: {status_line:?}"));
    let mut headers = http::HeaderMap::new();
    for line in lines {
        if let Some((n, v)) = line.split_once(':')
            && let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(n.trim().as_bytes()),
                http::HeaderValue::from_str(v.trim()),
            )
        {
            headers.append(name, value);
        }
    }
    RawResponse {
        status,
        headers,
        body: String::from_utf8_lossy(body).into_owned(),
    }
}

impl RawResponse {
    /// Asserts a flat S3 error document (`<Error><Code>…`) with `code` and HTTP `status`.
    pub fn assert_s3_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{self:#?}");
        assert!(
            self.body.contains(&format!("<Code>{code}</Code>")),
            "expected code {code}: {self:#?}"
        );
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[cfg(test)]
mod chunk_tests {
    use super::*;

    /// The chunk signer reproduces AWS's own example (sigv4-streaming page: 66560 × `a` as
    /// 65536 + 1024 + 0 bytes, seed `4f232c43…`), so a refusal by the gateway is the gateway's.
    #[test]
    fn chunk_signatures_match_the_aws_example() {
        let key = mrap_sigv4::signing_key(
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "20130524",
            "us-east-1",
            "s3",
        );
        let body = encode_signed_chunks(
            &[b'a'; 66560],
            65536,
            &key,
            "20130524T000000Z",
            "20130524/us-east-1/s3/aws4_request",
            "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
        );
        let text = String::from_utf8_lossy(&body);
        for sig in [
            "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
            "400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
            "0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
        ] {
            assert!(text.contains(sig), "missing {sig}");
        }
    }
}
