//! KV buckets the gateway reads itself (operation records, MRAP records): the store stays the
//! only writer, and a read it would only forward costs a NATS hop and its work on every request.

use std::sync::{Arc, OnceLock};

use async_nats::jetstream::kv;
use mrap_proto::{Namespace, codec, jetstream, subjects::KvBucket};
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

pub(crate) struct Records {
    /// Set once the store has declared the bucket (`jetstream::open_kv` waits for that).
    kv: OnceLock<kv::Store>,
}

impl Records {
    /// Opens `bucket` in the background, then runs `then` with it; until it is open,
    /// [`Records::get`] answers `None`.
    pub fn open<F, Fut>(
        nats: async_nats::Client,
        ns: Namespace,
        bucket: KvBucket,
        shutdown: CancellationToken,
        then: F,
    ) -> Arc<Self>
    where
        F: FnOnce(kv::Store) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let records = Arc::new(Records {
            kv: OnceLock::new(),
        });
        let opening = records.clone();
        tokio::spawn(async move {
            let js = async_nats::jetstream::new(nats);
            tokio::select! {
                _ = shutdown.cancelled() => {}
                opened = jetstream::open_kv(&js, &ns, bucket) => match opened {
                    Ok(kv) => {
                        let _ = opening.kv.set(kv.clone());
                        then(kv).await;
                    }
                    Err(e) => tracing::error!(error = %e, ?bucket, "records unreadable here; asking the store"),
                },
            }
        });
        records
    }

    /// The record under `key` (`Some(None)`: none, or expired), or `None` when it could not be
    /// read here (the bucket not open yet, or a read failed): ask the store then.
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Option<Option<T>> {
        let kv = self.kv.get()?;
        let span = tracing::info_span!(
            "nats.kv.get",
            otel.name = %format!("get {}", kv.name),
            otel.kind = "client",
            db.system.name = "nats",
            db.operation.name = "get",
            db.collection.name = %kv.name,
        );
        match kv.get(key).instrument(span).await {
            Ok(None) => Some(None),
            Ok(Some(bytes)) => match codec::decode(&bytes) {
                Ok(record) => Some(Some(record)),
                Err(e) => {
                    tracing::error!(key, bucket = kv.name, error = %e, "undecodable record");
                    None
                }
            },
            Err(e) => {
                tracing::warn!(key, bucket = kv.name, error = %e, "reading a record; asking the store");
                None
            }
        }
    }
}
