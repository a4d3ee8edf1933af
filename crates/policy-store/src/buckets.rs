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
        mraps: Vec::new(),
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

/// Refuses while a live MRAP includes the bucket. Membership references are checked against the
/// MRAP records themselves, so a reference left behind by an interrupted operation never blocks.
pub async fn delete(st: &State, req: DeleteBucket) -> Result<BucketRecord, ApiError> {
    let Some(rec) = kvx::value::<BucketRecord>(&st.buckets, req.name.as_str()).await? else {
        return Err(no_such_bucket());
    };
    for member in &rec.mraps {
        if let Some(mrap) = live_member(st, member, &rec).await? {
            return Err(ApiError::new(
                ErrorCode::InvalidBucketState,
                format!(
                    "The bucket is part of Multi-Region Access Point '{}' and cannot be deleted until that Multi-Region Access Point is deleted.",
                    mrap.name
                ),
            ));
        }
    }
    kvx::modify::<BucketRecord, _>(&st.buckets, req.name.as_str(), |cur| match cur {
        None => Err(no_such_bucket()),
        // Membership changed while we checked it: let the client retry rather than guess.
        Some(b) if b.mraps != rec.mraps => Err(ApiError::new(
            ErrorCode::InvalidBucketState,
            "The bucket's Multi-Region Access Points changed during the request; try again.",
        )),
        Some(_) => Ok(kvx::Change::Delete),
    })
    .await?;
    Ok(rec)
}

async fn live_member(
    st: &State,
    member: &str,
    bucket: &BucketRecord,
) -> Result<Option<MrapRecord>, ApiError> {
    let Some((account, name)) = member.split_once('/') else {
        return Ok(None);
    };
    let mrap: Option<MrapRecord> = kvx::value(&st.mraps, &format!("{account}.{name}")).await?;
    Ok(mrap.filter(|m| m.regions.iter().any(|r| r.bucket == bucket.name)))
}

fn no_such_bucket() -> ApiError {
    ApiError::new(
        ErrorCode::NoSuchBucket,
        "The specified bucket does not exist",
    )
}
