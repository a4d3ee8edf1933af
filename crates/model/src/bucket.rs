//! A bucket as the policy-store records it.

use serde::{Deserialize, Serialize};

use crate::{AccountId, BucketName, PublicAccessBlock, RegionName, StoredPolicy};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketRecord {
    pub name: BucketName,
    pub region: RegionName,
    pub owner: AccountId,
    pub created_at: i64,
    /// MRAPs (`{account}/{name}`) that include this bucket; a bucket in any of them cannot be deleted.
    #[serde(default)]
    pub mraps: Vec<String>,
    #[serde(default)]
    pub policy: Option<StoredPolicy>,
    /// Bucket-level Block Public Access; `None` when never set (or deleted).
    #[serde(default)]
    pub public_access_block: Option<PublicAccessBlock>,
}
