//! Proxy mode against the real stack, over raw loopback sockets: `CONNECT` to an MRAP host (HTTP/1.0
//! as boto3 sends it, and HTTP/1.1), TLS verified against the CA the gateway generated, requests
//! inside the tunnel served by the gateway (with the client's address for `aws:SourceIp`);
//! refusals (403 for other hosts and ports, with nothing dialled; 400 for garbage targets); the CA
//! kept across a restart; requests in flight inside a tunnel finishing on shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::{net::SocketAddr, path::Path, sync::Arc, time::Duration};

use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use sha2::{Digest, Sha256};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use tokio_rustls::{TlsConnector, client::TlsStream};

const MRAP_HOST: &str = "xxxxxxxxxxxxx.mrap.accesspoint.s3-global.amazonaws.com";
const LIMIT: Duration = Duration::from_secs(10);

fn ca_pem_path(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("proxy-ca").join("ca.pem")
}

/// Sends `head` (a request line and headers, without the final blank line) and returns the
/// response's status, head, body (by content-length) and the still-open connection.
async fn raw_exchange(addr: SocketAddr, head: &str) -> (u16, String, String, TcpStream) {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(format!("{head}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let (status, head, body) = tokio::time::timeout(LIMIT, read_response(&mut tcp))
        .await
        .expect("the gateway answers the CONNECT within 10 s");
    (status, head, body, tcp)
}

/// Reads exactly one response head (byte by byte: what follows belongs to TLS) and its body.
async fn read_response(tcp: &mut TcpStream) -> (u16, String, String) {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        let n = tcp.read(&mut byte).await.unwrap();
        assert_eq!(n, 1, "connection closed inside the response head: {head:?}");
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    tcp.read_exact(&mut body).await.unwrap();
    (status, head, String::from_utf8_lossy(&body).into_owned())
}

async fn connect_tunnel(addr: SocketAddr, host: &str, version: &str) -> TcpStream {
    let (status, head, body, tcp) = raw_exchange(
        addr,
        &format!("CONNECT {host}:443 {version}\r\nHost: {host}:443"),
    )
    .await;
    assert_eq!(status, 200, "{head}{body}");
    tcp
}

/// A TLS client that trusts only `ca_pem`.
fn tls_connector(ca_pem: &str) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    TlsConnector::from(Arc::new(config))
}

async fn tls_over(tcp: TcpStream, host: &str, ca_pem: &str) -> TlsStream<TcpStream> {
    let name = ServerName::try_from(host.to_owned()).unwrap();
    let tls = tokio::time::timeout(LIMIT, tls_connector(ca_pem).connect(name, tcp))
        .await
        .expect("the TLS handshake finishes within 10 s")
        .expect("the gateway's certificate verifies against its CA");
    // HTTP/1.1 even when the client offers h2 first: the signature check needs a Host header.
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    tls
}

struct Answer {
    status: u16,
    headers: http::HeaderMap,
    body: String,
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn http_over(tls: TlsStream<TcpStream>) -> Sender {
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(conn);
    sender
}

async fn send(sender: &mut Sender, request: http::Request<Full<Bytes>>) -> Answer {
    let response = tokio::time::timeout(LIMIT, sender.send_request(request))
        .await
        .expect("an answer within 10 s")
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// A signed path-style request (`host` as given).
fn signed(method: &str, host: &str, path: &str, body: &[u8]) -> http::Request<Full<Bytes>> {
    let payload = hex::encode(Sha256::digest(body));
    let mut headers = vec![
        ("host".to_owned(), host.to_owned()),
        ("x-amz-content-sha256".to_owned(), payload.clone()),
    ];
    sign(method, path, "", &mut headers, &payload, MAIN, "s3");
    let mut builder = http::Request::builder().method(method).uri(path);
    for (name, value) in &headers {
        builder = builder.header(name, value);
    }
    builder
        .body(Full::new(Bytes::copy_from_slice(body)))
        .unwrap()
}

fn assert_gateway_answer(answer: &Answer) {
    let id = answer
        .headers
        .get("x-amz-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert_eq!(id.len(), 16, "a gateway request id: {:?}", answer.headers);
}

#[tokio::test]
async fn connect_to_an_mrap_host_reaches_the_gateway_over_tls() {
    let h = harness().await;
    let addr = h.stack.addr;
    let ca_pem = std::fs::read_to_string(ca_pem_path(&h.stack.data_dir)).unwrap();
    h.create_bucket(MAIN, "proxy-bucket", None).await;

    for version in ["HTTP/1.0", "HTTP/1.1"] {
        let tcp = connect_tunnel(addr, MRAP_HOST, version).await;
        let mut http = http_over(tls_over(tcp, MRAP_HOST, &ca_pem).await).await;

        // An MRAP data-plane request: whatever the data plane answers today, the gateway does.
        let request = http::Request::builder()
            .uri("/some/key")
            .header("host", MRAP_HOST)
            .body(Full::new(Bytes::new()))
            .unwrap();
        let answer = send(&mut http, request).await;
        assert_gateway_answer(&answer);
        assert!(answer.status >= 400, "unsigned: {}", answer.status);
        assert!(answer.body.contains("<Error>"), "{}", answer.body);

        // A signed request on the same tunnel is authorized with the client's own address.
        let host = format!("127.0.0.1:{}", addr.port());
        let answer = send(&mut http, signed("GET", &host, "/proxy-bucket", b"")).await;
        assert_eq!(answer.status, 200, "{version}: {}", answer.body);
        assert_gateway_answer(&answer);
        let reply = Reply {
            status: answer.status,
            headers: answer.headers.clone(),
            body: answer.body.clone(),
        };
        let authz = h.tap.of(&reply).await;
        assert_eq!(authz.action, "s3:ListBucket");
        assert_eq!(authz.source_ip.as_deref(), Some("127.0.0.1"));
    }
    h.stack.stop().await.unwrap();
}

#[tokio::test]
async fn connect_elsewhere_is_refused_and_nothing_is_dialled() {
    let h = harness().await;
    let decoy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let decoy_port = decoy.local_addr().unwrap().port();
    let gateway_port = h.stack.addr.port();
    for target in [
        "example.com:443".to_owned(),
        "s3.amazonaws.com:443".to_owned(),
        "x.mrap.accesspoint.s3-global.amazonaws.com:80".to_owned(),
        "a.b.mrap.accesspoint.s3-global.amazonaws.com:443".to_owned(),
        format!("127.0.0.1:{decoy_port}"),
        format!("localhost:{decoy_port}"),
        format!("127.0.0.1:{gateway_port}"),
    ] {
        for version in ["HTTP/1.0", "HTTP/1.1"] {
            let (status, head, body, _tcp) = raw_exchange(
                h.stack.addr,
                &format!("CONNECT {target} {version}\r\nHost: {target}"),
            )
            .await;
            assert_eq!(status, 403, "{target}: {head}{body}");
            assert!(body.contains("connects nowhere else"), "{body}");
        }
    }
    // Nothing connected to the decoy on the proxy's behalf.
    let dialled = tokio::time::timeout(Duration::from_millis(300), decoy.accept()).await;
    assert!(dialled.is_err(), "the gateway dialled {dialled:?}");
    h.stack.stop().await.unwrap();
}

#[tokio::test]
async fn garbage_connect_targets_are_bad_requests() {
    let h = harness().await;
    for head in [
        format!("CONNECT {MRAP_HOST} HTTP/1.1\r\nHost: {MRAP_HOST}"),
        format!("CONNECT / HTTP/1.1\r\nHost: {MRAP_HOST}"),
        "CONNECT /etc/passwd HTTP/1.0".to_owned(),
        format!("CONNECT https://{MRAP_HOST}:443/ HTTP/1.1\r\nHost: {MRAP_HOST}"),
        "CONNECT ::: HTTP/1.1\r\nHost: x".to_owned(),
        "CONNECT \u{7f}\u{1}:443 HTTP/1.1\r\nHost: x".to_owned(),
    ] {
        let (status, resp_head, body, _tcp) = raw_exchange(h.stack.addr, &head).await;
        assert_eq!(status, 400, "{head:?}: {resp_head}{body}");
    }
    h.stack.stop().await.unwrap();
}

/// A second gateway on the stack's data directory: as after a restart, it presents a leaf of the
/// same CA and leaves `ca.pem` as it was. It also finishes a request in flight in a tunnel when
/// shut down.
#[tokio::test]
async fn the_ca_survives_a_restart_and_tunnels_drain_on_shutdown() {
    let h = harness().await;
    h.create_bucket(MAIN, "restart-bucket", None).await;
    let ca_path = ca_pem_path(&h.stack.data_dir);
    let ca_before = std::fs::read_to_string(&ca_path).unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = mrap_api_gateway::Config {
        namespace: h.stack.namespace.clone(),
        data_dir: h.stack.data_dir.clone(),
        regions: h.stack.regions.clone(),
        authz_reuse_ttl: mrap_testkit::AUTHZ_REUSE_TTL,
    };
    let nats = async_nats::connect(&h.stack.nats_url).await.unwrap();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let second = tokio::spawn(mrap_api_gateway::run(
        config,
        nats,
        listener,
        shutdown.clone(),
    ));

    // Wait until it accepts connections, then tunnel through it trusting the first ca.pem.
    let mut tcp = None;
    for _ in 0..100 {
        if TcpStream::connect(addr).await.is_ok() {
            tcp = Some(connect_tunnel(addr, MRAP_HOST, "HTTP/1.1").await);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let tcp = tcp.expect("the second gateway listens");
    let tls = tls_over(tcp, MRAP_HOST, &ca_before).await;
    assert_eq!(std::fs::read_to_string(&ca_path).unwrap(), ca_before);

    // A PutObject whose body is half sent when the gateway is told to stop.
    let body = vec![b'x'; 64 * 1024];
    let host = format!("127.0.0.1:{}", addr.port());
    let request = signed("PUT", &host, "/restart-bucket/in-flight", &body);
    let (mut parts, _) = request.into_parts();
    // A streamed body would go out chunked; PutObject wants its length up front.
    parts
        .headers
        .insert(http::header::CONTENT_LENGTH, body.len().into());
    let (mut tx, rx) = futures::channel::mpsc::channel::<
        Result<hyper::body::Frame<Bytes>, std::convert::Infallible>,
    >(4);
    let request = http::Request::from_parts(parts, http_body_util::StreamBody::new(rx));
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(conn);
    let in_flight = tokio::spawn(async move { sender.send_request(request).await });
    use futures::SinkExt;
    tx.send(Ok(hyper::body::Frame::data(Bytes::copy_from_slice(
        &body[..32 * 1024],
    ))))
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    shutdown.cancel();
    tokio::time::sleep(Duration::from_millis(200)).await;
    if second.is_finished() {
        let r = second.await;
        let answered = in_flight.is_finished();
        panic!(
            "the gateway stopped ({r:?}) before the request in flight was done (answered: {answered})"
        );
    }
    tx.send(Ok(hyper::body::Frame::data(Bytes::copy_from_slice(
        &body[32 * 1024..],
    ))))
    .await
    .unwrap();
    drop(tx);
    let response = tokio::time::timeout(LIMIT, in_flight)
        .await
        .expect("the in-flight request is answered")
        .unwrap()
        .unwrap();
    assert_eq!(response.status(), 200);
    tokio::time::timeout(LIMIT, second)
        .await
        .expect("the gateway stops once the tunnel is done")
        .unwrap()
        .unwrap();
    h.stack.stop().await.unwrap();
}
