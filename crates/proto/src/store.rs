//! `{prefix}.v1.store.{entity}.{verb}`: commands and queries of the policy-store, the only writer
//! of durable state. Each type names its subject through [`StoreCall`].

use mrap_model::{
    AccessKeyRecord, AccountId, Alias, AsyncOperation, BucketName, BucketRecord, ErrorCode,
    KeyStatus, MrapName, MrapRecord, OperationKind, RegionName, RegionState, RequestParams,
    RequestToken, UserRecord,
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// A request type of the store: its subject (entity, verb) and reply type.
pub trait StoreCall: Serialize + DeserializeOwned + Send + 'static {
    const ENTITY: &'static str;
    const VERB: &'static str;
    type Reply: Serialize + DeserializeOwned + Send + 'static;

    /// Whether the call only reads (verb `get`, `list` or `get-by-alias`); every other call may
    /// change what the store holds.
    fn reads_only() -> bool {
        matches!(Self::VERB, "get" | "list" | "get-by-alias")
    }

    /// Whether the call may change something an authorization decision reads: every call that
    /// writes, but an operation's submission (it records the operation and its job; what the
    /// operation changes is announced by the authorizers when it happens).
    fn may_change_access() -> bool {
        !Self::reads_only() && (Self::ENTITY, Self::VERB) != ("op", "submit")
    }
}

macro_rules! store_call {
    ($ty:ty, $entity:literal, $verb:literal, $reply:ty) => {
        impl StoreCall for $ty {
            const ENTITY: &'static str = $entity;
            const VERB: &'static str = $verb;
            type Reply = $reply;
        }
    };
}

// ---------- buckets ----------

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateBucket {
    pub name: BucketName,
    pub region: RegionName,
    pub owner: AccountId,
}
store_call!(CreateBucket, "bucket", "create", BucketRecord);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetBucket {
    pub name: BucketName,
}
// Reply: `None` when the bucket does not exist.
store_call!(GetBucket, "bucket", "get", Option<BucketRecord>);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListBuckets {
    pub owner: AccountId,
}
store_call!(ListBuckets, "bucket", "list", Vec<BucketRecord>);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeleteBucket {
    pub name: BucketName,
}
// Refused with `InvalidBucketState` while an MRAP (in any state) includes the bucket, and with
// `OperationAborted` when another delete of it began meanwhile.
store_call!(DeleteBucket, "bucket", "delete", BucketRecord);

// ---------- MRAP queries ----------

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetMrap {
    pub account: AccountId,
    pub name: MrapName,
}
store_call!(GetMrap, "mrap", "get", MrapRecord);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListMraps {
    pub account: AccountId,
}
store_call!(ListMraps, "mrap", "list", Vec<MrapRecord>);

// ---------- routes ----------

/// `GetMultiRegionAccessPointRoutes`: the MRAP named by its ARN's alias, in `account`.
/// `NoSuchMultiRegionAccessPoint` when the account has no MRAP with that alias.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetMrapByAlias {
    pub account: AccountId,
    pub alias: Alias,
}
store_call!(GetMrapByAlias, "mrap", "get-by-alias", MrapRecord);

/// One `Route` of `SubmitMultiRegionAccessPointRoutes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteUpdate {
    pub bucket: Option<String>,
    pub region: Option<String>,
    pub traffic_dial_percentage: i64,
}

/// `SubmitMultiRegionAccessPointRoutes`: applied at once, all or nothing (`InvalidRequest` for a
/// route naming no Region of the MRAP, a dial outside 0–100, or a result with no active Region).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubmitRoutes {
    pub account: AccountId,
    pub alias: Alias,
    pub updates: Vec<RouteUpdate>,
}
store_call!(SubmitRoutes, "mrap", "submit-routes", MrapRecord);

// ---------- Regions (operator) ----------

/// `mrap-admin region down|up NAME`: `InvalidArgument` for a Region the deployment lacks.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetRegionDown {
    pub region: RegionName,
    pub down: bool,
}
store_call!(SetRegionDown, "region", "set-down", RegionState);

// ---------- asynchronous operations ----------

/// Records an operation and enqueues its job, at once (the job is the outbox, see
/// `mrap_proto::jobs`). The operation's id comes from the account, the verb and the `ClientToken`,
/// so the record is also the client token's claim: the same request with the same client token
/// gets the same token back; a different request with it is refused with `ClientTokenConflict`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubmitOp {
    pub account: AccountId,
    pub client_token: String,
    pub request_id: String,
    pub params: RequestParams,
}
store_call!(SubmitOp, "op", "submit", RequestToken);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetOp {
    pub account: AccountId,
    pub op_id: String,
}
store_call!(GetOp, "op", "get", AsyncOperation);

/// Provisioner: a job's first step, in one call. The store reads the operation and, unless it has
/// ended, takes the step its kind begins with, which marks it `IN_PROGRESS` in the same write that
/// records its phase and shows its Regions `IN_PROGRESS`:
/// - create: looks every bucket up (it must exist, belong to the stated account, the caller's by
///   default, sit in one of `served_regions`, one bucket per Region, and not be being deleted),
///   takes the name (a record `CREATING` with a fresh, never-used alias and `created_by` = the
///   operation), then checks the buckets again (a bucket deleted meanwhile refuses it);
/// - delete: marks the MRAP `DELETING` for the operation;
/// - put-policy: validates the policy and records it as proposed.
///
/// A replay finds its own work and returns it. A refusal (name taken, bucket missing, policy
/// malformed, ...) comes back as [`Work::Refused`] for [`FinishOp`] to fail the operation with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BeginOp {
    pub op_id: String,
    /// The job's copy of the operation: recorded if the operation is not (see `mrap_proto::jobs`).
    #[serde(default)]
    pub submitted: Option<Box<AsyncOperation>>,
    /// The Regions the provisioner wires: a bucket elsewhere is
    /// `MultiRegionAccessPointUnsupportedRegion`.
    pub served_regions: Vec<RegionName>,
}
store_call!(BeginOp, "op", "begin", Begun);

/// What a job's first step left to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Begun {
    pub kind: OperationKind,
    pub work: Work,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Work {
    /// Wire (create), unwire (delete) or apply the proposed policy (put-policy) in every Region
    /// of this MRAP, then [`FinishOp`].
    Regions(Box<MrapRecord>),
    /// Nothing is left to do in the Regions (a replayed delete whose MRAP is already gone):
    /// [`FinishOp`] straight away.
    Nothing,
    /// The operation cannot succeed: [`FinishOp`] with this failure.
    Refused(Failure),
    /// The operation has already ended: the job is done.
    Ended,
}

/// Why an operation failed, as the provisioner reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    pub code: ErrorCode,
    pub message: String,
    pub resource: String,
}

/// Provisioner: the operation is over. The store makes the operation's last change first (create:
/// MRAP `READY`, or removed when the create failed; delete: the record removed;
/// put-policy: the proposal established unless a newer put replaced it), then marks the operation
/// terminal (on success with every Region `SUCCEEDED`). A refusal of that last change fails the
/// operation with its code. Exactly one `FinishOp` takes effect; later ones return the stored
/// terminal operation unchanged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FinishOp {
    pub op_id: String,
    pub outcome: Result<(), Failure>,
}
store_call!(FinishOp, "op", "finish", AsyncOperation);

/// Subject of a store call in a namespace.
pub fn subject<C: StoreCall>(ns: &crate::Namespace) -> String {
    ns.store(C::ENTITY, C::VERB)
}

/// Calls the store.
pub async fn call<C: StoreCall>(
    client: &async_nats::Client,
    ns: &crate::Namespace,
    req: &C,
) -> Result<C::Reply, crate::RpcError> {
    crate::rpc::call(client, &subject::<C>(ns), req).await
}

// ---------- policies and Block Public Access ----------

/// `PutBucketPolicy`: validated and BPA-checked by the store (`MalformedPolicy`, `AccessDenied`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PutBucketPolicy {
    pub name: BucketName,
    pub policy: String,
}
store_call!(PutBucketPolicy, "bucket", "put-policy", BucketRecord);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeleteBucketPolicy {
    pub name: BucketName,
}
store_call!(DeleteBucketPolicy, "bucket", "delete-policy", BucketRecord);

/// Bucket-level Block Public Access; `None` deletes the configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetBucketPublicAccessBlock {
    pub name: BucketName,
    pub config: Option<mrap_model::PublicAccessBlock>,
}
store_call!(
    SetBucketPublicAccessBlock,
    "bucket",
    "set-pab",
    BucketRecord
);

/// Account settings (a never-configured account has no Block Public Access).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetAccount {
    pub account: AccountId,
}
store_call!(GetAccount, "account", "get", mrap_model::AccountRecord);

/// Account-level Block Public Access; `None` deletes the configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetAccountPublicAccessBlock {
    pub account: AccountId,
    pub config: Option<mrap_model::PublicAccessBlock>,
}
store_call!(
    SetAccountPublicAccessBlock,
    "account",
    "set-pab",
    mrap_model::AccountRecord
);

// ---------- IAM identities ----------
//
// Names arrive validated by the gateway (lengths, patterns); the store enforces what needs state:
// uniqueness (case-insensitive), the key quota, references that block a delete. `user: None` on a
// key call means the calling account's root.

/// `EntityAlreadyExists` when the account has a user of that name in any case.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateUser {
    pub account: AccountId,
    pub name: String,
    pub path: String,
}
store_call!(CreateUser, "user", "create", UserRecord);

/// `NoSuchEntity` when absent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetUser {
    pub account: AccountId,
    pub name: String,
}
store_call!(GetUser, "user", "get", UserRecord);

/// The account's users whose path starts with `path_prefix`, sorted by name (case-insensitively).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListUsers {
    pub account: AccountId,
    pub path_prefix: String,
}
store_call!(ListUsers, "user", "list", Vec<UserRecord>);

/// `DeleteConflict` while the user has access keys or inline policies.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeleteUser {
    pub account: AccountId,
    pub name: String,
}
store_call!(DeleteUser, "user", "delete", ());

/// A new Active key for the user (or the root). The reply is the only place its secret is ever
/// shown. `LimitExceeded` past two keys; `NoSuchEntity` for an unknown user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateAccessKey {
    pub account: AccountId,
    pub user: Option<String>,
}
store_call!(CreateAccessKey, "access-key", "create", AccessKeyRecord);

/// The user's (or root's) keys, oldest first, secrets blanked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListAccessKeys {
    pub account: AccountId,
    pub user: Option<String>,
}
store_call!(ListAccessKeys, "access-key", "list", Vec<AccessKeyRecord>);

/// `NoSuchEntity` unless the key belongs to that user (or root) of that account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpdateAccessKey {
    pub account: AccountId,
    pub user: Option<String>,
    pub access_key: String,
    pub status: KeyStatus,
}
store_call!(UpdateAccessKey, "access-key", "update", ());

/// As `UpdateAccessKey`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeleteAccessKey {
    pub account: AccountId,
    pub user: Option<String>,
    pub access_key: String,
}
store_call!(DeleteAccessKey, "access-key", "delete", ());

/// Creates or replaces an inline policy. `MalformedPolicyDocument` (the first error finding) for
/// an invalid identity policy; `LimitExceeded` past the user's inline quota.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PutUserPolicy {
    pub account: AccountId,
    pub user: String,
    pub policy_name: String,
    pub document: String,
}
store_call!(PutUserPolicy, "user", "put-policy", UserRecord);

/// `NoSuchEntity` when the user or the policy is absent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeleteUserPolicy {
    pub account: AccountId,
    pub user: String,
    pub policy_name: String,
}
store_call!(DeleteUserPolicy, "user", "delete-policy", UserRecord);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_writes_other_than_a_submission_may_change_access() {
        assert!(!GetOp::may_change_access());
        assert!(!GetMrap::may_change_access());
        assert!(!SubmitOp::may_change_access());
        assert!(PutBucketPolicy::may_change_access());
        assert!(SetAccountPublicAccessBlock::may_change_access());
        assert!(CreateAccessKey::may_change_access());
        assert!(FinishOp::may_change_access());
    }
}
