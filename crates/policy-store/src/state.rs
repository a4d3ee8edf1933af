//! Handles on every KV bucket and the jobs stream, shared by the handlers.

use std::{sync::Arc, time::Duration};

use async_nats::jetstream::{self, kv};
use mrap_proto::{Namespace, jetstream as decl, subjects::KvBucket};

use crate::{Config, Error};

#[derive(Clone)]
pub struct State(Arc<Inner>);

pub struct Inner {
    pub ns: Namespace,
    pub js: jetstream::Context,
    pub buckets: kv::Store,
    pub mraps: kv::Store,
    pub ops: kv::Store,
    pub aliases: kv::Store,
    pub access_keys: kv::Store,
    /// The jobs work queue: what is in it is pending.
    pub jobs: jetstream::stream::Stream,
    pub accounts: kv::Store,
    pub region_states: kv::Store,
    pub users: kv::Store,
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
        let kv = |b| decl::ensure_kv(&js, &ns, b, d, Duration::ZERO);
        // Operation records are kept for the retention, then expire on their own (Describe then
        // answers NoSuchAsyncRequest, and their client token may be used again).
        Ok(State(Arc::new(Inner {
            buckets: kv(KvBucket::Buckets).await?,
            mraps: kv(KvBucket::Mraps).await?,
            ops: decl::ensure_kv(&js, &ns, KvBucket::Ops, d, config.operation_retention).await?,
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
