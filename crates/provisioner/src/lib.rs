//! provisioner: completes MRAP operations asynchronously.
//!
//! Consumes the `{prefix}.v1.jobs.>` work queue through the durable pull consumer `provisioner`
//! (explicit acks, bounded redelivery). A job is acked only once its operation is terminal; every
//! step is idempotent, so a crash at any point is repaired by redelivery.

mod consumer;
mod job_metrics;
mod regions;
mod step;
mod wiring;

use std::{path::PathBuf, time::Duration};

use mrap_model::RegionsConfig;
use mrap_proto::Namespace;
use tokio_util::sync::CancellationToken;

pub const SERVICE: &str = "provisioner";

/// Where this service serves `/metrics` unless `MRAP_METRICS_ADDR` says otherwise.
pub const METRICS_ADDR: &str = "127.0.0.1:9467";

#[derive(Debug, Clone)]
pub struct Config {
    pub namespace: Namespace,
    pub data_dir: PathBuf,
    pub regions: RegionsConfig,
    /// How long a delivered job may go unacknowledged before JetStream redelivers it.
    pub ack_wait: Duration,
    /// Deliveries before a job is declared poison and its operation `FAILED` (`InternalErrors`).
    pub max_deliver: i64,
    /// Jobs worked on at once by this replica.
    pub concurrency: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("NATS: {0}")]
    Nats(#[from] async_nats::Error),
    #[error("configuration: {0}")]
    Config(String),
}

impl Config {
    pub fn new(namespace: Namespace, data_dir: PathBuf, regions: RegionsConfig) -> Self {
        Self {
            namespace,
            data_dir,
            regions,
            ack_wait: Duration::from_secs(30),
            max_deliver: 10,
            concurrency: 64,
        }
    }

    /// `MRAP_DATA_DIR`, `MRAP_REGIONS_FILE`, `MRAP_JOB_ACK_WAIT_MS`.
    pub fn from_env() -> Result<Self, Error> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let ms = |k: &str, default: u64| -> Result<Duration, Error> {
            match var(k) {
                Some(v) => v
                    .parse()
                    .map(Duration::from_millis)
                    .map_err(|_| Error::Config(format!("{k}={v} is not a number"))),
                None => Ok(Duration::from_millis(default)),
            }
        };
        let regions_file = var("MRAP_REGIONS_FILE").map(PathBuf::from);
        let regions = RegionsConfig::load(regions_file.as_deref()).map_err(Error::Config)?;
        let mut cfg = Self::new(
            mrap_proto::connect::namespace_from_env(),
            PathBuf::from(var("MRAP_DATA_DIR").unwrap_or_else(|| "./.data".into())),
            regions,
        );
        cfg.ack_wait = ms("MRAP_JOB_ACK_WAIT_MS", 30_000)?;
        Ok(cfg)
    }
}

/// Runs until `shutdown` is cancelled; jobs in flight get a few seconds to finish, the rest are
/// left unacknowledged for redelivery.
pub async fn run(
    config: Config,
    nats: async_nats::Client,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    consumer::run(config, nats, shutdown).await
}

/// The `provisioner` binary: configuration and NATS connection from the environment, telemetry,
/// and a clean stop on SIGINT/SIGTERM. A library function so that the crash test can build the
/// very same program as a binary of its own package (cargo only hands a test the binaries of the
/// test's package, built with the test build's features).
pub async fn main_from_env() -> anyhow::Result<()> {
    use anyhow::Context as _;
    let _telemetry = mrap_telemetry::init(SERVICE).map_err(|e| anyhow::anyhow!(e))?;
    let shutdown = CancellationToken::new();
    mrap_telemetry::metrics::serve_from_env(SERVICE, METRICS_ADDR, shutdown.clone()).await?;
    let config = Config::from_env()?;
    let nats = mrap_proto::NatsConfig::from_env()
        .connect(SERVICE)
        .await
        .context("connecting to NATS")?;
    tokio::spawn(mrap_proto::connect::cancel_on_signal(shutdown.clone()));
    run(config, nats, shutdown).await?;
    Ok(())
}
