//! Asynchronous operations (`DescribeMultiRegionAccessPointOperation`) and their state machine.
//!
//! ```text
//! NEW ──provisioner picks the job──▶ IN_PROGRESS ──▶ SUCCEEDED
//!   └──────────────────────────────────────┴────────▶ FAILED (ErrorDetails)
//! ```
//! Terminal states never change again; the store refuses such a transition.

use serde::{Deserialize, Serialize};

use crate::{AccountId, BucketName, MrapName, PublicAccessBlock, RegionName, RequestToken};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OperationKind {
    Create,
    Delete,
    PutPolicy,
}

impl OperationKind {
    /// The `Operation` element value.
    pub fn aws_name(self) -> &'static str {
        match self {
            OperationKind::Create => "CreateMultiRegionAccessPoint",
            OperationKind::Delete => "DeleteMultiRegionAccessPoint",
            OperationKind::PutPolicy => "PutMultiRegionAccessPointPolicy",
        }
    }

    /// The verb in the request-token ARN and in the job subject.
    pub fn verb(self) -> &'static str {
        match self {
            OperationKind::Create => "create",
            OperationKind::Delete => "delete",
            OperationKind::PutPolicy => "put-policy",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OpStatus {
    New,
    InProgress,
    Succeeded,
    Failed,
}

impl OpStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OpStatus::New => "NEW",
            OpStatus::InProgress => "IN_PROGRESS",
            OpStatus::Succeeded => "SUCCEEDED",
            OpStatus::Failed => "FAILED",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, OpStatus::Succeeded | OpStatus::Failed)
    }

    /// Whether `self → next` is a legal step of the state machine (staying put is allowed so that
    /// a redelivered job can repeat a step).
    pub fn can_become(self, next: OpStatus) -> bool {
        match self {
            OpStatus::New => true,
            OpStatus::InProgress => next != OpStatus::New,
            OpStatus::Succeeded | OpStatus::Failed => self == next,
        }
    }
}

/// How far the provisioner got; replays of a job resume from here.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub enum OpPhase {
    /// Nothing done yet.
    #[default]
    Accepted,
    /// The operation holds its MRAP (create: the record exists with `created_by` = this op;
    /// delete: the record is `DELETING` with `deleting_by` = this op).
    Claimed,
}

/// The Regions of a create request, as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestedRegion {
    pub bucket: BucketName,
    #[serde(default)]
    pub bucket_account_id: Option<AccountId>,
}

/// `RequestParameters`: exactly one variant, matching the operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestParams {
    Create {
        name: MrapName,
        public_access_block: PublicAccessBlock,
        regions: Vec<RequestedRegion>,
    },
    Delete {
        name: MrapName,
    },
    PutPolicy {
        name: MrapName,
        policy: String,
    },
}

impl RequestParams {
    pub fn kind(&self) -> OperationKind {
        match self {
            RequestParams::Create { .. } => OperationKind::Create,
            RequestParams::Delete { .. } => OperationKind::Delete,
            RequestParams::PutPolicy { .. } => OperationKind::PutPolicy,
        }
    }

    pub fn name(&self) -> &MrapName {
        match self {
            RequestParams::Create { name, .. }
            | RequestParams::Delete { name }
            | RequestParams::PutPolicy { name, .. } => name,
        }
    }
}

/// Per-Region progress shown under `ResponseDetails/MultiRegionAccessPointDetails/Regions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionProgress {
    pub name: RegionName,
    pub status: OpStatus,
}

/// `ResponseDetails/ErrorDetails`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetails {
    pub code: String,
    pub message: String,
    pub resource: String,
    pub request_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AsyncOperation {
    pub token: RequestToken,
    pub account: AccountId,
    /// When the request was received (Unix ms), reported as `CreationTime`.
    pub created_at: i64,
    pub updated_at: i64,
    /// `x-amz-request-id` of the HTTP request that started it, reported in `ErrorDetails`.
    pub request_id: String,
    pub params: RequestParams,
    pub status: OpStatus,
    #[serde(default)]
    pub phase: OpPhase,
    #[serde(default)]
    pub regions: Vec<RegionProgress>,
    #[serde(default)]
    pub error: Option<ErrorDetails>,
}

impl AsyncOperation {
    pub fn kind(&self) -> OperationKind {
        self.params.kind()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_states_are_final() {
        use OpStatus::*;
        assert!(New.can_become(InProgress));
        assert!(New.can_become(Failed));
        assert!(InProgress.can_become(Succeeded));
        assert!(InProgress.can_become(InProgress));
        assert!(!InProgress.can_become(New));
        assert!(!Succeeded.can_become(Failed));
        assert!(!Failed.can_become(Succeeded));
        assert!(!Succeeded.can_become(InProgress));
        assert!(Succeeded.can_become(Succeeded));
        assert!(Succeeded.is_terminal() && Failed.is_terminal() && !New.is_terminal());
    }

    #[test]
    fn kinds_name_their_wire_forms() {
        assert_eq!(
            OperationKind::Create.aws_name(),
            "CreateMultiRegionAccessPoint"
        );
        assert_eq!(OperationKind::PutPolicy.verb(), "put-policy");
        let p = RequestParams::Delete {
            name: MrapName::parse("abc").unwrap(),
        };
        assert_eq!(p.kind(), OperationKind::Delete);
        assert_eq!(p.name().as_str(), "abc");
    }
}
