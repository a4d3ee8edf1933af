//! A create's first step: look its buckets up, take the name, check the buckets again, and mark
//! the operation under way.

use std::collections::HashSet;

use mrap_model::{
    Alias, AliasRecord, ApiError, AsyncOperation, BucketName, BucketRecord, ErrorCode, MrapRecord,
    MrapRegion, MrapStatus, OpPhase, RegionName, RequestParams, RequestedRegion,
};
use mrap_proto::store::{Failure, Work};

use crate::{MAX_MRAPS_PER_ACCOUNT, buckets, kvx, mraps, ops, state::State, tally};

/// Creates the record `CREATING` for the operation (see `BeginOp`). A replay returns the record
/// the operation made; a name held by another operation is `MultiRegionAccessPointAlreadyOwnedByYou`.
/// Whichever way the record came, its buckets are checked again once it exists (see
/// `buckets::delete`): a bucket gone or being deleted refuses the create, whose MRAP the
/// operation's end then removes.
pub async fn claim(
    st: &State,
    (op, rev): (AsyncOperation, u64),
    served: &[RegionName],
) -> Result<Work, ApiError> {
    let rec = match take_name(st, &op, served).await? {
        Ok(rec) => rec,
        Err(refused) => return Ok(Work::Refused(refused)),
    };
    let under_way = op.phase < OpPhase::Claimed;
    let mark = async {
        if under_way {
            ops::under_way(st, (op.clone(), rev), OpPhase::Claimed, &rec.regions).await?;
        }
        Ok::<_, ApiError>(())
    };
    let (still, marked) = futures::join!(still_there(st, &rec.regions), mark);
    marked?;
    Ok(match still? {
        Ok(()) => Work::Regions(Box::new(rec)),
        Err(refused) => Work::Refused(refused),
    })
}

/// The operation's MRAP record: written now, or found written by an earlier delivery of its job.
async fn take_name(
    st: &State,
    op: &AsyncOperation,
    served: &[RegionName],
) -> Result<Result<MrapRecord, Failure>, ApiError> {
    let RequestParams::Create {
        name,
        public_access_block,
        regions: requested,
    } = &op.params
    else {
        return Err(ApiError::internal("not a create operation"));
    };
    let key = MrapRecord::key(&op.account, name);
    if op.phase >= OpPhase::Claimed {
        // A replay past the claim: the record this operation made, unless it was replaced.
        let m = kvx::value::<MrapRecord>(&st.mraps, &key)
            .await?
            .ok_or_else(|| ApiError::no_such_mrap(name.as_str()))?;
        if m.created_by != op.token.id {
            return Err(ApiError::new(
                ErrorCode::MultiRegionAccessPointModifiedByAnotherRequest,
                "The Multi-Region Access Point was replaced by another request",
            ));
        }
        return Ok(Ok(m));
    }
    // Every read at once: under load each round trip to JetStream waits in line, and a create's
    // latency is the number of them in a row. Whether the name is taken is not read unless the
    // create is refused: the record's creation finds out (an alias reserved for a taken name is
    // wasted, harmlessly: aliases are never reused anyway).
    let (count, resolved) = futures::join!(
        mraps::count(st, &op.account),
        resolve_buckets(st, op, requested, served)
    );
    let (count, resolved) = (count?, resolved?);
    if resolved.is_err() || count >= MAX_MRAPS_PER_ACCOUNT {
        // A name taken (by another operation, or by this one on an earlier delivery) is reported
        // before any bucket problem or the quota.
        if let Some(existing) = kvx::value::<MrapRecord>(&st.mraps, &key).await? {
            return ours_or_refuse(op, existing);
        }
    }
    let regions = match resolved {
        Ok(regions) => regions,
        Err(refused) => return Ok(Err(refused)),
    };
    if count >= MAX_MRAPS_PER_ACCOUNT {
        return Err(ApiError::new(
            ErrorCode::TooManyMultiRegionAccessPoints,
            format!(
                "The account has reached its limit of {MAX_MRAPS_PER_ACCOUNT} Multi-Region Access Points"
            ),
        ));
    }
    let rec = MrapRecord {
        account: op.account.clone(),
        name: name.clone(),
        alias: reserve_alias(st, op).await?,
        created_at: op.created_at,
        public_access_block: *public_access_block,
        status: MrapStatus::Creating,
        regions,
        created_by: op.token.id.clone(),
        deleting_by: None,
        policy: Default::default(),
    };
    if !kvx::create(&st.mraps, &key, &rec).await? {
        // Someone else (or a concurrent delivery of this very job) took the name first.
        let existing = kvx::value::<MrapRecord>(&st.mraps, &key)
            .await?
            .ok_or_else(|| ApiError::no_such_mrap(name.as_str()))?;
        return ours_or_refuse(op, existing);
    }
    st.tallies.add(&tally::mraps_of(&rec.account), 1);
    Ok(Ok(rec))
}

/// The record, if the operation wrote it; else the name is another's.
fn ours_or_refuse(
    op: &AsyncOperation,
    existing: MrapRecord,
) -> Result<Result<MrapRecord, Failure>, ApiError> {
    if existing.created_by == op.token.id {
        return Ok(Ok(existing));
    }
    Err(ApiError::new(
        ErrorCode::MultiRegionAccessPointAlreadyOwnedByYou,
        format!(
            "A Multi-Region Access Point named '{}' already exists in this account",
            existing.name
        ),
    ))
}

/// Every bucket of the MRAP is still the one its record names (same Region, same owner) and is
/// not being deleted.
async fn still_there(st: &State, regions: &[MrapRegion]) -> Result<Result<(), Failure>, ApiError> {
    let now = mrap_model::time::now_millis();
    let reads = look_up(st, regions.iter().map(|r| &r.bucket)).await?;
    for (r, bucket) in regions.iter().zip(reads) {
        let refusal = match bucket {
            Some(b) if b.region != r.region || b.owner != r.bucket_account_id => {
                no_such_bucket(r.bucket.as_str())
            }
            Some(b) if buckets::being_deleted(&b, now) => being_deleted(r.bucket.as_str()),
            Some(_) => continue,
            None => no_such_bucket(r.bucket.as_str()),
        };
        return Ok(Err(refusal));
    }
    Ok(Ok(()))
}

/// The records of `buckets`, in order, read all at once (up to 20 Regions).
async fn look_up(
    st: &State,
    buckets: impl Iterator<Item = &BucketName>,
) -> Result<Vec<Option<BucketRecord>>, ApiError> {
    futures::future::try_join_all(buckets.map(|b| kvx::value(&st.buckets, b.as_str()))).await
}

fn no_such_bucket(bucket: &str) -> Failure {
    let e = ApiError::no_such_bucket();
    Failure {
        code: e.code,
        message: e.message,
        resource: bucket.to_owned(),
    }
}

fn being_deleted(bucket: &str) -> Failure {
    Failure {
        code: ErrorCode::InvalidBucketState,
        message: format!("The bucket '{bucket}' is being deleted"),
        resource: bucket.to_owned(),
    }
}

/// Looks every bucket up: it must exist, belong to the stated account (the caller's by default),
/// sit in a served Region, and no two buckets may share a Region. A refusal names the bucket.
async fn resolve_buckets(
    st: &State,
    op: &AsyncOperation,
    requested: &[RequestedRegion],
    served: &[RegionName],
) -> Result<Result<Vec<MrapRegion>, Failure>, ApiError> {
    // The checks below go in request order, so the refusal is the first bucket's that fails, as
    // with one lookup after another.
    let lookups = look_up(st, requested.iter().map(|r| &r.bucket)).await?;
    let refuse = |code, message: String, r: &RequestedRegion| {
        Ok(Err(Failure {
            code,
            message,
            resource: r.bucket.to_string(),
        }))
    };
    let now = mrap_model::time::now_millis();
    let mut out = Vec::with_capacity(requested.len());
    let mut seen = HashSet::new();
    for (r, bucket) in requested.iter().zip(lookups) {
        let Some(bucket) = bucket else {
            return Ok(Err(no_such_bucket(r.bucket.as_str())));
        };
        if buckets::being_deleted(&bucket, now) {
            return Ok(Err(being_deleted(r.bucket.as_str())));
        }
        let expected_owner = r.bucket_account_id.as_ref().unwrap_or(&op.account);
        if &bucket.owner != expected_owner {
            return refuse(
                ErrorCode::AccessDenied,
                format!(
                    "Bucket '{}' is not owned by account {expected_owner}",
                    r.bucket
                ),
                r,
            );
        }
        if !served.contains(&bucket.region) {
            return refuse(
                ErrorCode::MultiRegionAccessPointUnsupportedRegion,
                format!(
                    "Region {} of bucket '{}' is not supported for Multi-Region Access Points",
                    bucket.region, r.bucket
                ),
                r,
            );
        }
        if !seen.insert(bucket.region.clone()) {
            return refuse(
                ErrorCode::MultiRegionAccessPointSameBucketRegion,
                format!(
                    "More than one bucket is in Region {}; a Multi-Region Access Point takes one bucket per Region",
                    bucket.region
                ),
                r,
            );
        }
        out.push(MrapRegion::new(bucket.name, bucket.region, bucket.owner));
    }
    Ok(Ok(out))
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
