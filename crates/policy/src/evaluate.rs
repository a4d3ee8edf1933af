//! Evaluation of one policy against one request, and the IAM rule for
//! combining several policies' results.

use std::collections::HashMap;

use crate::ast::{Effect, Policy, PrincipalElem, PrincipalKind, Statement};
use crate::condition::eval_clause;
use crate::search;

/// Who is making the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestPrincipal {
    /// Unsigned request. Matches only `"*"` / `{"AWS": "*"}`.
    Anonymous,
    /// An IAM identity: `account` is the 12-digit id, `arn` the caller's ARN
    /// (`arn:aws:iam::A:user/U`, `arn:aws:iam::A:root`,
    /// `arn:aws:sts::A:assumed-role/R/S`, ...).
    Aws { account: String, arn: String },
    /// A service principal such as `cloudtrail.amazonaws.com`.
    Service(String),
    /// A web-identity/SAML provider (`cognito-identity.amazonaws.com`, a
    /// SAML provider ARN, ...).
    Federated(String),
    /// An S3 canonical user id.
    CanonicalUser(String),
}

/// Everything the evaluator looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    pub principal: RequestPrincipal,
    /// `service:Action`, e.g. `s3:GetObject` (case-insensitive).
    pub action: String,
    /// The resource ARN the request is evaluated against.
    pub resource: String,
    /// Condition keys with **lower-case** names (`aws:sourceip`), each with
    /// its values (one for single-valued keys; an empty list counts as
    /// absent). Policy variables are resolved from here too, so callers set
    /// e.g. `aws:username`, `aws:userid`, `aws:principalaccount`.
    pub keys: HashMap<String, Vec<String>>,
}

impl RequestContext {
    pub fn new(
        principal: RequestPrincipal,
        action: impl Into<String>,
        resource: impl Into<String>,
    ) -> Self {
        RequestContext {
            principal,
            action: action.into(),
            resource: resource.into(),
            keys: HashMap::new(),
        }
    }

    /// Adds a value to a condition key (the name is lower-cased here).
    pub fn with_key(mut self, name: &str, value: impl Into<String>) -> Self {
        self.keys
            .entry(name.to_ascii_lowercase())
            .or_default()
            .push(value.into());
        self
    }
}

/// Who signed, as far as the principal condition keys tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer<'a> {
    /// An account root.
    Root,
    /// An IAM user; `user_id` (`AIDA…`) when known.
    User {
        name: &'a str,
        user_id: Option<&'a str>,
    },
}

/// The principal condition keys of a signed request (`aws:PrincipalArn`, `aws:PrincipalAccount`,
/// `aws:PrincipalType`, `aws:userid`, `aws:username`): the one place that says what they are, for
/// the authorizer's decisions and the policy simulator alike.
pub fn principal_keys(account: &str, arn: &str, signer: Signer<'_>) -> Vec<(&'static str, String)> {
    let mut keys = vec![
        ("aws:PrincipalArn", arn.to_owned()),
        ("aws:PrincipalAccount", account.to_owned()),
    ];
    match signer {
        Signer::Root => {
            keys.push(("aws:PrincipalType", "Account".to_owned()));
            keys.push(("aws:userid", account.to_owned()));
        }
        Signer::User { name, user_id } => {
            keys.push(("aws:PrincipalType", "User".to_owned()));
            if let Some(id) = user_id {
                keys.push(("aws:userid", id.to_owned()));
            }
            keys.push(("aws:username", name.to_owned()));
        }
    }
    keys
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
}

/// A statement that decided (or contributed to) a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRef {
    /// Which policy: 0 from [`evaluate`]; the input position from [`combine`].
    pub policy: usize,
    /// Index in the policy's `Statement` array.
    pub index: usize,
    pub sid: Option<String>,
}

/// The result of evaluating a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub decision: Decision,
    /// For `ExplicitDeny` the matching Deny statements, for `Allow` the
    /// matching Allow statements, for `ImplicitDeny` none.
    pub statements: Vec<StatementRef>,
}

/// Evaluates one policy. Explicit Deny beats Allow; no match is an implicit
/// deny. A statement without `Principal`/`NotPrincipal` applies to every
/// principal (identity-policy semantics); resource policies must name a
/// principal, which [`crate::validate`] enforces before such policies are
/// stored.
pub fn evaluate(policy: &Policy, ctx: &RequestContext) -> Evaluation {
    let mut allows = Vec::new();
    let mut denies = Vec::new();
    let caller = Caller::new(&ctx.principal);
    for st in &policy.statements {
        let Some(effect) = st.effect.as_ref().map(|e| e.value) else {
            continue;
        };
        if applies(st, ctx, &caller) {
            let r = StatementRef {
                policy: 0,
                index: st.index,
                sid: st.sid.as_ref().map(|s| s.value.to_string()),
            };
            match effect {
                Effect::Allow => allows.push(r),
                Effect::Deny => denies.push(r),
            }
        }
    }
    if !denies.is_empty() {
        Evaluation {
            decision: Decision::ExplicitDeny,
            statements: denies,
        }
    } else if !allows.is_empty() {
        Evaluation {
            decision: Decision::Allow,
            statements: allows,
        }
    } else {
        Evaluation {
            decision: Decision::ImplicitDeny,
            statements: Vec::new(),
        }
    }
}

/// Whether a statement matches the request (principal, action, resource and
/// all conditions), regardless of its effect.
pub fn statement_applies(st: &Statement, ctx: &RequestContext) -> bool {
    applies(st, ctx, &Caller::new(&ctx.principal))
}

fn applies(st: &Statement, ctx: &RequestContext, caller: &Caller<'_>) -> bool {
    in_scope(st, ctx, caller)
        && st.condition.iter().all(|c| match c.op {
            Some(op) => eval_clause(&op, &c.key_lower, &c.parsed, &ctx.keys),
            None => false,
        })
}

/// Whether a statement's principal, action and resource match the request
/// (its conditions are not looked at). The policy simulator reports the
/// condition keys of such statements that the request lacks.
pub(crate) fn statement_in_scope(st: &Statement, ctx: &RequestContext) -> bool {
    in_scope(st, ctx, &Caller::new(&ctx.principal))
}

fn in_scope(st: &Statement, ctx: &RequestContext, caller: &Caller<'_>) -> bool {
    if let Some(p) = &st.principal
        && principal_matches(p, caller) == p.negated
    {
        return false;
    }
    let Some(action) = &st.action else {
        return false;
    };
    let hit = action.items.iter().any(|a| {
        a.glob
            .as_ref()
            .is_some_and(|g| g.matches_ignore_ascii_case(&ctx.action))
    });
    if hit == action.negated {
        return false;
    }
    let Some(resource) = &st.resource else {
        return false;
    };
    let hit = resource
        .items
        .iter()
        .any(|r| r.pattern.matches(&ctx.resource, &ctx.keys, true));
    hit != resource.negated
}

/// The request principal, with an STS session ARN taken apart once per
/// evaluation rather than once per policy entry.
struct Caller<'a> {
    who: &'a RequestPrincipal,
    /// For `arn:P:sts::A:assumed-role/R/S`: (`arn:P`, `A`, `R`).
    session: Option<(&'a str, &'a str, &'a str)>,
}

impl<'a> Caller<'a> {
    fn new(who: &'a RequestPrincipal) -> Caller<'a> {
        let session = match who {
            RequestPrincipal::Aws { arn, .. } => session_parts(arn),
            _ => None,
        };
        Caller { who, session }
    }
}

fn session_parts(arn: &str) -> Option<(&str, &str, &str)> {
    let (prefix, rest) = search::split_once(arn, ":sts::")?;
    let (acct, session) = search::split_once(rest, ":assumed-role/")?;
    let (role, _) = session.split_once('/')?;
    Some((prefix, acct, role))
}

/// Whether the listed principals include the caller (before any `Not`).
fn principal_matches(p: &PrincipalElem, caller: &Caller<'_>) -> bool {
    if p.any {
        return true;
    }
    p.entries.iter().any(|e| {
        let v = e.value.value.as_str();
        match (e.kind, caller.who) {
            (PrincipalKind::Aws, _) if v == "*" => true,
            (PrincipalKind::Aws, RequestPrincipal::Aws { account, arn }) => {
                aws_principal_matches(v, account, arn, caller.session)
            }
            (PrincipalKind::Service, RequestPrincipal::Service(s)) => v.eq_ignore_ascii_case(s),
            (PrincipalKind::Federated, RequestPrincipal::Federated(f)) => v == f,
            (PrincipalKind::CanonicalUser, RequestPrincipal::CanonicalUser(c)) => v == c,
            _ => false,
        }
    })
}

/// An account id or `…:root` names every identity of that account (the
/// account then delegates through its own identity policies); a role ARN
/// also names that role's sessions; otherwise the ARN must match exactly
/// (names are case-sensitive).
fn aws_principal_matches(
    v: &str,
    account: &str,
    arn: &str,
    session: Option<(&str, &str, &str)>,
) -> bool {
    if v == account {
        return true;
    }
    if let Some(acct) = v
        .strip_prefix("arn:")
        .and_then(|r| search::split_once(r, ":iam::"))
        .and_then(|(_, r)| r.strip_suffix(":root"))
    {
        return acct == account;
    }
    if v == arn {
        return true;
    }
    // arn:P:sts::A:assumed-role/R/S is a session of arn:P:iam::A:role/R (role
    // paths are not part of session ARNs, so compare the last path element).
    if let Some((prefix, acct, role)) = session
        && let Some(vr) = v
            .strip_prefix(prefix)
            .and_then(|r| r.strip_prefix(":iam::"))
        && let Some((vacct, vrole)) = search::split_once(vr, ":role/")
    {
        return vacct == acct && vrole.rsplit('/').next() == Some(role);
    }
    false
}

/// Which kind of policy an evaluation came from, for [`combine`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyRole {
    /// Attached to the caller (user/role policies).
    Identity,
    /// Attached to the resource (bucket, access point or MRAP policy).
    Resource,
}

/// Combines per-policy evaluations of one request with the IAM rule
/// (policy-eval.md §1.1–1.2): an explicit Deny anywhere wins; otherwise,
/// for a same-account request an Allow from an identity **or** a resource
/// policy suffices, while a cross-account request needs an Allow from both.
/// Returned statement refs carry the position in `parts` as `policy`.
///
/// This is one IAM layer. MRAP requests are the intersection of two layers
/// (MRAP policy and routed bucket policy) plus Block Public Access; that
/// composition is the authorizer's job.
pub fn combine(parts: &[(PolicyRole, &Evaluation)], same_account: bool) -> Evaluation {
    fn tag(i: usize, e: &Evaluation) -> impl Iterator<Item = StatementRef> + '_ {
        e.statements.iter().map(move |s| StatementRef {
            policy: i,
            ..s.clone()
        })
    }
    let denies: Vec<StatementRef> = parts
        .iter()
        .enumerate()
        .filter(|(_, (_, e))| e.decision == Decision::ExplicitDeny)
        .flat_map(|(i, (_, e))| tag(i, e))
        .collect();
    if !denies.is_empty() {
        return Evaluation {
            decision: Decision::ExplicitDeny,
            statements: denies,
        };
    }
    let allowed_by = |role: PolicyRole| {
        parts
            .iter()
            .any(|(r, e)| *r == role && e.decision == Decision::Allow)
    };
    let identity = allowed_by(PolicyRole::Identity);
    let resource = allowed_by(PolicyRole::Resource);
    let allowed = if same_account {
        identity || resource
    } else {
        identity && resource
    };
    if !allowed {
        return Evaluation {
            decision: Decision::ImplicitDeny,
            statements: Vec::new(),
        };
    }
    Evaluation {
        decision: Decision::Allow,
        statements: parts
            .iter()
            .enumerate()
            .filter(|(_, (_, e))| e.decision == Decision::Allow)
            .flat_map(|(i, (_, e))| tag(i, e))
            .collect(),
    }
}
