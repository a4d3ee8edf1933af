//! Which S3 operation a request is, from method + bucket + key + query keys + a header or two
//! (Garage's `router_match!` idea, as one `match` per target). Query keys are case-sensitive, as
//! in S3. A sub-resource S3 defines but this gateway does not serve is `NotImplemented`; a
//! served one with the wrong method is `MethodNotAllowed`; other query parameters
//! (`prefix`, `max-keys`, `x-id`, presigned `X-Amz-*`, …) never change the operation.

use axum::http::{HeaderMap, Method};
use mrap_model::{Alias, ApiError};

use crate::{
    common::{
        error::{decode, method_not_allowed, no_such_access_point, not_implemented},
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

/// Splits the request into bucket (or MRAP alias) and raw key by addressing style, then
/// classifies it. Through an MRAP: host `{alias}.accesspoint.s3-global.…`, or path style with an
/// alias as the first segment (no bucket name can end in `.mrap`, so the two never collide).
pub(crate) fn classify(
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    host: &HostStyle,
) -> Result<Routed, ApiError> {
    let (bucket, mrap, raw_key) = match host {
        HostStyle::VirtualHost { bucket } => (
            Some(bucket.clone()),
            None,
            path.strip_prefix('/').unwrap_or(path),
        ),
        HostStyle::MrapDataPlane { alias } => {
            let alias = Alias::parse(alias).map_err(|_| no_such_access_point(alias))?;
            (None, Some(alias), path.strip_prefix('/').unwrap_or(path))
        }
        HostStyle::Path => {
            let rest = path.strip_prefix('/').unwrap_or(path);
            let (first, key) = rest.split_once('/').unwrap_or((rest, ""));
            let first = (!first.is_empty()).then(|| decode(first));
            match first.as_deref().map(Alias::parse) {
                Some(Ok(alias)) => (None, Some(alias), key),
                _ => (first, None, key),
            }
        }
    };
    let op = operation(
        method,
        bucket.is_some() || mrap.is_some(),
        !raw_key.is_empty(),
        &Query::parse(query),
        headers,
    )?;
    Ok(Routed {
        op,
        bucket,
        mrap,
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use mrap_model::ErrorCode;

    use super::*;
    use crate::common::{host, test_support::headers};

    fn classify_at(
        method: &str,
        path: &str,
        query: &str,
        host_header: &str,
        copy: bool,
    ) -> Result<Routed, ErrorCode> {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let pairs: &[(&str, &str)] = if copy {
            &[("x-amz-copy-source", "b/k")]
        } else {
            &[]
        };
        let style = host::parse(Some(host_header), &["s3.example.test".to_owned()]);
        classify(&method, path, query, &headers(pairs), &style).map_err(|e| e.code)
    }

    fn op(method: &str, path: &str, query: &str) -> Result<S3Op, ErrorCode> {
        classify_at(method, path, query, "127.0.0.1:4566", false).map(|r| r.op)
    }

    #[test]
    fn the_operation_table_of_the_router() {
        use S3Op::*;
        let cases: &[(&str, &str, &str, Result<S3Op, ErrorCode>)] = &[
            ("GET", "/", "", Ok(ListBuckets)),
            (
                "GET",
                "/",
                "x-id=ListBuckets&max-buckets=10",
                Ok(ListBuckets),
            ),
            ("PUT", "/", "", Err(ErrorCode::MethodNotAllowed)),
            ("PUT", "/b", "", Ok(CreateBucket)),
            ("PUT", "/b/", "x-id=CreateBucket", Ok(CreateBucket)),
            ("HEAD", "/b", "policy", Ok(HeadBucket)),
            ("DELETE", "/b", "", Ok(DeleteBucket)),
            ("GET", "/b", "location", Ok(GetBucketLocation)),
            ("PUT", "/b", "policy", Ok(PutBucketPolicy)),
            ("GET", "/b", "policy=", Ok(GetBucketPolicy)),
            (
                "DELETE",
                "/b",
                "policy&x-id=DeleteBucketPolicy",
                Ok(DeleteBucketPolicy),
            ),
            ("GET", "/b", "policyStatus", Ok(GetBucketPolicyStatus)),
            ("PUT", "/b", "publicAccessBlock", Ok(PutPublicAccessBlock)),
            ("GET", "/b", "publicAccessBlock", Ok(GetPublicAccessBlock)),
            (
                "DELETE",
                "/b",
                "publicAccessBlock",
                Ok(DeletePublicAccessBlock),
            ),
            ("GET", "/b", "", Ok(ListObjects)),
            ("GET", "/b", "prefix=a&marker=x&max-keys=2", Ok(ListObjects)),
            (
                "GET",
                "/b",
                "list-type=2&continuation-token=x",
                Ok(ListObjectsV2),
            ),
            ("POST", "/b", "delete", Ok(DeleteObjects)),
            ("GET", "/b", "uploads", Ok(ListMultipartUploads)),
            ("GET", "/b", "acl", Ok(GetBucketAcl)),
            ("PUT", "/b", "acl", Ok(PutBucketAcl)),
            ("PUT", "/b/k", "", Ok(PutObject)),
            ("GET", "/b/a/b/c", "", Ok(GetObject)),
            (
                "GET",
                "/b/k",
                "response-content-type=text%2Fplain",
                Ok(GetObject),
            ),
            ("HEAD", "/b/k", "tagging", Ok(HeadObject)),
            ("DELETE", "/b/k", "", Ok(DeleteObject)),
            ("POST", "/b/k", "uploads", Ok(CreateMultipartUpload)),
            ("PUT", "/b/k", "partNumber=1&uploadId=u", Ok(UploadPart)),
            ("POST", "/b/k", "uploadId=u", Ok(CompleteMultipartUpload)),
            ("DELETE", "/b/k", "uploadId=u", Ok(AbortMultipartUpload)),
            ("GET", "/b/k", "uploadId=u&max-parts=2", Ok(ListParts)),
            ("PUT", "/b/k", "tagging", Ok(PutObjectTagging)),
            ("GET", "/b/k", "tagging", Ok(GetObjectTagging)),
            ("DELETE", "/b/k", "tagging", Ok(DeleteObjectTagging)),
            ("GET", "/b/k", "acl", Ok(GetObjectAcl)),
            ("PUT", "/b/k", "acl", Ok(PutObjectAcl)),
            // sub-resources S3 has and this gateway does not serve
            ("GET", "/b", "versioning", Err(ErrorCode::NotImplemented)),
            ("GET", "/b", "policystatus", Ok(ListObjects)), // not a sub-resource: case matters
            ("GET", "/b/k", "torrent", Err(ErrorCode::NotImplemented)),
            (
                "GET",
                "/b/k",
                "partNumber=1",
                Err(ErrorCode::NotImplemented),
            ),
            ("POST", "/b/k", "", Err(ErrorCode::NotImplemented)),
            ("POST", "/b", "", Err(ErrorCode::NotImplemented)),
            // the wrong method on a served sub-resource
            ("POST", "/b", "policy", Err(ErrorCode::MethodNotAllowed)),
            (
                "PUT",
                "/b",
                "policyStatus",
                Err(ErrorCode::MethodNotAllowed),
            ),
            ("DELETE", "/b/k", "acl", Err(ErrorCode::MethodNotAllowed)),
            ("PATCH", "/b/k", "", Err(ErrorCode::MethodNotAllowed)),
            ("PUT", "/b/k", "uploadId=u", Err(ErrorCode::InvalidRequest)),
        ];
        for (method, path, query, want) in cases {
            assert_eq!(&op(method, path, query), want, "{method} {path}?{query}");
        }
    }

    #[test]
    fn copies_are_told_by_their_header() {
        let copy = |q| classify_at("PUT", "/b/k", q, "127.0.0.1", true).map(|r| r.op);
        assert_eq!(copy(""), Ok(S3Op::CopyObject));
        assert_eq!(copy("partNumber=2&uploadId=u"), Ok(S3Op::UploadPartCopy));
    }

    #[test]
    fn bucket_and_key_by_addressing_style() {
        let r = classify_at("GET", "/my-bucket/a%20b/c%2Fd", "", "127.0.0.1:4566", false).unwrap();
        assert_eq!(
            (r.bucket.as_deref(), r.key.as_str()),
            (Some("my-bucket"), "a b/c/d")
        );
        let r = classify_at("GET", "/a%20b/c", "", "my-bucket.s3.example.test", false).unwrap();
        assert_eq!(
            (r.bucket.as_deref(), r.key.as_str()),
            (Some("my-bucket"), "a b/c")
        );
        let r = classify_at("GET", "/", "list-type=2", "my-bucket.localhost:4566", false).unwrap();
        assert_eq!(
            (r.op, r.bucket.as_deref()),
            (S3Op::ListObjectsV2, Some("my-bucket"))
        );
        // through an MRAP, host and path style
        let through = |r: Routed| (r.op, r.bucket, r.mrap.map(|a| a.to_string()), r.key);
        let want = |op, key: &str| {
            (
                op,
                None,
                Some("mfzwi23gnjvgw.mrap".to_owned()),
                key.to_owned(),
            )
        };
        let host = "mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com";
        assert_eq!(
            classify_at("GET", "/k/x%20y", "", host, false).map(through),
            Ok(want(S3Op::GetObject, "k/x y"))
        );
        assert_eq!(
            classify_at("GET", "/", "list-type=2", host, false).map(through),
            Ok(want(S3Op::ListObjectsV2, ""))
        );
        assert_eq!(
            classify_at("PUT", "/mfzwi23gnjvgw.mrap/k", "", "localhost:4566", false).map(through),
            Ok(want(S3Op::PutObject, "k"))
        );
        assert_eq!(
            classify_at(
                "GET",
                "/k",
                "",
                "NOT_AN_ALIAS.accesspoint.s3-global.amazonaws.com",
                false
            )
            .map(|r| r.op),
            Err(ErrorCode::NoSuchAccessPoint)
        );
        // routes stay low-cardinality whatever the key
        assert_eq!(S3Op::GetObject.route(), "/{bucket}/{*key}");
        assert_eq!(S3Op::GetObject.action(), "s3:GetObject");
    }
}
