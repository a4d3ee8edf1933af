//! A bucket as the policy-store records it.

use serde::{Deserialize, Serialize};

use crate::{AccountId, BucketName, PublicAccessBlock, RegionName, StoredPolicy};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketRecord {
    pub name: BucketName,
    pub region: RegionName,
    pub owner: AccountId,
    pub created_at: i64,
    /// When a DeleteBucket began checking that no MRAP includes the bucket (ms since the epoch):
    /// until it ends, a create that takes the bucket is refused (see the policy-store's
    /// `buckets::delete`). The MRAPs that include a bucket are found in their own records.
    #[serde(default)]
    pub deleting_since: Option<i64>,
    #[serde(default)]
    pub policy: Option<StoredPolicy>,
    /// Bucket-level Block Public Access; `None` when never set (or deleted).
    #[serde(default)]
    pub public_access_block: Option<PublicAccessBlock>,
}
