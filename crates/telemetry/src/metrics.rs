//! Prometheus metrics: one process-wide recorder (the `metrics` facade) and a `/metrics` listener.
//!
//! The binaries call [`serve_from_env`] first thing, which installs the recorder and serves
//! `GET /metrics` on `MRAP_METRICS_ADDR` (each service has its own default port; `off` disables
//! it). Code anywhere records through the `metrics` macros; before a recorder is installed (or
//! with `off`) they record nothing and cost next to nothing. In-process tests call [`install`]
//! (idempotent) and read the text with [`render`].

use std::{net::SocketAddr, sync::OnceLock, time::Duration};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio_util::sync::CancellationToken;

/// Histogram buckets (seconds) of every `*_seconds` histogram: 100 µs (a 4 KiB GET from a local
/// Region) up to 30 s (a slow provisioning job).
pub const BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide recorder, labelling every series with `service`. Idempotent: a
/// second call (another in-process service of a test) returns the first recorder's handle.
/// Returns `None` only if some other recorder was installed first.
pub fn install(service: &'static str) -> Option<PrometheusHandle> {
    if let Some(h) = HANDLE.get() {
        return Some(h.clone());
    }
    // Two racing first calls: the loser's install_recorder fails and it takes the winner's handle.
    let built = PrometheusBuilder::new()
        .add_global_label("service", service)
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
        .ok()?
        .install_recorder();
    match built {
        Ok(h) => Some(HANDLE.get_or_init(|| h).clone()),
        Err(_) => HANDLE.get().cloned(),
    }
}

/// The handle of the installed recorder, if any.
pub fn handle() -> Option<PrometheusHandle> {
    HANDLE.get().cloned()
}

/// The current Prometheus text exposition, or `None` when no recorder is installed.
pub fn render() -> Option<String> {
    HANDLE.get().map(PrometheusHandle::render)
}

/// Where to serve `/metrics`: `MRAP_METRICS_ADDR`, else `default`; `off` (or `none`, `0`)
/// disables the listener.
pub fn addr_from_env(default: &str) -> Option<String> {
    parse_addr(std::env::var("MRAP_METRICS_ADDR").ok().as_deref(), default)
}

fn parse_addr(value: Option<&str>, default: &str) -> Option<String> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Some(default.to_owned()),
        Some(v) if ["off", "none", "0", "false"].contains(&v.to_ascii_lowercase().as_str()) => None,
        Some(v) => Some(v.to_owned()),
    }
}

/// The router serving `GET /metrics` from `handle`.
pub fn router(handle: PrometheusHandle) -> axum::Router {
    axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            std::future::ready((
                [(
                    axum::http::header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                )],
                handle.render(),
            ))
        }),
    )
}

/// Installs the recorder and serves `/metrics` on `addr` until `shutdown`; also runs the
/// recorder's upkeep (histogram housekeeping) every 5 s. Returns the bound address.
pub async fn serve(
    service: &'static str,
    addr: &str,
    shutdown: CancellationToken,
) -> std::io::Result<SocketAddr> {
    let handle = install(service)
        .ok_or_else(|| std::io::Error::other("another metrics recorder is installed"))?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let upkeep = handle.clone();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(Duration::from_secs(5)) => upkeep.run_upkeep(),
            }
        }
    });
    let app = router(handle);
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await;
        if let Err(e) = served {
            tracing::warn!(error = %e, "metrics listener failed");
        }
    });
    tracing::info!(addr = %local, "metrics on http://{local}/metrics");
    Ok(local)
}

/// [`serve`] on `MRAP_METRICS_ADDR`, else on `default`; `Ok(None)` when disabled with `off`.
///
/// A port that is taken fails the start only when `MRAP_METRICS_ADDR` named it: the default port
/// being busy (a second stack or test process on one machine) is logged, and the service runs
/// without a listener (the recorder is still installed).
pub async fn serve_from_env(
    service: &'static str,
    default: &str,
    shutdown: CancellationToken,
) -> std::io::Result<Option<SocketAddr>> {
    let explicit = std::env::var("MRAP_METRICS_ADDR").is_ok_and(|v| !v.trim().is_empty());
    let Some(addr) = addr_from_env(default) else {
        return Ok(None);
    };
    match serve(service, &addr, shutdown).await {
        Ok(bound) => Ok(Some(bound)),
        Err(e) if !explicit && e.kind() == std::io::ErrorKind::AddrInUse => {
            tracing::warn!(%addr, "metrics port in use: no /metrics listener (set MRAP_METRICS_ADDR)");
            Ok(None)
        }
        Err(e) => Err(std::io::Error::new(
            e.kind(),
            format!("metrics on {addr}: {e}"),
        )),
    }
}

/// A status code as a label without formatting: the codes the services answer, else the class.
// The specific codes first, then their classes: the overlap is the point.
#[allow(clippy::match_overlapping_arm)]
pub fn status_label(status: u16) -> &'static str {
    match status {
        200 => "200",
        201 => "201",
        204 => "204",
        206 => "206",
        301 => "301",
        304 => "304",
        307 => "307",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        405 => "405",
        409 => "409",
        411 => "411",
        412 => "412",
        413 => "413",
        416 => "416",
        500 => "500",
        501 => "501",
        503 => "503",
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_addr_defaults_and_off() {
        assert_eq!(
            parse_addr(None, "127.0.0.1:9464").as_deref(),
            Some("127.0.0.1:9464")
        );
        assert_eq!(
            parse_addr(Some(""), "127.0.0.1:9464").as_deref(),
            Some("127.0.0.1:9464")
        );
        assert_eq!(
            parse_addr(Some("0.0.0.0:9000"), "x").as_deref(),
            Some("0.0.0.0:9000")
        );
        assert_eq!(parse_addr(Some("off"), "x"), None);
        assert_eq!(parse_addr(Some("OFF"), "x"), None);
    }

    #[test]
    fn status_labels_are_codes_or_classes() {
        assert_eq!(status_label(200), "200");
        assert_eq!(status_label(503), "503");
        assert_eq!(status_label(418), "4xx");
        assert_eq!(status_label(299), "2xx");
        assert_eq!(status_label(599), "5xx");
        for s in 100..600u16 {
            let l = status_label(s);
            assert!(l == s.to_string() || l.ends_with("xx"), "{s} -> {l}");
            assert_eq!(l.as_bytes()[0], s.to_string().as_bytes()[0]);
        }
    }

    #[test]
    fn installed_recorder_renders_counters_and_histogram_buckets() {
        let h = install("test").expect("recorder");
        metrics::counter!("mrap_test_total", "k" => "v").increment(3);
        metrics::histogram!("mrap_test_duration_seconds").record(0.002);
        let text = h.render();
        assert!(
            text.contains("mrap_test_total{service=\"test\",k=\"v\"} 3"),
            "{text}"
        );
        assert!(
            text.contains("mrap_test_duration_seconds_bucket{service=\"test\",le=\"0.0025\"} 1"),
            "{text}"
        );
        assert_eq!(
            render().as_deref().map(|t| t.contains("mrap_test_total")),
            Some(true)
        );
    }
}
