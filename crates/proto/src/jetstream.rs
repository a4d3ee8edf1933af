//! Stream and KV declarations. Every service calls the `ensure_*` functions it needs at start-up;
//! creation is idempotent, so start order does not matter.

use std::time::Duration;

use async_nats::jetstream::{
    self, kv,
    stream::{self, RetentionPolicy, StorageType},
};

use crate::{Namespace, subjects::KvBucket};

#[derive(Debug, Clone, Copy)]
pub struct Durability {
    /// 1 for one server, 3 for a NATS cluster.
    pub replicas: usize,
}

impl Default for Durability {
    fn default() -> Self {
        Self { replicas: 1 }
    }
}

/// The jobs work queue: file storage, one delivery per message, and a duplicate window (a job
/// re-published with the same `Nats-Msg-Id` within it is dropped) of 2 minutes, or the operations'
/// `retention` if shorter: an operation id is used again only after its record expired, and its
/// new job must not be taken for the old one's duplicate. An existing stream whose window differs
/// is changed to it.
pub async fn ensure_jobs_stream(
    js: &jetstream::Context,
    ns: &Namespace,
    d: Durability,
    retention: Duration,
) -> Result<stream::Stream, async_nats::Error> {
    let duplicate_window = match retention {
        Duration::ZERO => DUPLICATE_WINDOW,
        r => r.min(DUPLICATE_WINDOW),
    };
    let cfg = stream::Config {
        name: ns.jobs_stream(),
        subjects: vec![ns.jobs_wildcard()],
        retention: RetentionPolicy::WorkQueue,
        storage: StorageType::File,
        num_replicas: d.replicas,
        duplicate_window,
        ..Default::default()
    };
    let mut stream = js.get_or_create_stream(cfg).await?;
    let mut config = stream.info().await?.config.clone();
    if config.duplicate_window != duplicate_window {
        config.duplicate_window = duplicate_window;
        js.update_stream(config).await?;
    }
    Ok(stream)
}

const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// The jobs work queue once the policy-store has declared it (the provisioner may only consume
/// it, not create or change it); waits as [`open_kv`] does.
pub async fn open_jobs_stream(
    js: &jetstream::Context,
    ns: &Namespace,
) -> Result<stream::Stream, async_nats::Error> {
    let name = ns.jobs_stream();
    let mut last = None;
    for _ in 0..600 {
        match js.get_stream(&name).await {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("stream {name} did not appear within 60 s: {last:?}").into())
}

/// One KV bucket, file storage, a little history for debugging. `max_age`: how long an entry
/// lives after its last write (`Duration::ZERO`: for ever); an existing bucket whose expiry
/// differs is changed to it, so a new retention applies to a running deployment too.
pub async fn ensure_kv(
    js: &jetstream::Context,
    ns: &Namespace,
    bucket: KvBucket,
    d: Durability,
    max_age: Duration,
) -> Result<kv::Store, async_nats::Error> {
    let name = ns.kv(bucket);
    let allow_direct = direct_gets(d.replicas);
    if js.get_key_value(&name).await.is_err() {
        let cfg = kv::Config {
            bucket: name.clone(),
            history: 5,
            storage: StorageType::File,
            num_replicas: d.replicas,
            max_age,
            ..Default::default()
        };
        // Another service may create it between our get and create: that is fine.
        let _ = js.create_key_value(cfg).await;
    }
    let mut stream = js.get_stream(format!("KV_{name}")).await?;
    let mut config = stream.info().await?.config.clone();
    if config.max_age != max_age || config.allow_direct != allow_direct {
        config.max_age = max_age;
        config.allow_direct = allow_direct;
        js.update_stream(config).await?;
    }
    // Opened after any update: the handle reads the way the stream now allows.
    Ok(js.get_key_value(&name).await?)
}

/// Whether a KV bucket of `replicas` answers direct gets. Direct gets may be answered by any
/// replica, a lagging follower included: on a cluster (R3) a read-modify-write could then start
/// from a stale value (a redelivered job reading an operation as still running after it
/// finished). Reads go through the stream leader there; with one replica direct gets are the
/// same server and cheaper.
fn direct_gets(replicas: usize) -> bool {
    replicas <= 1
}

/// Waits (bounded) for a KV bucket that another service creates, e.g. the authorizer waiting for
/// the store's `access_keys`, until [`ensure_kv`] has declared it whole: the bucket is created
/// answering direct gets and then changed on a cluster, and a handle reads the way the stream
/// allowed when it was opened (one opened in between would ask for direct gets nobody answers).
pub async fn open_kv(
    js: &jetstream::Context,
    ns: &Namespace,
    bucket: KvBucket,
) -> Result<kv::Store, async_nats::Error> {
    let name = ns.kv(bucket);
    let mut last = None;
    for _ in 0..600 {
        match js.get_key_value(&name).await {
            Ok(store) => {
                let config = &store.stream.cached_info().config;
                if config.allow_direct == direct_gets(config.num_replicas) {
                    return Ok(store);
                }
                last = Some(format!("{name} is still being declared"));
            }
            Err(e) => last = Some(e.to_string()),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("KV bucket {name} did not appear within 60 s: {last:?}").into())
}
