//! Checks on a statement's Sid, effect/element combinations and principals.

use super::{Ctx, PolicyType};
use crate::ast::{Effect, PrincipalKind, Statement};
use crate::finding::FindingType::*;
use crate::public::statement_is_public;

pub(super) fn check(ctx: &mut Ctx, st: &Statement) {
    if let Some(sid) = &st.sid {
        if sid.value.is_empty() {
            ctx.add(
                Suggestion,
                "EMPTY_SID_VALUE",
                "Add a value to the empty string in the Sid element.".into(),
                ctx.loc(&sid),
            );
        } else if ctx.policy_type == PolicyType::Identity
            && !sid.value.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            ctx.add(
                Error,
                "UNSUPPORTED_SID",
                "Update the characters in the Sid element to use one of the following character types: [a-z, A-Z, 0-9].".into(),
                ctx.loc(&sid),
            );
        }
    }
    let allow = st.effect.as_ref().map(|e| e.value) == Some(Effect::Allow);
    match (&st.principal, ctx.policy_type) {
        (None, PolicyType::Resource) if !st.has_principal_key => ctx.add(
            Error,
            "MISSING_PRINCIPAL",
            "Add a Principal element to the policy statement; resource policies must name the principals they apply to.".into(),
            ctx.loc(&st),
        ),
        (Some(p), PolicyType::Identity) => ctx.add(
            Error,
            "UNSUPPORTED_PRINCIPAL",
            format!(
                "The {} element is not supported in identity policies; the principal is the identity the policy is attached to.",
                if p.negated { "NotPrincipal" } else { "Principal" }
            ),
            ctx.loc(p),
        ),
        _ => {}
    }
    if let Some(p) = &st.principal {
        if allow && p.negated {
            ctx.add(
                SecurityWarning,
                "ALLOW_WITH_NOT_PRINCIPAL",
                "Using Allow with NotPrincipal can be overly permissive. We recommend that you use Principal instead.".into(),
                ctx.loc(p),
            );
        }
        principals(ctx, st, allow);
    }
    if allow && let Some(a) = st.action.as_ref().filter(|a| a.negated) {
        ctx.add(
            SecurityWarning,
            "ALLOW_WITH_NOT_ACTION",
            "Using Allow with NotAction grants every action not listed, including actions added in the future. We recommend that you list the allowed actions instead.".into(),
            ctx.loc(a),
        );
    }
    if allow && let Some(r) = st.resource.as_ref().filter(|r| r.negated) {
        ctx.add(
            SecurityWarning,
            "ALLOW_WITH_NOT_RESOURCE",
            "Using Allow with NotResource grants access to every resource not listed, including resources created in the future. We recommend that you list the allowed resources instead.".into(),
            ctx.loc(r),
        );
    }
    if ctx.policy_type == PolicyType::Resource
        && statement_is_public(st)
        && let Some(p) = st.principal.as_ref().filter(|p| !p.negated)
    {
        ctx.add(
            SecurityWarning,
            "WILDCARD_PRINCIPAL_WITHOUT_CONDITION",
            "This statement allows access to any principal (the policy is public). Name the principals or add a condition on a fixed-value key such as aws:SourceVpce, aws:SourceIp, aws:PrincipalOrgID or s3:DataAccessPointAccount.".into(),
            ctx.loc(p),
        );
    }
}

fn principals(ctx: &mut Ctx, st: &Statement, allow: bool) {
    let Some(p) = &st.principal else { return };
    for e in &p.entries {
        let v = e.value.value.as_str();
        match e.kind {
            PrincipalKind::Aws => {
                if v == "*" {
                    continue;
                }
                if v.contains(['*', '?']) {
                    ctx.add(
                        Error,
                        "UNSUPPORTED_WILDCARD_IN_PRINCIPAL",
                        "Wildcards (*, ?) are not supported with the principal key AWS. Replace the wildcard with a valid principal value.".into(),
                        ctx.loc(&e.value),
                    );
                } else if v.starts_with("AIDA") {
                    ctx.add(
                        Warning,
                        "INVALID_USER_REFERENCE",
                        "The principal looks like an IAM user unique ID; use the user's ARN instead.".into(),
                        ctx.loc(&e.value),
                    );
                } else if v.starts_with("AROA") {
                    ctx.add(
                        Warning,
                        "INVALID_ROLE_REFERENCE",
                        "The principal looks like an IAM role unique ID; use the role's ARN instead.".into(),
                        ctx.loc(&e.value),
                    );
                } else if !aws_principal_ok(v) {
                    ctx.add(
                        Error,
                        "INVALID_PRINCIPAL_FORMAT",
                        format!("The AWS principal {v} is not valid. Use a 12-digit account ID or the ARN of an account root, user, role or session."),
                        ctx.loc(&e.value),
                    );
                }
            }
            PrincipalKind::Service => {
                if !service_principal_ok(v) {
                    ctx.add(
                        Error,
                        "INVALID_SERVICE_PRINCIPAL_FORMAT",
                        format!("The service principal {v} is not valid. Use the form service-name.amazonaws.com."),
                        ctx.loc(&e.value),
                    );
                } else if allow
                    && ctx.policy_type == super::PolicyType::Resource
                    && !restricts_source(st)
                {
                    ctx.add(
                        SecurityWarning,
                        "RESTRICT_ACCESS_TO_SERVICE_PRINCIPAL",
                        "Access granted to a service principal should be restricted with the aws:SourceArn, aws:SourceAccount or aws:SourceOrgID condition key to prevent the confused deputy problem.".into(),
                        ctx.loc(&e.value),
                    );
                }
            }
            PrincipalKind::CanonicalUser => {
                if v.len() != 64 || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
                    ctx.add(
                        Error,
                        "INVALID_PRINCIPAL_FORMAT",
                        format!("The canonical user ID {v} is not valid. Use a 64-character hexadecimal ID."),
                        ctx.loc(&e.value),
                    );
                }
            }
            PrincipalKind::Federated => {}
        }
    }
}

fn restricts_source(st: &Statement) -> bool {
    st.condition.iter().any(|c| {
        matches!(
            c.key_lower.as_str(),
            "aws:sourcearn" | "aws:sourceaccount" | "aws:sourceorgid" | "aws:sourceorgpaths"
        )
    })
}

/// 12-digit account, or `arn:<p>:iam::<acct>:root|user/…|role/…`, or an STS
/// session ARN. Groups are never principals.
fn aws_principal_ok(v: &str) -> bool {
    let digits12 = |s: &str| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
    if digits12(v) {
        return true;
    }
    let Some(a) = crate::arn::parse_arn(v) else {
        return false;
    };
    if !a.region.is_empty() || !digits12(a.account) || a.partition.is_empty() {
        return false;
    }
    match a.service {
        "iam" => {
            a.resource == "root"
                || a.resource.starts_with("user/")
                || a.resource.starts_with("role/")
                || a.resource.starts_with("federated-user/")
        }
        "sts" => {
            a.resource.starts_with("assumed-role/") || a.resource.starts_with("federated-user/")
        }
        _ => false,
    }
}

fn service_principal_ok(v: &str) -> bool {
    let host = v
        .strip_suffix(".amazonaws.com")
        .or_else(|| v.strip_suffix(".amazonaws.com.cn"));
    host.is_some_and(|h| {
        !h.is_empty()
            && h.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    })
}
