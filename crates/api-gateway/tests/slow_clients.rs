//! Slow, idle and oversized clients against the real stack, over raw loopback sockets: stalled
//! request heads closed after the header-read timeout while the gateway keeps serving; idle
//! kept-alive connections closed after the idle timeout, and not before; slow uploads never cut;
//! S3's 8 KiB header section; requests in flight finishing on shutdown; and back-pressure on
//! asynchronous operations (`SlowDown` past the bound, what is queued stays queued).
//!
//! Each test starts its own gateway on the harness's stack with short limits (`run_with`), so the
//! bounds asserted are generous multiples of them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use bytes::Bytes;
use common::*;
use hyper_util::rt::TokioIo;
use mrap_api_gateway::HttpLimits;
use sha2::{Digest, Sha256};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    task::JoinHandle,
};
use tokio_util::sync::CancellationToken;

/// A second gateway on `h`'s stack with these limits.
struct Gateway {
    addr: SocketAddr,
    endpoint: String,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), mrap_api_gateway::Error>>,
}

async fn gateway(h: &Harness, header_ms: u64, idle_ms: u64) -> Gateway {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = mrap_api_gateway::Config {
        namespace: h.stack.namespace.clone(),
        data_dir: h.stack.data_dir.clone(),
        regions: h.stack.regions.clone(),
        authz_reuse_ttl: mrap_testkit::AUTHZ_REUSE_TTL,
    };
    let limits = HttpLimits {
        header_read_timeout: Duration::from_millis(header_ms),
        idle_timeout: Duration::from_millis(idle_ms),
    };
    let nats = async_nats::connect(&h.stack.nats_url).await.unwrap();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(mrap_api_gateway::run_with(
        config,
        limits,
        nats,
        listener,
        shutdown.clone(),
    ));
    Gateway {
        addr,
        endpoint: format!("http://{addr}"),
        shutdown,
        task,
    }
}

/// Waits until the server closes `tcp` (end of stream or reset); `Err` if it is still open at
/// `deadline`. Whatever the server sent first (a response) is returned.
async fn closed_by(tcp: &mut TcpStream, deadline: Instant) -> Result<Vec<u8>, Vec<u8>> {
    let mut seen = Vec::new();
    loop {
        let mut buf = [0u8; 4096];
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, tcp.read(&mut buf)).await {
            Err(_) => return Err(seen),
            Ok(Ok(0)) | Ok(Err(_)) => return Ok(seen),
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

/// Reads one response (head and content-length body); returns the status and the whole text.
async fn read_response(tcp: &mut TcpStream) -> (u16, String) {
    let mut data = Vec::new();
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut buf = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(20), tcp.read(&mut buf))
            .await
            .expect("a response within 20 s")
            .unwrap();
        assert!(n > 0, "closed inside a response head: {data:?}");
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    while data.len() < head_end + len {
        let mut buf = [0u8; 4096];
        let n = tcp.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed inside a response body");
        data.extend_from_slice(&buf[..n]);
    }
    (status, String::from_utf8_lossy(&data).into_owned())
}

async fn list_buckets_through(h: &Harness, gw: &Gateway) {
    let r = h
        .request_to(&gw.endpoint, Req::new("GET", "/", "", b""))
        .await;
    assert_eq!(r.status, 200, "{r:#?}");
}

/// The issue's case: 200 connections each send half a request head and stall. With a 1 s
/// header-read timeout all are closed well within 20 s, and a signed request is served
/// meanwhile and afterwards.
#[tokio::test]
async fn stalled_request_heads_are_closed_and_service_continues() {
    let h = harness().await;
    let gw = gateway(&h, 1_000, 60_000).await;
    let started = Instant::now();
    let mut stalled = Vec::new();
    for i in 0..200 {
        let mut tcp = TcpStream::connect(gw.addr).await.unwrap();
        let partial = if i % 2 == 0 {
            "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Stalled: "
        } else {
            "PUT /bucket/k"
        };
        tcp.write_all(partial.as_bytes()).await.unwrap();
        stalled.push(tcp);
    }
    list_buckets_through(&h, &gw).await;

    let deadline = started + Duration::from_secs(20);
    let closed =
        futures::future::join_all(stalled.iter_mut().map(|tcp| closed_by(tcp, deadline))).await;
    let open = closed.iter().filter(|c| c.is_err()).count();
    assert_eq!(
        open, 0,
        "{open} of 200 stalled connections still open after 20 s"
    );
    // No answer: hyper had no request to answer.
    for c in &closed {
        assert_eq!(c.as_ref().unwrap(), &Vec::<u8>::new());
    }
    // Not closed at once: they lasted at least the timeout.
    assert!(started.elapsed() >= Duration::from_millis(900));
    list_buckets_through(&h, &gw).await;
    gw.shutdown.cancel();
    h.stack.stop().await.unwrap();
}

/// A kept-alive connection outlives the header-read timeout between requests (it is not a head
/// in progress), serves a second request, and is closed once idle for the idle timeout.
#[tokio::test]
async fn idle_keep_alive_connections_are_closed_after_the_idle_timeout() {
    let h = harness().await;
    let gw = gateway(&h, 500, 3_000).await;
    let mut tcp = TcpStream::connect(gw.addr).await.unwrap();
    let request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    tcp.write_all(request.as_bytes()).await.unwrap();
    let (status, text) = read_response(&mut tcp).await;
    assert_eq!(status, 403, "{text}"); // unsigned: AccessDenied, and the connection stays open

    // Three header-read timeouts of quiet: still open (the idle clock says 3 s).
    let quiet = Instant::now() + Duration::from_millis(1_500);
    assert!(
        closed_by(&mut tcp, quiet).await.is_err(),
        "an idle connection was closed before its idle timeout"
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let (status, text) = read_response(&mut tcp).await;
    assert_eq!(status, 403, "{text}");

    let answered = Instant::now();
    let closed = closed_by(&mut tcp, answered + Duration::from_secs(20)).await;
    assert_eq!(
        closed,
        Ok(Vec::new()),
        "still open 20 s after its last answer"
    );
    assert!(answered.elapsed() >= Duration::from_millis(2_900));

    // A connection that never sends anything is idle too.
    let mut silent = TcpStream::connect(gw.addr).await.unwrap();
    let opened = Instant::now();
    assert_eq!(
        closed_by(&mut silent, opened + Duration::from_secs(20)).await,
        Ok(Vec::new())
    );
    assert!(opened.elapsed() >= Duration::from_millis(2_900));
    gw.shutdown.cancel();
    h.stack.stop().await.unwrap();
}

/// A PutObject of key `key` signed for `gw` whose body is sent through `tx`.
#[allow(clippy::type_complexity)]
fn streamed_put(
    gw: &Gateway,
    key: &str,
    body: &[u8],
) -> (
    http::Request<
        http_body_util::StreamBody<
            futures::channel::mpsc::Receiver<
                Result<hyper::body::Frame<Bytes>, std::convert::Infallible>,
            >,
        >,
    >,
    futures::channel::mpsc::Sender<Result<hyper::body::Frame<Bytes>, std::convert::Infallible>>,
) {
    let host = format!("127.0.0.1:{}", gw.addr.port());
    let path = format!("/slow-bucket/{key}");
    let payload = hex::encode(Sha256::digest(body));
    let mut headers = vec![
        ("host".to_owned(), host),
        ("x-amz-content-sha256".to_owned(), payload.clone()),
        ("content-length".to_owned(), body.len().to_string()),
    ];
    sign("PUT", &path, "", &mut headers, &payload, MAIN, "s3");
    let mut builder = http::Request::builder().method("PUT").uri(path);
    for (name, value) in &headers {
        builder = builder.header(name, value);
    }
    let (tx, rx) = futures::channel::mpsc::channel(4);
    (
        builder.body(http_body_util::StreamBody::new(rx)).unwrap(),
        tx,
    )
}

/// An upload that pauses for longer than both timeouts is not cut: the request is in flight.
#[tokio::test]
async fn a_slow_upload_is_never_cut() {
    use futures::SinkExt;
    let h = harness().await;
    h.create_bucket(MAIN, "slow-bucket", None).await;
    let gw = gateway(&h, 300, 600).await;
    let body = vec![b'x'; 64 * 1024];
    let (request, mut tx) = streamed_put(&gw, "slow", &body);
    let tcp = TcpStream::connect(gw.addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(conn);
    let in_flight = tokio::spawn(async move { sender.send_request(request).await });
    for part in body.chunks(16 * 1024) {
        tx.send(Ok(hyper::body::Frame::data(Bytes::copy_from_slice(part))))
            .await
            .unwrap();
        // Longer than the header-read and idle timeouts together.
        tokio::time::sleep(Duration::from_millis(1_000)).await;
    }
    drop(tx);
    let response = tokio::time::timeout(Duration::from_secs(20), in_flight)
        .await
        .expect("answered")
        .unwrap()
        .expect("the connection was not cut");
    assert_eq!(response.status(), 200);

    let r = h
        .request_to(&gw.endpoint, Req::new("GET", "/slow-bucket/slow", "", b""))
        .await;
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(r.body.len(), body.len());
    gw.shutdown.cancel();
    h.stack.stop().await.unwrap();
}

/// S3 limits the request header section to 8 KiB: more is `400 RequestHeaderSectionTooLarge`, an
/// S3 error document; a head past hyper's 64 KiB buffer is `431` and the connection closed.
/// Neither hangs; 7 KiB of headers are still served.
#[tokio::test]
async fn oversize_headers_get_a_clear_error() {
    let h = harness().await;

    // 7 KiB: served (here AccessDenied: unsigned).
    let headers = vec![
        ("host".to_owned(), format!("127.0.0.1:{}", h.port())),
        ("x-amz-meta-big".to_owned(), "a".repeat(7 * 1024)),
    ];
    let r = h.send("GET", "/some-bucket/k", "", &headers, b"").await;
    assert_eq!(r.status, 403, "{r:#?}");
    assert_eq!(r.code(), "AccessDenied");

    // 9 KiB: S3's refusal, before any authorisation.
    let headers = vec![
        ("host".to_owned(), format!("127.0.0.1:{}", h.port())),
        ("x-amz-meta-big".to_owned(), "a".repeat(9 * 1024)),
    ];
    let r = h.send("GET", "/some-bucket/k", "", &headers, b"").await;
    r.assert_flat(400, "RequestHeaderSectionTooLarge", "/some-bucket/k");
    assert_eq!(
        r.xml_text("Message"),
        Some("Your request header section exceeds the maximum allowed size.")
    );

    // 100 KiB: hyper's 431, and the connection is closed.
    let mut tcp = TcpStream::connect(h.stack.addr).await.unwrap();
    let head = format!(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {}\r\n\r\n",
        "a".repeat(100 * 1024)
    );
    // The server may stop reading (and close) before all is written.
    let _ = tcp.write_all(head.as_bytes()).await;
    let answer = closed_by(&mut tcp, Instant::now() + Duration::from_secs(20))
        .await
        .expect("the connection is closed");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 431 "), "{answer:?}");
    h.stack.stop().await.unwrap();
}

/// On shutdown a plain (not tunnelled) request in flight finishes; idle connections do not hold
/// the gateway up.
#[tokio::test]
async fn requests_in_flight_finish_on_shutdown() {
    use futures::SinkExt;
    let h = harness().await;
    h.create_bucket(MAIN, "slow-bucket", None).await;
    let gw = gateway(&h, 10_000, 60_000).await;

    // An idle kept-alive connection.
    let mut idle = TcpStream::connect(gw.addr).await.unwrap();
    idle.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let (status, _) = read_response(&mut idle).await;
    assert_eq!(status, 403);

    let body = vec![b'y'; 64 * 1024];
    let (request, mut tx) = streamed_put(&gw, "in-flight", &body);
    let tcp = TcpStream::connect(gw.addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(conn);
    let in_flight = tokio::spawn(async move { sender.send_request(request).await });
    tx.send(Ok(hyper::body::Frame::data(Bytes::copy_from_slice(
        &body[..32 * 1024],
    ))))
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    gw.shutdown.cancel();
    // The idle connection is closed at once.
    assert_eq!(
        closed_by(&mut idle, Instant::now() + Duration::from_secs(10)).await,
        Ok(Vec::new())
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !gw.task.is_finished(),
        "the gateway stopped before the request in flight was done"
    );
    tx.send(Ok(hyper::body::Frame::data(Bytes::copy_from_slice(
        &body[32 * 1024..],
    ))))
    .await
    .unwrap();
    drop(tx);
    let response = tokio::time::timeout(Duration::from_secs(20), in_flight)
        .await
        .expect("answered")
        .unwrap()
        .unwrap();
    assert_eq!(response.status(), 200);
    tokio::time::timeout(Duration::from_secs(20), gw.task)
        .await
        .expect("the gateway stops once the request is done")
        .unwrap()
        .unwrap();
    // The object is whole.
    let r = h.s3("GET", "/slow-bucket/in-flight", "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), body.len());
    h.stack.stop().await.unwrap();
}

fn create_body(token: &str, name: &str) -> String {
    format!(
        r#"<CreateMultiRegionAccessPointRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><ClientToken>{token}</ClientToken><Details><Name>{name}</Name><Regions><Region><Bucket>bp-bucket</Bucket></Region></Regions></Details></CreateMultiRegionAccessPointRequest>"#
    )
}

/// With no provisioner and a bound of 3 pending operations: three creates are queued (NEW), the
/// next ones are `503 SlowDown`; a retry of a queued create (same client token) still gets its
/// token; once the queue drains, creates are accepted again.
#[tokio::test]
async fn creates_past_the_pending_bound_slow_down() {
    let h = harness_with(mrap_testkit::stack::StackOptions {
        provisioner: false,
        max_pending_operations: 3,
        ..Default::default()
    })
    .await;
    h.create_bucket(MAIN, "bp-bucket", None).await;
    let create = "/v20180820/async-requests/mrap/create";

    let mut arns = Vec::new();
    for i in 0..3 {
        let r = h
            .control(
                "POST",
                create,
                &create_body(&format!("t{i}"), &format!("bp-{i}")),
            )
            .await;
        assert_eq!(r.status, 200, "{r:#?}");
        arns.push(r.xml_text("RequestTokenARN").unwrap().to_owned());
    }
    for i in 3..5 {
        let r = h
            .control(
                "POST",
                create,
                &create_body(&format!("t{i}"), &format!("bp-{i}")),
            )
            .await;
        r.assert_wrapped(503, "SlowDown");
        assert_eq!(
            r.xml_text("Message"),
            Some("Please reduce your request rate.")
        );
    }
    // A retry of a queued create is answered with its token, not refused.
    let again = h.control("POST", create, &create_body("t0", "bp-0")).await;
    assert_eq!(again.status, 200, "{again:#?}");
    assert_eq!(again.xml_text("RequestTokenARN"), Some(arns[0].as_str()));

    // Nothing queued was dropped.
    for arn in &arns {
        let path = format!("/v20180820/async-requests/mrap/{}", arn.replace(':', "%3A"));
        let r = h.control("GET", &path, "").await;
        assert_eq!(r.status, 200, "{r:#?}");
        assert_eq!(r.xml_text("RequestStatus"), Some("NEW"), "{r:#?}");
    }
    // The refused client token was given back: with room again (a provisioner drains the
    // queue), the same request is accepted.
    let provisioner = {
        let cfg = mrap_provisioner::Config::new(
            h.stack.namespace.clone(),
            h.stack.data_dir.clone(),
            h.stack.regions.clone(),
        );
        let client = async_nats::connect(&h.stack.nats_url).await.unwrap();
        let shutdown = CancellationToken::new();
        tokio::spawn(mrap_provisioner::run(cfg, client, shutdown.clone()));
        shutdown
    };
    for arn in &arns {
        let done = h.wait_for_op(arn).await;
        assert_eq!(
            done.xml_text("RequestStatus"),
            Some("SUCCEEDED"),
            "{done:#?}"
        );
    }
    let r = h.control("POST", create, &create_body("t3", "bp-3")).await;
    assert_eq!(r.status, 200, "{r:#?}");
    provisioner.cancel();
    h.stack.stop().await.unwrap();
}
