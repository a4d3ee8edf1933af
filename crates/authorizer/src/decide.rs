//! Authorization: may this principal perform the action on the resource?
//!
//! The layers, as IAM evaluates them for S3 (policy-eval.md §1): an explicit deny in the bucket
//! policy wins; the bucket owner's account is otherwise allowed (a root's identity side allows
//! everything in its account); another account needs an allow from the bucket policy, which
//! `RestrictPublicBuckets` voids when that policy is public.

use mrap_model::{ApiError, ErrorCode};
use mrap_policy::{Decision, RequestContext, RequestPrincipal};
use mrap_proto::authz::{AuthzRequest, Grant, GrantedBucket, Resource};

use crate::{ReadModel, authn, read_model::BucketView};

/// Actions the bucket owner keeps even against a deny in the bucket policy, so that a policy can
/// never lock its owner out.
const OWNER_ALWAYS: [&str; 3] = [
    "s3:GetBucketPolicy",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
];

pub async fn check(model: &ReadModel, req: &AuthzRequest) -> Result<Grant, ApiError> {
    let now_ms = mrap_model::time::now_millis();
    let authn::Authenticated { key, chunk_signing } =
        authn::authenticate(model, req, now_ms / 1000).await?;
    let mut granted_bucket = None;
    let allowed = match &req.resource {
        Resource::CallerAccount => true,
        Resource::Account(a) => *a == key.account,
        // An unknown bucket is not an authorization matter: the handler answers NoSuchBucket.
        Resource::Bucket(b) | Resource::Object { bucket: b, .. } => {
            match model.bucket(b.as_str()).await? {
                None => true,
                Some(bucket) => {
                    granted_bucket = Some(GrantedBucket {
                        region: bucket.record.region.clone(),
                        owner: bucket.record.owner.clone(),
                    });
                    bucket_allows(model, req, &key, &bucket, now_ms).await?
                }
            }
        }
        // Authentication only: each object is authorised by a request of its own.
        Resource::EachObjectOf(b) => {
            granted_bucket = model.bucket(b.as_str()).await?.map(|bucket| GrantedBucket {
                region: bucket.record.region.clone(),
                owner: bucket.record.owner.clone(),
            });
            true
        }
    };
    if !allowed {
        tracing::info!(action = %req.action, principal = %key.principal_arn, "request denied");
        return Err(ApiError::new(ErrorCode::AccessDenied, "Access Denied"));
    }
    Ok(Grant {
        account: key.account,
        principal_arn: key.principal_arn,
        access_key: key.access_key,
        chunk_signing,
        bucket: granted_bucket,
    })
}

async fn bucket_allows(
    model: &ReadModel,
    req: &AuthzRequest,
    key: &mrap_model::AccessKeyRecord,
    bucket: &BucketView,
    now_ms: i64,
) -> Result<bool, ApiError> {
    let same_account = bucket.record.owner == key.account;
    let Some(policy) = &bucket.policy else {
        return Ok(same_account);
    };
    let arn = match &req.resource {
        Resource::Object { key: object, .. } => {
            format!("arn:aws:s3:::{}/{object}", bucket.record.name)
        }
        _ => format!("arn:aws:s3:::{}", bucket.record.name),
    };
    let ctx = context(req, key, &arn, now_ms);
    Ok(match mrap_policy::evaluate(policy, &ctx).decision {
        Decision::ExplicitDeny => same_account && OWNER_ALWAYS.contains(&req.action.as_str()),
        Decision::ImplicitDeny => same_account,
        Decision::Allow if same_account => true,
        Decision::Allow => {
            let is_public = bucket.record.policy.as_ref().is_some_and(|p| p.is_public);
            let restrict = bucket
                .record
                .public_access_block
                .is_some_and(|p| p.restrict_public_buckets)
                || model
                    .account_pab(&bucket.record.owner)
                    .await?
                    .is_some_and(|p| p.restrict_public_buckets);
            !(is_public && restrict)
        }
    })
}

/// The request context: principal, action, resource and the global condition keys we know.
fn context(
    req: &AuthzRequest,
    key: &mrap_model::AccessKeyRecord,
    resource: &str,
    now_ms: i64,
) -> RequestContext {
    let principal = RequestPrincipal::Aws {
        account: key.account.to_string(),
        arn: key.principal_arn.clone(),
    };
    let mut ctx = RequestContext::new(principal, req.action.clone(), resource)
        .with_key("aws:PrincipalAccount", key.account.to_string())
        .with_key("aws:PrincipalArn", key.principal_arn.clone())
        .with_key("aws:PrincipalType", "Account")
        .with_key("aws:userid", key.account.to_string())
        .with_key("aws:SecureTransport", "false")
        .with_key("aws:CurrentTime", mrap_model::time::format_iso8601(now_ms))
        .with_key("aws:EpochTime", (now_ms / 1000).to_string())
        .with_key("s3:authType", "REST-HEADER")
        .with_key("s3:signatureversion", "AWS4-HMAC-SHA256");
    if let Some(ip) = &req.source_ip {
        ctx = ctx.with_key("aws:SourceIp", ip.clone());
    }
    ctx
}
