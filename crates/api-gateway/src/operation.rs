//! From a classified [`Endpoint`] to an operation this gateway serves, with everything the path
//! and headers must supply checked *before* the authorizer is asked (the authorizer needs the
//! account or bucket named as its resource).

use axum::http::HeaderMap;
use mrap_model::{AccountId, ApiError, BucketName, ErrorCode};
use mrap_proto::authz::Resource;

use crate::{
    endpoint::{ACCESS_ANALYZER_SERVICE, Endpoint},
    error::{invalid_request, no_such_bucket, not_implemented, unknown_operation},
};

/// The header that names the account of every S3 Control request.
pub(crate) const ACCOUNT_HEADER: &str = "x-amz-account-id";

/// A request ready for the authorizer and then its handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Operation {
    CreateMrap {
        account: AccountId,
    },
    DeleteMrap {
        account: AccountId,
    },
    DescribeMrapOp {
        account: AccountId,
        token_arn: String,
    },
    GetMrap {
        account: AccountId,
        name: String,
    },
    ListMraps {
        account: AccountId,
    },
    PutMrapPolicy {
        account: AccountId,
    },
    GetMrapPolicy {
        account: AccountId,
        name: String,
    },
    GetMrapPolicyStatus {
        account: AccountId,
        name: String,
    },
    PutAccountPab {
        account: AccountId,
    },
    GetAccountPab {
        account: AccountId,
    },
    DeleteAccountPab {
        account: AccountId,
    },
    ListBuckets,
    CreateBucket {
        bucket: BucketName,
    },
    HeadBucket {
        bucket: BucketName,
    },
    GetBucketLocation {
        bucket: BucketName,
    },
    DeleteBucket {
        bucket: BucketName,
    },
    PutBucketPolicy {
        bucket: BucketName,
    },
    GetBucketPolicy {
        bucket: BucketName,
    },
    DeleteBucketPolicy {
        bucket: BucketName,
    },
    GetBucketPolicyStatus {
        bucket: BucketName,
    },
    PutBucketPab {
        bucket: BucketName,
    },
    GetBucketPab {
        bucket: BucketName,
    },
    DeleteBucketPab {
        bucket: BucketName,
    },
    /// Access Analyzer `ValidatePolicy`; `query` is the raw query (`maxResults`, `nextToken`),
    /// read after authentication like the body.
    ValidatePolicy {
        query: String,
    },
}

impl Operation {
    /// Refusals that need no authorizer: operations not served yet, a missing or malformed
    /// `x-amz-account-id`, a bucket name that cannot exist.
    pub fn prepare(
        endpoint: &Endpoint,
        method: &str,
        query: &str,
        headers: &HeaderMap,
    ) -> Result<Self, ApiError> {
        use Endpoint as E;
        let account = || account_from(headers);
        Ok(match endpoint {
            E::CreateMultiRegionAccessPoint => Operation::CreateMrap {
                account: account()?,
            },
            E::DeleteMultiRegionAccessPoint => Operation::DeleteMrap {
                account: account()?,
            },
            E::DescribeMultiRegionAccessPointOperation { request_token_arn } => {
                Operation::DescribeMrapOp {
                    account: account()?,
                    token_arn: request_token_arn.clone(),
                }
            }
            E::GetMultiRegionAccessPoint { name } => Operation::GetMrap {
                account: account()?,
                name: name.clone(),
            },
            E::ListMultiRegionAccessPoints => Operation::ListMraps {
                account: account()?,
            },
            E::PutMultiRegionAccessPointPolicy => Operation::PutMrapPolicy {
                account: account()?,
            },
            E::GetMultiRegionAccessPointPolicy { name } => Operation::GetMrapPolicy {
                account: account()?,
                name: name.clone(),
            },
            E::GetMultiRegionAccessPointPolicyStatus { name } => Operation::GetMrapPolicyStatus {
                account: account()?,
                name: name.clone(),
            },
            E::PutAccountPublicAccessBlock => Operation::PutAccountPab {
                account: account()?,
            },
            E::GetAccountPublicAccessBlock => Operation::GetAccountPab {
                account: account()?,
            },
            E::DeleteAccountPublicAccessBlock => Operation::DeleteAccountPab {
                account: account()?,
            },
            E::ListBuckets => Operation::ListBuckets,
            E::CreateBucket { bucket } => Operation::CreateBucket {
                bucket: BucketName::parse(bucket)
                    .map_err(|m| ApiError::new(ErrorCode::InvalidBucketName, m))?,
            },
            // A name that breaks the rules cannot name an existing bucket.
            E::HeadBucket { bucket } => Operation::HeadBucket {
                bucket: existing(bucket)?,
            },
            E::GetBucketLocation { bucket } => Operation::GetBucketLocation {
                bucket: existing(bucket)?,
            },
            E::DeleteBucket { bucket } => Operation::DeleteBucket {
                bucket: existing(bucket)?,
            },
            E::PutBucketPolicy { bucket } => Operation::PutBucketPolicy {
                bucket: existing(bucket)?,
            },
            E::GetBucketPolicy { bucket } => Operation::GetBucketPolicy {
                bucket: existing(bucket)?,
            },
            E::DeleteBucketPolicy { bucket } => Operation::DeleteBucketPolicy {
                bucket: existing(bucket)?,
            },
            E::GetBucketPolicyStatus { bucket } => Operation::GetBucketPolicyStatus {
                bucket: existing(bucket)?,
            },
            E::PutBucketPublicAccessBlock { bucket } => Operation::PutBucketPab {
                bucket: existing(bucket)?,
            },
            E::GetBucketPublicAccessBlock { bucket } => Operation::GetBucketPab {
                bucket: existing(bucket)?,
            },
            E::DeleteBucketPublicAccessBlock { bucket } => Operation::DeleteBucketPab {
                bucket: existing(bucket)?,
            },
            E::ValidatePolicy => Operation::ValidatePolicy {
                query: query.to_owned(),
            },
            E::AccessAnalyzerUnsupported => return Err(unknown_operation()),
            E::ControlUnsupported { code } | E::S3Unsupported { code, .. } => {
                return Err(unsupported(*code, method));
            }
            // Later issues: routes, and the data plane through an MRAP.
            E::GetMultiRegionAccessPointRoutes { .. }
            | E::SubmitMultiRegionAccessPointRoutes { .. }
            | E::MrapDataPlane { .. } => return Err(not_implemented()),
        })
    }

    /// The IAM action the authorizer decides on.
    pub fn action(&self) -> &'static str {
        match self {
            Operation::CreateMrap { .. } => "s3:CreateMultiRegionAccessPoint",
            Operation::DeleteMrap { .. } => "s3:DeleteMultiRegionAccessPoint",
            Operation::DescribeMrapOp { .. } => "s3:DescribeMultiRegionAccessPointOperation",
            Operation::GetMrap { .. } => "s3:GetMultiRegionAccessPoint",
            Operation::ListMraps { .. } => "s3:ListMultiRegionAccessPoints",
            Operation::PutMrapPolicy { .. } => "s3:PutMultiRegionAccessPointPolicy",
            Operation::GetMrapPolicy { .. } => "s3:GetMultiRegionAccessPointPolicy",
            Operation::GetMrapPolicyStatus { .. } => "s3:GetMultiRegionAccessPointPolicyStatus",
            // Deleting a Block Public Access configuration is authorised as putting one (AWS
            // documents no separate Delete action).
            Operation::PutAccountPab { .. } | Operation::DeleteAccountPab { .. } => {
                "s3:PutAccountPublicAccessBlock"
            }
            Operation::GetAccountPab { .. } => "s3:GetAccountPublicAccessBlock",
            Operation::ListBuckets => "s3:ListAllMyBuckets",
            Operation::CreateBucket { .. } => "s3:CreateBucket",
            Operation::HeadBucket { .. } => "s3:ListBucket",
            Operation::GetBucketLocation { .. } => "s3:GetBucketLocation",
            Operation::DeleteBucket { .. } => "s3:DeleteBucket",
            Operation::PutBucketPolicy { .. } => "s3:PutBucketPolicy",
            Operation::GetBucketPolicy { .. } => "s3:GetBucketPolicy",
            Operation::DeleteBucketPolicy { .. } => "s3:DeleteBucketPolicy",
            Operation::GetBucketPolicyStatus { .. } => "s3:GetBucketPolicyStatus",
            Operation::PutBucketPab { .. } | Operation::DeleteBucketPab { .. } => {
                "s3:PutBucketPublicAccessBlock"
            }
            Operation::GetBucketPab { .. } => "s3:GetBucketPublicAccessBlock",
            Operation::ValidatePolicy { .. } => "access-analyzer:ValidatePolicy",
        }
    }

    /// The SigV4 service the request must be signed for (`None`: `s3`, for S3 and S3 Control).
    pub fn signing_service(&self) -> Option<&'static str> {
        match self {
            Operation::ValidatePolicy { .. } => Some(ACCESS_ANALYZER_SERVICE),
            _ => None,
        }
    }

    /// What the action is performed on.
    pub fn resource(&self) -> Resource {
        match self {
            Operation::CreateMrap { account }
            | Operation::DeleteMrap { account }
            | Operation::DescribeMrapOp { account, .. }
            | Operation::GetMrap { account, .. }
            | Operation::ListMraps { account }
            | Operation::PutMrapPolicy { account }
            | Operation::GetMrapPolicy { account, .. }
            | Operation::GetMrapPolicyStatus { account, .. }
            | Operation::PutAccountPab { account }
            | Operation::GetAccountPab { account }
            | Operation::DeleteAccountPab { account } => Resource::Account(account.clone()),
            Operation::ListBuckets
            | Operation::CreateBucket { .. }
            | Operation::ValidatePolicy { .. } => Resource::CallerAccount,
            Operation::HeadBucket { bucket }
            | Operation::GetBucketLocation { bucket }
            | Operation::DeleteBucket { bucket }
            | Operation::PutBucketPolicy { bucket }
            | Operation::GetBucketPolicy { bucket }
            | Operation::DeleteBucketPolicy { bucket }
            | Operation::GetBucketPolicyStatus { bucket }
            | Operation::PutBucketPab { bucket }
            | Operation::GetBucketPab { bucket }
            | Operation::DeleteBucketPab { bucket } => Resource::Bucket(bucket.clone()),
        }
    }
}

fn unsupported(code: ErrorCode, method: &str) -> ApiError {
    if code == ErrorCode::MethodNotAllowed {
        crate::error::method_not_allowed(method)
    } else {
        not_implemented()
    }
}

fn existing(bucket: &str) -> Result<BucketName, ApiError> {
    BucketName::parse(bucket).map_err(|_| no_such_bucket(bucket))
}

/// The S3 Control account: the `x-amz-account-id` header (the Host label is only advisory).
fn account_from(headers: &HeaderMap) -> Result<AccountId, ApiError> {
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

    use super::*;

    fn headers(account: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(a) = account {
            h.insert(ACCOUNT_HEADER, HeaderValue::from_str(a).unwrap());
        }
        h
    }

    fn code(r: Result<Operation, ApiError>) -> ErrorCode {
        r.unwrap_err().code
    }

    #[test]
    fn control_operations_need_a_valid_account_header() {
        let e = Endpoint::ListMultiRegionAccessPoints;
        let op = Operation::prepare(&e, "GET", "", &headers(Some("123456789012"))).unwrap();
        assert_eq!(op.action(), "s3:ListMultiRegionAccessPoints");
        assert_eq!(
            op.resource(),
            Resource::Account(AccountId::parse("123456789012").unwrap())
        );
        assert_eq!(
            code(Operation::prepare(&e, "GET", "", &headers(None))),
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            code(Operation::prepare(&e, "GET", "", &headers(Some("12345")))),
            ErrorCode::InvalidRequest
        );
    }

    #[test]
    fn bucket_names_are_checked_before_authorization() {
        let bad = "Bad_Bucket".to_owned();
        assert_eq!(
            code(Operation::prepare(
                &Endpoint::CreateBucket {
                    bucket: bad.clone()
                },
                "PUT",
                "",
                &headers(None)
            )),
            ErrorCode::InvalidBucketName
        );
        for e in [
            Endpoint::HeadBucket {
                bucket: bad.clone(),
            },
            Endpoint::GetBucketLocation {
                bucket: bad.clone(),
            },
            Endpoint::DeleteBucket {
                bucket: bad.clone(),
            },
        ] {
            assert_eq!(
                code(Operation::prepare(&e, "GET", "", &headers(None))),
                ErrorCode::NoSuchBucket
            );
        }
        let op = Operation::prepare(
            &Endpoint::HeadBucket {
                bucket: "good-bucket".into(),
            },
            "HEAD",
            "",
            &headers(None),
        )
        .unwrap();
        assert_eq!(op.action(), "s3:ListBucket");
        assert_eq!(
            op.resource(),
            Resource::Bucket(BucketName::parse("good-bucket").unwrap())
        );
    }

    #[test]
    fn unserved_endpoints_are_refused_without_the_account() {
        for (e, want) in [
            (
                Endpoint::GetMultiRegionAccessPointRoutes { mrap: "x".into() },
                ErrorCode::NotImplemented,
            ),
            (
                Endpoint::MrapDataPlane {
                    alias: "mfzwi23gnjvgw.mrap".into(),
                },
                ErrorCode::NotImplemented,
            ),
            (
                Endpoint::ControlUnsupported {
                    code: ErrorCode::MethodNotAllowed,
                },
                ErrorCode::MethodNotAllowed,
            ),
            (
                Endpoint::S3Unsupported {
                    bucket: None,
                    has_key: false,
                    code: ErrorCode::NotImplemented,
                },
                ErrorCode::NotImplemented,
            ),
        ] {
            assert_eq!(
                code(Operation::prepare(&e, "PATCH", "", &headers(None))),
                want,
                "{e:?}"
            );
        }
    }

    #[test]
    fn actions_and_resources() {
        let acct = headers(Some("123456789012"));
        let cases = [
            (
                Endpoint::CreateMultiRegionAccessPoint,
                "s3:CreateMultiRegionAccessPoint",
            ),
            (
                Endpoint::DeleteMultiRegionAccessPoint,
                "s3:DeleteMultiRegionAccessPoint",
            ),
            (
                Endpoint::DescribeMultiRegionAccessPointOperation {
                    request_token_arn: "x".into(),
                },
                "s3:DescribeMultiRegionAccessPointOperation",
            ),
            (
                Endpoint::GetMultiRegionAccessPoint { name: "x".into() },
                "s3:GetMultiRegionAccessPoint",
            ),
            (Endpoint::ListBuckets, "s3:ListAllMyBuckets"),
            (
                Endpoint::CreateBucket {
                    bucket: "abc".into(),
                },
                "s3:CreateBucket",
            ),
            (
                Endpoint::GetBucketLocation {
                    bucket: "abc".into(),
                },
                "s3:GetBucketLocation",
            ),
            (
                Endpoint::DeleteBucket {
                    bucket: "abc".into(),
                },
                "s3:DeleteBucket",
            ),
            (
                Endpoint::PutMultiRegionAccessPointPolicy,
                "s3:PutMultiRegionAccessPointPolicy",
            ),
            (
                Endpoint::GetMultiRegionAccessPointPolicy { name: "x".into() },
                "s3:GetMultiRegionAccessPointPolicy",
            ),
            (
                Endpoint::GetMultiRegionAccessPointPolicyStatus { name: "x".into() },
                "s3:GetMultiRegionAccessPointPolicyStatus",
            ),
            (
                Endpoint::PutAccountPublicAccessBlock,
                "s3:PutAccountPublicAccessBlock",
            ),
            (
                Endpoint::GetAccountPublicAccessBlock,
                "s3:GetAccountPublicAccessBlock",
            ),
            (
                Endpoint::DeleteAccountPublicAccessBlock,
                "s3:PutAccountPublicAccessBlock",
            ),
        ];
        for (e, action) in cases {
            let op = Operation::prepare(&e, "GET", "", &acct).unwrap();
            assert_eq!(op.action(), action);
            assert_eq!(op.signing_service(), None);
        }
        let op = Operation::prepare(&Endpoint::ListBuckets, "GET", "", &acct).unwrap();
        assert_eq!(op.resource(), Resource::CallerAccount);
        let op =
            Operation::prepare(&Endpoint::GetAccountPublicAccessBlock, "GET", "", &acct).unwrap();
        assert_eq!(
            op.resource(),
            Resource::Account(AccountId::parse("123456789012").unwrap())
        );
    }

    #[test]
    fn bucket_policy_and_public_access_block_actions() {
        let b = || "abc".to_owned();
        let cases = [
            (
                Endpoint::PutBucketPolicy { bucket: b() },
                "s3:PutBucketPolicy",
            ),
            (
                Endpoint::GetBucketPolicy { bucket: b() },
                "s3:GetBucketPolicy",
            ),
            (
                Endpoint::DeleteBucketPolicy { bucket: b() },
                "s3:DeleteBucketPolicy",
            ),
            (
                Endpoint::GetBucketPolicyStatus { bucket: b() },
                "s3:GetBucketPolicyStatus",
            ),
            (
                Endpoint::PutBucketPublicAccessBlock { bucket: b() },
                "s3:PutBucketPublicAccessBlock",
            ),
            (
                Endpoint::GetBucketPublicAccessBlock { bucket: b() },
                "s3:GetBucketPublicAccessBlock",
            ),
            (
                Endpoint::DeleteBucketPublicAccessBlock { bucket: b() },
                "s3:PutBucketPublicAccessBlock",
            ),
        ];
        for (e, action) in cases {
            let op = Operation::prepare(&e, "GET", "", &headers(None)).unwrap();
            assert_eq!(op.action(), action);
            assert_eq!(
                op.resource(),
                Resource::Bucket(BucketName::parse("abc").unwrap())
            );
        }
        // a name that cannot exist is NoSuchBucket before the authorizer
        for bad in [
            Endpoint::PutBucketPolicy {
                bucket: "Bad_Name".into(),
            },
            Endpoint::GetBucketPublicAccessBlock { bucket: "x".into() },
        ] {
            assert_eq!(
                code(Operation::prepare(&bad, "GET", "", &headers(None))),
                ErrorCode::NoSuchBucket
            );
        }
    }

    #[test]
    fn validate_policy_is_signed_for_access_analyzer() {
        let op = Operation::prepare(
            &Endpoint::ValidatePolicy,
            "POST",
            "maxResults=1",
            &headers(None),
        )
        .unwrap();
        assert_eq!(
            op,
            Operation::ValidatePolicy {
                query: "maxResults=1".into()
            }
        );
        assert_eq!(op.action(), "access-analyzer:ValidatePolicy");
        assert_eq!(op.resource(), Resource::CallerAccount);
        assert_eq!(op.signing_service(), Some("access-analyzer"));
        assert_eq!(
            code(Operation::prepare(
                &Endpoint::AccessAnalyzerUnsupported,
                "GET",
                "",
                &headers(None)
            )),
            ErrorCode::NotImplemented
        );
    }
}
