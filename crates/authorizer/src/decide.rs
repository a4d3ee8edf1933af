//! Authorization: may this principal perform the action on the resource?
//!
//! The principal's identity side is its identity policies (an IAM user's inline policies; an
//! account root's allows everything in its account). Every resource policy makes one IAM layer
//! with it (policy-eval.md §1.8), folded by [`mrap_policy::combine`]: an account's own principals
//! need either side to allow, other accounts need both, and an explicit deny anywhere wins.
//! Resources without a policy (IAM users, MRAPs as S3 Control manages them, `*`) are decided by
//! the identity side alone, and only in the caller's own account. Direct bucket requests have one
//! layer (the bucket policy); requests through an MRAP two (the MRAP policy against the MRAP-form
//! ARN, the routed bucket's policy against the bucket ARN), and both must allow. Block Public
//! Access (`RestrictPublicBuckets`) stops a public policy from granting anything to other
//! accounts. A refusal names the layer that decided, in AWS's words.

use std::cell::LazyCell;

use tracing::Instrument;

use mrap_model::{AccountId, ApiError, ErrorCode, MrapStatus, PublicAccessBlock};
use mrap_policy::{
    Decision, Evaluation, Policy, PolicyRole, RequestContext, RequestPrincipal, Signer, evaluate,
    principal_keys,
};
use mrap_proto::authz::{AuthzRequest, Grant, GrantedBucket, Resource, Reuse};

use crate::{
    ReadModel,
    authn::{self, Authenticated},
    read_model::{BucketView, MrapView},
};

/// Actions an account root keeps on its own buckets even against a deny in the bucket policy, so
/// that a policy can never lock the owner out.
const OWNER_ALWAYS: [&str; 3] = [
    "s3:GetBucketPolicy",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
];

/// Why a request was refused: which layer decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Denied {
    IdentityDeny,
    /// An explicit deny in this resource policy (`bucket`, `MRAP`).
    ResourceDeny(&'static str),
    NoIdentityAllow,
    NoResourceAllow,
    PublicAccessBlocked,
}

type Verdict = Result<(), Denied>;

/// Decides `req`, recording `mrap_authz_decisions_total{result,layer}` and
/// `mrap_authz_decision_duration_seconds{result}`.
pub async fn check(model: &ReadModel, req: &AuthzRequest) -> Result<Grant, ApiError> {
    let started = std::time::Instant::now();
    let span = tracing::info_span!(
        "authz.decide",
        mrap.authz.action = %req.action,
        mrap.authz.decision = tracing::field::Empty,
        mrap.authz.layer = tracing::field::Empty,
    );
    let mut reached = Reached::Authentication;
    let result = decide(model, req, &mut reached)
        .instrument(span.clone())
        .await;
    let (outcome, layer) = decision_labels(&result, reached);
    span.record("mrap.authz.decision", outcome);
    span.record("mrap.authz.layer", layer);
    metrics::counter!("mrap_authz_decisions_total", "result" => outcome, "layer" => layer)
        .increment(1);
    metrics::histogram!("mrap_authz_decision_duration_seconds", "result" => outcome)
        .record(started.elapsed().as_secs_f64());
    result
}

/// How far a decision got: what an error means depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reached {
    /// Authenticating: an error is a refused (or failed) authentication.
    Authentication,
    /// Authenticated: an error is a lookup failure, unless a layer refused.
    Authorization,
    /// A layer refused.
    Denied(Denied),
}

/// The labels of a decision, on the `authz.decide` span and the metrics alike: `result` is
/// `allow`, `deny` (an authentication refusal or a policy layer's) or `error` (no decision: an
/// unknown MRAP, an internal fault, the store unavailable); `layer` names what refused (`authn`,
/// `identity_deny`, `resource_deny`, `no_identity_allow`, `no_resource_allow`,
/// `public_access_block`), `none` otherwise.
fn decision_labels(
    result: &Result<Grant, ApiError>,
    reached: Reached,
) -> (&'static str, &'static str) {
    match (result, reached) {
        (Ok(_), _) => ("allow", "none"),
        (Err(_), Reached::Denied(d)) => ("deny", denied_label(d)),
        (Err(e), Reached::Authentication) if e.code.http_status() < 500 => ("deny", "authn"),
        (Err(_), Reached::Authentication) => ("error", "authn"),
        (Err(_), Reached::Authorization) => ("error", "none"),
    }
}

fn denied_label(d: Denied) -> &'static str {
    match d {
        Denied::IdentityDeny => "identity_deny",
        Denied::ResourceDeny(_) => "resource_deny",
        Denied::NoIdentityAllow => "no_identity_allow",
        Denied::NoResourceAllow => "no_resource_allow",
        Denied::PublicAccessBlocked => "public_access_block",
    }
}

async fn decide(
    model: &ReadModel,
    req: &AuthzRequest,
    reached: &mut Reached,
) -> Result<Grant, ApiError> {
    let now_ms = mrap_model::time::now_millis();
    let Some(who) = authn::authenticate(model, req, now_ms / 1000).await? else {
        return anonymous(model, req, now_ms, reached).await;
    };
    *reached = Reached::Authorization;
    let mut granted_bucket = None;
    // Whether the resource side of this decision depends on nothing but the principal, the
    // action and the resource (see `reuse`).
    let mut resource_side_fixed = true;
    let (verdict, resource_arn) = match &req.resource {
        Resource::Caller => (Ok(()), String::new()),
        Resource::CallerAccount => alone(req, &who, None, "*", now_ms),
        Resource::Arn { owner, arn } => alone(req, &who, owner.as_ref(), arn, now_ms),
        Resource::Bucket(b) | Resource::Object { bucket: b, .. } => {
            let key = object_key(&req.resource);
            match model.bucket(b.as_str()).await? {
                // An unknown bucket is not an authorization matter: the handler answers
                // NoSuchBucket.
                None => {
                    resource_side_fixed = false;
                    (Ok(()), String::new())
                }
                Some(bucket) => {
                    granted_bucket = Some(granted(&bucket));
                    resource_side_fixed = fixed(bucket.policy.as_ref());
                    let arn = bucket_arn(&bucket, key);
                    let verdict = bucket_allows(model, req, &who, &bucket, &arn, now_ms).await?;
                    (verdict, arn)
                }
            }
        }
        // Authentication only: each object is authorised by a request of its own.
        Resource::EachObjectOf(b) => {
            granted_bucket = model.bucket(b.as_str()).await?.as_deref().map(granted);
            resource_side_fixed = granted_bucket.is_some();
            (Ok(()), String::new())
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
            resource_side_fixed = fixed(mrap.policy.as_ref()) && fixed(bucket.policy.as_ref());
            let verdict =
                mrap_allows(model, req, &who, &mrap, &bucket, key.as_deref(), now_ms).await?;
            (verdict, mrap_resource_arn(&mrap, key.as_deref()))
        }
    };
    if let Err(denied) = verdict {
        *reached = Reached::Denied(denied);
        tracing::info!(action = %req.action, principal = %who.key.principal_arn, ?denied, "request denied");
        return Err(access_denied(&who, &req.action, &resource_arn, denied));
    }
    // Only a bucket (or an MRAP and its bucket) brings resource state into a decision: the
    // caller, its account and ARN-named resources are decided on the principal's policies alone.
    let reads_resources = req.resource.bucket().is_some();
    // A root's request on an ARN-named resource of its own account: allowed whatever the ARN.
    let any_arn = who.user.is_none()
        && matches!(&req.resource, Resource::Arn { owner, .. }
            if owner.as_ref().is_none_or(|o| *o == who.key.account));
    let reuse = reuse(&who, resource_side_fixed, reads_resources, any_arn);
    Ok(Grant {
        account: who.key.account.clone(),
        principal_arn: who.key.principal_arn.clone(),
        access_key: who.key.access_key.clone(),
        chunk_signing: who.chunk_signing,
        bucket: granted_bucket,
        user: who.key.user.clone(),
        reuse,
    })
}

/// Whether a decision under this resource policy (or none) depends only on the principal, the
/// action and the resource.
fn fixed(policy: Option<&Policy>) -> bool {
    !policy.is_some_and(Policy::depends_on_request)
}

/// The grant's [`mrap_proto::authz::Reuse`]: only for a header-signed request (the gateway can
/// verify its signature with the scope's key or the public key) whose body is not signed chunk
/// by chunk, when neither the resource side nor any of the user's policies depends on the
/// request's context.
/// Everything else the decision read (keys, users, accounts; buckets and MRAPs if
/// `reads_resources`) is mirrored from KV, and any change to it makes every gateway forget the
/// decision. `any_arn`: the decision holds for every ARN-named resource of the same owner.
fn reuse(
    who: &Authenticated,
    resource_side_fixed: bool,
    reads_resources: bool,
    any_arn: bool,
) -> Option<Reuse> {
    let identity_fixed = who
        .user
        .as_ref()
        .is_none_or(|u| !u.policies.iter().any(Policy::depends_on_request));
    if !(resource_side_fixed && identity_fixed) || who.chunk_signing.is_some() {
        return None;
    }
    who.verifier.as_ref().map(|key| Reuse {
        verifier_key: key.as_bytes().to_vec(),
        reads_resources,
        any_arn,
    })
}

/// An unsigned request: allowed only on a bucket (or its objects) whose policy grants it to
/// everyone, while no Block Public Access setting of the bucket or its owner restricts public
/// buckets; never through an MRAP (MRAPs refuse anonymous requests), never anything else. The
/// grant names the bucket's owner as the account (no handler an anonymous request can reach
/// reads it) and `anonymous` as the principal.
async fn anonymous(
    model: &ReadModel,
    req: &AuthzRequest,
    now_ms: i64,
    reached: &mut Reached,
) -> Result<Grant, ApiError> {
    // Anything but a bucket needs a signature: an authentication refusal.
    let (Resource::Bucket(b) | Resource::Object { bucket: b, .. }) = &req.resource else {
        return Err(authn::anonymous_forbidden());
    };
    *reached = Reached::Authorization;
    let mut refuse = |denied| {
        *reached = Reached::Denied(denied);
        Err(authn::anonymous_forbidden())
    };
    let Some(bucket) = model.bucket(b.as_str()).await? else {
        // No bucket, no policy to grant anything (GUESSES.md: an anonymous request learns
        // nothing about which buckets exist).
        return refuse(Denied::NoResourceAllow);
    };
    let arn = bucket_arn(&bucket, object_key(&req.resource));
    let ctx = anonymous_context(req, arn, now_ms);
    let granted_by_policy = bucket
        .policy
        .as_ref()
        .is_some_and(|p| evaluate(p, &ctx).decision == Decision::Allow);
    if !granted_by_policy {
        return refuse(Denied::NoResourceAllow);
    }
    if restricts(
        model,
        &[bucket.record.public_access_block],
        &[&bucket.record.owner],
    )
    .await?
    {
        return refuse(Denied::PublicAccessBlocked);
    }
    Ok(Grant {
        account: bucket.record.owner.clone(),
        principal_arn: "anonymous".to_owned(),
        access_key: String::new(),
        chunk_signing: None,
        bucket: Some(granted(&bucket)),
        user: None,
        reuse: None,
    })
}

/// The condition keys an unsigned request has: no principal keys.
fn anonymous_context(req: &AuthzRequest, resource: String, now_ms: i64) -> RequestContext {
    let ctx = RequestContext::new(RequestPrincipal::Anonymous, req.action.clone(), resource)
        .with_key("aws:PrincipalType", "Anonymous");
    request_keys(ctx, req, now_ms)
}

/// AWS's refusal, naming the principal, the action, the resource and the deciding layer.
fn access_denied(who: &Authenticated, action: &str, resource: &str, denied: Denied) -> ApiError {
    let on = if resource.is_empty() {
        String::new()
    } else {
        format!(" on resource: \"{resource}\"")
    };
    let why = match denied {
        Denied::IdentityDeny => "with an explicit deny in an identity-based policy".to_owned(),
        Denied::ResourceDeny(which) => {
            format!("with an explicit deny in a resource-based policy (the {which} policy)")
        }
        Denied::NoIdentityAllow => {
            format!("because no identity-based policy allows the {action} action")
        }
        Denied::NoResourceAllow => {
            format!("because no resource-based policy allows the {action} action")
        }
        Denied::PublicAccessBlocked => {
            "because public access is blocked by a Block Public Access setting".to_owned()
        }
    };
    ApiError::new(
        ErrorCode::AccessDenied,
        format!(
            "User: {} is not authorized to perform: {action}{on} {why}",
            who.key.principal_arn
        ),
    )
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

/// The identity side for this request context: a root allows everything, a user's inline
/// policies are folded like any identity policies.
fn identity(
    who: &Authenticated,
    ctx: &impl std::ops::Deref<Target = RequestContext>,
) -> Evaluation {
    match &who.user {
        None => Evaluation {
            decision: Decision::Allow,
            statements: Vec::new(),
        },
        Some(user) => {
            let evaluations: Vec<Evaluation> =
                user.policies.iter().map(|p| evaluate(p, ctx)).collect();
            let parts: Vec<(PolicyRole, &Evaluation)> = evaluations
                .iter()
                .map(|e| (PolicyRole::Identity, e))
                .collect();
            mrap_policy::combine(&parts, true)
        }
    }
}

/// A resource without a policy, owned by `owner` (`None`: the caller's account): the identity
/// side decides, in the caller's own account only.
fn alone(
    req: &AuthzRequest,
    who: &Authenticated,
    owner: Option<&AccountId>,
    arn: &str,
    now_ms: i64,
) -> (Verdict, String) {
    let owner = owner.unwrap_or(&who.key.account);
    let ctx = LazyCell::new(|| context(req, who, arn.to_owned(), now_ms));
    (layer(who, None, owner, &ctx, "resource"), arn.to_owned())
}

/// One IAM layer: the identity side and the resource's policy (`which`: named in a refusal),
/// owned by `owner`.
///
/// `ctx` is built on first use: a root's request on a resource without a policy (most of them)
/// evaluates nothing and needs no context.
fn layer(
    who: &Authenticated,
    policy: Option<&Policy>,
    owner: &AccountId,
    ctx: &impl std::ops::Deref<Target = RequestContext>,
    which: &'static str,
) -> Verdict {
    let identity = identity(who, ctx);
    let resource = policy.map_or(
        Evaluation {
            decision: Decision::ImplicitDeny,
            statements: Vec::new(),
        },
        |p| evaluate(p, ctx),
    );
    let combined = mrap_policy::combine(
        &[
            (PolicyRole::Identity, &identity),
            (PolicyRole::Resource, &resource),
        ],
        *owner == who.key.account,
    );
    match combined.decision {
        Decision::Allow => Ok(()),
        Decision::ExplicitDeny if identity.decision == Decision::ExplicitDeny => {
            Err(Denied::IdentityDeny)
        }
        Decision::ExplicitDeny => Err(Denied::ResourceDeny(which)),
        Decision::ImplicitDeny if identity.decision != Decision::Allow => {
            Err(Denied::NoIdentityAllow)
        }
        Decision::ImplicitDeny => Err(Denied::NoResourceAllow),
    }
}

async fn bucket_allows(
    model: &ReadModel,
    req: &AuthzRequest,
    who: &Authenticated,
    bucket: &BucketView,
    arn: &str,
    now_ms: i64,
) -> Result<Verdict, ApiError> {
    let owner = &bucket.record.owner;
    let ctx = LazyCell::new(|| context(req, who, arn.to_owned(), now_ms));
    let is_owner_root = *owner == who.key.account && who.user.is_none();
    Ok(
        match layer(who, bucket.policy.as_ref(), owner, &ctx, "bucket") {
            Err(Denied::ResourceDeny(_))
                if is_owner_root && OWNER_ALWAYS.contains(&req.action.as_str()) =>
            {
                Ok(())
            }
            Ok(())
                if *owner != who.key.account
                    && bucket_is_public(bucket)
                    && restricts(model, &[bucket.record.public_access_block], &[owner]).await? =>
            {
                Err(Denied::PublicAccessBlocked)
            }
            verdict => verdict,
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
) -> Result<Verdict, ApiError> {
    let m = &mrap.record;
    let through = |resource: String| {
        context(req, who, resource, now_ms)
            .with_key("s3:DataAccessPointArn", m.arn())
            .with_key("s3:DataAccessPointAccount", m.account.to_string())
    };
    let mrap_ctx = LazyCell::new(|| through(mrap_resource_arn(mrap, key)));
    let bucket_ctx = LazyCell::new(|| through(bucket_arn(bucket, key)));
    let both = layer(who, mrap.policy.as_ref(), &m.account, &mrap_ctx, "MRAP").and_then(|()| {
        layer(
            who,
            bucket.policy.as_ref(),
            &bucket.record.owner,
            &bucket_ctx,
            "bucket",
        )
    });
    if both.is_err() {
        return Ok(both);
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
            return Ok(Err(Denied::PublicAccessBlocked));
        }
    }
    Ok(Ok(()))
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

/// The MRAP-form ARN the MRAP policy is evaluated against: the MRAP, or `…/object/{key}`.
fn mrap_resource_arn(mrap: &MrapView, key: Option<&str>) -> String {
    match key {
        Some(k) => format!("{}/object/{k}", mrap.record.arn()),
        None => mrap.record.arn(),
    }
}

/// The request context: principal, action, resource and the condition keys the request tells.
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
        .with_key("s3:authType", who.auth_type)
        .with_key("s3:signatureversion", who.signature_version);
    let signer = match &key.user {
        None => Signer::Root,
        Some(user) => Signer::User {
            name: &user.name,
            user_id: Some(&user.user_id),
        },
    };
    for (name, value) in principal_keys(key.account.as_str(), &key.principal_arn, signer) {
        ctx = ctx.with_key(name, value);
    }
    if let Some(region) = &who.region {
        ctx = ctx.with_key("aws:RequestedRegion", region.clone());
    }
    if let Some(signed_at) = who.signed_at {
        let age_ms = (now_ms - signed_at * 1000).max(0);
        ctx = ctx.with_key("s3:signatureAge", age_ms.to_string());
    }
    request_keys(ctx, req, now_ms)
}

/// The keys every request has, signed or not: transport, time, source address, user agent,
/// payload hash, listing parameters.
fn request_keys(mut ctx: RequestContext, req: &AuthzRequest, now_ms: i64) -> RequestContext {
    ctx = ctx
        .with_key("aws:SecureTransport", req.secure_transport.to_string())
        .with_key("aws:CurrentTime", mrap_model::time::format_iso8601(now_ms))
        .with_key("aws:EpochTime", (now_ms / 1000).to_string());
    if let Some(ip) = &req.source_ip {
        ctx = ctx.with_key("aws:SourceIp", ip.clone());
    }
    for (name, value) in &req.headers {
        if name.eq_ignore_ascii_case("user-agent") {
            ctx = ctx.with_key("aws:UserAgent", value.clone());
        } else if name.eq_ignore_ascii_case("x-amz-content-sha256") {
            ctx = ctx.with_key("s3:x-amz-content-sha256", value.clone());
        }
    }
    // Listing keys: what the listing asks for, from the query as sent.
    if req.action.eq_ignore_ascii_case("s3:ListBucket")
        || req.action.eq_ignore_ascii_case("s3:ListBucketVersions")
    {
        for (name, value) in form_urlencoded_pairs(&req.query) {
            if let Some(key) = match name.as_str() {
                "prefix" => Some("s3:prefix"),
                "delimiter" => Some("s3:delimiter"),
                "max-keys" => Some("s3:max-keys"),
                _ => None,
            } {
                ctx = ctx.with_key(key, value);
            }
        }
    }
    ctx
}

/// `name=value` pairs of a raw query, percent-decoded.
fn form_urlencoded_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        (decode(name), decode(value))
    })
}

#[cfg(test)]
mod label_tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn decision_labels_name_the_refusing_layer() {
        let err = |code| Err::<Grant, _>(ApiError::new(code, "x"));
        let denied = err(ErrorCode::AccessDenied);
        assert_eq!(
            decision_labels(&denied, Reached::Denied(Denied::IdentityDeny)),
            ("deny", "identity_deny")
        );
        assert_eq!(
            decision_labels(&denied, Reached::Denied(Denied::ResourceDeny("MRAP"))),
            ("deny", "resource_deny")
        );
        assert_eq!(
            decision_labels(&denied, Reached::Denied(Denied::PublicAccessBlocked)),
            ("deny", "public_access_block")
        );
        assert_eq!(
            decision_labels(
                &err(ErrorCode::SignatureDoesNotMatch),
                Reached::Authentication
            ),
            ("deny", "authn")
        );
        assert_eq!(
            decision_labels(&err(ErrorCode::ServiceUnavailable), Reached::Authentication),
            ("error", "authn")
        );
        assert_eq!(
            decision_labels(&err(ErrorCode::NoSuchAccessPoint), Reached::Authorization),
            ("error", "none")
        );
        let grant = Grant {
            account: AccountId::parse("000000000000").unwrap(),
            principal_arn: "arn:aws:iam::000000000000:root".into(),
            access_key: "test".into(),
            chunk_signing: None,
            bucket: None,
            user: None,
            reuse: None,
        };
        assert_eq!(
            decision_labels(&Ok(grant), Reached::Authorization),
            ("allow", "none")
        );
    }
}
