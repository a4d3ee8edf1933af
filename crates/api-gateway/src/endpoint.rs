//! Which operation a request is, chosen from method + raw path + query keys + host (Garage's
//! `Endpoint` pattern; no per-route axum routes).
//!
//! Classification never fails: requests this gateway does not serve become
//! [`Endpoint::ControlUnsupported`] / [`Endpoint::S3Unsupported`] /
//! [`Endpoint::AccessAnalyzerUnsupported`], answered with `NotImplemented` (501),
//! `MethodNotAllowed` (405) or, for Access Analyzer, `UnknownOperationException`.
//!
//! Access Analyzer (REST-JSON) shares the listener with S3, and its one path
//! (`POST /policy/validation`) is also a valid S3 object URL (key `validation` in bucket `policy`,
//! or key `policy/validation` on a virtual host). What tells them apart is what the client signed
//! for: a request whose SigV4 credential scope names the service `access-analyzer` is an Access
//! Analyzer request on any Host; everything else is S3 / S3 Control as before. (The authorizer
//! then insists on that same service, so the choice cannot be used to dodge a check.)
//!
//! S3 Control paths are matched on the raw (percent-encoded) path and each label is decoded only
//! after splitting: greedy labels (`{request_token+}`, `{name+}`) contain literal `/`, and `:`
//! arrives as `%3A`.

use axum::http::Method;
use mrap_model::ErrorCode;
use percent_encoding::percent_decode_str;

use crate::host::HostStyle;

/// The S3 Control path prefix (API version 2018-08-20).
pub const CONTROL_PREFIX: &str = "/v20180820/";

const ASYNC_MRAP: &str = "async-requests/mrap/";
const INSTANCES: &str = "mrap/instances";
const ACCOUNT_PAB: &str = "configuration/publicAccessBlock";

/// The SigV4 signing name of IAM Access Analyzer.
pub const ACCESS_ANALYZER_SERVICE: &str = "access-analyzer";
/// `ValidatePolicy`'s path.
const VALIDATE_POLICY_PATH: &str = "/policy/validation";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    // ---- S3 Control: Multi-Region Access Points ----
    CreateMultiRegionAccessPoint,
    DeleteMultiRegionAccessPoint,
    PutMultiRegionAccessPointPolicy,
    /// The token ARN, percent-decoded.
    DescribeMultiRegionAccessPointOperation {
        request_token_arn: String,
    },
    GetMultiRegionAccessPoint {
        name: String,
    },
    ListMultiRegionAccessPoints,
    GetMultiRegionAccessPointPolicy {
        name: String,
    },
    GetMultiRegionAccessPointPolicyStatus {
        name: String,
    },
    /// `mrap` is an MRAP ARN (or alias), percent-decoded.
    GetMultiRegionAccessPointRoutes {
        mrap: String,
    },
    SubmitMultiRegionAccessPointRoutes {
        mrap: String,
    },
    /// Account-level Block Public Access (`/v20180820/configuration/publicAccessBlock`).
    PutAccountPublicAccessBlock,
    GetAccountPublicAccessBlock,
    DeleteAccountPublicAccessBlock,
    /// Any other `/v20180820/…` request.
    ControlUnsupported {
        code: ErrorCode,
    },

    // ---- S3 ----
    ListBuckets,
    CreateBucket {
        bucket: String,
    },
    HeadBucket {
        bucket: String,
    },
    GetBucketLocation {
        bucket: String,
    },
    DeleteBucket {
        bucket: String,
    },
    PutBucketPolicy {
        bucket: String,
    },
    GetBucketPolicy {
        bucket: String,
    },
    DeleteBucketPolicy {
        bucket: String,
    },
    GetBucketPolicyStatus {
        bucket: String,
    },
    PutBucketPublicAccessBlock {
        bucket: String,
    },
    GetBucketPublicAccessBlock {
        bucket: String,
    },
    DeleteBucketPublicAccessBlock {
        bucket: String,
    },
    /// Object requests and bucket sub-resources this gateway does not serve (yet).
    S3Unsupported {
        bucket: Option<String>,
        has_key: bool,
        code: ErrorCode,
    },

    // ---- data plane through an MRAP ----
    /// `{alias}.accesspoint.s3-global.amazonaws.com`.
    MrapDataPlane {
        alias: String,
    },

    // ---- IAM Access Analyzer (signed for `access-analyzer`) ----
    ValidatePolicy,
    /// Any other request signed for `access-analyzer`.
    AccessAnalyzerUnsupported,
}

/// Which API family (and so which error layout) a request belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    S3Control,
    S3,
    /// REST-JSON: JSON error bodies with `x-amzn-ErrorType`.
    AccessAnalyzer,
}

impl Endpoint {
    /// Chooses the endpoint. `path` and `query` are exactly as received (still percent-encoded);
    /// `service` is the SigV4 credential scope's service, when the request names one.
    pub fn classify(
        method: &Method,
        path: &str,
        query: &str,
        host: &HostStyle,
        service: Option<&str>,
    ) -> Endpoint {
        // An unsigned `POST /policy/validation` is no S3 operation (POST on an object key needs a
        // sub-resource), so it is Access Analyzer's too: the authorizer then refuses it with 403.
        let unsigned_validation = service.is_none()
            && *method == Method::POST
            && path == VALIDATE_POLICY_PATH
            && query.is_empty();
        if service == Some(ACCESS_ANALYZER_SERVICE) || unsigned_validation {
            return if *method == Method::POST && path == VALIDATE_POLICY_PATH {
                Endpoint::ValidatePolicy
            } else {
                Endpoint::AccessAnalyzerUnsupported
            };
        }
        match host {
            HostStyle::MrapDataPlane { alias } => Endpoint::MrapDataPlane {
                alias: alias.clone(),
            },
            HostStyle::VirtualHost { bucket } => {
                let key = path.strip_prefix('/').unwrap_or(path);
                classify_s3(method, Some(bucket.clone()), key, query)
            }
            HostStyle::Path => match path.strip_prefix(CONTROL_PREFIX) {
                Some(rest) => classify_control(method, rest),
                None => {
                    let rest = path.strip_prefix('/').unwrap_or(path);
                    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
                    let bucket = (!bucket.is_empty()).then(|| decode(bucket));
                    classify_s3(method, bucket, key, query)
                }
            },
        }
    }

    pub fn api(&self) -> Api {
        use Endpoint::*;
        match self {
            CreateMultiRegionAccessPoint
            | DeleteMultiRegionAccessPoint
            | PutMultiRegionAccessPointPolicy
            | DescribeMultiRegionAccessPointOperation { .. }
            | GetMultiRegionAccessPoint { .. }
            | ListMultiRegionAccessPoints
            | GetMultiRegionAccessPointPolicy { .. }
            | GetMultiRegionAccessPointPolicyStatus { .. }
            | GetMultiRegionAccessPointRoutes { .. }
            | SubmitMultiRegionAccessPointRoutes { .. }
            | PutAccountPublicAccessBlock
            | GetAccountPublicAccessBlock
            | DeleteAccountPublicAccessBlock
            | ControlUnsupported { .. } => Api::S3Control,
            ListBuckets
            | CreateBucket { .. }
            | HeadBucket { .. }
            | GetBucketLocation { .. }
            | DeleteBucket { .. }
            | PutBucketPolicy { .. }
            | GetBucketPolicy { .. }
            | DeleteBucketPolicy { .. }
            | GetBucketPolicyStatus { .. }
            | PutBucketPublicAccessBlock { .. }
            | GetBucketPublicAccessBlock { .. }
            | DeleteBucketPublicAccessBlock { .. }
            | S3Unsupported { .. }
            | MrapDataPlane { .. } => Api::S3,
            ValidatePolicy | AccessAnalyzerUnsupported => Api::AccessAnalyzer,
        }
    }

    /// The operation name (`aws.s3.operation` on the request span).
    pub fn operation(&self) -> &'static str {
        use Endpoint::*;
        match self {
            CreateMultiRegionAccessPoint => "CreateMultiRegionAccessPoint",
            DeleteMultiRegionAccessPoint => "DeleteMultiRegionAccessPoint",
            PutMultiRegionAccessPointPolicy => "PutMultiRegionAccessPointPolicy",
            DescribeMultiRegionAccessPointOperation { .. } => {
                "DescribeMultiRegionAccessPointOperation"
            }
            GetMultiRegionAccessPoint { .. } => "GetMultiRegionAccessPoint",
            ListMultiRegionAccessPoints => "ListMultiRegionAccessPoints",
            GetMultiRegionAccessPointPolicy { .. } => "GetMultiRegionAccessPointPolicy",
            GetMultiRegionAccessPointPolicyStatus { .. } => "GetMultiRegionAccessPointPolicyStatus",
            GetMultiRegionAccessPointRoutes { .. } => "GetMultiRegionAccessPointRoutes",
            SubmitMultiRegionAccessPointRoutes { .. } => "SubmitMultiRegionAccessPointRoutes",
            // S3 Control and S3 name both levels' operations alike.
            PutAccountPublicAccessBlock | PutBucketPublicAccessBlock { .. } => {
                "PutPublicAccessBlock"
            }
            GetAccountPublicAccessBlock | GetBucketPublicAccessBlock { .. } => {
                "GetPublicAccessBlock"
            }
            DeleteAccountPublicAccessBlock | DeleteBucketPublicAccessBlock { .. } => {
                "DeletePublicAccessBlock"
            }
            ControlUnsupported { .. } | S3Unsupported { .. } | AccessAnalyzerUnsupported => {
                "Unsupported"
            }
            ListBuckets => "ListBuckets",
            CreateBucket { .. } => "CreateBucket",
            HeadBucket { .. } => "HeadBucket",
            GetBucketLocation { .. } => "GetBucketLocation",
            DeleteBucket { .. } => "DeleteBucket",
            PutBucketPolicy { .. } => "PutBucketPolicy",
            GetBucketPolicy { .. } => "GetBucketPolicy",
            DeleteBucketPolicy { .. } => "DeleteBucketPolicy",
            GetBucketPolicyStatus { .. } => "GetBucketPolicyStatus",
            MrapDataPlane { .. } => "MultiRegionAccessPointRequest",
            ValidatePolicy => "ValidatePolicy",
        }
    }

    /// The low-cardinality route template for span names (`{METHOD} {route}`).
    pub fn route(&self) -> &'static str {
        use Endpoint::*;
        match self {
            CreateMultiRegionAccessPoint => "/v20180820/async-requests/mrap/create",
            DeleteMultiRegionAccessPoint => "/v20180820/async-requests/mrap/delete",
            PutMultiRegionAccessPointPolicy => "/v20180820/async-requests/mrap/put-policy",
            DescribeMultiRegionAccessPointOperation { .. } => {
                "/v20180820/async-requests/mrap/{request_token+}"
            }
            GetMultiRegionAccessPoint { .. } => "/v20180820/mrap/instances/{name+}",
            ListMultiRegionAccessPoints => "/v20180820/mrap/instances",
            GetMultiRegionAccessPointPolicy { .. } => "/v20180820/mrap/instances/{name+}/policy",
            GetMultiRegionAccessPointPolicyStatus { .. } => {
                "/v20180820/mrap/instances/{name+}/policystatus"
            }
            GetMultiRegionAccessPointRoutes { .. } | SubmitMultiRegionAccessPointRoutes { .. } => {
                "/v20180820/mrap/instances/{mrap+}/routes"
            }
            PutAccountPublicAccessBlock
            | GetAccountPublicAccessBlock
            | DeleteAccountPublicAccessBlock => "/v20180820/configuration/publicAccessBlock",
            ControlUnsupported { .. } => "/v20180820/{*path}",
            ListBuckets => "/",
            CreateBucket { .. }
            | HeadBucket { .. }
            | GetBucketLocation { .. }
            | DeleteBucket { .. } => "/{bucket}",
            PutBucketPolicy { .. } | GetBucketPolicy { .. } | DeleteBucketPolicy { .. } => {
                "/{bucket}?policy"
            }
            GetBucketPolicyStatus { .. } => "/{bucket}?policyStatus",
            PutBucketPublicAccessBlock { .. }
            | GetBucketPublicAccessBlock { .. }
            | DeleteBucketPublicAccessBlock { .. } => "/{bucket}?publicAccessBlock",
            S3Unsupported {
                bucket: None,
                has_key: false,
                ..
            } => "/",
            S3Unsupported {
                bucket: Some(_),
                has_key: false,
                ..
            } => "/{bucket}",
            S3Unsupported { has_key: true, .. } => "/{bucket}/{*key}",
            MrapDataPlane { .. } => "/{*key}",
            ValidatePolicy => VALIDATE_POLICY_PATH,
            AccessAnalyzerUnsupported => "/{*path}",
        }
    }
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// `rest` is the path after `/v20180820/`.
fn classify_control(method: &Method, rest: &str) -> Endpoint {
    let unsupported = |code| Endpoint::ControlUnsupported { code };
    let only = |allowed: Method, endpoint: Endpoint| {
        if *method == allowed {
            endpoint
        } else {
            unsupported(ErrorCode::MethodNotAllowed)
        }
    };

    if let Some(tail) = rest.strip_prefix(ASYNC_MRAP) {
        // `create`, `delete`, `put-policy` are POST-only and Describe is GET-only, so the method
        // settles the overlap between the fixed names and the greedy token label.
        return match *method {
            Method::GET => Endpoint::DescribeMultiRegionAccessPointOperation {
                request_token_arn: decode(tail),
            },
            Method::POST => match tail {
                "create" => Endpoint::CreateMultiRegionAccessPoint,
                "delete" => Endpoint::DeleteMultiRegionAccessPoint,
                "put-policy" => Endpoint::PutMultiRegionAccessPointPolicy,
                _ => unsupported(ErrorCode::NotImplemented),
            },
            _ => unsupported(ErrorCode::MethodNotAllowed),
        };
    }
    if rest == INSTANCES {
        return only(Method::GET, Endpoint::ListMultiRegionAccessPoints);
    }
    if rest == ACCOUNT_PAB {
        return match *method {
            Method::PUT => Endpoint::PutAccountPublicAccessBlock,
            Method::GET => Endpoint::GetAccountPublicAccessBlock,
            Method::DELETE => Endpoint::DeleteAccountPublicAccessBlock,
            _ => unsupported(ErrorCode::MethodNotAllowed),
        };
    }
    if let Some(tail) = rest
        .strip_prefix(INSTANCES)
        .and_then(|t| t.strip_prefix('/'))
    {
        // `{name+}` is greedy: strip a known trailing sub-resource, the rest is the label.
        if let Some(mrap) = tail.strip_suffix("/routes") {
            let mrap = decode(mrap);
            return match *method {
                Method::GET => Endpoint::GetMultiRegionAccessPointRoutes { mrap },
                Method::PATCH => Endpoint::SubmitMultiRegionAccessPointRoutes { mrap },
                _ => unsupported(ErrorCode::MethodNotAllowed),
            };
        }
        if let Some(name) = tail.strip_suffix("/policystatus") {
            return only(
                Method::GET,
                Endpoint::GetMultiRegionAccessPointPolicyStatus { name: decode(name) },
            );
        }
        if let Some(name) = tail.strip_suffix("/policy") {
            return only(
                Method::GET,
                Endpoint::GetMultiRegionAccessPointPolicy { name: decode(name) },
            );
        }
        return only(
            Method::GET,
            Endpoint::GetMultiRegionAccessPoint { name: decode(tail) },
        );
    }
    unsupported(ErrorCode::NotImplemented)
}

/// Query keys that never change which operation a request is: the SDKs' `x-id=…` hint and the
/// presigned-URL `X-Amz-*` parameters.
fn is_ignorable_query_key(key: &str) -> bool {
    key.eq_ignore_ascii_case("x-id")
        || key
            .get(..6)
            .is_some_and(|p| p.eq_ignore_ascii_case("x-amz-"))
}

/// Bucket sub-resources this gateway serves (query keys are case-sensitive, as in S3).
const SERVED_SUBRESOURCES: [&str; 4] = ["location", "policy", "policyStatus", "publicAccessBlock"];

/// Decoded query keys that select a sub-resource (`location`, `policy`, `uploads`, …).
fn subresource_keys(query: &str) -> Vec<String> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| decode(pair.split_once('=').map_or(pair, |(k, _)| k)))
        .filter(|k| !is_ignorable_query_key(k))
        .collect()
}

/// Methods S3 uses at all; anything else is `MethodNotAllowed` rather than `NotImplemented`.
fn is_s3_method(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::POST | Method::DELETE | Method::OPTIONS
    )
}

/// `key` is the raw object key (empty for bucket-level requests).
fn classify_s3(method: &Method, bucket: Option<String>, key: &str, query: &str) -> Endpoint {
    let Some(bucket) = bucket else {
        return match *method {
            Method::GET => Endpoint::ListBuckets,
            _ => Endpoint::S3Unsupported {
                bucket: None,
                has_key: false,
                code: ErrorCode::MethodNotAllowed,
            },
        };
    };
    let unsupported = |code| Endpoint::S3Unsupported {
        bucket: Some(bucket.clone()),
        has_key: !key.is_empty(),
        code,
    };
    if !is_s3_method(method) {
        return unsupported(ErrorCode::MethodNotAllowed);
    }
    if !key.is_empty() {
        return unsupported(ErrorCode::NotImplemented);
    }
    let keys = subresource_keys(query);
    if *method == Method::HEAD {
        return Endpoint::HeadBucket { bucket };
    }
    // The first sub-resource this gateway serves decides; another sub-resource alone
    // (`DELETE /b?tagging`, `GET /b?list-type=2`) is an operation not served here.
    let served = keys
        .iter()
        .find_map(|k| SERVED_SUBRESOURCES.iter().find(|s| *s == k).copied());
    let Some(sub) = served else {
        return match *method {
            Method::PUT if keys.is_empty() => Endpoint::CreateBucket { bucket },
            Method::DELETE if keys.is_empty() => Endpoint::DeleteBucket { bucket },
            _ => unsupported(ErrorCode::NotImplemented),
        };
    };
    match (sub, method.clone()) {
        ("location", Method::GET) => Endpoint::GetBucketLocation { bucket },
        ("policy", Method::PUT) => Endpoint::PutBucketPolicy { bucket },
        ("policy", Method::GET) => Endpoint::GetBucketPolicy { bucket },
        ("policy", Method::DELETE) => Endpoint::DeleteBucketPolicy { bucket },
        ("policyStatus", Method::GET) => Endpoint::GetBucketPolicyStatus { bucket },
        ("publicAccessBlock", Method::PUT) => Endpoint::PutBucketPublicAccessBlock { bucket },
        ("publicAccessBlock", Method::GET) => Endpoint::GetBucketPublicAccessBlock { bucket },
        ("publicAccessBlock", Method::DELETE) => Endpoint::DeleteBucketPublicAccessBlock { bucket },
        _ => unsupported(ErrorCode::MethodNotAllowed),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::host;

    fn classify(method: &str, path: &str, query: &str, host: &str) -> Endpoint {
        classify_signed(method, path, query, host, Some("s3"))
    }

    fn classify_signed(
        method: &str,
        path: &str,
        query: &str,
        host: &str,
        service: Option<&str>,
    ) -> Endpoint {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let domains = vec!["s3.example.test".to_owned()];
        Endpoint::classify(
            &method,
            path,
            query,
            &host::parse(Some(host), &domains),
            service,
        )
    }

    const TOKEN_PATH: &str = "/v20180820/async-requests/mrap/arn%3Aaws%3As3%3Aus-west-2%3A123456789012%3Aasync-request/mrap/create/0123456789abcdef0123456789abcdef";
    const TOKEN_ARN: &str = "arn:aws:s3:us-west-2:123456789012:async-request/mrap/create/0123456789abcdef0123456789abcdef";

    #[test]
    fn control_table() {
        use Endpoint::*;
        let h = "123456789012.localhost:4566";
        let not_impl = ControlUnsupported {
            code: ErrorCode::NotImplemented,
        };
        let not_allowed = ControlUnsupported {
            code: ErrorCode::MethodNotAllowed,
        };
        let decoded_path = format!("/v20180820/async-requests/mrap/{TOKEN_ARN}");
        let cases: Vec<(&str, &str, &str, &str, Endpoint)> = vec![
            (
                "POST",
                "/v20180820/async-requests/mrap/create",
                "",
                h,
                CreateMultiRegionAccessPoint,
            ),
            (
                "POST",
                "/v20180820/async-requests/mrap/create",
                "x-id=CreateMultiRegionAccessPoint",
                "127.0.0.1:4566",
                CreateMultiRegionAccessPoint,
            ),
            (
                "POST",
                "/v20180820/async-requests/mrap/create",
                "",
                "000000000000.127.0.0.1:4566",
                CreateMultiRegionAccessPoint,
            ),
            (
                "POST",
                "/v20180820/async-requests/mrap/delete",
                "",
                h,
                DeleteMultiRegionAccessPoint,
            ),
            (
                "POST",
                "/v20180820/async-requests/mrap/put-policy",
                "",
                h,
                PutMultiRegionAccessPointPolicy,
            ),
            (
                "POST",
                "/v20180820/async-requests/mrap/other",
                "",
                h,
                not_impl.clone(),
            ),
            (
                "PUT",
                "/v20180820/async-requests/mrap/create",
                "",
                h,
                not_allowed.clone(),
            ),
            (
                "GET",
                TOKEN_PATH,
                "",
                h,
                DescribeMultiRegionAccessPointOperation {
                    request_token_arn: TOKEN_ARN.into(),
                },
            ),
            // already-decoded colons are fine too
            (
                "GET",
                &decoded_path,
                "",
                h,
                DescribeMultiRegionAccessPointOperation {
                    request_token_arn: TOKEN_ARN.into(),
                },
            ),
            // GET on a fixed name is a Describe of a token that does not exist
            (
                "GET",
                "/v20180820/async-requests/mrap/create",
                "",
                h,
                DescribeMultiRegionAccessPointOperation {
                    request_token_arn: "create".into(),
                },
            ),
            ("DELETE", TOKEN_PATH, "", h, not_allowed.clone()),
            (
                "GET",
                "/v20180820/mrap/instances",
                "",
                h,
                ListMultiRegionAccessPoints,
            ),
            (
                "GET",
                "/v20180820/mrap/instances",
                "maxResults=5&nextToken=abc",
                h,
                ListMultiRegionAccessPoints,
            ),
            (
                "POST",
                "/v20180820/mrap/instances",
                "",
                h,
                not_allowed.clone(),
            ),
            (
                "GET",
                "/v20180820/mrap/instances/my-mrap",
                "",
                h,
                GetMultiRegionAccessPoint {
                    name: "my-mrap".into(),
                },
            ),
            (
                "GET",
                "/v20180820/mrap/instances/policy",
                "",
                h,
                GetMultiRegionAccessPoint {
                    name: "policy".into(),
                },
            ),
            (
                "GET",
                "/v20180820/mrap/instances/a/b",
                "",
                h,
                GetMultiRegionAccessPoint { name: "a/b".into() },
            ),
            (
                "GET",
                "/v20180820/mrap/instances/Bad%20Name",
                "",
                h,
                GetMultiRegionAccessPoint {
                    name: "Bad Name".into(),
                },
            ),
            (
                "DELETE",
                "/v20180820/mrap/instances/my-mrap",
                "",
                h,
                not_allowed.clone(),
            ),
            (
                "GET",
                "/v20180820/mrap/instances/my-mrap/policy",
                "",
                h,
                GetMultiRegionAccessPointPolicy {
                    name: "my-mrap".into(),
                },
            ),
            (
                "GET",
                "/v20180820/mrap/instances/my-mrap/policystatus",
                "",
                h,
                GetMultiRegionAccessPointPolicyStatus {
                    name: "my-mrap".into(),
                },
            ),
            (
                "PUT",
                "/v20180820/mrap/instances/my-mrap/policy",
                "",
                h,
                not_allowed.clone(),
            ),
            (
                "GET",
                "/v20180820/mrap/instances/arn%3Aaws%3As3%3A%3A123456789012%3Aaccesspoint/mfzwi23gnjvgw.mrap/routes",
                "",
                h,
                GetMultiRegionAccessPointRoutes {
                    mrap: "arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap".into(),
                },
            ),
            (
                "PATCH",
                "/v20180820/mrap/instances/arn%3Aaws%3As3%3A%3A123456789012%3Aaccesspoint/mfzwi23gnjvgw.mrap/routes",
                "",
                h,
                SubmitMultiRegionAccessPointRoutes {
                    mrap: "arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap".into(),
                },
            ),
            (
                "POST",
                "/v20180820/mrap/instances/x/routes",
                "",
                h,
                not_allowed.clone(),
            ),
            (
                "PUT",
                "/v20180820/configuration/publicAccessBlock",
                "",
                h,
                PutAccountPublicAccessBlock,
            ),
            (
                "GET",
                "/v20180820/configuration/publicAccessBlock",
                "x-id=GetPublicAccessBlock",
                h,
                GetAccountPublicAccessBlock,
            ),
            (
                "DELETE",
                "/v20180820/configuration/publicAccessBlock",
                "",
                h,
                DeleteAccountPublicAccessBlock,
            ),
            (
                "POST",
                "/v20180820/configuration/publicAccessBlock",
                "",
                h,
                not_allowed.clone(),
            ),
            (
                "GET",
                "/v20180820/configuration/publicAccessBlockX",
                "",
                h,
                not_impl.clone(),
            ),
            ("GET", "/v20180820/accesspoint", "", h, not_impl.clone()),
            ("GET", "/v20180820/", "", h, not_impl.clone()),
            ("GET", "/v20180820/mrap/instancesX", "", h, not_impl.clone()),
        ];
        for (method, path, query, host, want) in cases {
            let got = classify(method, path, query, host);
            assert_eq!(got, want, "{method} {path}?{query} @ {host}");
            assert_eq!(got.api(), Api::S3Control);
        }
    }

    #[test]
    fn s3_table() {
        use Endpoint::*;
        let b = |s: &str| s.to_owned();
        let unsup = |bucket: Option<&str>, has_key, code| S3Unsupported {
            bucket: bucket.map(b),
            has_key,
            code,
        };
        let h = "127.0.0.1:4566";
        let cases: Vec<(&str, &str, &str, &str, Endpoint)> = vec![
            ("GET", "/", "", h, ListBuckets),
            (
                "GET",
                "/",
                "x-id=ListBuckets&max-buckets=10",
                h,
                ListBuckets,
            ),
            ("GET", "", "", h, ListBuckets),
            (
                "PUT",
                "/",
                "",
                h,
                unsup(None, false, ErrorCode::MethodNotAllowed),
            ),
            (
                "PUT",
                "/my-bucket",
                "",
                h,
                CreateBucket {
                    bucket: b("my-bucket"),
                },
            ),
            (
                "PUT",
                "/my-bucket/",
                "x-id=CreateBucket",
                h,
                CreateBucket {
                    bucket: b("my-bucket"),
                },
            ),
            (
                "PUT",
                "/My_Bucket",
                "",
                h,
                CreateBucket {
                    bucket: b("My_Bucket"),
                },
            ),
            (
                "PUT",
                "/my-bucket",
                "policy",
                h,
                PutBucketPolicy {
                    bucket: b("my-bucket"),
                },
            ),
            (
                "PUT",
                "/my-bucket",
                "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00",
                h,
                CreateBucket {
                    bucket: b("my-bucket"),
                },
            ),
            (
                "HEAD",
                "/my-bucket",
                "",
                h,
                HeadBucket {
                    bucket: b("my-bucket"),
                },
            ),
            (
                "GET",
                "/my-bucket",
                "location",
                h,
                GetBucketLocation {
                    bucket: b("my-bucket"),
                },
            ),
            (
                "GET",
                "/my-bucket",
                "location=&x-id=GetBucketLocation",
                h,
                GetBucketLocation {
                    bucket: b("my-bucket"),
                },
            ),
            (
                "GET",
                "/my-bucket",
                "list-type=2",
                h,
                unsup(Some("my-bucket"), false, ErrorCode::NotImplemented),
            ),
            (
                "GET",
                "/my-bucket",
                "",
                h,
                unsup(Some("my-bucket"), false, ErrorCode::NotImplemented),
            ),
            (
                "DELETE",
                "/my-bucket",
                "",
                h,
                DeleteBucket {
                    bucket: b("my-bucket"),
                },
            ),
            (
                "DELETE",
                "/my-bucket",
                "x-id=DeleteBucket",
                h,
                DeleteBucket {
                    bucket: b("my-bucket"),
                },
            ),
            (
                "DELETE",
                "/my-bucket",
                "tagging",
                h,
                unsup(Some("my-bucket"), false, ErrorCode::NotImplemented),
            ),
            (
                "POST",
                "/my-bucket",
                "delete",
                h,
                unsup(Some("my-bucket"), false, ErrorCode::NotImplemented),
            ),
            (
                "PATCH",
                "/my-bucket",
                "",
                h,
                unsup(Some("my-bucket"), false, ErrorCode::MethodNotAllowed),
            ),
            (
                "GET",
                "/my-bucket/key/with/slashes",
                "",
                h,
                unsup(Some("my-bucket"), true, ErrorCode::NotImplemented),
            ),
            (
                "PUT",
                "/my-bucket/k",
                "x-id=PutObject",
                h,
                unsup(Some("my-bucket"), true, ErrorCode::NotImplemented),
            ),
            // account-prefixed host, still path style
            (
                "PUT",
                "/my-bucket",
                "",
                "000000000000.127.0.0.1:4566",
                CreateBucket {
                    bucket: b("my-bucket"),
                },
            ),
            // virtual-host style
            (
                "PUT",
                "/",
                "",
                "vh-bucket.localhost:4566",
                CreateBucket {
                    bucket: b("vh-bucket"),
                },
            ),
            (
                "HEAD",
                "/",
                "",
                "vh-bucket.s3.us-east-1.amazonaws.com",
                HeadBucket {
                    bucket: b("vh-bucket"),
                },
            ),
            (
                "GET",
                "/",
                "location",
                "vh-bucket.s3.example.test",
                GetBucketLocation {
                    bucket: b("vh-bucket"),
                },
            ),
            (
                "DELETE",
                "",
                "",
                "vh-bucket.s3.amazonaws.com",
                DeleteBucket {
                    bucket: b("vh-bucket"),
                },
            ),
            (
                "GET",
                "/some/key",
                "",
                "vh-bucket.localhost",
                unsup(Some("vh-bucket"), true, ErrorCode::NotImplemented),
            ),
            // an S3 Control-looking path on a bucket host is an object key
            (
                "GET",
                "/v20180820/mrap/instances",
                "",
                "vh-bucket.localhost",
                unsup(Some("vh-bucket"), true, ErrorCode::NotImplemented),
            ),
        ];
        for (method, path, query, host, want) in cases {
            let got = classify(method, path, query, host);
            assert_eq!(got, want, "{method} {path}?{query} @ {host}");
            assert_eq!(got.api(), Api::S3);
        }
    }

    #[test]
    fn bucket_policy_and_public_access_block_sub_resources() {
        use Endpoint::*;
        let b = || "my-bucket".to_owned();
        let not_allowed = S3Unsupported {
            bucket: Some(b()),
            has_key: false,
            code: ErrorCode::MethodNotAllowed,
        };
        let cases: Vec<(&str, &str, &str, Endpoint)> = vec![
            (
                "PUT",
                "/my-bucket",
                "policy",
                PutBucketPolicy { bucket: b() },
            ),
            (
                "GET",
                "/my-bucket",
                "policy=",
                GetBucketPolicy { bucket: b() },
            ),
            (
                "DELETE",
                "/my-bucket",
                "policy&x-id=DeleteBucketPolicy",
                DeleteBucketPolicy { bucket: b() },
            ),
            ("POST", "/my-bucket", "policy", not_allowed.clone()),
            (
                "GET",
                "/my-bucket",
                "policyStatus",
                GetBucketPolicyStatus { bucket: b() },
            ),
            ("PUT", "/my-bucket", "policyStatus", not_allowed.clone()),
            (
                "PUT",
                "/my-bucket",
                "publicAccessBlock",
                PutBucketPublicAccessBlock { bucket: b() },
            ),
            (
                "GET",
                "/my-bucket",
                "publicAccessBlock",
                GetBucketPublicAccessBlock { bucket: b() },
            ),
            (
                "DELETE",
                "/my-bucket",
                "publicAccessBlock",
                DeleteBucketPublicAccessBlock { bucket: b() },
            ),
            (
                "POST",
                "/my-bucket",
                "publicAccessBlock",
                not_allowed.clone(),
            ),
            ("POST", "/my-bucket", "location", not_allowed.clone()),
            // query keys are case-sensitive, as on S3
            (
                "GET",
                "/my-bucket",
                "policystatus",
                S3Unsupported {
                    bucket: Some(b()),
                    has_key: false,
                    code: ErrorCode::NotImplemented,
                },
            ),
            // HEAD is HeadBucket whatever the query
            ("HEAD", "/my-bucket", "policy", HeadBucket { bucket: b() }),
            // virtual-host style
            ("GET", "/", "policy", GetBucketPolicy { bucket: b() }),
        ];
        for (method, path, query, want) in cases {
            let host = if path == "/" {
                "my-bucket.s3.example.test"
            } else {
                "127.0.0.1:4566"
            };
            let got = classify(method, path, query, host);
            assert_eq!(got, want, "{method} {path}?{query}");
            assert_eq!(got.api(), Api::S3);
        }
    }

    #[test]
    fn access_analyzer_is_chosen_by_the_signing_service_on_any_host() {
        let aa = Some(ACCESS_ANALYZER_SERVICE);
        for host in [
            "127.0.0.1:4566",
            "access-analyzer.us-east-1.amazonaws.com",
            "policy.localhost",
            "000000000000.localhost:4566",
        ] {
            let e = classify_signed("POST", "/policy/validation", "", host, aa);
            assert_eq!(e, Endpoint::ValidatePolicy, "{host}");
            assert_eq!(e.api(), Api::AccessAnalyzer);
            assert_eq!(
                (e.operation(), e.route()),
                ("ValidatePolicy", "/policy/validation")
            );
            let e = classify_signed(
                "POST",
                "/policy/validation",
                "maxResults=2&nextToken=4",
                host,
                aa,
            );
            assert_eq!(e, Endpoint::ValidatePolicy, "{host}");
        }
        for (method, path) in [
            ("GET", "/policy/validation"),
            ("POST", "/policy/validation/"),
            ("PUT", "/analyzer"),
            ("POST", "/v20180820/mrap/instances"),
        ] {
            let e = classify_signed(method, path, "", "127.0.0.1", aa);
            assert_eq!(e, Endpoint::AccessAnalyzerUnsupported, "{method} {path}");
            assert_eq!(e.api(), Api::AccessAnalyzer);
        }
        // the same URL signed for S3 is an S3 object request
        let e = classify_signed("POST", "/policy/validation", "", "127.0.0.1", Some("s3"));
        assert_eq!(
            e,
            Endpoint::S3Unsupported {
                bucket: Some("policy".into()),
                has_key: true,
                code: ErrorCode::NotImplemented,
            }
        );
        // unsigned, it is Access Analyzer's (which refuses it for lack of a signature)
        let e = classify_signed("POST", "/policy/validation", "", "127.0.0.1", None);
        assert_eq!(e, Endpoint::ValidatePolicy);
    }

    #[test]
    fn mrap_data_plane_hosts() {
        for (method, path) in [("GET", "/k/x.txt"), ("PUT", "/k"), ("GET", "/")] {
            assert_eq!(
                classify(
                    method,
                    path,
                    "",
                    "mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com"
                ),
                Endpoint::MrapDataPlane {
                    alias: "mfzwi23gnjvgw.mrap".into()
                }
            );
        }
    }

    #[test]
    fn routes_and_operations_are_low_cardinality() {
        let e = classify("GET", TOKEN_PATH, "", "localhost");
        assert_eq!(e.route(), "/v20180820/async-requests/mrap/{request_token+}");
        assert_eq!(e.operation(), "DescribeMultiRegionAccessPointOperation");
        let e = classify("HEAD", "/some-bucket", "", "localhost");
        assert_eq!((e.route(), e.operation()), ("/{bucket}", "HeadBucket"));
        let e = classify("GET", "/some-bucket/a/b", "", "localhost");
        assert_eq!(e.route(), "/{bucket}/{*key}");
        let e = classify(
            "POST",
            "/v20180820/async-requests/mrap/create",
            "",
            "localhost",
        );
        assert_eq!(
            (e.route(), e.operation()),
            (
                "/v20180820/async-requests/mrap/create",
                "CreateMultiRegionAccessPoint"
            )
        );
    }
}
