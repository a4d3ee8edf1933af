//! Asynchronous operations: submission (the job is the outbox, the record is the `ClientToken`'s
//! claim) and the state machine steps the provisioner drives.

use async_nats::HeaderMap;
use mrap_model::{
    ApiError, AsyncOperation, ErrorCode, ErrorDetails, MrapRegion, OpPhase, OpStatus,
    OperationKind, RegionProgress, RequestParams, RequestToken,
};
use mrap_proto::{
    codec,
    jobs::Job,
    store::{BeginOp, Begun, Failure, FinishOp, GetOp, SubmitOp, Work},
};
use tracing::Span;

use crate::{MAX_MRAPS_PER_ACCOUNT, claim, kvx, mraps, policies, state::State, tally};

fn no_such_op() -> ApiError {
    ApiError::new(
        ErrorCode::NoSuchAsyncRequest,
        "The specified async request does not exist",
    )
}

/// Records the operation and publishes its job at once: one round trip. Whichever lands first,
/// nothing is lost. A job without its record records it (`begin`, from the job's copy); a record
/// without its job is an operation nobody was told of (the store stopped before answering), which
/// its client's retry enqueues and which otherwise expires unseen, holding nothing: an operation
/// takes its MRAP's name only when its job begins.
pub async fn submit(st: &State, req: SubmitOp) -> Result<RequestToken, ApiError> {
    let token = RequestToken::for_client_token(
        req.account.clone(),
        req.params.kind().verb(),
        &req.client_token,
    );
    // The counts the request is checked against: kept between recounts, a round trip at most
    // every `tally::RECOUNT` (only a create needs the account's MRAPs).
    let is_create = matches!(req.params, RequestParams::Create { .. });
    let (pending, mraps) = futures::join!(
        st.tallies.get(tally::PENDING, || pending_count(st)),
        async {
            match is_create {
                true => mraps::tally(st, &req.account).await,
                false => Ok(0),
            }
        }
    );
    // Back-pressure: past the bound the request does not happen and the client is told to slow
    // down; what is queued stays queued. The quota likewise. A request sent again with its client
    // token is not a new one: it gets its operation's token whatever the counts.
    let refusal = if pending? >= st.max_pending_operations {
        Some(ApiError::new(
            ErrorCode::SlowDown,
            "Please reduce your request rate.",
        ))
    } else if mraps? >= MAX_MRAPS_PER_ACCOUNT as u64 {
        Some(ApiError::new(
            ErrorCode::TooManyMultiRegionAccessPoints,
            format!(
                "You have reached the limit of {MAX_MRAPS_PER_ACCOUNT} Multi-Region Access Points for this account"
            ),
        ))
    } else {
        None
    };
    if let Some(refusal) = refusal {
        return match kvx::value::<AsyncOperation>(&st.ops, &token.id).await? {
            Some(first) => same_request(first, &req),
            None => {
                if refusal.code == ErrorCode::SlowDown {
                    tracing::warn!(
                        bound = st.max_pending_operations,
                        "submission refused: too many operations pending (SlowDown)"
                    );
                }
                Err(refusal)
            }
        };
    }

    let now = mrap_model::time::now_millis();
    let op = AsyncOperation {
        token: token.clone(),
        account: req.account.clone(),
        created_at: now,
        updated_at: now,
        request_id: req.request_id.clone(),
        params: req.params.clone(),
        status: OpStatus::New,
        phase: OpPhase::Accepted,
        regions: Vec::new(),
        error: None,
    };
    let (published, created) =
        futures::join!(publish_job(st, &op), kvx::create(&st.ops, &token.id, &op));
    if created? {
        published?;
        st.tallies.add(tally::PENDING, 1);
        return Ok(token);
    }
    // The client token was used before: for this request (its job was just published again, and
    // JetStream dropped it as a duplicate unless the first one is long done), or for another.
    let first = kvx::value::<AsyncOperation>(&st.ops, &token.id)
        .await?
        .ok_or_else(ApiError::unavailable)?;
    same_request(first, &req)
}

/// The token of `first` if `req` is the request that started it, else `ClientTokenConflict`.
fn same_request(first: AsyncOperation, req: &SubmitOp) -> Result<RequestToken, ApiError> {
    if first.params != req.params {
        return Err(ApiError::new(
            ErrorCode::ClientTokenConflict,
            "The client token has already been used for a different request",
        ));
    }
    Ok(first.token)
}

/// Operations not terminal yet, as the jobs in the work queue (one stream-info request). A job
/// leaves the queue once the provisioner has ended its operation.
pub async fn pending_count(st: &State) -> Result<u64, ApiError> {
    let info = st
        .jobs
        .get_info()
        .await
        .map_err(|e| kvx::unavailable("jobs stream info", e))?;
    Ok(info.state.messages)
}

/// Publishes the job with `Nats-Msg-Id` = op id (JetStream drops duplicates within its window)
/// and the current trace context, and waits for the stream's acknowledgement.
async fn publish_job(st: &State, op: &AsyncOperation) -> Result<(), ApiError> {
    let mut headers = HeaderMap::new();
    headers.insert("Nats-Msg-Id", op.token.id.as_str());
    mrap_proto::trace::inject(&Span::current(), &mut headers);
    let body = codec::encode(&Job {
        op_id: op.token.id.clone(),
        submitted: Some(Box::new(op.clone())),
    })
    .map_err(|e| ApiError::internal(e.to_string()))?;
    let subject = st.ns.job(op.kind().verb());
    // Repeating the publish is safe: the stream drops a second message with the same
    // `Nats-Msg-Id`. A job the stream still did not take: the request gets a 503, and its retry
    // (same ClientToken) publishes it again.
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
    let known = match kvx::get::<AsyncOperation>(&st.ops, &req.op_id).await? {
        Some(known) => known,
        None => record_submitted(st, req.submitted).await?,
    };
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

/// The job's copy of an operation its submission did not get to record (see `submit`); recorded
/// now, unless it is there after all.
async fn record_submitted(
    st: &State,
    submitted: Option<Box<AsyncOperation>>,
) -> Result<(AsyncOperation, u64), ApiError> {
    let op = *submitted.ok_or_else(no_such_op)?;
    if kvx::create(&st.ops, &op.token.id, &op).await? {
        tracing::warn!(op_id = %op.token.id, "recorded an operation from its job: its submission stopped before recording it");
    }
    // Read back either way (a rare path): the revision the first step's writes are checked against.
    kvx::get::<AsyncOperation>(&st.ops, &op.token.id)
        .await?
        .ok_or_else(no_such_op)
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
    // A remembered copy is not passed on as read: the change treats it as unverified.
    let op = update_op(st, &req.op_id, verified.then_some((op, rev)), |op| {
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
    })
    .await;
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
