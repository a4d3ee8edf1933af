use anyhow::Context;
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _telemetry =
        mrap_telemetry::init(mrap_authorizer::SERVICE).map_err(|e| anyhow::anyhow!(e))?;
    let shutdown = CancellationToken::new();
    // First, so that the NATS connection's metrics are recorded from the start.
    mrap_telemetry::metrics::serve_from_env(
        mrap_authorizer::SERVICE,
        mrap_authorizer::METRICS_ADDR,
        shutdown.clone(),
    )
    .await?;
    let config = mrap_authorizer::Config::from_env()?;
    let nats = mrap_proto::NatsConfig::from_env()
        .connect(mrap_authorizer::SERVICE)
        .await
        .context("connecting to NATS")?;
    tokio::spawn(mrap_proto::connect::cancel_on_signal(shutdown.clone()));
    mrap_authorizer::run(config, nats, shutdown).await?;
    Ok(())
}
