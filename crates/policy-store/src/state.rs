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
    pub client_tokens: kv::Store,
    pub access_keys: kv::Store,
    pub pending: kv::Store,
    pub accounts: kv::Store,
    pub region_states: kv::Store,
    pub users: kv::Store,
    pub master_key: mrap_proto::secrets::MasterKey,
    /// [`Config::max_pending_operations`].
    pub max_pending_operations: u64,
    /// Bucket membership changes waiting for their bucket's writer.
    pub memberships: crate::membership::Queue,
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
        decl::ensure_jobs_stream(&js, &ns, d).await?;
        let kv = |b| decl::ensure_kv(&js, &ns, b, d, Duration::ZERO);
        // Operation records and client tokens are kept for the retention, then expire on their
        // own (Describe then answers NoSuchAsyncRequest, and a client token may be used again).
        let retained = |b| decl::ensure_kv(&js, &ns, b, d, config.operation_retention);
        Ok(State(Arc::new(Inner {
            buckets: kv(KvBucket::Buckets).await?,
            mraps: kv(KvBucket::Mraps).await?,
            ops: retained(KvBucket::Ops).await?,
            aliases: kv(KvBucket::Aliases).await?,
            client_tokens: retained(KvBucket::ClientTokens).await?,
            access_keys: kv(KvBucket::AccessKeys).await?,
            pending: kv(KvBucket::Pending).await?,
            accounts: kv(KvBucket::Accounts).await?,
            region_states: kv(KvBucket::RegionStates).await?,
            users: kv(KvBucket::Users).await?,
            master_key: config.master_key.clone(),
            max_pending_operations: config.max_pending_operations,
            memberships: Default::default(),
            tallies: Default::default(),
            ns,
            js,
        })))
    }
}
