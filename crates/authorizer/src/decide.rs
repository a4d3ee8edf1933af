//! Authorization: may this principal perform the action on the resource?
//!
//! Every resource policy is one IAM layer (policy-eval.md §1.8), folded by
//! [`mrap_policy::combine`]: the principal's identity side with the resource's policy, where an
//! account's own principals need either to allow and other accounts need both. Principals are
//! account roots today, whose identity side allows everything, so within an account a resource
//! policy only matters by what it denies. Direct bucket requests have one layer (the bucket
//! policy); requests through an MRAP two (the MRAP policy against the MRAP-form ARN, the routed
//! bucket's policy against the bucket ARN), and both must allow. Block Public Access
//! (`RestrictPublicBuckets`) stops a public policy from granting anything to other accounts.

use mrap_model::{AccountId, ApiError, ErrorCode, MrapStatus, PublicAccessBlock};
use mrap_policy::{
    Decision, Evaluation, Policy, PolicyRole, RequestContext, RequestPrincipal, evaluate,
};
use mrap_proto::authz::{AuthzRequest, Grant, GrantedBucket, Resource};

use crate::{
    ReadModel,
    authn::{self, Authenticated},
    read_model::{BucketView, MrapView},
};

/// Actions the bucket owner keeps even against a deny in the bucket policy, so that a policy can
/// never lock its owner out.
const OWNER_ALWAYS: [&str; 3] = [
    "s3:GetBucketPolicy",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
];

pub async fn check(model: &ReadModel, req: &AuthzRequest) -> Result<Grant, ApiError> {
    let now_ms = mrap_model::time::now_millis();
    let who = authn::authenticate(model, req, now_ms / 1000).await?;
    let mut granted_bucket = None;
    let allowed = match &req.resource {
        Resource::CallerAccount => true,
        Resource::Account(a) => *a == who.key.account,
        Resource::Arn { owner, .. } => owner.as_ref().is_none_or(|o| *o == who.key.account),
        Resource::Caller => true,
        // An unknown bucket is not an authorization matter: the handler answers NoSuchBucket.
        Resource::Bucket(b) | Resource::Object { bucket: b, .. } => {
            match model.bucket(b.as_str()).await? {
                None => true,
                Some(bucket) => {
                    granted_bucket = Some(granted(&bucket));
                    bucket_allows(model, req, &who, &bucket, now_ms).await?
                }
            }
        }
        // Authentication only: each object is authorised by a request of its own.
        Resource::EachObjectOf(b) => {
            granted_bucket = model.bucket(b.as_str()).await?.as_deref().map(granted);
            true
        }
        Resource::ThroughMrap { alias, bucket, key } => {
            let mrap = model
                .mrap(alias.as_str())
                .await?
                .filter(|m| m.record.status == MrapStatus::Ready)
                .ok_or_else(|| no_such_access_point(alias.as_str()))?;
            if !mrap.record.regions.iter().any(|r| r.bucket == *bucket) {
                return Err(ApiError::internal(format!(
                    "the gateway routed {alias} to {bucket}, which is not one of its buckets"
                )));
            }
            // An MRAP's buckets cannot be deleted while it exists: a missing one is a fault.
            let bucket = model.bucket(bucket.as_str()).await?.ok_or_else(|| {
                ApiError::new(
                    ErrorCode::ServiceUnavailable,
                    "The bucket this request was routed to is unavailable. Please try again.",
                )
            })?;
            granted_bucket = Some(granted(&bucket));
            mrap_allows(model, req, &who, &mrap, &bucket, key.as_deref(), now_ms).await?
        }
    };
    if !allowed {
        tracing::info!(action = %req.action, principal = %who.key.principal_arn, "request denied");
        return Err(ApiError::new(ErrorCode::AccessDenied, "Access Denied"));
    }
    Ok(Grant {
        account: who.key.account,
        principal_arn: who.key.principal_arn,
        access_key: who.key.access_key,
        chunk_signing: who.chunk_signing,
        bucket: granted_bucket,
        user: who.key.user,
    })
}

fn granted(bucket: &BucketView) -> GrantedBucket {
    GrantedBucket {
        region: bucket.record.region.clone(),
        owner: bucket.record.owner.clone(),
    }
}

/// The documented answer for an MRAP alias that names nothing usable: unknown, deleted, or not
/// `READY` (being created or deleted).
fn no_such_access_point(alias: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NoSuchAccessPoint,
        format!("The specified accesspoint does not exist: {alias}"),
    )
}

/// One IAM layer: the principal's identity side (a root's allows everything) and the resource's
/// policy, owned by `owner`.
fn layer(
    who: &Authenticated,
    policy: Option<&Policy>,
    owner: &AccountId,
    ctx: &RequestContext,
) -> Evaluation {
    let identity = Evaluation {
        decision: Decision::Allow,
        statements: Vec::new(),
    };
    let resource = policy.map_or(
        Evaluation {
            decision: Decision::ImplicitDeny,
            statements: Vec::new(),
        },
        |p| evaluate(p, ctx),
    );
    mrap_policy::combine(
        &[
            (PolicyRole::Identity, &identity),
            (PolicyRole::Resource, &resource),
        ],
        *owner == who.key.account,
    )
}

async fn bucket_allows(
    model: &ReadModel,
    req: &AuthzRequest,
    who: &Authenticated,
    bucket: &BucketView,
    now_ms: i64,
) -> Result<bool, ApiError> {
    let owner = &bucket.record.owner;
    let ctx = context(
        req,
        who,
        bucket_arn(bucket, object_key(&req.resource)),
        now_ms,
    );
    Ok(
        match layer(who, bucket.policy.as_ref(), owner, &ctx).decision {
            Decision::ExplicitDeny => {
                *owner == who.key.account && OWNER_ALWAYS.contains(&req.action.as_str())
            }
            Decision::ImplicitDeny => false,
            Decision::Allow => {
                *owner == who.key.account
                    || !(bucket_is_public(bucket)
                        && restricts(model, &[bucket.record.public_access_block], &[owner]).await?)
            }
        },
    )
}

/// A request through MRAP `mrap` routed to `bucket`: both layers must allow, neither may deny,
/// and a public policy grants other accounts nothing while any Block Public Access setting of
/// the MRAP, the bucket or their accounts restricts public buckets.
async fn mrap_allows(
    model: &ReadModel,
    req: &AuthzRequest,
    who: &Authenticated,
    mrap: &MrapView,
    bucket: &BucketView,
    key: Option<&str>,
    now_ms: i64,
) -> Result<bool, ApiError> {
    let m = &mrap.record;
    let mrap_arn = m.arn();
    let base = context(req, who, String::new(), now_ms)
        .with_key("s3:DataAccessPointArn", mrap_arn.clone())
        .with_key("s3:DataAccessPointAccount", m.account.to_string());
    let mrap_ctx = RequestContext {
        resource: match key {
            Some(k) => format!("{mrap_arn}/object/{k}"),
            None => mrap_arn,
        },
        ..base.clone()
    };
    let bucket_ctx = RequestContext {
        resource: bucket_arn(bucket, key),
        ..base
    };
    let through_mrap = layer(who, mrap.policy.as_ref(), &m.account, &mrap_ctx);
    let in_bucket = layer(
        who,
        bucket.policy.as_ref(),
        &bucket.record.owner,
        &bucket_ctx,
    );
    if through_mrap.decision != Decision::Allow || in_bucket.decision != Decision::Allow {
        return Ok(false);
    }
    let public_to_others = (m.account != who.key.account
        && m.policy.established.as_ref().is_some_and(|p| p.is_public))
        || (bucket.record.owner != who.key.account && bucket_is_public(bucket));
    if public_to_others {
        let settings = [
            Some(m.public_access_block),
            bucket.record.public_access_block,
        ];
        if restricts(model, &settings, &[&m.account, &bucket.record.owner]).await? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn bucket_is_public(bucket: &BucketView) -> bool {
    bucket.record.policy.as_ref().is_some_and(|p| p.is_public)
}

/// Whether any of these settings, or any of these accounts' settings, has
/// `RestrictPublicBuckets` on (accounts are read only when the settings given do not decide it).
async fn restricts(
    model: &ReadModel,
    settings: &[Option<PublicAccessBlock>],
    accounts: &[&AccountId],
) -> Result<bool, ApiError> {
    if settings.iter().flatten().any(|p| p.restrict_public_buckets) {
        return Ok(true);
    }
    for account in accounts {
        if model
            .account_pab(account)
            .await?
            .is_some_and(|p| p.restrict_public_buckets)
        {
            return Ok(true);
        }
    }
    Ok(false)
}

fn object_key(resource: &Resource) -> Option<&str> {
    match resource {
        Resource::Object { key, .. } => Some(key),
        Resource::ThroughMrap { key, .. } => key.as_deref(),
        _ => None,
    }
}

/// `arn:aws:s3:::{bucket}` or, for an object, `arn:aws:s3:::{bucket}/{key}`.
fn bucket_arn(bucket: &BucketView, key: Option<&str>) -> String {
    match key {
        Some(k) => format!("arn:aws:s3:::{}/{k}", bucket.record.name),
        None => format!("arn:aws:s3:::{}", bucket.record.name),
    }
}

/// The request context: principal, action, resource and the global condition keys we know.
fn context(
    req: &AuthzRequest,
    who: &Authenticated,
    resource: String,
    now_ms: i64,
) -> RequestContext {
    let key = &who.key;
    let principal = RequestPrincipal::Aws {
        account: key.account.to_string(),
        arn: key.principal_arn.clone(),
    };
    let mut ctx = RequestContext::new(principal, req.action.clone(), resource)
        .with_key("aws:PrincipalAccount", key.account.to_string())
        .with_key("aws:PrincipalArn", key.principal_arn.clone())
        .with_key("aws:PrincipalType", "Account")
        .with_key("aws:userid", key.account.to_string())
        .with_key("aws:SecureTransport", req.secure_transport.to_string())
        .with_key("aws:CurrentTime", mrap_model::time::format_iso8601(now_ms))
        .with_key("aws:EpochTime", (now_ms / 1000).to_string())
        .with_key("s3:authType", who.auth_type)
        .with_key("s3:signatureversion", who.signature_version);
    if let Some(ip) = &req.source_ip {
        ctx = ctx.with_key("aws:SourceIp", ip.clone());
    }
    ctx
}
