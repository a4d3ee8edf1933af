//! The authorizer's view of access keys and bucket owners, fed by KV watches.
//!
//! A miss falls through to a direct KV read (and is cached), so a key or bucket created a moment
//! ago is never refused because the watch has not delivered it yet.

use std::{collections::HashMap, sync::Arc};

use async_nats::jetstream::kv::{self, Operation};
use futures::StreamExt;
use mrap_model::{AccessKeyRecord, AccountId, BucketRecord};
use tokio::sync::RwLock;
use tokio_util::sync::CancellationToken;

pub struct ReadModel {
    keys_kv: kv::Store,
    buckets_kv: kv::Store,
    keys: RwLock<HashMap<String, AccessKeyRecord>>,
    owners: RwLock<HashMap<String, AccountId>>,
}

impl ReadModel {
    pub fn new(keys_kv: kv::Store, buckets_kv: kv::Store) -> Self {
        Self {
            keys_kv,
            buckets_kv,
            keys: RwLock::default(),
            owners: RwLock::default(),
        }
    }

    pub async fn access_key(&self, id: &str) -> Option<AccessKeyRecord> {
        if let Some(k) = self.keys.read().await.get(id) {
            return Some(k.clone());
        }
        let rec: AccessKeyRecord = read(&self.keys_kv, id).await?;
        self.keys.write().await.insert(id.to_owned(), rec.clone());
        Some(rec)
    }

    /// The owner of `bucket`, `None` if it does not exist.
    pub async fn bucket_owner(&self, bucket: &str) -> Option<AccountId> {
        if let Some(o) = self.owners.read().await.get(bucket) {
            return Some(o.clone());
        }
        let rec: BucketRecord = read(&self.buckets_kv, bucket).await?;
        self.owners
            .write()
            .await
            .insert(bucket.to_owned(), rec.owner.clone());
        Some(rec.owner)
    }

    /// Applies every change of both buckets until `shutdown`. A watch that ends (server restart)
    /// is re-opened after a pause; the caches stay usable meanwhile thanks to the read-through.
    pub async fn follow(self: Arc<Self>, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = self.follow_once() => {}
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(std::time::Duration::from_millis(500)) => {}
            }
        }
    }

    async fn follow_once(&self) {
        let (Ok(mut keys), Ok(mut buckets)) = (
            self.keys_kv.watch_all().await,
            self.buckets_kv.watch_all().await,
        ) else {
            tracing::warn!("could not open KV watches; retrying");
            return;
        };
        loop {
            tokio::select! {
                Some(Ok(e)) = keys.next() => {
                    let mut map = self.keys.write().await;
                    match (e.operation, mrap_proto::codec::decode::<AccessKeyRecord>(&e.value)) {
                        (Operation::Put, Ok(rec)) => { map.insert(e.key, rec); }
                        _ => { map.remove(&e.key); }
                    }
                }
                Some(Ok(e)) = buckets.next() => {
                    let mut map = self.owners.write().await;
                    match (e.operation, mrap_proto::codec::decode::<BucketRecord>(&e.value)) {
                        (Operation::Put, Ok(rec)) => { map.insert(e.key, rec.owner); }
                        _ => { map.remove(&e.key); }
                    }
                }
                else => return,
            }
        }
    }
}

async fn read<T: serde::de::DeserializeOwned>(store: &kv::Store, key: &str) -> Option<T> {
    match store.get(key).await {
        Ok(Some(bytes)) => mrap_proto::codec::decode(&bytes).ok(),
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(error = %e, "KV read failed");
            None
        }
    }
}
