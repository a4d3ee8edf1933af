//! A Multi-Region Access Point as the policy-store records it.

use serde::{Deserialize, Serialize};

use crate::{AccountId, Alias, BucketName, MrapName, MrapPolicy, PublicAccessBlock, RegionName};

/// The documented `Status` values of an MRAP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MrapStatus {
    Creating,
    Ready,
    InconsistentAcrossRegions,
    PartiallyCreated,
    PartiallyDeleted,
    Deleting,
}

impl MrapStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MrapStatus::Creating => "CREATING",
            MrapStatus::Ready => "READY",
            MrapStatus::InconsistentAcrossRegions => "INCONSISTENT_ACROSS_REGIONS",
            MrapStatus::PartiallyCreated => "PARTIALLY_CREATED",
            MrapStatus::PartiallyDeleted => "PARTIALLY_DELETED",
            MrapStatus::Deleting => "DELETING",
        }
    }
}

/// One Region of an MRAP: the bucket that serves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MrapRegion {
    pub bucket: BucketName,
    pub region: RegionName,
    pub bucket_account_id: AccountId,
    /// The route's `TrafficDialPercentage`: 0 = passive (no traffic), anything else = active.
    /// Every Region starts active; records written before routes existed read as active.
    #[serde(default = "active_dial")]
    pub traffic_dial_percentage: u8,
}

/// The dial of an active route, which every Region of a new MRAP has.
pub const ACTIVE_DIAL: u8 = 100;

fn active_dial() -> u8 {
    ACTIVE_DIAL
}

impl MrapRegion {
    /// A Region of a new MRAP: its route active.
    pub fn new(bucket: BucketName, region: RegionName, bucket_account_id: AccountId) -> Self {
        Self {
            bucket,
            region,
            bucket_account_id,
            traffic_dial_percentage: ACTIVE_DIAL,
        }
    }

    /// Whether the route takes traffic (a dial of 0 is passive, a standby for failover).
    pub fn is_active(&self) -> bool {
        self.traffic_dial_percentage > 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MrapRecord {
    pub account: AccountId,
    pub name: MrapName,
    pub alias: Alias,
    /// When the create request was received (Unix ms), reported as `CreatedAt`.
    pub created_at: i64,
    pub public_access_block: PublicAccessBlock,
    pub status: MrapStatus,
    pub regions: Vec<MrapRegion>,
    /// Id of the create operation that made this record: lets a redelivered job recognise its own work.
    pub created_by: String,
    /// Id of the delete operation that owns this record while it is being deleted.
    #[serde(default)]
    pub deleting_by: Option<String>,
    #[serde(default)]
    pub policy: MrapPolicy,
}

impl MrapRecord {
    /// `{account}.{name}`: the record's key in the store (both parts are KV-key safe).
    pub fn key(account: &AccountId, name: &MrapName) -> String {
        format!("{account}.{name}")
    }

    /// `arn:aws:s3::{account}:accesspoint/{alias}`.
    pub fn arn(&self) -> String {
        self.alias.arn(&self.account)
    }
}

/// The aliases bucket's value: which MRAP an alias names (kept after the MRAP is deleted, so an
/// alias is never minted twice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasRecord {
    pub account: String,
    pub name: String,
    /// The create operation that minted it.
    pub op_id: String,
}
