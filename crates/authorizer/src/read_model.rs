//! The authorizer's view of the store.
//!
//! Access keys are read on every request and change rarely: they live in memory, fed by a KV
//! watch, with a read-through on a miss so a key created a moment ago is never refused.
//! Bucket and account settings (owner, policy, Block Public Access) must never be stale — a
//! request right after `PutBucketPolicy` has to see it — so they are read from KV each time, and
//! only the parsed policy is cached, keyed by the KV revision it was parsed from.
//! MRAPs (status, Regions, Block Public Access, established policy) change asynchronously anyway
//! (a put-policy is an operation that completes later), so they live in memory by alias, fed by a
//! watch of every record, with a read-through on a miss so an MRAP ready a moment ago is found.

use std::{collections::HashMap, sync::Arc};

use async_nats::jetstream::kv::{self, Operation};
use futures::StreamExt;
use mrap_model::{
    AccessKeyRecord, AccountId, AccountRecord, ApiError, BucketRecord, ErrorCode, MrapRecord,
    PublicAccessBlock,
};
use mrap_proto::{mrap_index::MrapIndex, secrets::MasterKey};
use tokio::sync::RwLock;
use tokio_util::sync::CancellationToken;

/// A bucket as authorization needs it.
pub struct BucketView {
    pub record: BucketRecord,
    /// The bucket policy, parsed (a stored policy always parses: the store validated it).
    pub policy: Option<mrap_policy::Policy>,
}

/// An MRAP as authorization needs it.
pub struct MrapView {
    pub record: MrapRecord,
    /// The established policy, parsed; `None` until one is established.
    pub policy: Option<mrap_policy::Policy>,
}

/// The KV buckets the authorizer reads.
pub struct Sources {
    pub keys: kv::Store,
    pub buckets: kv::Store,
    pub accounts: kv::Store,
    pub mraps: kv::Store,
    pub aliases: kv::Store,
}

/// The buckets read on requests (MRAPs are read through their index, which holds its own).
struct PerRequest {
    keys: kv::Store,
    buckets: kv::Store,
    accounts: kv::Store,
}

pub struct ReadModel {
    kv: PerRequest,
    keys: RwLock<HashMap<String, AccessKeyRecord>>,
    /// bucket name → (KV revision, view)
    buckets: RwLock<HashMap<String, (u64, Arc<BucketView>)>>,
    mraps: Arc<MrapIndex<MrapView>>,
    /// SigV4A verifying keys, derived once per access key.
    v4a_keys: mrap_sigv4::V4aKeys,
    master_key: MasterKey,
}

impl ReadModel {
    pub fn new(sources: Sources, master_key: MasterKey) -> Self {
        let Sources {
            keys,
            buckets,
            accounts,
            mraps,
            aliases,
        } = sources;
        Self {
            mraps: Arc::new(MrapIndex::new(mraps, aliases, mrap_view)),
            kv: PerRequest {
                keys,
                buckets,
                accounts,
            },
            keys: RwLock::default(),
            buckets: RwLock::default(),
            v4a_keys: mrap_sigv4::V4aKeys::default(),
            master_key,
        }
    }

    pub fn v4a_keys(&self) -> &mrap_sigv4::V4aKeys {
        &self.v4a_keys
    }

    pub async fn access_key(&self, id: &str) -> Option<AccessKeyRecord> {
        if let Some(k) = self.keys.read().await.get(id) {
            return Some(k.clone());
        }
        let bytes = self.kv.keys.get(id).await.ok().flatten()?;
        let rec = self.open(&bytes)?;
        self.keys.write().await.insert(id.to_owned(), rec.clone());
        Some(rec)
    }

    /// The bucket's current settings, `None` if it does not exist. A store that cannot be read
    /// (or a record or policy that does not decode) is an error, never "no such bucket" or "no
    /// policy": deciding without them would fail open.
    pub async fn bucket(&self, name: &str) -> Result<Option<Arc<BucketView>>, ApiError> {
        let entry = match self.kv.buckets.entry(name).await {
            Ok(Some(e)) if e.operation == Operation::Put => e,
            Ok(_) => {
                // Gone: drop its parsed policy too, so the cache holds live buckets only.
                if self.buckets.read().await.contains_key(name) {
                    self.buckets.write().await.remove(name);
                }
                return Ok(None);
            }
            Err(e) => return Err(unreadable("bucket", &e)),
        };
        if let Some((rev, view)) = self.buckets.read().await.get(name)
            && *rev == entry.revision
        {
            return Ok(Some(view.clone()));
        }
        let record: BucketRecord =
            mrap_proto::codec::decode(&entry.value).map_err(|e| unreadable("bucket", &e))?;
        let policy = match &record.policy {
            Some(p) => {
                Some(mrap_policy::parse(&p.text).map_err(|e| unreadable("bucket policy", &e))?)
            }
            None => None,
        };
        let view = Arc::new(BucketView { record, policy });
        self.buckets
            .write()
            .await
            .insert(name.to_owned(), (entry.revision, view.clone()));
        Ok(Some(view))
    }

    /// The account's Block Public Access configuration; an unreadable account is an error.
    pub async fn account_pab(
        &self,
        account: &AccountId,
    ) -> Result<Option<PublicAccessBlock>, ApiError> {
        let Some(bytes) = self
            .kv
            .accounts
            .get(account.as_str())
            .await
            .map_err(|e| unreadable("account", &e))?
        else {
            return Ok(None);
        };
        let record: AccountRecord =
            mrap_proto::codec::decode(&bytes).map_err(|e| unreadable("account", &e))?;
        Ok(record.public_access_block)
    }

    /// The MRAP with this alias (`None`: no such MRAP, or deleted). An unreadable store or
    /// record is an error.
    pub async fn mrap(&self, alias: &str) -> Result<Option<Arc<MrapView>>, ApiError> {
        self.mraps
            .get(alias)
            .await
            .map_err(|e| unreadable("MRAP", &e))
    }

    /// Applies every access-key and MRAP change until `shutdown`. A watch that ends (server
    /// restart) is re-opened after a pause; the caches stay usable meanwhile thanks to the
    /// read-throughs.
    pub async fn follow(self: Arc<Self>, shutdown: CancellationToken) {
        let mraps = tokio::spawn(self.mraps.clone().follow(shutdown.clone()));
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = self.follow_keys() => {}
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(std::time::Duration::from_millis(500)) => {}
            }
        }
        mraps.abort();
    }

    async fn follow_keys(&self) {
        let Ok(mut keys) = self.kv.keys.watch_all().await else {
            tracing::warn!("could not open the access-key watch; retrying");
            return;
        };
        while let Some(Ok(e)) = keys.next().await {
            let mut map = self.keys.write().await;
            match (e.operation, self.open(&e.value)) {
                (Operation::Put, Some(rec)) => {
                    map.insert(e.key, rec);
                }
                _ => {
                    map.remove(&e.key);
                }
            }
        }
    }
}

impl ReadModel {
    /// A stored key record with its secret opened; one that does not decode or open is no key.
    fn open(&self, bytes: &[u8]) -> Option<AccessKeyRecord> {
        let sealed: AccessKeyRecord = mrap_proto::codec::decode(bytes).ok()?;
        match self.master_key.open(sealed) {
            Ok(rec) => Some(rec),
            Err(e) => {
                tracing::warn!(error = %e, "access key unusable");
                None
            }
        }
    }
}

/// The authorizer's view of an MRAP: its record and established policy, parsed.
fn mrap_view(record: MrapRecord) -> Result<MrapView, String> {
    let policy = match &record.policy.established {
        Some(p) => Some(mrap_policy::parse(&p.text).map_err(|e| e.to_string())?),
        None => None,
    };
    Ok(MrapView { record, policy })
}

/// What a request gets when the data to decide it cannot be read: a refusal the client may retry.
fn unreadable(what: &str, e: &dyn std::fmt::Display) -> ApiError {
    tracing::warn!(error = %e, what, "authorization data unreadable; refusing");
    ApiError::new(
        ErrorCode::ServiceUnavailable,
        "The authorization data could not be read. Please try again.",
    )
}
