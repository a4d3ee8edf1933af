//! Operation records read straight from their KV bucket. Clients poll
//! `DescribeMultiRegionAccessPointOperation` many times per operation, and a read through the
//! policy-store only added a NATS hop and its work to each poll; the store stays the only writer.

use std::sync::{
    Arc, RwLock,
    atomic::{AtomicBool, Ordering},
};

use async_nats::jetstream::{self as js, kv};
use mrap_model::AsyncOperation;
use mrap_proto::{Namespace, codec, jetstream, subjects::KvBucket};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

pub(crate) struct Operations {
    js: js::Context,
    ns: Namespace,
    /// Set once the bucket is open (the policy-store creates it).
    kv: RwLock<Option<Arc<kv::Store>>>,
    /// A re-open is under way.
    reopening: AtomicBool,
}

impl Operations {
    /// Opens the bucket in the background; until then [`Operations::get`] answers `None`.
    pub fn start(
        nats: async_nats::Client,
        ns: Namespace,
        shutdown: CancellationToken,
    ) -> Arc<Self> {
        let ops = Arc::new(Operations {
            js: js::new(nats),
            ns,
            kv: RwLock::new(None),
            reopening: AtomicBool::new(true),
        });
        let opening = ops.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = shutdown.cancelled() => {}
                opened = jetstream::open_kv(&opening.js, &opening.ns, KvBucket::Ops) => match opened {
                    Ok(kv) => opening.set(kv),
                    Err(e) => tracing::error!(error = %e, "operation records unreadable here; asking the store"),
                },
            }
        });
        ops
    }

    fn set(&self, kv: kv::Store) {
        *self.kv.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(kv));
        self.reopening.store(false, Ordering::Release);
    }

    /// The operation with this id as stored (`Some(None)`: none, or expired), or `None` when it
    /// could not be read here (the bucket not open yet, or a read failed): ask the store then.
    pub async fn get(self: &Arc<Self>, op_id: &str) -> Option<Option<AsyncOperation>> {
        let kv = self.kv.read().unwrap_or_else(|p| p.into_inner()).clone()?;
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
                // The handle reads the way the stream allowed when it was opened; the store may
                // have changed that since (direct gets are turned off on a cluster), so open it
                // again. This request asks the store.
                tracing::warn!(op_id, error = %e, "reading an operation record; opening it again");
                self.reopen();
                None
            }
        }
    }

    fn reopen(self: &Arc<Self>) {
        if self.reopening.swap(true, Ordering::AcqRel) {
            return;
        }
        let ops = self.clone();
        tokio::spawn(async move {
            match ops.js.get_key_value(ops.ns.kv(KvBucket::Ops)).await {
                Ok(kv) => ops.set(kv),
                Err(e) => {
                    tracing::warn!(error = %e, "opening the operation records again");
                    ops.reopening.store(false, Ordering::Release);
                }
            }
        });
    }
}
