//! Which S3 Control operation a request is, from its method and raw path, and the account it
//! names. Paths are matched on the raw (percent-encoded) form and each label is decoded only after
//! splitting: greedy labels (`{request_token+}`, `{name+}`) contain literal `/`, and `:` arrives as
//! `%3A`.

use axum::http::{HeaderMap, Method};
use mrap_model::{AccountId, ApiError};

use crate::{
    common::error::{decode, invalid_request, method_not_allowed, not_implemented},
    s3control::{ControlOp, Routed},
};

const ASYNC_MRAP: &str = "async-requests/mrap/";
const INSTANCES: &str = "mrap/instances";
const ACCOUNT_PAB: &str = "configuration/publicAccessBlock";

/// The header that names the account of every S3 Control request.
pub(crate) const ACCOUNT_HEADER: &str = "x-amz-account-id";

/// `rest` is the raw path after `/v20180820/`. Requests not served are refused here, before the
/// authorizer: `MethodNotAllowed` for a known path, `NotImplemented` otherwise.
pub(crate) fn classify(method: &Method, rest: &str) -> Result<Routed, ApiError> {
    use ControlOp as Op;
    let routed = |op, label: &str| {
        Ok(Routed {
            op,
            label: decode(label),
        })
    };
    let only = |allowed: Method, op, label: &str| {
        if *method == allowed {
            routed(op, label)
        } else {
            Err(method_not_allowed(method.as_str()))
        }
    };

    if let Some(tail) = rest.strip_prefix(ASYNC_MRAP) {
        // `create`, `delete`, `put-policy` are POST-only and Describe is GET-only, so the method
        // settles the overlap between the fixed names and the greedy token label.
        return match *method {
            Method::GET => routed(Op::DescribeMultiRegionAccessPointOperation, tail),
            Method::POST => match tail {
                "create" => routed(Op::CreateMultiRegionAccessPoint, ""),
                "delete" => routed(Op::DeleteMultiRegionAccessPoint, ""),
                "put-policy" => routed(Op::PutMultiRegionAccessPointPolicy, ""),
                _ => Err(not_implemented()),
            },
            _ => Err(method_not_allowed(method.as_str())),
        };
    }
    if rest == INSTANCES {
        return only(Method::GET, Op::ListMultiRegionAccessPoints, "");
    }
    if rest == ACCOUNT_PAB {
        return match *method {
            Method::PUT => routed(Op::PutPublicAccessBlock, ""),
            Method::GET => routed(Op::GetPublicAccessBlock, ""),
            Method::DELETE => routed(Op::DeletePublicAccessBlock, ""),
            _ => Err(method_not_allowed(method.as_str())),
        };
    }
    if let Some(tail) = rest
        .strip_prefix(INSTANCES)
        .and_then(|t| t.strip_prefix('/'))
    {
        // `{name+}` is greedy: strip a known trailing sub-resource, the rest is the label.
        if let Some(mrap) = tail.strip_suffix("/routes") {
            return match *method {
                Method::GET => routed(Op::GetMultiRegionAccessPointRoutes, mrap),
                Method::PATCH => routed(Op::SubmitMultiRegionAccessPointRoutes, mrap),
                _ => Err(method_not_allowed(method.as_str())),
            };
        }
        if let Some(name) = tail.strip_suffix("/policystatus") {
            return only(Method::GET, Op::GetMultiRegionAccessPointPolicyStatus, name);
        }
        if let Some(name) = tail.strip_suffix("/policy") {
            return only(Method::GET, Op::GetMultiRegionAccessPointPolicy, name);
        }
        return only(Method::GET, Op::GetMultiRegionAccessPoint, tail);
    }
    Err(not_implemented())
}

/// The S3 Control account: the `x-amz-account-id` header (the Host label is only advisory).
pub(crate) fn account_from(headers: &HeaderMap) -> Result<AccountId, ApiError> {
    let Some(value) = headers.get(ACCOUNT_HEADER) else {
        return Err(invalid_request(
            "Missing required header for this request: x-amz-account-id",
        ));
    };
    let value = value.to_str().unwrap_or_default();
    AccountId::parse(value.trim()).map_err(|_| {
        invalid_request("The x-amz-account-id header must be a 12-digit AWS account id.")
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use axum::http::HeaderValue;
    use mrap_model::ErrorCode;

    use super::*;

    const TOKEN_PATH: &str = "/v20180820/async-requests/mrap/arn%3Aaws%3As3%3Aus-west-2%3A123456789012%3Aasync-request/mrap/create/0123456789abcdef0123456789abcdef";
    const TOKEN_ARN: &str = "arn:aws:s3:us-west-2:123456789012:async-request/mrap/create/0123456789abcdef0123456789abcdef";

    type Want = Result<Routed, ErrorCode>;

    fn ok(op: ControlOp, label: &str) -> Want {
        Ok(Routed {
            op,
            label: label.into(),
        })
    }
    fn not_impl() -> Want {
        Err(ErrorCode::NotImplemented)
    }
    fn not_allowed() -> Want {
        Err(ErrorCode::MethodNotAllowed)
    }

    #[test]
    fn control_table() {
        use ControlOp::*;
        let h = "123456789012.localhost:4566";
        let decoded_path = format!("/v20180820/async-requests/mrap/{TOKEN_ARN}");
        // (method, path, query, host, expected): neither the query nor the host changes the
        // operation; both are listed as clients send them.
        let cases: Vec<(&str, &str, &str, &str, Want)> = vec![
            (
                "POST",
                "/v20180820/async-requests/mrap/create",
                "",
                h,
                ok(CreateMultiRegionAccessPoint, ""),
            ),
            (
                "POST",
                "/v20180820/async-requests/mrap/create",
                "x-id=CreateMultiRegionAccessPoint",
                "127.0.0.1:4566",
                ok(CreateMultiRegionAccessPoint, ""),
            ),
            (
                "POST",
                "/v20180820/async-requests/mrap/create",
                "",
                "000000000000.127.0.0.1:4566",
                ok(CreateMultiRegionAccessPoint, ""),
            ),
            (
                "POST",
                "/v20180820/async-requests/mrap/delete",
                "",
                h,
                ok(DeleteMultiRegionAccessPoint, ""),
            ),
            (
                "POST",
                "/v20180820/async-requests/mrap/put-policy",
                "",
                h,
                ok(PutMultiRegionAccessPointPolicy, ""),
            ),
            (
                "POST",
                "/v20180820/async-requests/mrap/other",
                "",
                h,
                not_impl(),
            ),
            (
                "PUT",
                "/v20180820/async-requests/mrap/create",
                "",
                h,
                not_allowed(),
            ),
            (
                "GET",
                TOKEN_PATH,
                "",
                h,
                ok(DescribeMultiRegionAccessPointOperation, TOKEN_ARN),
            ),
            // already-decoded colons are fine too
            (
                "GET",
                &decoded_path,
                "",
                h,
                ok(DescribeMultiRegionAccessPointOperation, TOKEN_ARN),
            ),
            // GET on a fixed name is a Describe of a token that does not exist
            (
                "GET",
                "/v20180820/async-requests/mrap/create",
                "",
                h,
                ok(DescribeMultiRegionAccessPointOperation, "create"),
            ),
            ("DELETE", TOKEN_PATH, "", h, not_allowed()),
            (
                "GET",
                "/v20180820/mrap/instances",
                "",
                h,
                ok(ListMultiRegionAccessPoints, ""),
            ),
            (
                "GET",
                "/v20180820/mrap/instances",
                "maxResults=5&nextToken=abc",
                h,
                ok(ListMultiRegionAccessPoints, ""),
            ),
            ("POST", "/v20180820/mrap/instances", "", h, not_allowed()),
            (
                "GET",
                "/v20180820/mrap/instances/my-mrap",
                "",
                h,
                ok(GetMultiRegionAccessPoint, "my-mrap"),
            ),
            (
                "GET",
                "/v20180820/mrap/instances/policy",
                "",
                h,
                ok(GetMultiRegionAccessPoint, "policy"),
            ),
            (
                "GET",
                "/v20180820/mrap/instances/a/b",
                "",
                h,
                ok(GetMultiRegionAccessPoint, "a/b"),
            ),
            (
                "GET",
                "/v20180820/mrap/instances/Bad%20Name",
                "",
                h,
                ok(GetMultiRegionAccessPoint, "Bad Name"),
            ),
            (
                "DELETE",
                "/v20180820/mrap/instances/my-mrap",
                "",
                h,
                not_allowed(),
            ),
            (
                "GET",
                "/v20180820/mrap/instances/my-mrap/policy",
                "",
                h,
                ok(GetMultiRegionAccessPointPolicy, "my-mrap"),
            ),
            (
                "GET",
                "/v20180820/mrap/instances/my-mrap/policystatus",
                "",
                h,
                ok(GetMultiRegionAccessPointPolicyStatus, "my-mrap"),
            ),
            (
                "PUT",
                "/v20180820/mrap/instances/my-mrap/policy",
                "",
                h,
                not_allowed(),
            ),
            (
                "GET",
                "/v20180820/mrap/instances/arn%3Aaws%3As3%3A%3A123456789012%3Aaccesspoint/mfzwi23gnjvgw.mrap/routes",
                "",
                h,
                ok(
                    GetMultiRegionAccessPointRoutes,
                    "arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap",
                ),
            ),
            (
                "PATCH",
                "/v20180820/mrap/instances/arn%3Aaws%3As3%3A%3A123456789012%3Aaccesspoint/mfzwi23gnjvgw.mrap/routes",
                "",
                h,
                ok(
                    SubmitMultiRegionAccessPointRoutes,
                    "arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap",
                ),
            ),
            (
                "POST",
                "/v20180820/mrap/instances/x/routes",
                "",
                h,
                not_allowed(),
            ),
            (
                "PUT",
                "/v20180820/configuration/publicAccessBlock",
                "",
                h,
                ok(PutPublicAccessBlock, ""),
            ),
            (
                "GET",
                "/v20180820/configuration/publicAccessBlock",
                "x-id=GetPublicAccessBlock",
                h,
                ok(GetPublicAccessBlock, ""),
            ),
            (
                "DELETE",
                "/v20180820/configuration/publicAccessBlock",
                "",
                h,
                ok(DeletePublicAccessBlock, ""),
            ),
            (
                "POST",
                "/v20180820/configuration/publicAccessBlock",
                "",
                h,
                not_allowed(),
            ),
            (
                "GET",
                "/v20180820/configuration/publicAccessBlockX",
                "",
                h,
                not_impl(),
            ),
            ("GET", "/v20180820/accesspoint", "", h, not_impl()),
            ("GET", "/v20180820/", "", h, not_impl()),
            ("GET", "/v20180820/mrap/instancesX", "", h, not_impl()),
        ];
        for (method, path, query, host, want) in cases {
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            let rest = path.strip_prefix(crate::s3control::CONTROL_PREFIX).unwrap();
            let got = classify(&method, rest).map_err(|e| e.code);
            assert_eq!(got, want, "{method} {path}?{query} @ {host}");
        }
    }

    #[test]
    fn routes_and_names_are_low_cardinality() {
        let got = classify(
            &Method::GET,
            TOKEN_PATH.strip_prefix("/v20180820/").unwrap(),
        )
        .unwrap();
        assert_eq!(
            got.op.route(),
            "/v20180820/async-requests/mrap/{request_token+}"
        );
        assert_eq!(got.op.name(), "DescribeMultiRegionAccessPointOperation");
        assert_eq!(
            got.op.action(),
            "s3:DescribeMultiRegionAccessPointOperation"
        );
        // every row names an action of the s3 service
        for op in ControlOp::ALL {
            assert!(op.action().starts_with("s3:"), "{op:?}");
        }
    }

    fn headers(account: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(a) = account {
            h.insert(ACCOUNT_HEADER, HeaderValue::from_str(a).unwrap());
        }
        h
    }

    #[test]
    fn the_account_header_is_required_and_checked() {
        assert_eq!(
            account_from(&headers(Some(" 123456789012 "))).unwrap(),
            AccountId::parse("123456789012").unwrap()
        );
        for bad in [None, Some("12345"), Some("abcdefghijkl"), Some("")] {
            assert_eq!(
                account_from(&headers(bad)).unwrap_err().code,
                ErrorCode::InvalidRequest,
                "{bad:?}"
            );
        }
    }
}
