//! MRAP records and their life cycle steps (called by the provisioner).
//!
//! Every step is idempotent for the operation that owns it (`created_by` / `deleting_by`), so a
//! job redelivered after a crash replays harmlessly.

use mrap_model::{
    Alias, AliasRecord, ApiError, AsyncOperation, ErrorCode, MrapRecord, MrapStatus, OpPhase,
    RequestParams,
};
use mrap_proto::store::{BeginDelete, ClaimMrap, GetMrap, ListMraps};

use crate::{MAX_MRAPS_PER_ACCOUNT, kvx, listing, membership, ops, state::State};

pub(crate) fn no_such_mrap(name: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NoSuchMultiRegionAccessPoint,
        format!("The specified Multi-Region Access Point '{name}' does not exist"),
    )
}

pub async fn get(st: &State, req: GetMrap) -> Result<MrapRecord, ApiError> {
    kvx::value(&st.mraps, &MrapRecord::key(&req.account, &req.name))
        .await?
        .ok_or_else(|| no_such_mrap(req.name.as_str()))
}

pub async fn list(st: &State, req: ListMraps) -> Result<Vec<MrapRecord>, ApiError> {
    let bucket = st.ns.kv(mrap_proto::subjects::KvBucket::Mraps);
    let mut all: Vec<MrapRecord> =
        listing::latest(&st.js, &bucket, &format!("{}.>", req.account)).await?;
    all.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(all)
}

/// The account's MRAPs, for the quota.
pub async fn count(st: &State, account: &mrap_model::AccountId) -> Result<usize, ApiError> {
    let bucket = st.ns.kv(mrap_proto::subjects::KvBucket::Mraps);
    listing::key_count(&st.js, &bucket, &format!("{account}.>")).await
}

/// The operation behind a step (with its revision), which must not be finished.
pub(crate) async fn live_op(st: &State, op_id: &str) -> Result<(AsyncOperation, u64), ApiError> {
    let (op, rev) = kvx::get::<AsyncOperation>(&st.ops, op_id)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::NoSuchAsyncRequest,
                format!("no operation {op_id}"),
            )
        })?;
    if op.status.is_terminal() {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            format!("operation {op_id} is already {}", op.status.as_str()),
        ));
    }
    Ok((op, rev))
}

pub async fn claim(st: &State, req: ClaimMrap) -> Result<MrapRecord, ApiError> {
    let (op, rev) = live_op(st, &req.op_id).await?;
    let RequestParams::Create {
        name,
        public_access_block,
        ..
    } = &op.params
    else {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "not a create operation",
        ));
    };
    let key = MrapRecord::key(&op.account, name);
    // Independent reads and writes go out together: under load each round trip to JetStream
    // waits in line, and a create's latency is the number of them in a row.
    let (existing, count) = futures::join!(
        kvx::value::<MrapRecord>(&st.mraps, &key),
        count(st, &op.account)
    );
    if let Some(existing) = existing? {
        return adopt_or_refuse(st, (op, rev), existing).await;
    }
    if count? >= MAX_MRAPS_PER_ACCOUNT {
        return Err(ApiError::new(
            ErrorCode::TooManyMultiRegionAccessPoints,
            format!(
                "The account has reached its limit of {MAX_MRAPS_PER_ACCOUNT} Multi-Region Access Points"
            ),
        ));
    }
    let member = MrapRecord::member_ref_of(&op.account, name);
    let memberships = futures::future::try_join_all(
        req.regions
            .iter()
            .map(|r| membership::set(st, r.bucket.as_str(), &member, true)),
    );
    let (alias, _) = futures::try_join!(reserve_alias(st, &op), memberships)?;
    let rec = MrapRecord {
        account: op.account.clone(),
        name: name.clone(),
        alias,
        created_at: op.created_at,
        public_access_block: *public_access_block,
        status: MrapStatus::Creating,
        regions: req.regions.clone(),
        created_by: op.token.id.clone(),
        deleting_by: None,
        policy: Default::default(),
    };
    if !kvx::create(&st.mraps, &key, &rec).await? {
        // Someone else (or a concurrent delivery of this very job) took the name first.
        let existing = kvx::value::<MrapRecord>(&st.mraps, &key)
            .await?
            .ok_or_else(|| no_such_mrap(name.as_str()))?;
        return adopt_or_refuse(st, (op, rev), existing).await;
    }
    ops::under_way(st, (op, rev), OpPhase::Claimed, &rec.regions).await?;
    Ok(rec)
}

async fn adopt_or_refuse(
    st: &State,
    (op, rev): (AsyncOperation, u64),
    existing: MrapRecord,
) -> Result<MrapRecord, ApiError> {
    if existing.created_by == op.token.id {
        ops::under_way(st, (op, rev), OpPhase::Claimed, &existing.regions).await?;
        return Ok(existing);
    }
    Err(ApiError::new(
        ErrorCode::MultiRegionAccessPointAlreadyOwnedByYou,
        format!(
            "A Multi-Region Access Point named '{}' already exists in this account",
            existing.name
        ),
    ))
}

async fn reserve_alias(st: &State, op: &AsyncOperation) -> Result<Alias, ApiError> {
    let rec = AliasRecord {
        account: op.account.to_string(),
        name: op.params.name().to_string(),
        op_id: op.token.id.clone(),
    };
    // 36^12 aliases: a collision is astronomically rare, but a few retries make it impossible to matter.
    for _ in 0..16 {
        let alias = Alias::generate(&mut rand::rng());
        if kvx::create(&st.aliases, alias.as_str(), &rec).await? {
            return Ok(alias);
        }
    }
    Err(ApiError::internal("could not mint a unique alias"))
}

/// A create's last step (every Region is wired): the MRAP is `READY`.
pub async fn ready(st: &State, op: &AsyncOperation) -> Result<(), ApiError> {
    let name = op.params.name();
    let key = MrapRecord::key(&op.account, name);
    kvx::modify::<MrapRecord, _>(&st.mraps, &key, |cur| match cur {
        Some(mut m) if m.created_by == op.token.id => {
            if m.status == MrapStatus::Ready {
                return Ok(kvx::Change::Keep);
            }
            m.status = MrapStatus::Ready;
            Ok(kvx::Change::Put(m))
        }
        _ => Err(no_such_mrap(name.as_str())),
    })
    .await?
    .map(|_| ())
    .ok_or_else(|| no_such_mrap(name.as_str()))
}

/// A failed create leaves no MRAP behind: the record it claimed (if any) goes.
pub async fn abandon(st: &State, op: &AsyncOperation) -> Result<(), ApiError> {
    let key = MrapRecord::key(&op.account, op.params.name());
    let mut removed = None;
    kvx::modify::<MrapRecord, _>(&st.mraps, &key, |cur| match cur {
        Some(m) if m.created_by == op.token.id => {
            removed = Some(m);
            Ok(kvx::Change::Delete)
        }
        _ => Ok(kvx::Change::Keep),
    })
    .await?;
    if let Some(m) = removed {
        drop_memberships(st, &m).await;
    }
    Ok(())
}

pub async fn begin_delete(st: &State, req: BeginDelete) -> Result<MrapRecord, ApiError> {
    let (op, rev) = live_op(st, &req.op_id).await?;
    let name = op.params.name().clone();
    let key = MrapRecord::key(&op.account, &name);
    let rec = kvx::modify::<MrapRecord, _>(&st.mraps, &key, |cur| match cur {
        None => Err(no_such_mrap(name.as_str())),
        Some(m) if m.deleting_by.as_deref() == Some(req.op_id.as_str()) => Ok(kvx::Change::Keep),
        Some(m) if m.status != MrapStatus::Ready => Err(ApiError::new(
            ErrorCode::MultiRegionAccessPointNotReady,
            format!(
                "The Multi-Region Access Point is {} and cannot be deleted now",
                m.status.as_str()
            ),
        )),
        Some(mut m) => {
            m.status = MrapStatus::Deleting;
            m.deleting_by = Some(req.op_id.clone());
            Ok(kvx::Change::Put(m))
        }
    })
    .await?
    .ok_or_else(|| no_such_mrap(name.as_str()))?;
    ops::under_way(st, (op, rev), OpPhase::Claimed, &rec.regions).await?;
    Ok(rec)
}

/// A delete's last step (every Region is unwired): the record goes, and the buckets' membership.
pub async fn remove(st: &State, op: &AsyncOperation) -> Result<(), ApiError> {
    let key = MrapRecord::key(&op.account, op.params.name());
    let mut removed = None;
    kvx::modify::<MrapRecord, _>(&st.mraps, &key, |cur| match cur {
        Some(m) if m.deleting_by.as_deref() == Some(op.token.id.as_str()) => {
            removed = Some(m);
            Ok(kvx::Change::Delete)
        }
        // Already removed by an earlier delivery of this job, or recreated since: not ours.
        _ => Ok(kvx::Change::Keep),
    })
    .await?;
    if let Some(m) = removed {
        drop_memberships(st, &m).await;
    }
    Ok(())
}

/// Best effort: a reference left behind is harmless (bucket deletion checks the MRAP itself).
async fn drop_memberships(st: &State, m: &MrapRecord) {
    let member = m.member_ref();
    futures::future::join_all(m.regions.iter().map(|r| async {
        if let Err(e) = membership::set(st, r.bucket.as_str(), &member, false).await {
            tracing::warn!(bucket = %r.bucket, error = %e, "could not drop MRAP membership");
        }
    }))
    .await;
}
