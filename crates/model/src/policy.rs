//! Resource policies as stored: the text, and what validation said about it.

use serde::{Deserialize, Serialize};

use crate::{AccountId, PublicAccessBlock};

/// One validation finding kept with a stored policy (the full Access Analyzer shape is produced
/// on demand by `mrap-policy`; the store keeps what explains a decision later).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFinding {
    /// `ERROR`, `SECURITY_WARNING`, `WARNING` or `SUGGESTION`.
    pub finding_type: String,
    pub issue_code: String,
    pub details: String,
}

/// A policy document with its findings and whether it grants public access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPolicy {
    pub text: String,
    pub is_public: bool,
    #[serde(default)]
    pub findings: Vec<StoredFinding>,
}

/// An MRAP's policy: `Proposed` is the latest put; it becomes `Established` once every Region has
/// applied it. There is no delete: a deny-all policy is the way to shut an MRAP.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MrapPolicy {
    pub established: Option<StoredPolicy>,
    pub proposed: Option<StoredPolicy>,
}

/// Account-wide settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRecord {
    pub account: AccountId,
    /// Account-level Block Public Access; `None` when never set (or deleted).
    #[serde(default)]
    pub public_access_block: Option<PublicAccessBlock>,
}
