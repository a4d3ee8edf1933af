//! Bucket records: name → Region and owner. Bucket names are global, as on S3.

use mrap_model::{ApiError, BucketRecord, ErrorCode, MrapRecord};
use mrap_proto::store::{CreateBucket, DeleteBucket, GetBucket, ListBuckets};

use crate::{kvx, listing, state::State};

pub async fn create(st: &State, req: CreateBucket) -> Result<BucketRecord, ApiError> {
    let rec = BucketRecord {
        name: req.name.clone(),
        region: req.region,
        owner: req.owner.clone(),
        created_at: mrap_model::time::now_millis(),
        deleting_since: None,
        policy: None,
        public_access_block: None,
    };
    if kvx::create(&st.buckets, req.name.as_str(), &rec).await? {
        return Ok(rec);
    }
    let existing: Option<BucketRecord> = kvx::value(&st.buckets, req.name.as_str()).await?;
    Err(match existing {
        Some(b) if b.owner == req.owner => ApiError::new(
            ErrorCode::BucketAlreadyOwnedByYou,
            "Your previous request to create the named bucket succeeded and you already own it.",
        ),
        _ => ApiError::new(
            ErrorCode::BucketAlreadyExists,
            "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
        ),
    })
}

pub async fn get(st: &State, req: GetBucket) -> Result<Option<BucketRecord>, ApiError> {
    kvx::value(&st.buckets, req.name.as_str()).await
}

pub async fn list(st: &State, req: ListBuckets) -> Result<Vec<BucketRecord>, ApiError> {
    let bucket = st.ns.kv(mrap_proto::subjects::KvBucket::Buckets);
    let mut all: Vec<BucketRecord> = listing::latest(&st.js, &bucket, ">").await?;
    all.retain(|b| b.owner == req.owner);
    all.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(all)
}

/// How long a DeleteBucket's mark keeps creates away: one older than this was left by a store that
/// stopped in the middle of a delete, and is ignored.
pub const DELETE_MARK_HOLDS_MS: i64 = 30_000;

/// Whether a bucket is being deleted (see [`delete`]) at `now`.
pub fn being_deleted(b: &BucketRecord, now: i64) -> bool {
    b.deleting_since
        .is_some_and(|since| now - since < DELETE_MARK_HOLDS_MS)
}

/// Refuses while an MRAP (in any state) includes the bucket. The MRAPs a bucket belongs to are
/// in their own records, found by reading them all (a bucket delete is rare; an MRAP create or
/// delete is not, and no longer writes its buckets' records).
///
/// A create that read the bucket before this began may write its MRAP after the reading: so the
/// bucket is first marked deleting, and a create checks its buckets again after writing its MRAP
/// (`claim`). Either the create sees the mark and gives the bucket up, or its MRAP was written
/// before the check reads the MRAPs, which then finds it.
pub async fn delete(st: &State, req: DeleteBucket) -> Result<BucketRecord, ApiError> {
    let name = req.name.as_str();
    let now = mrap_model::time::now_millis();
    let marked = kvx::modify::<BucketRecord, _>(&st.buckets, name, |cur| match cur {
        None => Err(ApiError::no_such_bucket()),
        Some(mut b) => {
            b.deleting_since = Some(now);
            Ok(kvx::Change::Put(b))
        }
    })
    .await?
    .ok_or_else(ApiError::no_such_bucket)?;
    let including = match mrap_including(st, &marked).await {
        Ok(None) => None,
        Ok(Some(mrap)) => Some(ApiError::new(
            ErrorCode::InvalidBucketState,
            format!(
                "The bucket is part of Multi-Region Access Point '{}' and cannot be deleted until that Multi-Region Access Point is deleted.",
                mrap.name
            ),
        )),
        Err(e) => Some(e),
    };
    if let Some(refusal) = including {
        unmark(st, name, now).await;
        return Err(refusal);
    }
    kvx::modify::<BucketRecord, _>(&st.buckets, name, |cur| match cur {
        None => Err(ApiError::no_such_bucket()),
        Some(b) if b.deleting_since == Some(now) => Ok(kvx::Change::Delete),
        // Another delete marked it since: it decides.
        Some(_) => Err(ApiError::new(
            ErrorCode::OperationAborted,
            "A conflicting conditional operation is currently in progress against this resource. Please try again.",
        )),
    })
    .await?;
    Ok(marked)
}

/// The first MRAP, of any account, that includes the bucket.
async fn mrap_including(st: &State, bucket: &BucketRecord) -> Result<Option<MrapRecord>, ApiError> {
    let all = st.ns.kv(mrap_proto::subjects::KvBucket::Mraps);
    let mraps: Vec<MrapRecord> = listing::latest(&st.js, &all, ">").await?;
    Ok(mraps
        .into_iter()
        .find(|m| m.regions.iter().any(|r| r.bucket == bucket.name)))
}

/// Takes this delete's mark off (best effort: a mark left behind expires).
async fn unmark(st: &State, name: &str, mark: i64) {
    let unmarked = kvx::modify::<BucketRecord, _>(&st.buckets, name, |cur| match cur {
        Some(mut b) if b.deleting_since == Some(mark) => {
            b.deleting_since = None;
            Ok(kvx::Change::Put(b))
        }
        _ => Ok(kvx::Change::Keep),
    })
    .await;
    if let Err(e) = unmarked {
        tracing::warn!(bucket = name, error = %e, "could not take a delete mark off");
    }
}
