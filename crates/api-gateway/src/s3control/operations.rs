//! Operation records read straight from their KV bucket, and mirrored from a watch of it. Clients
//! poll `DescribeMultiRegionAccessPointOperation` many times per operation: a read through the
//! policy-store only added a NATS hop and its work to each poll, and even a direct read is a round
//! trip through nats-server per poll, while an operation is written three times in its life. The
//! store stays the only writer.
//!
//! The mirror holds what the watch delivered since it started (new writes only: an operation
//! written before is read from KV). Its answers may lag the store by the watch's delivery, as AWS's
//! Describe is eventually consistent too; a watch that stalls without failing could make the lag
//! grow, so an operation that is not terminal is answered from the mirror only for
//! [`LIVE_FOR`] after its delivery, then read again. A terminal operation never changes.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use async_nats::jetstream::kv::{self, Operation};
use futures::StreamExt;
use mrap_model::AsyncOperation;
use mrap_proto::{Namespace, codec, subjects::KvBucket};
use tokio_util::sync::CancellationToken;

use crate::s3control::records::Records;

/// How long a delivered operation that is not terminal answers Describe (GUESSES 33).
const LIVE_FOR: Duration = Duration::from_secs(1);
/// How long a delivered terminal operation does: a bound, so that a record the KV expired (after
/// `MRAP_OPERATION_RETENTION`) is not answered from memory for ever.
const KEEP_FOR: Duration = Duration::from_secs(60);
/// Past this many operations the mirror forgets the ones past their time, or all of them if
/// that leaves more than half.
const MAX_MIRRORED: usize = 16_384;

pub(crate) struct Operations {
    records: Arc<Records>,
    /// What the watch delivered, while it runs; emptied when it ends.
    mirror: Arc<RwLock<HashMap<String, Mirrored>>>,
}

struct Mirrored {
    op: AsyncOperation,
    delivered: Instant,
}

impl Mirrored {
    fn answers(&self, now: Instant) -> bool {
        let time = match self.op.status.is_terminal() {
            true => KEEP_FOR,
            false => LIVE_FOR,
        };
        now.duration_since(self.delivered) < time
    }
}

impl Operations {
    /// Opens the bucket and its watch in the background; until then [`Operations::get`] answers
    /// `None`.
    pub fn start(nats: async_nats::Client, ns: Namespace, shutdown: CancellationToken) -> Self {
        let mirror = Arc::new(RwLock::default());
        let following = mirror.clone();
        let records = Records::open(nats, ns, KvBucket::Ops, shutdown.clone(), |kv| {
            follow(kv, following, shutdown)
        });
        Operations { records, mirror }
    }

    /// The operation with this id (`Some(None)`: none, or expired), from the mirror or read from
    /// KV; `None` when it could not be read here: ask the store then. Says on the request's span
    /// where the answer came from (`mrap.operation.read`).
    pub async fn get(&self, op_id: &str) -> Option<Option<AsyncOperation>> {
        if let Some(op) = self.mirrored(op_id) {
            tracing::Span::current().record("mrap.operation.read", "mirror");
            return Some(Some(op));
        }
        let read = self.records.get(op_id).await;
        if read.is_some() {
            tracing::Span::current().record("mrap.operation.read", "kv");
        }
        read
    }

    /// The operation as the watch delivered it, while that answers (see [`LIVE_FOR`]).
    fn mirrored(&self, op_id: &str) -> Option<AsyncOperation> {
        let mirror = self.mirror.read().unwrap_or_else(|p| p.into_inner());
        let m = mirror.get(op_id)?;
        m.answers(Instant::now()).then(|| m.op.clone())
    }
}

/// Mirrors every write from now on until `shutdown`; a watch that ends is opened again after a
/// pause, the mirror emptied meanwhile (writes may be missed).
async fn follow(
    kv: kv::Store,
    mirror: Arc<RwLock<HashMap<String, Mirrored>>>,
    shutdown: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = follow_once(&kv, &mirror) => {}
        }
        mirror.write().unwrap_or_else(|p| p.into_inner()).clear();
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}

async fn follow_once(kv: &kv::Store, mirror: &RwLock<HashMap<String, Mirrored>>) {
    let mut writes = match kv.watch_all().await {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %e, "could not watch operation records; reading them");
            return;
        }
    };
    while let Some(Ok(e)) = writes.next().await {
        let op = match e.operation {
            Operation::Put => codec::decode::<AsyncOperation>(&e.value).ok(),
            Operation::Delete | Operation::Purge => None,
        };
        let mut mirror = mirror.write().unwrap_or_else(|p| p.into_inner());
        let Some(op) = op else {
            // Gone, or unreadable here: read from KV, which says which.
            mirror.remove(&e.key);
            continue;
        };
        let now = Instant::now();
        if mirror.len() >= MAX_MIRRORED {
            mirror.retain(|_, m| m.answers(now));
            // Room for a while, or none: a sweep that frees a few would run on every write.
            if mirror.len() >= MAX_MIRRORED / 2 {
                mirror.clear();
            }
        }
        mirror.insert(e.key, Mirrored { op, delivered: now });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use mrap_model::{
        AccountId, MrapName, OpPhase, OpStatus, PublicAccessBlock, RequestParams, RequestToken,
    };
    use mrap_proto::jetstream::{self, Durability};

    use super::*;

    fn operation(status: OpStatus) -> AsyncOperation {
        let account = AccountId::parse("000000000000").unwrap();
        let token = RequestToken::for_client_token(account.clone(), "create", "ct");
        AsyncOperation {
            token,
            account,
            created_at: 1,
            updated_at: 1,
            request_id: "R".into(),
            params: RequestParams::Create {
                name: MrapName::parse("mirrored").unwrap(),
                public_access_block: PublicAccessBlock::ALL_ON,
                regions: Vec::new(),
            },
            status,
            phase: OpPhase::Accepted,
            regions: Vec::new(),
            error: None,
        }
    }

    /// Writes reach the mirror, which then answers without a read; an operation that is not
    /// terminal stops answering from it after `LIVE_FOR` (read from KV again), a terminal one
    /// does not.
    #[tokio::test]
    async fn describes_are_answered_from_the_watch_of_the_operations() {
        let server = mrap_testkit::NatsServer::start().unwrap();
        let ns = Namespace::new("mirror.mrap");
        let nats = async_nats::connect(server.url()).await.unwrap();
        let js = async_nats::jetstream::new(nats.clone());
        let kv = jetstream::ensure_kv(
            &js,
            &ns,
            KvBucket::Ops,
            Durability::default(),
            Duration::ZERO,
        )
        .await
        .unwrap();
        let ops = Arc::new(Operations::start(nats, ns, CancellationToken::new()));
        let id = operation(OpStatus::New).token.id;
        let write = |status| {
            let kv = kv.clone();
            async move {
                let bytes = codec::encode(&operation(status)).unwrap();
                kv.put(&operation(status).token.id, bytes).await.unwrap();
            }
        };
        let mirrored_as = |status: OpStatus| {
            let ops = ops.clone();
            let id = id.clone();
            async move {
                for _ in 0..200 {
                    if ops.mirrored(&id).is_some_and(|op| op.status == status) {
                        return true;
                    }
                    // The watch opens after the bucket: keep writing until it delivers.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                false
            }
        };
        for status in [OpStatus::New, OpStatus::InProgress, OpStatus::Succeeded] {
            write(status).await;
            if !mirrored_as(status).await {
                write(status).await;
                assert!(mirrored_as(status).await, "{status:?} never mirrored");
            }
            let read = ops.get(&id).await.unwrap().unwrap();
            assert_eq!(read.status, status);
            tokio::time::sleep(LIVE_FOR + Duration::from_millis(100)).await;
            assert_eq!(
                ops.mirrored(&id).is_some(),
                status.is_terminal(),
                "{status:?} past LIVE_FOR"
            );
            assert_eq!(ops.get(&id).await.unwrap().unwrap().status, status);
        }
    }
}
