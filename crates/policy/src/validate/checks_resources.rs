//! Checks on Resource/NotResource ARNs: format, S3 resource types, fit with
//! the target policy type, fit with the statement's actions, redundancy.

use super::Ctx;
use crate::arn::parse_arn;
use crate::ast::Statement;
use crate::catalog::{TypeSet, catalog, satisfies};
use crate::finding::FindingType::*;
use crate::wildcard::pattern_covers;

/// Resource-part prefixes of S3 ARNs that carry a region/account.
const S3_REGIONAL: &[&str] = &[
    "accesspoint/",
    "job/",
    "storage-lens/",
    "storage-lens-group/",
    "access-grants/",
    "async-request/",
];

pub(super) fn check<'a>(ctx: &mut Ctx<'a>, st: &'a Statement) {
    let Some(el) = &st.resource else { return };
    // Resource types each item may denote; None = unknown/any.
    let mut types: Vec<Option<TypeSet>> = Vec::with_capacity(el.items.len());
    for item in &el.items {
        let v = item.text.value.as_str();
        if v == "*" {
            types.push(None);
            continue;
        }
        let Some(a) = parse_arn(v) else {
            types.push(None);
            if !v.starts_with("arn:") && !v.starts_with(['*', '?']) {
                ctx.add(
                    Error,
                    "INVALID_ARN_PREFIX",
                    format!("The resource {v} is not valid. ARNs start with arn:."),
                    ctx.loc(&item.text),
                );
            } else if !v.ends_with('*') {
                ctx.add(
                    Error,
                    "MISSING_ARN_FIELD",
                    format!("The resource ARN {v} is missing fields. ARNs have the form arn:partition:service:region:account:resource."),
                    ctx.loc(&item.text),
                );
            }
            continue;
        };
        if a.service.bytes().any(|b| b.is_ascii_uppercase()) {
            ctx.add(
                Error,
                "INVALID_ARN_SERVICE_CASE",
                format!(
                    "The service name {} in the resource ARN must be lowercase.",
                    a.service
                ),
                ctx.loc(&item.text),
            );
            types.push(None);
            continue;
        }
        let account_bad = !a.account.is_empty()
            && !a.account.contains(['*', '?'])
            && !crate::search::contains(a.account, "${")
            && (a.account.len() != 12 || !a.account.bytes().all(|b| b.is_ascii_digit()));
        if a.service != "s3" {
            if account_bad && a.service != "iam" {
                ctx.add(
                    Error,
                    "INVALID_ARN_ACCOUNT",
                    format!("The account ID {} in the resource ARN is not valid. Use a 12-digit account ID.", a.account),
                    ctx.loc(&item.text),
                );
            }
            if let Some(t) = ctx.target
                && !a.service.contains(['*', '?'])
            {
                ctx.add(
                    Error,
                    "UNSUPPORTED_RESOURCE_ARN_IN_POLICY",
                    format!("The resource ARN {v} is not supported for the resource-based policy attached to the resource type {}.", t.api_name()),
                    ctx.loc(&item.text),
                );
            }
            types.push(None);
            continue;
        }
        let regional = S3_REGIONAL.iter().any(|p| a.resource.starts_with(p));
        if !regional && !a.resource.starts_with(['*', '?']) {
            if !a.region.is_empty() {
                ctx.add(
                    Error,
                    "ARN_REGION_NOT_ALLOWED",
                    "The service s3 does not support specifying a Region in bucket and object resource ARNs.".into(),
                    ctx.loc(&item.text),
                );
                types.push(None);
                continue;
            }
            if !a.account.is_empty() {
                ctx.add(
                    Error,
                    "ARN_ACCOUNT_NOT_ALLOWED",
                    "The service s3 does not support specifying an account ID in bucket and object resource ARNs.".into(),
                    ctx.loc(&item.text),
                );
                types.push(None);
                continue;
            }
        }
        if account_bad {
            ctx.add(
                Error,
                "INVALID_ARN_ACCOUNT",
                format!("The account ID {} in the resource ARN is not valid. Use a 12-digit account ID.", a.account),
                ctx.loc(&item.text),
            );
            types.push(None);
            continue;
        }
        let found = ctx.resource_types_for(v);
        if found.is_empty() {
            ctx.add(
                Error,
                "INVALID_ARN_RESOURCE",
                format!("The resource ARN {v} does not match any resource type of the service s3."),
                ctx.loc(&item.text),
            );
            types.push(None);
            continue;
        }
        if let Some(t) = ctx.target
            && !found.names().any(|f| t.allowed_types().contains(&f))
        {
            ctx.add(
                Error,
                "UNSUPPORTED_RESOURCE_ARN_IN_POLICY",
                format!("The resource ARN {v} is not supported for the resource-based policy attached to the resource type {}.", t.api_name()),
                ctx.loc(&item.text),
            );
        }
        types.push(Some(found));
    }
    if !el.negated {
        action_fit(ctx, st, &types);
    }
    redundant(ctx, st);
}

/// Flags named S3 actions for which no listed resource has a usable type
/// (e.g. `s3:ListBucket` on `arn:aws:s3:::b/*`): the statement can never
/// grant or deny them.
fn action_fit(ctx: &mut Ctx, st: &Statement, types: &[Option<TypeSet>]) {
    let Some(actions) = st.action.as_ref().filter(|a| !a.negated) else {
        return;
    };
    if types.is_empty() || types.iter().any(Option::is_none) {
        return;
    }
    let cat = catalog();
    for item in &actions.items {
        let Some((svc, name)) = item.text.value.split_once(':') else {
            continue;
        };
        if !svc.eq_ignore_ascii_case("s3") || name.contains(['*', '?']) {
            continue;
        }
        let Some(info) = cat.s3_action(name) else {
            continue;
        };
        let fits = types.iter().flatten().any(|found| {
            found
                .names()
                .any(|f| info.resource_types.iter().any(|(rt, _)| satisfies(rt, f)))
        });
        if !fits {
            let wanted: Vec<&str> = info
                .resource_types
                .iter()
                .map(|(r, _)| r.as_str())
                .collect();
            let wanted = if wanted.is_empty() {
                "\"*\"".to_string()
            } else {
                wanted.join(", ")
            };
            ctx.add(
                Error,
                "MISMATCHED_ACTION_FOR_RESOURCE",
                format!(
                    "The action {} does not apply to any resource in the statement; it needs a resource of type {wanted}.",
                    item.text.value
                ),
                ctx.loc(&item.text),
            );
        }
    }
}

fn redundant(ctx: &mut Ctx, st: &Statement) {
    let Some(el) = &st.resource else { return };
    for (j, item) in el.items.iter().enumerate() {
        let this = item.text.value.as_str();
        let by = el.items.iter().enumerate().position(|(i, other)| {
            let outer = other.text.value.as_str();
            i != j
                && pattern_covers(outer, this, false)
                && (!pattern_covers(this, outer, false) || i < j)
        });
        if let Some(i) = by {
            ctx.add(
                Suggestion,
                "REDUNDANT_RESOURCE",
                format!(
                    "The resource {} is redundant because it is included in the resource {} in the same statement.",
                    item.text.value, el.items[i].text.value
                ),
                ctx.loc(&item.text),
            );
        }
    }
}
