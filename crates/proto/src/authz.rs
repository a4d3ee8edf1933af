//! `{prefix}.v1.authz.check`: the gateway asks the authorizer whether a signed HTTP request may
//! perform an action. The authorizer authenticates (SigV4) and authorizes in one round trip.

use mrap_model::{AccountId, Alias, BucketName, RegionName};
use serde::{Deserialize, Serialize};

/// What the request acts on; the authorizer works out the owning account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Resource {
    /// Anything of the caller's own account, authorised on `*`: `ListBuckets`, `ValidatePolicy`.
    CallerAccount,
    /// An existing bucket (or one that may not exist: the handler then answers `NoSuchBucket`).
    Bucket(BucketName),
    /// An object (`arn:aws:s3:::{bucket}/{key}`) of a bucket that may not exist, as `Bucket`.
    Object { bucket: BucketName, key: String },
    /// Objects of this bucket that the handler authorises one by one with further requests
    /// (DeleteObjects): this request is only authenticated, and its grant names the bucket.
    EachObjectOf(BucketName),
    /// A request through an MRAP, routed by the gateway to `bucket` (one of the MRAP's). `key`:
    /// the object (`…/object/{key}` in the MRAP layer), `None` for an operation on the MRAP as a
    /// whole (`ListObjectsV2`, `ListMultipartUploads`). The authorizer checks that the MRAP is
    /// ready and holds the bucket, and decides identity ∩ MRAP policy ∩ bucket policy ∩ BPA.
    ThroughMrap {
        alias: Alias,
        bucket: BucketName,
        key: Option<String>,
    },
    /// A resource that has no resource policy (an IAM user, an MRAP as S3 Control manages it, `*`),
    /// owned by `owner` (`None`: the caller's account). The caller's identity policies decide;
    /// another account's resource is refused.
    Arn {
        owner: Option<AccountId>,
        arn: String,
    },
    /// Authentication only (STS `GetCallerIdentity`, which no policy can deny).
    Caller,
}

impl Resource {
    /// The bucket acted on or in, if any.
    pub fn bucket(&self) -> Option<&BucketName> {
        match self {
            Resource::Bucket(bucket)
            | Resource::Object { bucket, .. }
            | Resource::EachObjectOf(bucket)
            | Resource::ThroughMrap { bucket, .. } => Some(bucket),
            Resource::CallerAccount | Resource::Arn { .. } | Resource::Caller => None,
        }
    }
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
    /// The request arrived over TLS (`aws:SecureTransport`); false from older gateways.
    #[serde(default)]
    pub secure_transport: bool,
}

/// An allowed request: who made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub account: AccountId,
    pub principal_arn: String,
    pub access_key: String,
    /// For a body sent as signed aws-chunked (`x-amz-content-sha256` of
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`) on a request header-signed with
    /// `AWS4-HMAC-SHA256`: what the gateway needs to verify the chunk signatures. `None` otherwise,
    /// and from authorizers that predate it.
    #[serde(default)]
    pub chunk_signing: Option<ChunkSigning>,
    /// For a bucket or object resource: the bucket as the decision saw it, so the gateway needs
    /// no second lookup to find its Region. `None` when the bucket does not exist (the handler
    /// answers `NoSuchBucket`) and for other resources.
    #[serde(default)]
    pub bucket: Option<GrantedBucket>,
    /// The IAM user who signed; `None` for an account root.
    #[serde(default)]
    pub user: Option<mrap_model::KeyOwner>,
    /// Set when this decision holds for every request of the same access key, credential scope,
    /// action and resource until the authorizer's view changes: see [`Reuse`].
    #[serde(default)]
    pub reuse: Option<Reuse>,
}

/// What lets the gateway decide the same question again without asking (`mrap_api_gateway`'s
/// `common::grants`): the decision was an allow of a header-signed SigV4 or SigV4A request,
/// under policies none of which has a condition or a policy variable in a resource, so it
/// depends only on the access key, the action and the resource. The gateway still verifies every
/// request's own signature, with this key, and forgets the decision when an authorizer says
/// something it read changed (`Namespace::authz_changed`, [`AuthzChange`]).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reuse {
    /// What verifies the access key's signatures without the secret
    /// (`mrap_sigv4::VerifierKey`'s bytes): for SigV4 the signing key of the request's credential
    /// scope (32 bytes: one date, Region and service), for SigV4A the key pair's public key
    /// (65 bytes, uncompressed SEC1) — never the secret.
    pub verifier_key: Vec<u8>,
    /// Whether the decision read buckets or MRAPs (their policies, Block Public Access, their
    /// existence), so that an [`AuthzChange::Resources`] ends it too. Absent: yes (the safe side).
    #[serde(default = "yes")]
    pub reads_resources: bool,
    /// Whether the decision holds for every [`Resource::Arn`] of the same owner, whatever its
    /// ARN: the account root's on its own account, which no policy decides (an IAM user's
    /// policies name resources, so theirs never does). Absent: no.
    #[serde(default)]
    pub any_arn: bool,
}

fn yes() -> bool {
    true
}

// Grants are logged in debug output; the key must not be.
impl std::fmt::Debug for Reuse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reuse")
            .field("verifier_key", &"<redacted>")
            .field("reads_resources", &self.reads_resources)
            .field("any_arn", &self.any_arn)
            .finish()
    }
}

/// What an announcement on `Namespace::authz_changed` says changed in an authorizer's view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthzChange {
    /// Access keys, users, accounts, or a watch restarted: every decision may be affected.
    Everything,
    /// Only buckets or MRAPs: decisions that read neither (`Reuse::reads_resources` false: the
    /// control-plane requests of an account, Describe polls among them) still hold.
    Resources,
}

impl AuthzChange {
    const RESOURCES: &'static [u8] = b"resources";

    pub fn payload(self) -> bytes::Bytes {
        match self {
            AuthzChange::Everything => bytes::Bytes::new(),
            AuthzChange::Resources => bytes::Bytes::from_static(Self::RESOURCES),
        }
    }

    /// Anything but the exact `Resources` payload means everything (failing closed).
    pub fn from_payload(payload: &[u8]) -> Self {
        if payload == Self::RESOURCES {
            AuthzChange::Resources
        } else {
            AuthzChange::Everything
        }
    }
}

/// The bucket a [`Grant`] was decided on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantedBucket {
    pub region: RegionName,
    pub owner: AccountId,
}

/// Mirrors `mrap_sigv4::chunked::ChunkSigningContext` (proto stays free of sigv4).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkSigning {
    /// The derived SigV4 key (32 bytes), valid for one date, Region and service only — never the
    /// secret.
    pub signing_key: Vec<u8>,
    /// The request's `X-Amz-Date`, e.g. `20130524T000000Z`.
    pub amz_date: String,
    /// `<date>/<region>/<service>/aws4_request`.
    pub scope: String,
    /// The request's own signature, which seeds the chunk signature chain.
    pub seed_signature: String,
}

// Grants are logged in debug output; the key must not be.
impl std::fmt::Debug for ChunkSigning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkSigning")
            .field("signing_key", &"<redacted>")
            .field("amz_date", &self.amz_date)
            .field("scope", &self.scope)
            .field("seed_signature", &self.seed_signature)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(chunk_signing: Option<ChunkSigning>) -> Grant {
        Grant {
            account: AccountId::parse("000000000000").expect("valid account"),
            principal_arn: "arn:aws:iam::000000000000:root".to_owned(),
            access_key: "test".to_owned(),
            chunk_signing,
            bucket: None,
            user: None,
            reuse: None,
        }
    }

    #[test]
    fn grant_from_an_older_authorizer_decodes() {
        #[derive(Serialize)]
        struct OldGrant {
            account: AccountId,
            principal_arn: String,
            access_key: String,
        }
        let g = grant(None);
        let old = OldGrant {
            account: g.account.clone(),
            principal_arn: g.principal_arn.clone(),
            access_key: g.access_key.clone(),
        };
        let bytes = crate::codec::encode(&old).expect("encodes");
        assert_eq!(crate::codec::decode::<Grant>(&bytes).expect("decodes"), g);
    }

    /// `g` survives the wire, and its Debug output hides the key bytes (0xab = 171).
    fn assert_round_trips_hiding_key(g: &Grant) {
        let bytes = crate::codec::encode(g).expect("encodes");
        assert_eq!(&crate::codec::decode::<Grant>(&bytes).expect("decodes"), g);
        let shown = format!("{g:?}");
        assert!(
            shown.contains("<redacted>") && !shown.contains("171"),
            "{shown}"
        );
    }

    #[test]
    fn chunk_signing_round_trips_and_hides_its_key() {
        assert_round_trips_hiding_key(&grant(Some(ChunkSigning {
            signing_key: vec![0xab; 32],
            amz_date: "20130524T000000Z".to_owned(),
            scope: "20130524/us-east-1/s3/aws4_request".to_owned(),
            seed_signature: "4f".repeat(32),
        })));
    }

    #[test]
    fn a_reusable_grant_round_trips_and_hides_its_key() {
        let mut g = grant(None);
        g.reuse = Some(Reuse {
            verifier_key: vec![0xab; 32],
            reads_resources: false,
            any_arn: true,
        });
        assert_round_trips_hiding_key(&g);
    }

    #[test]
    fn a_reuse_without_its_scope_reads_resources_for_its_resource_only() {
        #[derive(Serialize)]
        struct OldReuse {
            verifier_key: Vec<u8>,
        }
        let bytes = crate::codec::encode(&OldReuse {
            verifier_key: vec![1; 32],
        })
        .expect("encodes");
        let reuse = crate::codec::decode::<Reuse>(&bytes).expect("decodes");
        assert!(reuse.reads_resources && !reuse.any_arn);
    }

    #[test]
    fn only_the_exact_resources_payload_spares_identity_only_decisions() {
        for change in [AuthzChange::Everything, AuthzChange::Resources] {
            assert_eq!(AuthzChange::from_payload(&change.payload()), change);
        }
        for other in [&b"Resources"[..], b"resources ", b"x", b"\0"] {
            assert_eq!(AuthzChange::from_payload(other), AuthzChange::Everything);
        }
    }
}
