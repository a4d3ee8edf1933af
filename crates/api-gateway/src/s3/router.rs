//! Which S3 operation a request is, from method + bucket + key + query keys + a header or two
//! (Garage's `router_match!` idea, as one `match` per target). Query keys are case-sensitive, as
//! in S3. A sub-resource S3 defines but this gateway does not serve is `NotImplemented`; a
//! served one with the wrong method is `MethodNotAllowed`; other query parameters
//! (`prefix`, `max-keys`, `x-id`, presigned `X-Amz-*`, …) never change the operation.

use axum::http::{HeaderMap, Method};
use mrap_model::ApiError;

use crate::{
    common::{
        error::{decode, method_not_allowed, not_implemented},
        host::HostStyle,
    },
    s3::{Routed, S3Op},
};

/// The sub-resources S3 defines (a query key that selects another operation on the same path).
const SUBRESOURCES: [&str; 36] = [
    "accelerate",
    "acl",
    "analytics",
    "attributes",
    "cors",
    "delete",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "legal-hold",
    "lifecycle",
    "location",
    "logging",
    "metadataConfiguration",
    "metrics",
    "notification",
    "object-lock",
    "ownershipControls",
    "partNumber",
    "policy",
    "policyStatus",
    "publicAccessBlock",
    "renameObject",
    "replication",
    "requestPayment",
    "restore",
    "retention",
    "select",
    "session",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versioning",
    "versions",
    "website",
];

/// The decoded query keys of a request that select a sub-resource (plus `list-type`).
struct Query {
    keys: Vec<String>,
}

impl Query {
    fn parse(query: &str) -> Self {
        let keys = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| decode(pair.split_once('=').map_or(pair, |(k, _)| k)))
            .filter(|k| SUBRESOURCES.contains(&k.as_str()) || k == "list-type")
            .collect();
        Query { keys }
    }
    fn has(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k == key)
    }
    /// A sub-resource other than those listed.
    fn other_than(&self, served: &[&str]) -> bool {
        self.keys
            .iter()
            .any(|k| k != "list-type" && !served.contains(&k.as_str()))
    }
}

/// Splits the request into bucket and raw key by addressing style, then classifies it.
pub(crate) fn classify(
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    host: &HostStyle,
) -> Result<Routed, ApiError> {
    let (bucket, raw_key) = match host {
        HostStyle::VirtualHost { bucket } => {
            (Some(bucket.clone()), path.strip_prefix('/').unwrap_or(path))
        }
        // Requests through an MRAP come with the data plane.
        HostStyle::MrapDataPlane { .. } => return Err(not_implemented()),
        HostStyle::Path => {
            let rest = path.strip_prefix('/').unwrap_or(path);
            let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
            ((!bucket.is_empty()).then(|| decode(bucket)), key)
        }
    };
    let op = operation(
        method,
        bucket.is_some(),
        !raw_key.is_empty(),
        &Query::parse(query),
        headers,
    )?;
    Ok(Routed {
        op,
        bucket,
        key: decode(raw_key),
    })
}

fn operation(
    method: &Method,
    has_bucket: bool,
    has_key: bool,
    q: &Query,
    headers: &HeaderMap,
) -> Result<S3Op, ApiError> {
    use S3Op as Op;
    let not_allowed = || Err(method_not_allowed(method.as_str()));
    if !has_bucket {
        return match *method {
            Method::GET => Ok(Op::ListBuckets),
            _ => not_allowed(),
        };
    }
    if !matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::POST | Method::DELETE | Method::OPTIONS
    ) {
        return not_allowed();
    }
    if has_key {
        object_operation(method, q, headers.contains_key("x-amz-copy-source"))
    } else {
        bucket_operation(method, q)
    }
}

/// Requests naming a key. HEAD is HeadObject whatever the query.
fn object_operation(method: &Method, q: &Query, copy: bool) -> Result<S3Op, ApiError> {
    use S3Op as Op;
    const SERVED: [&str; 5] = ["uploadId", "partNumber", "uploads", "tagging", "acl"];
    if *method == Method::HEAD {
        return Ok(Op::HeadObject);
    }
    if q.other_than(&SERVED) {
        return Err(not_implemented());
    }
    let (upload, part) = (q.has("uploadId"), q.has("partNumber"));
    match method.clone() {
        Method::GET if upload => Ok(Op::ListParts),
        Method::GET if q.has("tagging") => Ok(Op::GetObjectTagging),
        Method::GET if q.has("acl") => Ok(Op::GetObjectAcl),
        // GetObject of one part of a multipart object is not served.
        Method::GET if part || q.has("uploads") => Err(not_implemented()),
        Method::GET => Ok(Op::GetObject),
        Method::PUT if upload && part && copy => Ok(Op::UploadPartCopy),
        Method::PUT if upload && part => Ok(Op::UploadPart),
        Method::PUT if q.has("tagging") => Ok(Op::PutObjectTagging),
        Method::PUT if q.has("acl") => Ok(Op::PutObjectAcl),
        Method::PUT if upload || part || q.has("uploads") => Err(invalid_upload_query()),
        Method::PUT if copy => Ok(Op::CopyObject),
        Method::PUT => Ok(Op::PutObject),
        Method::POST if q.has("uploads") => Ok(Op::CreateMultipartUpload),
        Method::POST if upload => Ok(Op::CompleteMultipartUpload),
        // Browser-form uploads and other POSTs on a key are not served.
        Method::POST => Err(not_implemented()),
        Method::DELETE if upload => Ok(Op::AbortMultipartUpload),
        Method::DELETE if q.has("tagging") => Ok(Op::DeleteObjectTagging),
        Method::DELETE if part || q.has("uploads") || q.has("acl") => {
            Err(method_not_allowed(method.as_str()))
        }
        Method::DELETE => Ok(Op::DeleteObject),
        _ => Err(method_not_allowed(method.as_str())),
    }
}

/// Object requests with `partNumber` or `uploadId` but not both.
fn invalid_upload_query() -> ApiError {
    ApiError::new(
        mrap_model::ErrorCode::InvalidRequest,
        "An upload request needs both partNumber and uploadId.",
    )
}

/// Requests naming only a bucket. HEAD is HeadBucket whatever the query.
fn bucket_operation(method: &Method, q: &Query) -> Result<S3Op, ApiError> {
    use S3Op as Op;
    const SERVED: [&str; 7] = [
        "location",
        "policy",
        "policyStatus",
        "publicAccessBlock",
        "acl",
        "uploads",
        "delete",
    ];
    if *method == Method::HEAD {
        return Ok(Op::HeadBucket);
    }
    if q.other_than(&SERVED) {
        return Err(not_implemented());
    }
    let sub = SERVED.iter().find(|s| q.has(s)).copied();
    match (sub, method.clone()) {
        (None, Method::GET) if q.has("list-type") => Ok(Op::ListObjectsV2),
        (None, Method::GET) => Ok(Op::ListObjects),
        (None, Method::PUT) => Ok(Op::CreateBucket),
        (None, Method::DELETE) => Ok(Op::DeleteBucket),
        (None, _) => Err(not_implemented()),
        (Some("location"), Method::GET) => Ok(Op::GetBucketLocation),
        (Some("policy"), Method::PUT) => Ok(Op::PutBucketPolicy),
        (Some("policy"), Method::GET) => Ok(Op::GetBucketPolicy),
        (Some("policy"), Method::DELETE) => Ok(Op::DeleteBucketPolicy),
        (Some("policyStatus"), Method::GET) => Ok(Op::GetBucketPolicyStatus),
        (Some("publicAccessBlock"), Method::PUT) => Ok(Op::PutPublicAccessBlock),
        (Some("publicAccessBlock"), Method::GET) => Ok(Op::GetPublicAccessBlock),
        (Some("publicAccessBlock"), Method::DELETE) => Ok(Op::DeletePublicAccessBlock),
        (Some("acl"), Method::GET) => Ok(Op::GetBucketAcl),
        (Some("acl"), Method::PUT) => Ok(Op::PutBucketAcl),
        (Some("uploads"), Method::GET) => Ok(Op::ListMultipartUploads),
        (Some("delete"), Method::POST) => Ok(Op::DeleteObjects),
        _ => Err(method_not_allowed(method.as_str())),
    }
}
