//! `/metrics` of the services run in process: the recorder is process-wide, so this is a test
//! binary of its own (no other test's requests in the counts), scraped over HTTP from the same
//! listener the binaries serve.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use tokio_util::sync::CancellationToken;

/// The value of the series `name` whose labels include all of `labels`, if exactly one does.
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let found: Vec<f64> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .filter(|l| {
            labels
                .iter()
                .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse().ok())
        .collect();
    assert!(
        found.len() <= 1,
        "{name} {labels:?} matches several: {found:?}"
    );
    found.first().copied()
}

async fn scrape(addr: std::net::SocketAddr) -> String {
    use http_body_util::BodyExt;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<bytes::Bytes>>();
    let resp = client
        .get(format!("http://{addr}/metrics").parse().unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(body.to_vec()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_endpoint_counts_requests_decisions_and_store_calls() {
    let shutdown = CancellationToken::new();
    // Installed before the stack starts, as the binaries do: series registered at start-up (the
    // NATS connection, the stores' histograms) land in this recorder.
    let addr = mrap_telemetry::metrics::serve("test", "127.0.0.1:0", shutdown.clone())
        .await
        .unwrap();
    let h = harness().await;

    let before = scrape(addr).await;
    let get_ok = [("operation", "GetObject"), ("status", "200")];
    assert_eq!(value(&before, "mrap_http_requests_total", &get_ok), None);

    h.create_bucket(MAIN, "metrics-bucket", None).await;
    assert_eq!(h.s3("PUT", "/metrics-bucket/k", "hello").await.status, 200);
    assert_eq!(h.s3("GET", "/metrics-bucket/k", "").await.status, 200);
    assert_eq!(h.s3("GET", "/metrics-bucket/k", "").await.status, 200);
    assert_eq!(h.s3("GET", "/metrics-bucket/missing", "").await.status, 404);
    // Another account, no bucket policy: refused by the resource layer.
    let denied = h.s3_as(OTHER, "GET", "/metrics-bucket/k", "").await;
    assert_eq!(denied.status, 403);

    let text = scrape(addr).await;
    assert_eq!(
        value(&text, "mrap_http_requests_total", &get_ok),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            "mrap_http_requests_total",
            &[("operation", "GetObject"), ("status", "404")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &text,
            "mrap_http_requests_total",
            &[("operation", "GetObject"), ("status", "403")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &text,
            "mrap_http_request_duration_seconds_count",
            &[("operation", "GetObject")]
        ),
        Some(4.0)
    );
    assert!(
        text.contains("mrap_http_request_duration_seconds_bucket{"),
        "histogram, not summary"
    );
    // The store was asked for the object three times (two hits and the missing key).
    assert_eq!(
        value(
            &text,
            "mrap_storage_request_duration_seconds_count",
            &[("region", "us-east-1"), ("operation", "get_object")]
        ),
        Some(3.0)
    );
    let allowed = value(
        &text,
        "mrap_authz_decisions_total",
        &[("result", "allow"), ("layer", "none")],
    )
    .unwrap();
    // Create the bucket, PUT, two GETs and the missing key's GET (this harness's gateway
    // reuses no decision).
    assert!(allowed >= 5.0, "{allowed}");
    assert_eq!(
        value(
            &text,
            "mrap_authz_decisions_total",
            &[("result", "deny"), ("layer", "no_resource_allow")]
        ),
        Some(1.0),
        "{text}"
    );
    let rpc_ok: f64 = text
        .lines()
        .filter(|l| {
            l.starts_with("mrap_rpc_requests_total{")
                && l.contains("authz.check")
                && l.contains("outcome=\"ok\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert!(rpc_ok >= 5.0, "{text}");
    // Every in-process service's client (and the harness's own) counts.
    assert!(
        value(&text, "mrap_nats_connected", &[]).unwrap() >= 4.0,
        "{text}"
    );
    assert_eq!(value(&text, "mrap_nats_reconnects_total", &[]), Some(0.0));
    // The provisioner polls the jobs stream at start.
    assert!(
        value(&text, "mrap_jobs_queue_depth", &[]).is_some(),
        "{text}"
    );
    assert!(text.contains("service=\"test\""));
    h.stack.stop().await.unwrap();
    shutdown.cancel();
}
