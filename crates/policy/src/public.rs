//! S3 Block Public Access: is a policy "public"? (policy-eval.md §3.2)
//!
//! S3 starts from "public" and proves otherwise: every Allow statement must
//! grant only to fixed principals, or be limited by a condition on one of the
//! fixed-value keys with fixed values (no wildcards, no variables). One public
//! statement makes the whole policy public. Deny statements never do.

use ipnet::IpNet;

use crate::arn::parse_arn;
use crate::ast::{Clause, Effect, Policy, PrincipalKind, Statement};
use crate::condition::{OpBase, Parsed, Qualifier};

/// Whether S3 would treat the policy as public (bucket-policy rules; MRAP
/// and access-point policies are judged the same way).
pub fn is_public(policy: &Policy) -> bool {
    policy.statements.iter().any(statement_is_public)
}

/// Whether one statement grants public access.
pub fn statement_is_public(st: &Statement) -> bool {
    if st.effect.as_ref().map(|e| e.value) != Some(Effect::Allow) {
        return false;
    }
    let Some(p) = &st.principal else {
        // No principal: an identity policy, or a resource-policy statement
        // that never matches.
        return false;
    };
    let broad = p.negated
        || p.any
        || p.entries.iter().any(|e| match e.kind {
            PrincipalKind::Aws => {
                let v = &e.value.value;
                v.contains(['*', '?'])
            }
            // A federated identity can be anyone who signs in with the provider.
            PrincipalKind::Federated => true,
            PrincipalKind::Service | PrincipalKind::CanonicalUser => {
                e.value.value.contains(['*', '?'])
            }
        });
    if !broad {
        return false;
    }
    // Conditions are ANDed: one limiting clause restricts the statement.
    !st.condition.iter().any(clause_limits)
}

/// Operators that pin a key to the listed values.
fn fixed_string_op(c: &Clause) -> bool {
    let Some(op) = c.op else { return false };
    if op.if_exists || op.qualifier == Some(Qualifier::ForAllValues) {
        // IfExists / ForAllValues are true when the key is absent.
        return false;
    }
    match op.base {
        OpBase::StringEquals | OpBase::StringEqualsIgnoreCase => true,
        OpBase::StringLike => c.values.iter().all(|v| !has_wildcard(&v.text.value)),
        _ => false,
    }
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?']) || crate::search::contains(s, "${")
}

fn all_fixed(c: &Clause) -> bool {
    !c.values.is_empty() && c.values.iter().all(|v| !has_wildcard(&v.text.value))
}

/// ARN values whose account segment is a fixed 12-digit id; with `ArnLike`
/// wildcards are allowed after the account (resource part).
fn arn_account_fixed(c: &Clause) -> bool {
    let Some(op) = c.op else { return false };
    if op.if_exists || op.qualifier == Some(Qualifier::ForAllValues) {
        return false;
    }
    let like = matches!(op.base, OpBase::ArnLike | OpBase::StringLike);
    let equals = matches!(
        op.base,
        OpBase::ArnEquals | OpBase::StringEquals | OpBase::StringEqualsIgnoreCase
    );
    if !(like || equals) || c.values.is_empty() {
        return false;
    }
    c.values.iter().all(|v| {
        let s = &v.text.value;
        match parse_arn(s) {
            Some(a) => {
                let head_fixed = !has_wildcard(a.partition)
                    && !has_wildcard(a.service)
                    && !has_wildcard(a.region)
                    && a.account.len() == 12
                    && a.account.bytes().all(|b| b.is_ascii_digit());
                head_fixed && (like || !has_wildcard(a.resource))
            }
            None => false,
        }
    })
}

fn clause_limits(c: &Clause) -> bool {
    let k = c.key_lower.as_str();
    match k {
        "aws:sourceip" => {
            let Some(op) = c.op else { return false };
            op.base == OpBase::IpAddress
                && !op.if_exists
                && op.qualifier != Some(Qualifier::ForAllValues)
                && !c.parsed.is_empty()
                && c.parsed.iter().all(|p| match p {
                    Parsed::Ip(net) => ip_is_narrow(net),
                    _ => false,
                })
        }
        "aws:sourcearn" | "aws:principalarn" | "s3:dataaccesspointarn" => arn_account_fixed(c),
        "aws:sourcevpc"
        | "aws:sourcevpce"
        | "aws:sourceowner"
        | "aws:sourceaccount"
        | "aws:principalorgid"
        | "aws:principalaccount"
        | "s3:dataaccesspointaccount"
        | "s3:x-amz-server-side-encryption-aws-kms-key-id"
        | "aws:vpceaccount"
        | "aws:vpceorgid"
        | "aws:sourceorgid"
        | "aws:sourcevpcarn" => fixed_string_op(c) && all_fixed(c),
        "aws:principalorgpaths" | "aws:vpceorgpaths" | "aws:sourceorgpaths" => {
            // Org paths may end in `*` (a whole OU subtree is still fixed).
            fixed_string_op_allowing_like(c)
                && c.values.iter().all(|v| {
                    let s = v.text.value.strip_suffix('*').unwrap_or(&v.text.value);
                    !has_wildcard(s) && !s.is_empty()
                })
        }
        "aws:userid" => {
            fixed_string_op_allowing_like(c)
                && c.values.iter().all(|v| {
                    let s = &v.text.value;
                    // `AROAID:*` (any session of one role) is still fixed.
                    let base = s.strip_suffix(":*").unwrap_or(s);
                    !has_wildcard(base) && !base.is_empty()
                })
        }
        "aws:principalisawsservice" => {
            c.op.is_some_and(|o| o.base == OpBase::Bool && !o.if_exists)
                && c.parsed.iter().all(|p| *p == Parsed::Bool(true))
        }
        "aws:principalservicename" | "aws:principalservicenameslist" => {
            fixed_string_op(c)
                && c.values.iter().all(|v| {
                    !has_wildcard(&v.text.value) && v.text.value.ends_with(".amazonaws.com")
                })
        }
        _ => false,
    }
}

fn fixed_string_op_allowing_like(c: &Clause) -> bool {
    let Some(op) = c.op else { return false };
    !op.if_exists
        && op.qualifier != Some(Qualifier::ForAllValues)
        && matches!(
            op.base,
            OpBase::StringEquals | OpBase::StringEqualsIgnoreCase | OpBase::StringLike
        )
}

/// Ranges broader than /8 (IPv4) or /32 (IPv6) are public unless private.
fn ip_is_narrow(net: &IpNet) -> bool {
    match net {
        IpNet::V4(n) => n.prefix_len() >= 8 || n.network().is_private(),
        IpNet::V6(n) => n.prefix_len() >= 32,
    }
}
