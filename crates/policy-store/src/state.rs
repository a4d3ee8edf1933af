//! Handles on every KV bucket and the jobs stream, shared by the handlers.

use std::{sync::Arc, time::Duration};

use async_nats::jetstream;
use mrap_proto::{Namespace, jetstream as decl, subjects::KvBucket};

use crate::{Config, Error, kvx::Bucket};

#[derive(Clone)]
pub struct State(Arc<Inner>);

pub struct Inner {
    pub ns: Namespace,
    pub js: jetstream::Context,
    pub buckets: Bucket,
    pub mraps: Bucket,
    pub ops: Bucket,
    pub aliases: Bucket,
    pub access_keys: Bucket,
    /// The jobs work queue: what is in it is pending.
    pub jobs: jetstream::stream::Stream,
    pub accounts: Bucket,
    pub region_states: Bucket,
    pub users: Bucket,
    pub master_key: mrap_proto::secrets::MasterKey,
    /// [`Config::max_pending_operations`].
    pub max_pending_operations: u64,
    /// Counts submissions are checked against, between recounts.
    pub tallies: crate::tally::Tallies,
}

impl std::ops::Deref for State {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl State {
    pub async fn open(config: &Config, nats: async_nats::Client) -> Result<Self, Error> {
        let ns = config.namespace.clone();
        let js = jetstream::new(nats);
        let d = config.durability;
        let jobs = decl::ensure_jobs_stream(&js, &ns, d, config.operation_retention).await?;
        let open = |b, max_age| open_bucket(&js, &ns, b, d, max_age);
        let kv = |b| open(b, Duration::ZERO);
        // Operation records are kept for the retention, then expire on their own (Describe then
        // answers NoSuchAsyncRequest, and their client token may be used again).
        Ok(State(Arc::new(Inner {
            buckets: kv(KvBucket::Buckets).await?,
            mraps: kv(KvBucket::Mraps).await?,
            ops: open(KvBucket::Ops, config.operation_retention).await?,
            aliases: kv(KvBucket::Aliases).await?,
            access_keys: kv(KvBucket::AccessKeys).await?,
            jobs,
            accounts: kv(KvBucket::Accounts).await?,
            region_states: kv(KvBucket::RegionStates).await?,
            users: kv(KvBucket::Users).await?,
            master_key: config.master_key.clone(),
            max_pending_operations: config.max_pending_operations,
            tallies: Default::default(),
            ns,
            js,
        })))
    }
}

/// A KV bucket of the store, declared (see `ensure_kv`).
async fn open_bucket(
    js: &jetstream::Context,
    ns: &Namespace,
    bucket: KvBucket,
    d: decl::Durability,
    max_age: Duration,
) -> Result<Bucket, async_nats::Error> {
    let kv = decl::ensure_kv(js, ns, bucket, d, max_age).await?;
    Ok(Bucket::new(kv, js.clone()))
}
