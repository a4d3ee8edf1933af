//! policy-store: the only writer of durable state.
//!
//! Everything lives in JetStream KV buckets (file storage) and every change is a revision
//! compare-and-set, so replicas of this service can run side by side. An operation's job is its
//! outbox: it is published (with `Nats-Msg-Id` = op id) while the operation is recorded, and it
//! carries the operation, so a job whose record was lost with a stopped store records it.

mod bootstrap;
mod buckets;
mod claim;
mod identities;
mod kvx;
mod listing;
mod mraps;
mod ops;
mod policies;
mod routes;
mod state;
mod tally;

use async_nats::service::ServiceExt;
use mrap_model::AccessKeyRecord;
use mrap_proto::{Namespace, jetstream::Durability, secrets::MasterKey};
use tokio_util::sync::CancellationToken;

use crate::state::State;

pub const SERVICE: &str = "policy-store";

/// Where this service serves `/metrics` unless `MRAP_METRICS_ADDR` says otherwise.
pub const METRICS_ADDR: &str = "127.0.0.1:9466";

/// The per-account MRAP quota.
pub const MAX_MRAPS_PER_ACCOUNT: usize = 100;

#[derive(Debug, Clone)]
pub struct Config {
    pub namespace: Namespace,
    pub durability: Durability,
    /// Access keys written at start-up: the configured account root (the local stack's
    /// `test`/`test`).
    pub bootstrap_keys: Vec<AccessKeyRecord>,
    /// Seals every secret before it reaches KV.
    pub master_key: MasterKey,
    /// How long an operation record (its client token's claim) is kept after its last change.
    pub operation_retention: std::time::Duration,
    /// Back-pressure: with this many operations not terminal yet (queued for the provisioner or
    /// under way), a new submission is refused with `SlowDown` (503) instead of queued
    /// (`MRAP_MAX_PENDING_OPERATIONS`, default [`DEFAULT_MAX_PENDING_OPERATIONS`]). Queued
    /// operations are never dropped; a repeated request (same client token) is always answered.
    pub max_pending_operations: u64,
}

/// `MRAP_MAX_PENDING_OPERATIONS`'s default.
pub const DEFAULT_MAX_PENDING_OPERATIONS: u64 = 10_000;

/// `MRAP_OPERATION_RETENTION`'s default: 30 days.
pub const DEFAULT_OPERATION_RETENTION: std::time::Duration =
    std::time::Duration::from_secs(30 * 24 * 3600);

/// `30d`, `12h`, `90m`, `45s` (a positive whole number and one unit).
fn parse_retention(text: &str) -> Result<std::time::Duration, Error> {
    let bad = || {
        Error::Config(format!(
            "MRAP_OPERATION_RETENTION={text}: expected a number and a unit (d, h, m, s), e.g. 30d"
        ))
    };
    let unit = text.chars().last().ok_or_else(bad)?;
    let n: u64 = text[..text.len() - unit.len_utf8()]
        .parse()
        .map_err(|_| bad())?;
    let secs = match unit {
        'd' => 24 * 3600,
        'h' => 3600,
        'm' => 60,
        's' => 1,
        _ => return Err(bad()),
    };
    match n.checked_mul(secs) {
        Some(total) if total > 0 => Ok(std::time::Duration::from_secs(total)),
        _ => Err(bad()),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("NATS: {0}")]
    Nats(#[from] async_nats::Error),
    #[error("configuration: {0}")]
    Config(String),
}

impl Config {
    /// `MRAP_BOOTSTRAP_ACCOUNT` (default `000000000000`), `MRAP_ROOT_ACCESS_KEY` and
    /// `MRAP_ROOT_SECRET_KEY` or `MRAP_ROOT_SECRET_KEY_FILE` (required: there are no default
    /// credentials; `deploy/local/up` sets `test`/`test`), `MRAP_MASTER_KEY` or
    /// `MRAP_MASTER_KEY_FILE` (required), `MRAP_KV_REPLICAS`, `MRAP_OPERATION_RETENTION`
    /// (default `30d`), `MRAP_MAX_PENDING_OPERATIONS` (default 10,000).
    pub fn from_env() -> Result<Self, Error> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let account = mrap_model::AccountId::parse(
            &var("MRAP_BOOTSTRAP_ACCOUNT").unwrap_or_else(|| "000000000000".into()),
        )
        .map_err(Error::Config)?;
        let no_root = || {
            Error::Config(
                "no root credentials: set MRAP_ROOT_ACCESS_KEY and MRAP_ROOT_SECRET_KEY (or MRAP_ROOT_SECRET_KEY_FILE)"
                    .into(),
            )
        };
        let access_key = var("MRAP_ROOT_ACCESS_KEY").ok_or_else(no_root)?;
        let secret = match (
            var("MRAP_ROOT_SECRET_KEY"),
            var("MRAP_ROOT_SECRET_KEY_FILE"),
        ) {
            (Some(s), _) => s,
            (None, Some(path)) => std::fs::read_to_string(&path)
                .map_err(|e| Error::Config(format!("MRAP_ROOT_SECRET_KEY_FILE {path}: {e}")))?
                .trim()
                .to_owned(),
            (None, None) => return Err(no_root()),
        };
        let master_key = MasterKey::from_env().map_err(|e| Error::Config(e.to_string()))?;
        let replicas = match var("MRAP_KV_REPLICAS") {
            Some(r) => r
                .parse()
                .map_err(|_| Error::Config(format!("MRAP_KV_REPLICAS={r} is not a number")))?,
            None => 1,
        };
        let operation_retention = match var("MRAP_OPERATION_RETENTION") {
            Some(text) => parse_retention(&text)?,
            None => DEFAULT_OPERATION_RETENTION,
        };
        let max_pending_operations = match var("MRAP_MAX_PENDING_OPERATIONS") {
            Some(n) => match n.trim().parse::<u64>() {
                Ok(n) if n > 0 => n,
                _ => {
                    return Err(Error::Config(format!(
                        "MRAP_MAX_PENDING_OPERATIONS={n}: expected a positive number"
                    )));
                }
            },
            None => DEFAULT_MAX_PENDING_OPERATIONS,
        };
        Ok(Self {
            namespace: mrap_proto::connect::namespace_from_env(),
            durability: Durability { replicas },
            bootstrap_keys: vec![AccessKeyRecord::root(account, access_key, secret)],
            master_key,
            operation_retention,
            max_pending_operations,
        })
    }
}

/// Runs until `shutdown` is cancelled.
pub async fn run(
    config: Config,
    nats: async_nats::Client,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    let state = State::open(&config, nats.clone()).await?;
    bootstrap::write_keys(&state, &config.bootstrap_keys).await?;

    let service = nats
        .service_builder()
        .description("mrap policy-store: durable state in JetStream KV")
        .start(SERVICE, env!("CARGO_PKG_VERSION"))
        .await?;
    let mut tasks = tokio::task::JoinSet::new();
    macro_rules! serve {
        ($ty:ty, $handler:path) => {{
            let subject = mrap_proto::store::subject::<$ty>(&state.ns);
            let endpoint = service.endpoint(subject.clone()).await?;
            let st = state.clone();
            tasks.spawn(mrap_proto::rpc::serve(
                endpoint,
                subject,
                SERVICE,
                shutdown.clone(),
                move |req: $ty| {
                    let st = st.clone();
                    async move { $handler(&st, req).await }
                },
            ));
        }};
    }
    use mrap_proto::store::*;
    serve!(CreateBucket, buckets::create);
    serve!(GetBucket, buckets::get);
    serve!(ListBuckets, buckets::list);
    serve!(DeleteBucket, buckets::delete);
    serve!(GetMrap, mraps::get);
    serve!(ListMraps, mraps::list);
    serve!(SubmitOp, ops::submit);
    serve!(GetOp, ops::get);
    serve!(BeginOp, ops::begin);
    serve!(FinishOp, ops::finish);
    serve!(PutBucketPolicy, policies::put_bucket_policy);
    serve!(DeleteBucketPolicy, policies::delete_bucket_policy);
    serve!(SetBucketPublicAccessBlock, policies::set_bucket_pab);
    serve!(GetAccount, policies::get_account);
    serve!(SetAccountPublicAccessBlock, policies::set_account_pab);
    serve!(GetMrapByAlias, routes::get_by_alias);
    serve!(SubmitRoutes, routes::submit);
    serve!(SetRegionDown, routes::set_region_down);
    serve!(CreateUser, identities::create_user);
    serve!(GetUser, identities::get_user);
    serve!(ListUsers, identities::list_users);
    serve!(DeleteUser, identities::delete_user);
    serve!(PutUserPolicy, identities::put_user_policy);
    serve!(DeleteUserPolicy, identities::delete_user_policy);
    serve!(CreateAccessKey, identities::create_access_key);
    serve!(ListAccessKeys, identities::list_access_keys);
    serve!(UpdateAccessKey, identities::update_access_key);
    serve!(DeleteAccessKey, identities::delete_access_key);
    tracing::info!(prefix = state.ns.prefix(), "policy-store serving");
    while tasks.join_next().await.is_some() {}
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_is_a_number_and_a_unit() {
        assert_eq!(
            parse_retention("30d").ok(),
            Some(DEFAULT_OPERATION_RETENTION)
        );
        assert_eq!(
            parse_retention("90s").ok(),
            Some(std::time::Duration::from_secs(90))
        );
        assert_eq!(
            parse_retention("2h").ok(),
            Some(std::time::Duration::from_secs(7200))
        );
        for bad in [
            "",
            "d",
            "30",
            "0d",
            "-1d",
            "1.5h",
            "30 days",
            "99999999999999999999d",
        ] {
            assert!(parse_retention(bad).is_err(), "{bad}");
        }
    }
}
