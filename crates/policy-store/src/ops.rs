//! Asynchronous operations: submission (outbox + ClientToken idempotency) and the state machine
//! steps the provisioner drives.

use async_nats::HeaderMap;
use mrap_model::{
    ApiError, AsyncOperation, ErrorCode, ErrorDetails, MrapRegion, OpPhase, OpStatus,
    OperationKind, RegionProgress, RequestParams, RequestToken,
};
use mrap_proto::{
    codec,
    jobs::Job,
    store::{BeginOp, Begun, Failure, FinishOp, GetOp, RequeueStale, SubmitOp, Work},
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tracing::Span;

use crate::{MAX_MRAPS_PER_ACCOUNT, claim, kvx, mraps, policies, state::State, tally};

/// What a `ClientToken` was first used for.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ClientTokenRecord {
    request_hash: String,
    token: RequestToken,
}

/// `created_at` of an operation that is not terminal yet (the outbox sweep's index).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PendingRecord {
    created_at: i64,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn no_such_op() -> ApiError {
    ApiError::new(
        ErrorCode::NoSuchAsyncRequest,
        "The specified async request does not exist",
    )
}

pub async fn submit(st: &State, req: SubmitOp) -> Result<RequestToken, ApiError> {
    let account = req.token.account.clone();
    let verb = req.params.kind().verb();
    let request_hash =
        sha256_hex(&codec::encode(&req.params).map_err(|e| ApiError::internal(e.to_string()))?);
    let ct_key = format!(
        "{account}.{verb}.{}",
        sha256_hex(req.client_token.as_bytes())
    );
    let claim = ClientTokenRecord {
        request_hash: request_hash.clone(),
        token: req.token.clone(),
    };

    // The client token, and the counts the request is checked against, at once (a round trip
    // each; only a create needs the account's MRAPs). A repeated request ignores the counts.
    let is_create = matches!(req.params, RequestParams::Create { .. });
    let (claimed, pending, mraps) = futures::join!(
        kvx::create(&st.client_tokens, &ct_key, &claim),
        st.tallies.get(tally::PENDING, || pending_count(st)),
        async {
            match is_create {
                true => mraps::tally(st, &account).await,
                false => Ok(0),
            }
        }
    );
    if !claimed? {
        let first: ClientTokenRecord =
            kvx::value(&st.client_tokens, &ct_key)
                .await?
                .ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::ClientTokenConflict,
                        "The client token is in use by a request being removed; retry",
                    )
                })?;
        if first.request_hash != request_hash {
            return Err(ApiError::new(
                ErrorCode::ClientTokenConflict,
                "The client token has already been used for a different request",
            ));
        }
        // Same request again: finish whatever the first attempt may not have (it may have
        // crashed after taking the client token) and answer with its token.
        record_and_enqueue(st, &first.token, &req).await?;
        return Ok(first.token);
    }

    // Back-pressure: past the bound the request does not happen (the client token is given
    // back) and the client is told to slow down; what is queued stays queued.
    let pending = pending?;
    if pending >= st.max_pending_operations {
        let _ = kvx::remove(&st.client_tokens, &ct_key).await;
        tracing::warn!(
            pending,
            bound = st.max_pending_operations,
            "submission refused: too many operations pending (SlowDown)"
        );
        return Err(ApiError::new(
            ErrorCode::SlowDown,
            "Please reduce your request rate.",
        ));
    }

    if mraps? >= MAX_MRAPS_PER_ACCOUNT as u64 {
        // Give the client token back: the request did not happen.
        let _ = kvx::remove(&st.client_tokens, &ct_key).await;
        return Err(ApiError::new(
            ErrorCode::TooManyMultiRegionAccessPoints,
            format!(
                "You have reached the limit of {MAX_MRAPS_PER_ACCOUNT} Multi-Region Access Points for this account"
            ),
        ));
    }
    record_and_enqueue(st, &req.token, &req).await?;
    Ok(req.token)
}

/// Operations not terminal yet: the keys of the `pending` KV, read from its stream's subject
/// count (one stream-info request; a key's leftover delete marker, which the purge after a
/// delete normally removes, would count until the next one).
pub async fn pending_count(st: &State) -> Result<u64, ApiError> {
    let info = st
        .pending
        .stream
        .get_info()
        .await
        .map_err(|e| ApiError::internal(format!("pending stream info: {e}")))?;
    Ok(info.state.subjects_count)
}

/// Outbox: the operation and its pending marker are recorded (together) before the job is
/// published, so a crash in between leaves a `NEW` operation that the sweep re-enqueues.
/// Idempotent: a repeated request finds its operation and enqueues its job only while it is `NEW`.
async fn record_and_enqueue(
    st: &State,
    token: &RequestToken,
    req: &SubmitOp,
) -> Result<(), ApiError> {
    let now = mrap_model::time::now_millis();
    let op = AsyncOperation {
        token: token.clone(),
        account: token.account.clone(),
        created_at: now,
        updated_at: now,
        request_id: req.request_id.clone(),
        params: req.params.clone(),
        status: OpStatus::New,
        phase: OpPhase::Accepted,
        regions: Vec::new(),
        error: None,
    };
    let marker = PendingRecord { created_at: now };
    let (created, marked) = futures::join!(
        kvx::create(&st.ops, &token.id, &op),
        kvx::put(&st.pending, &token.id, &marker)
    );
    marked?;
    let op = if created? {
        st.tallies.add(tally::PENDING, 1);
        op
    } else {
        kvx::value(&st.ops, &token.id)
            .await?
            .ok_or_else(no_such_op)?
    };
    match op.status {
        OpStatus::New => publish_job(st, &op).await,
        // A repeat of a finished request: the marker just written must not count as pending.
        OpStatus::Succeeded | OpStatus::Failed => {
            kvx::erase(&st.pending, &token.id).await;
            Ok(())
        }
        OpStatus::InProgress => Ok(()),
    }
}

/// Publishes the job with `Nats-Msg-Id` = op id (JetStream drops duplicates within its window)
/// and the current trace context, and waits for the stream's acknowledgement.
async fn publish_job(st: &State, op: &AsyncOperation) -> Result<(), ApiError> {
    let mut headers = HeaderMap::new();
    headers.insert("Nats-Msg-Id", op.token.id.as_str());
    mrap_proto::trace::inject(&Span::current(), &mut headers);
    let body = codec::encode(&Job {
        op_id: op.token.id.clone(),
    })
    .map_err(|e| ApiError::internal(e.to_string()))?;
    let subject = st.ns.job(op.kind().verb());
    // Repeating the publish is safe: the stream drops a second message with the same
    // `Nats-Msg-Id`. A job the stream still did not take: the operation is recorded and the
    // sweep re-publishes it, and a retry of the request (same ClientToken) finishes it — a 503,
    // not a failure.
    let publish = || async {
        let ack = st
            .js
            .publish_with_headers(subject.clone(), headers.clone(), body.clone())
            .await?;
        ack.await
    };
    kvx::persist(
        "publishing job",
        publish,
        |_: &async_nats::jetstream::context::PublishError| false,
    )
    .await?
    .map_err(|e| kvx::unavailable("job not acknowledged", e))?;
    Ok(())
}

pub async fn get(st: &State, req: GetOp) -> Result<AsyncOperation, ApiError> {
    match kvx::value::<AsyncOperation>(&st.ops, &req.op_id).await? {
        Some(op) if op.account == req.account => Ok(op),
        _ => Err(no_such_op()),
    }
}

/// Applies `f` to a non-terminal operation (terminal ones are returned unchanged). `known`: the
/// operation as just read.
async fn update_op<F>(
    st: &State,
    op_id: &str,
    known: Option<(AsyncOperation, u64)>,
    mut f: F,
) -> Result<AsyncOperation, ApiError>
where
    F: FnMut(&mut AsyncOperation),
{
    kvx::modify_from::<AsyncOperation, _>(&st.ops, op_id, known, |cur| {
        let Some(mut op) = cur else {
            return Err(no_such_op());
        };
        if op.status.is_terminal() {
            return Ok(kvx::Change::Keep);
        }
        let before = op.clone();
        f(&mut op);
        if op == before {
            return Ok(kvx::Change::Keep);
        }
        if !before.status.can_become(op.status) {
            return Err(ApiError::internal(format!(
                "illegal transition {:?} → {:?}",
                before.status, op.status
            )));
        }
        op.updated_at = mrap_model::time::now_millis();
        Ok(kvx::Change::Put(op))
    })
    .await?
    .ok_or_else(no_such_op)
}

/// A job's first step (see [`BeginOp`]): what the kind of operation begins with, unless it has
/// ended. A refusal fails the operation (through `FinishOp`) with the MRAP's name as its resource,
/// unless the step named another (a bucket).
pub async fn begin(st: &State, req: BeginOp) -> Result<Begun, ApiError> {
    let known = kvx::get::<AsyncOperation>(&st.ops, &req.op_id)
        .await?
        .ok_or_else(no_such_op)?;
    let kind = known.0.kind();
    if known.0.status.is_terminal() {
        return Ok(Begun {
            kind,
            work: Work::Ended,
        });
    }
    let name = known.0.params.name().to_string();
    let step = match kind {
        OperationKind::Create => claim::claim(st, known, &req.served_regions).await,
        OperationKind::Delete => mraps::begin_delete(st, known).await,
        OperationKind::PutPolicy => policies::propose(st, known).await,
    };
    let work = match step {
        Ok(work) => work,
        Err(e) => Work::Refused(as_failure(e, &name)?),
    };
    Ok(Begun { kind, work })
}

/// A step's refusal as the operation's failure, naming `resource`; an error that says nothing
/// about the request (`ApiError::is_retryable`) stays an error, and the job is retried.
fn as_failure(e: ApiError, resource: &str) -> Result<Failure, ApiError> {
    if e.is_retryable() {
        return Err(e);
    }
    Ok(Failure {
        code: e.code,
        message: e.message,
        resource: resource.to_owned(),
    })
}

/// An operation's first step took effect (one write): it is `IN_PROGRESS`, at `phase` at least,
/// and each of `regions` is shown `IN_PROGRESS` until the operation ends. The Regions are worked
/// on at once, so per-Region steps would only cost a write each without telling the client more.
pub async fn under_way(
    st: &State,
    known: (AsyncOperation, u64),
    phase: OpPhase,
    regions: &[MrapRegion],
) -> Result<AsyncOperation, ApiError> {
    let op_id = known.0.token.id.clone();
    update_op(st, &op_id, Some(known), |op| {
        if op.status == OpStatus::New {
            op.status = OpStatus::InProgress;
        }
        op.phase = op.phase.max(phase);
        for r in regions {
            if !op.regions.iter().any(|p| p.name == r.region) {
                op.regions.push(RegionProgress {
                    name: r.region.clone(),
                    status: OpStatus::InProgress,
                });
            }
        }
    })
    .await
}

/// Ends an operation. Its own last change comes first (create: the MRAP is `READY`, or removed if
/// the create failed; delete: the record goes; put-policy: the policy is established), then the
/// operation is marked terminal, so a crash in between replays that change, which is idempotent.
/// A refusal of that change (say, the MRAP is no longer this operation's) fails the operation.
///
/// A success starts from the operation as this process last wrote it (its first step, as a rule)
/// without reading it again: a stale copy cannot make it wrong, since the last change only touches
/// what the operation owns and is idempotent, and the final write is checked against the
/// revision. A failure reads it fresh: it removes a create's MRAP, which must never happen to an
/// operation that has already ended.
pub async fn finish(st: &State, req: FinishOp) -> Result<AsyncOperation, ApiError> {
    let remembered = match req.outcome {
        Ok(()) => kvx::last_known::<AsyncOperation>(&st.ops, &req.op_id),
        Err(_) => None,
    };
    let verified = remembered.is_none();
    let (op, rev) = match remembered {
        Some(known) => known,
        None => kvx::get::<AsyncOperation>(&st.ops, &req.op_id)
            .await?
            .ok_or_else(no_such_op)?,
    };
    if op.status.is_terminal() {
        kvx::erase(&st.pending, &req.op_id).await;
        return Ok(op);
    }
    let outcome = match req.outcome {
        Ok(()) => match conclude(st, &op).await {
            Ok(()) => Ok(()),
            Err(e) => Err(as_failure(e, op.params.name().as_str())?),
        },
        Err(f) => Err(f),
    };
    if outcome.is_err() && op.kind() == OperationKind::Create {
        mraps::abandon(st, &op).await?;
    }
    // The pending marker goes at the same time: only `NEW` operations are swept, so a marker
    // missing while the update is retried costs nothing but a moment of the pending count.
    let (op, ()) = futures::join!(
        // A remembered copy is not passed on as read: the change treats it as unverified.
        update_op(st, &req.op_id, verified.then_some((op, rev)), |op| {
            op.status = match outcome {
                Ok(()) => OpStatus::Succeeded,
                Err(_) => OpStatus::Failed,
            };
            for r in &mut op.regions {
                r.status = op.status;
            }
            if let Err(f) = &outcome {
                op.error = Some(ErrorDetails {
                    code: f.code.aws_code().to_owned(),
                    message: f.message.clone(),
                    resource: f.resource.clone(),
                    request_id: op.request_id.clone(),
                });
            }
        }),
        kvx::erase(&st.pending, &req.op_id)
    );
    if op.is_ok() {
        st.tallies.add(tally::PENDING, -1);
    }
    op
}

/// The last change a successful operation makes to its MRAP.
async fn conclude(st: &State, op: &AsyncOperation) -> Result<(), ApiError> {
    match op.kind() {
        OperationKind::Create => mraps::ready(st, op).await,
        OperationKind::Delete => mraps::remove(st, op).await,
        OperationKind::PutPolicy => policies::establish(st, op).await,
    }
}

pub async fn requeue_stale(st: &State, req: RequeueStale) -> Result<u32, ApiError> {
    let bucket = st.ns.kv(mrap_proto::subjects::KvBucket::Pending);
    let keys: Vec<String> = {
        use futures::TryStreamExt;
        let keys = st
            .pending
            .keys()
            .await
            .map_err(|e| ApiError::internal(format!("pending keys: {e}")))?;
        keys.try_collect()
            .await
            .map_err(|e| ApiError::internal(format!("pending keys: {e}")))?
    };
    let cutoff = mrap_model::time::now_millis() - req.older_than_ms;
    let mut requeued = 0;
    for id in keys {
        let Some(op) = kvx::value::<AsyncOperation>(&st.ops, &id).await? else {
            continue;
        };
        if op.status.is_terminal() {
            kvx::erase(&st.pending, &id).await;
        } else if op.status == OpStatus::New && op.created_at < cutoff {
            publish_job(st, &op).await?;
            requeued += 1;
        }
    }
    if requeued > 0 {
        tracing::warn!(
            requeued,
            bucket,
            "re-enqueued operations whose job was lost"
        );
    }
    Ok(requeued)
}
