use anyhow::Context;
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _telemetry =
        mrap_telemetry::init(mrap_policy_store::SERVICE).map_err(|e| anyhow::anyhow!(e))?;
    let shutdown = CancellationToken::new();
    // First, so that the NATS connection's metrics are recorded from the start.
    mrap_telemetry::metrics::serve_from_env(
        mrap_policy_store::SERVICE,
        mrap_policy_store::METRICS_ADDR,
        shutdown.clone(),
    )
    .await?;
    let config = mrap_policy_store::Config::from_env()?;
    let nats = mrap_proto::NatsConfig::from_env()
        .connect(mrap_policy_store::SERVICE)
        .await
        .context("connecting to NATS")?;
    tokio::spawn(mrap_proto::connect::cancel_on_signal(shutdown.clone()));
    mrap_policy_store::run(config, nats, shutdown).await?;
    Ok(())
}
