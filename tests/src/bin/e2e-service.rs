//! The gateway, authorizer and policy-store programs (configuration and NATS connection from the
//! environment, as each crate's `main.rs`, without telemetry) as one binary of this package,
//! chosen by the first argument: `e2e-service api-gateway|authorizer|policy-store|provisioner`.
//! The fault drills (`tests/tests/e2e/drills.rs`) SIGKILL and restart these processes; cargo
//! hands a test only the binaries of its own package (`CARGO_BIN_EXE_e2e-service`), built with
//! the test build, and one binary links once where four would link four times.
use anyhow::{Context, bail};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let which = std::env::args().nth(1).unwrap_or_default();
    if which == "provisioner" {
        return mrap_provisioner::main_from_env().await;
    }
    let service = match which.as_str() {
        "api-gateway" => mrap_api_gateway::SERVICE,
        "authorizer" => mrap_authorizer::SERVICE,
        "policy-store" => mrap_policy_store::SERVICE,
        other => bail!(
            "usage: e2e-service api-gateway|authorizer|policy-store|provisioner (not {other:?})"
        ),
    };
    let nats = mrap_proto::NatsConfig::from_env()
        .connect(service)
        .await
        .context("connecting to NATS")?;
    let shutdown = CancellationToken::new();
    tokio::spawn(mrap_proto::connect::cancel_on_signal(shutdown.clone()));
    match which.as_str() {
        "api-gateway" => {
            let config = mrap_api_gateway::Config::from_env()?;
            let addr = std::env::var("MRAP_HTTP_ADDR").context("MRAP_HTTP_ADDR")?;
            let listener = tokio::net::TcpListener::bind(&addr)
                .await
                .with_context(|| format!("binding {addr}"))?;
            mrap_api_gateway::run(config, nats, listener, shutdown).await?;
        }
        "authorizer" => {
            mrap_authorizer::run(mrap_authorizer::Config::from_env()?, nats, shutdown).await?
        }
        _ => mrap_policy_store::run(mrap_policy_store::Config::from_env()?, nats, shutdown).await?,
    }
    Ok(())
}
