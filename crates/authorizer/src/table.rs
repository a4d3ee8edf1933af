//! One KV bucket mirrored in memory, fed by a watch: how the authorizer answers from memory and
//! still sees a change within milliseconds of its write.
//!
//! A key the mirror does not hold yet is read through from KV (so a bucket or key created a
//! moment ago is found before the watch delivers it); a key the watch saw deleted is known to be
//! absent. Rows carry their KV revision and only a newer one replaces them, so a read-through that
//! raced a watch update never puts an older value back. A record that does not decode is dropped
//! from the mirror: the next request reads it through and is refused with the decoding error,
//! never decided without it. Every change the watch applies is announced on `changed` (the
//! authorizer tells the gateways, which forget the decisions they reuse).

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::Duration,
};

use async_nats::jetstream::kv::{self, Operation};
use futures::StreamExt;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Why a row could not be read (the caller refuses the request).
#[derive(Debug)]
pub struct Unreadable(pub String);

pub type Decode<V> = Box<dyn Fn(&str, &[u8]) -> Result<V, String> + Send + Sync>;

pub struct Table<V> {
    name: &'static str,
    store: kv::Store,
    decode: Decode<V>,
    rows: RwLock<HashMap<String, Row<V>>>,
    /// Told after the watch changed the mirror (or it was emptied).
    changed: Arc<Notify>,
}

struct Row<V> {
    revision: u64,
    /// `None`: deleted.
    value: Option<Arc<V>>,
}

impl<V: Send + Sync + 'static> Table<V> {
    pub fn new(
        name: &'static str,
        store: kv::Store,
        decode: Decode<V>,
        changed: Arc<Notify>,
    ) -> Self {
        Self {
            name,
            store,
            decode,
            rows: RwLock::default(),
            changed,
        }
    }

    /// The current value of `key`; `None` when there is none.
    pub async fn get(&self, key: &str) -> Result<Option<Arc<V>>, Unreadable> {
        if let Some(row) = self.read().get(key) {
            return Ok(row.value.clone());
        }
        let entry = self
            .store
            .entry(key)
            .await
            .map_err(|e| Unreadable(format!("{} {key}: {e}", self.name)))?;
        match entry {
            Some(e) if e.operation == Operation::Put => {
                let value = Arc::new(
                    (self.decode)(key, &e.value)
                        .map_err(|err| Unreadable(format!("{} {key}: {err}", self.name)))?,
                );
                self.apply(key, e.revision, Some(value.clone()));
                Ok(Some(value))
            }
            // Absence is not remembered: the watch says when the key appears.
            _ => Ok(None),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Row<V>>> {
        // A poisoned lock only means a panic elsewhere mid-insert; the map itself is whole.
        self.rows.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Row<V>>> {
        self.rows.write().unwrap_or_else(|p| p.into_inner())
    }

    fn apply(&self, key: &str, revision: u64, value: Option<Arc<V>>) {
        let mut rows = self.write();
        if rows.get(key).is_none_or(|row| row.revision < revision) {
            rows.insert(key.to_owned(), Row { revision, value });
        }
    }

    /// Applies every change until `shutdown`. A watch that ends (a NATS restart) is re-opened
    /// after a pause. The mirror is emptied as soon as it ends, since changes made meanwhile
    /// (deletions above all) may never be delivered: until the new watch has caught up every
    /// lookup reads through to KV.
    pub async fn follow(self: Arc<Self>, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = self.follow_once() => {}
            }
            self.write().clear();
            self.changed.notify_one();
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        }
    }

    async fn follow_once(&self) {
        let Ok(mut changes) = self.store.watch_with_history(">").await else {
            tracing::warn!(table = self.name, "could not open the watch; retrying");
            return;
        };
        while let Some(Ok(e)) = changes.next().await {
            if e.operation != Operation::Put {
                self.apply(&e.key, e.revision, None);
            } else {
                match (self.decode)(&e.key, &e.value) {
                    Ok(v) => self.apply(&e.key, e.revision, Some(Arc::new(v))),
                    Err(err) => {
                        tracing::warn!(table = self.name, key = %e.key, error = %err, "record unreadable");
                        self.write().remove(&e.key);
                    }
                }
            }
            // Even a change the mirror already held (read through first) is announced: a
            // gateway may hold a decision taken before it.
            self.changed.notify_one();
        }
    }
}
