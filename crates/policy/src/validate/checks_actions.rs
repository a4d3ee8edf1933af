//! Checks on Action/NotAction: unknown services and S3 actions, wildcards in
//! the service prefix, actions not usable in the target policy type and
//! actions already covered by another entry.

use super::Ctx;
use crate::ast::Statement;
use crate::catalog::{catalog, satisfies};
use crate::finding::FindingType::*;
use crate::wildcard::pattern_covers;

pub(super) fn check(ctx: &mut Ctx, st: &Statement) {
    let Some(el) = &st.action else { return };
    let cat = catalog();
    for item in &el.items {
        let v = item.text.value.as_str();
        if v == "*" {
            continue;
        }
        let Some((service, name)) = v.split_once(':').filter(|_| item.glob.is_some()) else {
            ctx.add(
                Error,
                "INVALID_ACTION",
                format!("The action {v} is not valid. Actions have the form service:ActionName without spaces or commas."),
                ctx.loc(&item.text),
            );
            continue;
        };
        if service.contains(['*', '?']) {
            ctx.add(
                Suggestion,
                "WILDCARD_IN_SERVICE_NAME",
                format!("Avoid using wildcards (*, ?) in the service name of the action {v}; they may grant access to services you did not intend."),
                ctx.loc(&item.text),
            );
            continue;
        }
        if !cat.is_service(service) {
            ctx.add(
                Error,
                "INVALID_SERVICE_IN_ACTION",
                format!("The service {service} specified in the action {v} does not exist."),
                ctx.loc(&item.text),
            );
            continue;
        }
        if let Some(target) = ctx.target
            && !service.eq_ignore_ascii_case("s3")
        {
            ctx.add(
                Error,
                "UNSUPPORTED_ACTION_IN_POLICY",
                format!("The action {v} is not supported for the resource-based policy attached to the resource type {}.", target.api_name()),
                ctx.loc(&item.text),
            );
            continue;
        }
        if !service.eq_ignore_ascii_case("s3") {
            continue;
        }
        let known = if name.contains(['*', '?']) {
            cat.any_s3_action_matches(name)
        } else {
            cat.s3_action(name).is_some()
        };
        if !known {
            ctx.add(
                Error,
                "INVALID_ACTION",
                format!("The action {v} does not exist."),
                ctx.loc(&item.text),
            );
            continue;
        }
        if let (Some(target), Some(info)) = (ctx.target, cat.s3_action(name)) {
            let allowed = target.allowed_types();
            let usable = info
                .resource_types
                .iter()
                .any(|(rt, _)| allowed.iter().any(|a| satisfies(rt, a)));
            if !usable {
                ctx.add(
                    Error,
                    "UNSUPPORTED_ACTION_IN_POLICY",
                    format!("The action {v} is not supported for the resource-based policy attached to the resource type {}.", target.api_name()),
                    ctx.loc(&item.text),
                );
            }
        }
    }
    redundant(ctx, st);
}

fn redundant(ctx: &mut Ctx, st: &Statement) {
    let Some(el) = &st.action else { return };
    for (j, item) in el.items.iter().enumerate() {
        if item.glob.is_none() {
            continue;
        }
        let this = item.text.value.as_str();
        let by = el.items.iter().enumerate().position(|(i, other)| {
            let outer = other.text.value.as_str();
            i != j
                && other.glob.is_some()
                && pattern_covers(outer, this, true)
                // Equal entries: report only the later one.
                && (!pattern_covers(this, outer, true) || i < j)
        });
        if let Some(i) = by {
            ctx.add(
                Suggestion,
                "REDUNDANT_ACTION",
                format!(
                    "The action {} is redundant because it is included in the action {} in the same statement.",
                    item.text.value, el.items[i].text.value
                ),
                ctx.loc(&item.text),
            );
        }
    }
}
