//! `{prefix}.v1.authz.check`: the gateway asks the authorizer whether a signed HTTP request may
//! perform an action. The authorizer authenticates (SigV4) and authorizes in one round trip.

use mrap_model::{AccountId, BucketName};
use serde::{Deserialize, Serialize};

/// What the request acts on; the authorizer works out the owning account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Resource {
    /// Something in this account: every S3 Control call (the `x-amz-account-id` account).
    Account(AccountId),
    /// Something the caller will own: `CreateBucket`, `ListBuckets`.
    CallerAccount,
    /// An existing bucket (or one that may not exist: the handler then answers `NoSuchBucket`).
    Bucket(BucketName),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthzRequest {
    pub request_id: String,
    pub method: String,
    /// Path as on the wire (percent-encoded), no query.
    pub path: String,
    /// Raw query string, no `?`.
    pub query: String,
    /// All request headers, in received order.
    pub headers: Vec<(String, String)>,
    /// The payload hash to sign with: `x-amz-content-sha256` as sent (the gateway has checked it
    /// against the body) or, when absent, the body's SHA-256.
    pub payload_hash: String,
    /// S3 Control: a double-encoded canonical URI is accepted too (aws-sdk-rust with a custom
    /// endpoint resolver signs that way).
    pub s3_control: bool,
    /// IAM action, e.g. `s3:CreateMultiRegionAccessPoint`.
    pub action: String,
    pub resource: Resource,
    /// The SigV4 service the request must be signed for: `None` means `s3` (S3 and S3 Control);
    /// the Access Analyzer API is signed for `access-analyzer`.
    #[serde(default)]
    pub signing_service: Option<String>,
    /// The client's address, for `aws:SourceIp` conditions.
    #[serde(default)]
    pub source_ip: Option<String>,
}

/// An allowed request: who made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub account: AccountId,
    pub principal_arn: String,
    pub access_key: String,
}
