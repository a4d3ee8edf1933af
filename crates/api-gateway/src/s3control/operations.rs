//! Operation records read straight from their KV bucket. Clients poll
//! `DescribeMultiRegionAccessPointOperation` many times per operation, and a read through the
//! policy-store only added a NATS hop and its work to each poll; the store stays the only writer.

use std::sync::{Arc, OnceLock};

use async_nats::jetstream::kv;
use mrap_model::AsyncOperation;
use mrap_proto::{Namespace, codec, jetstream, subjects::KvBucket};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

pub(crate) struct Operations {
    /// Set once the store has declared the bucket (`jetstream::open_kv` waits for that).
    kv: OnceLock<kv::Store>,
}

impl Operations {
    /// Opens the bucket in the background; until then [`Operations::get`] answers `None`.
    pub fn start(
        nats: async_nats::Client,
        ns: Namespace,
        shutdown: CancellationToken,
    ) -> Arc<Self> {
        let ops = Arc::new(Operations {
            kv: OnceLock::new(),
        });
        let opening = ops.clone();
        tokio::spawn(async move {
            let js = async_nats::jetstream::new(nats);
            tokio::select! {
                _ = shutdown.cancelled() => {}
                opened = jetstream::open_kv(&js, &ns, KvBucket::Ops) => match opened {
                    Ok(kv) => {
                        let _ = opening.kv.set(kv);
                    }
                    Err(e) => tracing::error!(error = %e, "operation records unreadable here; asking the store"),
                },
            }
        });
        ops
    }

    /// The operation with this id as stored (`Some(None)`: none, or expired), or `None` when it
    /// could not be read here (the bucket not open yet, or a read failed): ask the store then.
    pub async fn get(&self, op_id: &str) -> Option<Option<AsyncOperation>> {
        let kv = self.kv.get()?;
        let span = tracing::info_span!(
            "nats.kv.get",
            otel.name = %format!("get {}", kv.name),
            otel.kind = "client",
            db.system.name = "nats",
            db.operation.name = "get",
            db.collection.name = %kv.name,
        );
        match kv.get(op_id).instrument(span).await {
            Ok(None) => Some(None),
            Ok(Some(bytes)) => match codec::decode(&bytes) {
                Ok(op) => Some(Some(op)),
                Err(e) => {
                    tracing::error!(op_id, error = %e, "undecodable operation record");
                    None
                }
            },
            Err(e) => {
                tracing::warn!(op_id, error = %e, "reading an operation record; asking the store");
                None
            }
        }
    }
}
