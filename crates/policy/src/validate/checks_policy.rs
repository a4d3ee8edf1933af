//! Whole-policy checks: Sid uniqueness, duplicate statements, size quota.

use std::collections::HashMap;

use super::{Ctx, PolicyType};
use crate::ast::{Effect, Policy, PrincipalKind, Statement};
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
                ctx.loc(&sid),
            );
        }
    }
    for (j, i) in redundant_statements(&policy.statements) {
        ctx.add(
            Suggestion,
            "REDUNDANT_STATEMENT",
            format!(
                "The statement at index {} grants the same permissions as the statement at index {}; remove one of them.",
                policy.statements[j].index, policy.statements[i].index
            ),
            ctx.loc(&policy.statements[j]),
        );
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

/// `(j, i)` for every statement `j` that grants the same as an earlier
/// statement `i` (the first such), in order of `j`. Sorting the canonical
/// forms groups equal statements in O(n log n) comparisons, which mostly
/// stop at the first differing element.
fn redundant_statements(statements: &[Statement]) -> Vec<(usize, usize)> {
    let mut forms: Vec<(Canonical<'_>, usize)> =
        statements.iter().map(canonical).zip(0..).collect();
    forms.sort_unstable();
    let mut pairs = Vec::new();
    for group in forms.chunk_by(|a, b| a.0 == b.0) {
        // Within a group the indices are ascending: the first is the original.
        if let Some(((_, i), rest)) = group.split_first() {
            pairs.extend(rest.iter().map(|(_, j)| (*j, *i)));
        }
    }
    pairs.sort_unstable();
    pairs
}

/// An order-insensitive description of what a statement grants (Sid and
/// layout ignored), for REDUNDANT_STATEMENT. Lists are sorted and
/// deduplicated so equal sets compare equal; strings are borrowed.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Canonical<'a> {
    /// `Allow`/`Deny` as 0/1 (only equality matters).
    effect: Option<u8>,
    principal: Option<CanonicalPrincipal<'a>>,
    /// Action names are case-insensitive.
    action: Option<(bool, Vec<Caseless<'a>>)>,
    resource: Option<(bool, Vec<&'a str>)>,
    condition: Vec<(CondHead<'a>, Vec<&'a str>)>,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct CanonicalPrincipal<'a> {
    negated: bool,
    /// `"Principal": "*"`.
    any: bool,
    entries: Vec<(PrincipalKind, &'a str)>,
}

/// A clause's operator and lower-cased key. They used to be compared as the
/// text `operator|key`; names containing `|` keep that spelling so the
/// same clauses count as equal (a `Pair` never equals a `Joined`: their
/// texts have one `|` and several respectively).
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum CondHead<'a> {
    Pair(&'a str, &'a str),
    Joined(String),
}

fn set<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort_unstable();
    v.dedup();
    v
}

fn canonical(st: &Statement) -> Canonical<'_> {
    let principal = st.principal.as_ref().map(|p| {
        let entries = p.entries.iter().map(|e| (e.kind, e.value.value.as_str()));
        CanonicalPrincipal {
            negated: p.negated,
            any: p.any,
            entries: set(entries.collect()),
        }
    });
    let action = st.action.as_ref().map(|a| {
        let names = a.items.iter().map(|i| Caseless(&i.text.value));
        (a.negated, set(names.collect()))
    });
    let resource = st.resource.as_ref().map(|r| {
        let arns = r.items.iter().map(|i| i.text.value.as_str());
        (r.negated, set(arns.collect()))
    });
    let condition = st
        .condition
        .iter()
        .map(|c| {
            let (op, key) = (c.operator.value.as_str(), c.key_lower.as_str());
            let head = if op.contains('|') || key.contains('|') {
                CondHead::Joined(format!("{op}|{key}"))
            } else {
                CondHead::Pair(op, key)
            };
            let values = c.values.iter().map(|v| v.text.value.as_str());
            (head, set(values.collect()))
        })
        .collect();
    Canonical {
        effect: st.effect.as_ref().map(|e| match e.value {
            Effect::Allow => 0,
            Effect::Deny => 1,
        }),
        principal,
        action,
        resource,
        condition: set(condition),
    }
}

/// A string compared as its ASCII lower-case form, without making it.
#[derive(Clone, Copy)]
struct Caseless<'a>(&'a str);

impl Caseless<'_> {
    fn lower(self) -> impl Iterator<Item = u8> {
        self.0.bytes().map(|b| b.to_ascii_lowercase())
    }
}

impl PartialEq for Caseless<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(other.0)
    }
}

impl Eq for Caseless<'_> {}

impl PartialOrd for Caseless<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Caseless<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.lower().cmp(other.lower())
    }
}

#[cfg(test)]
mod tests {
    use crate::validate::{PolicyType, validate};

    fn redundant(statements: &str) -> Vec<String> {
        let text = format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#);
        validate(&text, PolicyType::Identity, None)
            .into_iter()
            .filter(|f| f.issue_code == "REDUNDANT_STATEMENT")
            .map(|f| f.finding_details)
            .collect()
    }

    #[test]
    fn redundant_statements_ignore_order_case_and_sid() {
        let a = r#"{"Sid":"A","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*","Condition":{"StringEquals":{"aws:UserName":["b","a"]}}}"#;
        let b = r#"{"Effect":"Allow","Action":["S3:PUTOBJECT","s3:GetObject","s3:GetObject"],"Resource":"*","Condition":{"StringEquals":{"AWS:username":["a","b"]}}}"#;
        let c = r#"{"Effect":"Deny","Action":["s3:GetObject","s3:PutObject"],"Resource":"*"}"#;
        let got = redundant(&[a, c, b].join(","));
        assert_eq!(got.len(), 1);
        assert!(got[0].contains("index 2") && got[0].ends_with("index 0; remove one of them."));
    }

    #[test]
    fn operator_and_key_compare_as_joined_text() {
        // `A|b` + `c` and `A` + `b|c` both read `A|b|c`, as they always have.
        let a = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"A|b":{"c":"1"}}}"#;
        let b = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"A":{"b|c":"1"}}}"#;
        let c = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"A":{"b":"1"}}}"#;
        assert_eq!(redundant(&[a, b].join(",")).len(), 1);
        assert!(redundant(&[a, c].join(",")).is_empty());
    }
}
