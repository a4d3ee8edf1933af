//! The api-gateway binary: configuration from the environment, then [`mrap_api_gateway::run`].

use anyhow::Context;
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _telemetry =
        mrap_telemetry::init(mrap_api_gateway::SERVICE).map_err(|e| anyhow::anyhow!(e))?;
    let shutdown = CancellationToken::new();
    // First, so that the NATS connection's metrics are recorded from the start.
    mrap_telemetry::metrics::serve_from_env(
        mrap_api_gateway::SERVICE,
        mrap_api_gateway::METRICS_ADDR,
        shutdown.clone(),
    )
    .await?;
    let config = mrap_api_gateway::Config::from_env()?;
    let nats = mrap_proto::NatsConfig::from_env()
        .connect(mrap_api_gateway::SERVICE)
        .await
        .context("connecting to NATS")?;
    let addr = std::env::var("MRAP_HTTP_ADDR")
        .ok()
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| "127.0.0.1:4566".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    // SIGINT / SIGTERM → graceful shutdown (requests in flight finish).
    tokio::spawn(mrap_proto::connect::cancel_on_signal(shutdown.clone()));
    mrap_api_gateway::run(config, nats, listener, shutdown).await?;
    Ok(())
}
