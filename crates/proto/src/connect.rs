//! Connecting to NATS the same way in every binary.

use std::time::Duration;

/// Where and as whom a service connects; read from `MRAP_NATS_URL`, `MRAP_NATS_USER`,
/// `MRAP_NATS_PASSWORD` (the password is never logged). `url` may name several servers of a
/// cluster, comma-separated (`nats://a:4222,nats://b:4222`): the client picks one and fails over
/// to the others (and to the servers the cluster advertises).
#[derive(Clone)]
pub struct NatsConfig {
    pub url: String,
    pub user: Option<String>,
    pub password: Option<String>,
}

impl std::fmt::Debug for NatsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsConfig")
            .field("url", &self.url)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl NatsConfig {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            user: None,
            password: None,
        }
    }

    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Self {
            url: var("MRAP_NATS_URL").unwrap_or_else(|| "nats://127.0.0.1:4222".into()),
            user: var("MRAP_NATS_USER"),
            password: var("MRAP_NATS_PASSWORD"),
        }
    }

    /// Connects as `name` (shown in the server's connection list). Retries the first connection so
    /// that services may start before the server; later disconnects are retried by the client.
    pub async fn connect(
        &self,
        name: &str,
    ) -> Result<async_nats::Client, async_nats::ConnectError> {
        let mut opts = async_nats::ConnectOptions::new()
            .name(name)
            .event_callback(connection_events())
            .retry_on_initial_connect()
            .request_timeout(Some(Duration::from_secs(10)));
        if let (Some(u), Some(p)) = (&self.user, &self.password) {
            opts = opts.user_and_password(u.clone(), p.clone());
        }
        let urls: Vec<&str> = self
            .url
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .collect();
        let client = opts.connect(urls).await?;
        // retry_on_initial_connect returns at once; wait (bounded) until we are really connected
        // so that the first request does not fail.
        for _ in 0..200 {
            if client.connection_state() == async_nats::connection::State::Connected {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(client)
    }
}

/// The connection's metrics, fed by the client's events (`Connected` comes on the
/// first connection and on every reconnection): `mrap_nats_connected` counts the process's
/// connected clients (a service binary has one: 1 up, 0 down), `mrap_nats_reconnects_total` the
/// reconnections.
fn connection_events()
-> impl Fn(async_nats::Event) -> std::future::Ready<()> + Send + Sync + 'static {
    use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
    let connected = metrics::gauge!("mrap_nats_connected");
    let reconnects = metrics::counter!("mrap_nats_reconnects_total");
    // Registered at zero so that the series exist before the first reconnection.
    reconnects.absolute(0);
    connected.increment(0.0);
    let (seen, up) = (AtomicBool::new(false), AtomicBool::new(false));
    move |event| {
        match event {
            async_nats::Event::Connected => {
                if !up.swap(true, Relaxed) {
                    connected.increment(1.0);
                }
                if seen.swap(true, Relaxed) {
                    reconnects.increment(1);
                }
            }
            async_nats::Event::Disconnected | async_nats::Event::Closed
                if up.swap(false, Relaxed) =>
            {
                connected.decrement(1.0);
            }
            // async-nats logs every event itself (`event: …`).
            _ => {}
        }
        std::future::ready(())
    }
}

/// The subject prefix from `MRAP_SUBJECT_PREFIX` (default `mrap`).
pub fn namespace_from_env() -> crate::Namespace {
    crate::Namespace::new(
        std::env::var("MRAP_SUBJECT_PREFIX")
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "mrap".into()),
    )
}

/// Cancels `token` on SIGINT or SIGTERM (what Ctrl-C, `docker stop` and `kill` send).
pub async fn cancel_on_signal(token: tokio_util::sync::CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    token.cancel();
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down");
    token.cancel();
}
