//! authorizer: synchronous authentication and authorization over NATS.
//!
//! Serves `{prefix}.v1.authz.check`: verifies the request's SigV4 or SigV4A signature against the
//! access keys held by the policy-store, then decides whether the principal (an account root or
//! an IAM user) may act on the resource (see `decide`). Everything it reads is mirrored in memory
//! from KV watches (`read_model`), so a decision costs no store round trip.

mod authn;
mod decide;
mod read_model;
mod table;

use std::sync::Arc;

use async_nats::service::ServiceExt;
use mrap_proto::authz::AuthzChange;
use mrap_proto::{
    Namespace, authz::AuthzRequest, jetstream, secrets::MasterKey, subjects::KvBucket,
};
use tokio_util::sync::CancellationToken;

pub use read_model::ReadModel;

#[derive(Debug, Clone)]
pub struct Config {
    pub namespace: Namespace,
    /// Opens the sealed secrets of access keys.
    pub master_key: MasterKey,
    /// The local stack's convenience (LocalStack's habit): an access key id of 12 digits with
    /// the secret `test` is the root of that account. Only `deploy/local/up` and tests set it.
    pub local_accounts: bool,
}

impl Config {
    /// `MRAP_MASTER_KEY` / `MRAP_MASTER_KEY_FILE` (required), `MRAP_LOCAL_ACCOUNTS=1`.
    pub fn from_env() -> Result<Self, Error> {
        Ok(Self {
            namespace: mrap_proto::connect::namespace_from_env(),
            master_key: MasterKey::from_env().map_err(|e| Error::Config(e.to_string()))?,
            local_accounts: std::env::var("MRAP_LOCAL_ACCOUNTS").is_ok_and(|v| v == "1"),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("NATS: {0}")]
    Nats(#[from] async_nats::Error),
    #[error("configuration: {0}")]
    Config(String),
}

pub const SERVICE: &str = "authorizer";

/// Where this service serves `/metrics` unless `MRAP_METRICS_ADDR` says otherwise.
pub const METRICS_ADDR: &str = "127.0.0.1:9465";

/// Runs until `shutdown` is cancelled.
pub async fn run(
    config: Config,
    nats: async_nats::Client,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    let ns = config.namespace;
    let js = async_nats::jetstream::new(nats.clone());
    let changed = Arc::new(read_model::Changed::default());
    let model = Arc::new(ReadModel::new(
        read_model::Sources {
            keys: jetstream::open_kv(&js, &ns, KvBucket::AccessKeys).await?,
            users: jetstream::open_kv(&js, &ns, KvBucket::Users).await?,
            buckets: jetstream::open_kv(&js, &ns, KvBucket::Buckets).await?,
            accounts: jetstream::open_kv(&js, &ns, KvBucket::Accounts).await?,
            mraps: jetstream::open_kv(&js, &ns, KvBucket::Mraps).await?,
            aliases: jetstream::open_kv(&js, &ns, KvBucket::Aliases).await?,
        },
        config.master_key,
        config.local_accounts,
        &changed,
    ));
    let watcher = tokio::spawn(model.clone().follow(shutdown.clone()));
    let announcer = tokio::spawn(announce_changes(
        nats.clone(),
        ns.authz_changed(),
        changed,
        shutdown.clone(),
    ));

    let service = nats
        .service_builder()
        .description("mrap authorizer: SigV4 authentication and authorization")
        .start(SERVICE, env!("CARGO_PKG_VERSION"))
        .await?;
    let subject = ns.authz_check();
    let endpoint = service.endpoint(subject.clone()).await?;
    tracing::info!(%subject, "authorizer serving");
    mrap_proto::rpc::serve(
        endpoint,
        subject,
        SERVICE,
        shutdown.clone(),
        move |req: AuthzRequest| {
            let model = model.clone();
            async move { decide::check(&model, &req).await }
        },
    )
    .await;
    watcher.abort();
    announcer.abort();
    Ok(())
}

/// Publishes `subject` after the read model changed, saying what changed ([`AuthzChange`]):
/// gateways then forget the decisions it may affect. A burst of changes (a watch replaying its
/// history) is announced once; a change made while an announcement is going out is announced
/// again after it, so every change is followed by an announcement sent after the change was
/// applied.
async fn announce_changes(
    nats: async_nats::Client,
    subject: String,
    changed: Arc<read_model::Changed>,
    shutdown: CancellationToken,
) {
    loop {
        let change = tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = changed.identities.notified() => AuthzChange::Everything,
            _ = changed.resources.notified() => AuthzChange::Resources,
        };
        // Best effort: a gateway that misses it (disconnected) forgets everything on reconnect,
        // and reused decisions expire on their own.
        if let Err(e) = nats.publish(subject.clone(), change.payload()).await {
            tracing::warn!(error = %e, "could not announce an authorization change");
        }
    }
}
