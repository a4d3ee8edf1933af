//! MRAP records and their life cycle steps (called by the provisioner).
//!
//! Every step is idempotent for the operation that owns it (`created_by` / `deleting_by`), so a
//! job redelivered after a crash replays harmlessly.

use mrap_model::{ApiError, AsyncOperation, ErrorCode, MrapRecord, MrapStatus, OpPhase};
use mrap_proto::store::{GetMrap, ListMraps, Work};

use crate::{kvx, listing, ops, state::State, tally};

pub async fn get(st: &State, req: GetMrap) -> Result<MrapRecord, ApiError> {
    kvx::value(&st.mraps, &MrapRecord::key(&req.account, &req.name))
        .await?
        .ok_or_else(|| ApiError::no_such_mrap(req.name.as_str()))
}

pub async fn list(st: &State, req: ListMraps) -> Result<Vec<MrapRecord>, ApiError> {
    let bucket = st.ns.kv(mrap_proto::subjects::KvBucket::Mraps);
    let mut all: Vec<MrapRecord> =
        listing::latest(&st.js, &bucket, &format!("{}.>", req.account)).await?;
    all.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(all)
}

/// The account's MRAPs, counted: for the quota, enforced when a create takes its name.
pub async fn count(st: &State, account: &mrap_model::AccountId) -> Result<usize, ApiError> {
    let bucket = st.ns.kv(mrap_proto::subjects::KvBucket::Mraps);
    let n = listing::key_count(&st.js, &bucket, &format!("{account}.>")).await?;
    st.tallies.set(&tally::mraps_of(account), n as u64);
    Ok(n)
}

/// The account's MRAPs as last counted (see `tally`): what a submission is checked against.
pub async fn tally(st: &State, account: &mrap_model::AccountId) -> Result<u64, ApiError> {
    let name = tally::mraps_of(account);
    st.tallies
        .get(&name, || async { Ok(count(st, account).await? as u64) })
        .await
}

/// A create's last step (every Region is wired): the MRAP is `READY`. Only a `CREATING` record
/// changes: a replay may come after a delete began.
pub async fn ready(st: &State, op: &AsyncOperation) -> Result<(), ApiError> {
    let name = op.params.name();
    let key = MrapRecord::key(&op.account, name);
    kvx::modify::<MrapRecord, _>(&st.mraps, &key, |cur| match cur {
        Some(mut m) if m.created_by == op.token.id => {
            if m.status != MrapStatus::Creating {
                return Ok(kvx::Change::Keep);
            }
            m.status = MrapStatus::Ready;
            Ok(kvx::Change::Put(m))
        }
        _ => Err(ApiError::no_such_mrap(name.as_str())),
    })
    .await?
    .map(|_| ())
    .ok_or_else(|| ApiError::no_such_mrap(name.as_str()))
}

/// A failed create leaves no MRAP behind: the record it claimed (if any) goes.
pub async fn abandon(st: &State, op: &AsyncOperation) -> Result<(), ApiError> {
    remove_own(st, op, |m| m.created_by == op.token.id).await
}

/// A delete's first step (see `BeginOp`): the MRAP is `DELETING` for the operation. A replay past
/// it finds the record still its own, or gone (nothing left to unwire).
pub async fn begin_delete(st: &State, (op, rev): (AsyncOperation, u64)) -> Result<Work, ApiError> {
    let op_id = op.token.id.clone();
    let name = op.params.name().clone();
    let key = MrapRecord::key(&op.account, &name);
    if op.phase >= OpPhase::Claimed {
        // An earlier delivery may have got as far as removing it, or it is someone else's by now:
        // either way there is nothing left for this delete to unwire.
        return Ok(match kvx::value::<MrapRecord>(&st.mraps, &key).await? {
            Some(m) if m.deleting_by.as_deref() == Some(op_id.as_str()) => {
                Work::Regions(Box::new(m))
            }
            _ => Work::Nothing,
        });
    }
    let rec = kvx::modify::<MrapRecord, _>(&st.mraps, &key, |cur| match cur {
        None => Err(ApiError::no_such_mrap(name.as_str())),
        Some(m) if m.deleting_by.as_deref() == Some(op_id.as_str()) => Ok(kvx::Change::Keep),
        Some(m) if m.status != MrapStatus::Ready => Err(ApiError::new(
            ErrorCode::MultiRegionAccessPointNotReady,
            format!(
                "The Multi-Region Access Point is {} and cannot be deleted now",
                m.status.as_str()
            ),
        )),
        Some(mut m) => {
            m.status = MrapStatus::Deleting;
            m.deleting_by = Some(op_id.clone());
            Ok(kvx::Change::Put(m))
        }
    })
    .await?
    .ok_or_else(|| ApiError::no_such_mrap(name.as_str()))?;
    ops::under_way(st, (op, rev), OpPhase::Claimed, &rec.regions).await?;
    Ok(Work::Regions(Box::new(rec)))
}

/// A delete's last step (every Region is unwired): the record goes.
/// Already removed by an earlier delivery of this job, or recreated since: not ours, left alone.
pub async fn remove(st: &State, op: &AsyncOperation) -> Result<(), ApiError> {
    remove_own(st, op, |m| {
        m.deleting_by.as_deref() == Some(op.token.id.as_str())
    })
    .await
}

/// Removes the operation's MRAP if `ours` says it is the operation's.
async fn remove_own(
    st: &State,
    op: &AsyncOperation,
    ours: impl Fn(&MrapRecord) -> bool,
) -> Result<(), ApiError> {
    let key = MrapRecord::key(&op.account, op.params.name());
    let mut removed = None;
    kvx::modify::<MrapRecord, _>(&st.mraps, &key, |cur| {
        // Set on every attempt: only the last one, which took effect, counts.
        removed = cur.filter(|m| ours(m));
        Ok(match removed {
            Some(_) => kvx::Change::Delete,
            None => kvx::Change::Keep,
        })
    })
    .await?;
    if let Some(m) = removed {
        st.tallies.add(&tally::mraps_of(&m.account), -1);
    }
    Ok(())
}
