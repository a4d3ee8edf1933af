//! mrap-model: the domain vocabulary shared by every service. Pure: no I/O, no async.
//!
//! Identifiers validate themselves on construction (`parse`), so a value of one of these types is
//! always well-formed; records are plain serde structs stored in JetStream KV and carried over NATS.

pub mod bpa;
pub mod bucket;
pub mod error;
pub mod identity;
pub mod ids;
pub mod mrap;
pub mod operation;
pub mod policy;
pub mod regions;
pub mod time;

pub use bpa::PublicAccessBlock;
pub use bucket::BucketRecord;
pub use error::{ApiError, ErrorCode};
pub use identity::{AccessKeyRecord, KeyOwner, KeyStatus, UserRecord};
pub use ids::{AccountId, Alias, BucketName, MrapName, RegionName, RequestToken};
pub use mrap::{ACTIVE_DIAL, AliasRecord, MrapRecord, MrapRegion, MrapStatus};
pub use operation::{
    AsyncOperation, ErrorDetails, OpPhase, OpStatus, OperationKind, RegionProgress, RequestParams,
    RequestedRegion,
};
pub use policy::{AccountRecord, MrapPolicy, StoredFinding, StoredPolicy};
pub use regions::{RegionSpec, RegionState, RegionsConfig};
