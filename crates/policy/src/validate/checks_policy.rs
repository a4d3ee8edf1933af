//! Whole-policy checks: Sid uniqueness, duplicate statements, size quota.

use std::collections::HashMap;

use super::{Ctx, PolicyType};
use crate::ast::{Policy, Statement};
use crate::finding::FindingType::*;
use crate::finding::Location;
use crate::parse::MAX_POLICY_SIZE;

/// IAM managed-policy quota (characters, whitespace not counted).
const IDENTITY_POLICY_QUOTA: usize = 6144;

pub(super) fn check(ctx: &mut Ctx, policy: &Policy, text: &str) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for st in &policy.statements {
        let Some(sid) = st.sid.as_ref().filter(|s| !s.value.is_empty()) else {
            continue;
        };
        if seen.insert(sid.value.as_str(), st.index).is_some() {
            let (kind, code) = match ctx.policy_type {
                PolicyType::Identity => (Error, "UNIQUE_SIDS_REQUIRED"),
                PolicyType::Resource => (Warning, "UNIQUE_SIDS_RECOMMENDED"),
            };
            ctx.add(
                kind,
                code,
                format!(
                    "Duplicate Sid {}: statement IDs should be unique within a policy.",
                    sid.value
                ),
                sid.location(),
            );
        }
    }
    let keys: Vec<String> = policy.statements.iter().map(canonical).collect();
    for (j, st) in policy.statements.iter().enumerate() {
        if let Some(i) = keys[..j].iter().position(|k| *k == keys[j]) {
            ctx.add(
                Suggestion,
                "REDUNDANT_STATEMENT",
                format!(
                    "The statement at index {} grants the same permissions as the statement at index {}; remove one of them.",
                    st.index, policy.statements[i].index
                ),
                st.location(),
            );
        }
    }
    let (over, code, limit) = match ctx.policy_type {
        PolicyType::Resource => (
            text.len() > MAX_POLICY_SIZE,
            "POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA",
            MAX_POLICY_SIZE,
        ),
        PolicyType::Identity => (
            text.chars().filter(|c| !c.is_whitespace()).count() > IDENTITY_POLICY_QUOTA,
            "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA",
            IDENTITY_POLICY_QUOTA,
        ),
    };
    if over {
        ctx.add(
            Warning,
            code,
            format!(
                "The policy exceeds the size quota of {limit} characters for this policy type."
            ),
            Location {
                path: vec![],
                span: policy.span,
            },
        );
    }
}

/// An order-insensitive description of what a statement grants (Sid and
/// layout ignored), for REDUNDANT_STATEMENT.
fn canonical(st: &Statement) -> String {
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v.dedup();
        v
    };
    let principal = st.principal.as_ref().map(|p| {
        (
            p.negated,
            p.any,
            sorted(
                p.entries
                    .iter()
                    .map(|e| format!("{:?}={}", e.kind, e.value.value))
                    .collect(),
            ),
        )
    });
    let action = st.action.as_ref().map(|a| {
        (
            a.negated,
            sorted(
                a.items
                    .iter()
                    .map(|i| i.text.value.to_ascii_lowercase())
                    .collect(),
            ),
        )
    });
    let resource = st.resource.as_ref().map(|r| {
        (
            r.negated,
            sorted(r.items.iter().map(|i| i.text.value.clone()).collect()),
        )
    });
    let cond = sorted(
        st.condition
            .iter()
            .map(|c| {
                let vals = sorted(c.values.iter().map(|v| v.text.value.clone()).collect());
                format!("{}|{}|{:?}", c.operator.value, c.key_lower, vals)
            })
            .collect(),
    );
    format!(
        "{:?}|{principal:?}|{action:?}|{resource:?}|{cond:?}",
        st.effect.as_ref().map(|e| e.value)
    )
}
