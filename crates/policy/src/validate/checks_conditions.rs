//! Checks on Condition blocks: key names, operator/key types, qualifiers,
//! values (wildcards, IP ranges, VPC ids) and redundancy.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use super::Ctx;
use crate::ast::{Clause, Statement};
use crate::catalog::catalog;
use crate::condition::{Family, OpBase, Parsed, Qualifier};
use crate::finding::FindingType::*;

pub(super) fn check(ctx: &mut Ctx, st: &Statement) {
    for (i, c) in st.condition.iter().enumerate() {
        // Same key twice under one operator, spelled differently.
        let dup = st.condition[..i].iter().any(|o| {
            o.operator.value == c.operator.value
                && o.key_lower == c.key_lower
                && o.key.value != c.key.value
        });
        if dup {
            ctx.add(
                Error,
                "DUPLICATE_KEYS_WITH_DIFFERENT_CASE",
                format!("The condition key {} appears more than once with different capitalization under the same operator; condition keys are case-insensitive.", c.key.value),
                ctx.loc(&c.key),
            );
        }
        let Some(op) = c.op else { continue };
        if op.base == OpBase::Null {
            if op.if_exists {
                ctx.add(
                    Error,
                    "NULL_WITH_IF_EXISTS",
                    "The Null condition operator cannot be used with the IfExists suffix.".into(),
                    ctx.loc(&c.operator),
                );
            }
            if op.qualifier.is_some() {
                ctx.add(
                    Suggestion,
                    "NULL_WITH_QUALIFIER",
                    "Avoid using the Null condition operator with ForAllValues or ForAnyValue; the qualifier has no effect.".into(),
                    ctx.loc(&c.operator),
                );
            }
        }
        key_checks(ctx, c);
        value_checks(ctx, c);
    }
}

fn key_checks(ctx: &mut Ctx, c: &Clause) {
    let Some(op) = c.op else { return };
    let key = c.key.value.as_str();
    let Some((prefix, name)) = key
        .split_once(':')
        .filter(|(p, n)| !p.is_empty() && !n.is_empty())
    else {
        ctx.add(
            Error,
            "INVALID_CONDITION_KEY_FORMAT",
            format!("The condition key {key} is not valid. Use the format service:keyname."),
            ctx.loc(&c.key),
        );
        return;
    };
    let cat = catalog();
    let info = cat.key(key);
    if info.is_none() {
        let tag_base = cat.key(&format!("{key}/x")).is_some() && !name.contains('/');
        let (code, text) = if tag_base {
            (
                "MISSING_TAG_KEY_IN_CONDITION",
                format!(
                    "The condition key {key} must include a tag key, for example {key}/TagKey."
                ),
            )
        } else if c.key_lower == "aws:arn" {
            ("UNSUPPORTED_GLOBAL_CONDITION_KEY", "The condition key aws:ARN is not supported; use aws:PrincipalArn or aws:SourceArn.".to_string())
        } else if prefix.eq_ignore_ascii_case("aws") {
            (
                "INVALID_GLOBAL_CONDITION_KEY",
                format!(
                    "The condition key {key} does not exist. Use a valid global condition key."
                ),
            )
        } else if prefix.eq_ignore_ascii_case("s3") || !cat.is_service(prefix) {
            (
                "INVALID_SERVICE_CONDITION_KEY",
                format!("The condition key {key} does not exist in the service {prefix}."),
            )
        } else {
            return; // another service's key: not catalogued here
        };
        ctx.add(Error, code, text, ctx.loc(&c.key));
        return;
    }
    let Some(info) = info else { return };
    let kt = info.key_type;
    if op.base != OpBase::Null {
        let fam = op.base.family();
        let compatible = fam == kt.family
            || (fam == Family::String && kt.family == Family::Arn)
            || (fam == Family::Numeric && kt.family == Family::Date);
        if !compatible {
            ctx.add(
                Warning,
                "TYPE_MISMATCH",
                format!(
                    "Use an operator of type {:?} instead of {} for the condition key {key}.",
                    kt.family,
                    op.base.name()
                ),
                ctx.loc(&c.operator),
            );
        }
        if kt.multivalued && op.qualifier.is_none() {
            ctx.add(
                Error,
                "MISSING_QUALIFIER",
                format!("The condition key {key} is multivalued; use the ForAllValues or ForAnyValue qualifier with the operator {}.", op.base.name()),
                ctx.loc(&c.key),
            );
        }
    }
    if !kt.multivalued && op.qualifier == Some(Qualifier::ForAllValues) {
        ctx.add(
            SecurityWarning,
            "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
            format!("Using ForAllValues qualifier with the single-valued condition key {key} can be overly permissive: it is true when the key is absent. We recommend that you remove ForAllValues:."),
            ctx.loc(&c.operator),
        );
    }
}

fn value_checks(ctx: &mut Ctx, c: &Clause) {
    let Some(op) = c.op else { return };
    let fam = op.base.family();
    if fam == Family::String && !op.base.is_like() {
        for v in &c.values {
            // `${*}`/`${?}` are escaped, literal wildcards.
            let s = v.text.value.as_str();
            let plain = if crate::search::contains(s, "${") {
                Cow::Owned(s.replace("${*}", "").replace("${?}", ""))
            } else {
                Cow::Borrowed(s)
            };
            if plain.contains(['*', '?']) {
                ctx.add(
                    Warning,
                    "WILDCARD_WITHOUT_LIKE_OPERATOR",
                    format!("The value {} contains a wildcard (*, ?) but the operator {} compares it literally; use StringLike to match patterns.", v.text.value, op.base.name()),
                    ctx.loc(&v.text),
                );
            }
        }
    }
    if fam == Family::Bool && c.values.len() > 1 {
        ctx.add(
            Error,
            "INVALID_CONDITION_MULTIPLE_BOOLEAN",
            format!(
                "The condition key {} expects one Boolean value.",
                c.key.value
            ),
            ctx.loc(&c.values_loc),
        );
    }
    if fam == Family::Numeric
        && c.values.len() > 1
        && !matches!(op.base, OpBase::NumericEquals | OpBase::NumericNotEquals)
    {
        ctx.add(
            Suggestion,
            "REDUNDANT_CONDITION_VALUE_NUM",
            format!("Multiple values for {} are redundant; only the most permissive bound takes effect. Use a single value.", op.base.name()),
            ctx.loc(&c.values_loc),
        );
    }
    if fam == Family::Ip {
        ip_checks(ctx, c);
    }
    let vpc = match c.key_lower.as_str() {
        "aws:sourcevpc" => Some(("vpc-", "INVALID_VPC_FORMAT")),
        "aws:sourcevpce" => Some(("vpce-", "INVALID_VPCE_FORMAT")),
        _ => None,
    };
    if let Some((prefix, code)) = vpc {
        for v in &c.values {
            let s = v.text.value.as_str();
            if s.contains(['*', '?']) || crate::search::contains(s, "${") {
                continue;
            }
            let ok = s.strip_prefix(prefix).is_some_and(|id| {
                (id.len() == 8 || id.len() == 17) && id.bytes().all(|b| b.is_ascii_alphanumeric())
            });
            if !ok {
                ctx.add(
                    Error,
                    code,
                    format!("The value {s} is not a valid identifier; use {prefix} followed by 8 or 17 alphanumeric characters."),
                    ctx.loc(&v.text),
                );
            }
        }
    }
}

fn ip_checks(ctx: &mut Ctx, c: &Clause) {
    let Some(op) = c.op else { return };
    let mut private = 0usize;
    let mut total = 0usize;
    for (v, p) in c.values.iter().zip(&c.parsed) {
        let Parsed::Ip(net) = p else { continue };
        total += 1;
        if net.addr() != net.network() {
            ctx.add(
                Suggestion,
                "IMPROVE_IP_RANGE",
                format!("The IP range {} has host bits set; use {} to make the intended range explicit.", v.text.value, net.trunc()),
                ctx.loc(&v.text),
            );
        }
        if is_private(net) {
            private += 1;
        }
    }
    if c.key_lower != "aws:sourceip" || private == 0 {
        return;
    }
    let neg = op.base == OpBase::NotIpAddress;
    let (code, kind, text) = if private == total {
        (
            if neg {
                "PRIVATE_NOT_IP_ADDRESS"
            } else {
                "PRIVATE_IP_ADDRESS"
            },
            Error,
            "aws:SourceIp only holds public IP addresses; a condition on private ranges has no effect. Use aws:VpcSourceIp for private addresses.",
        )
    } else {
        (
            if neg {
                "PRIVATE_NOT_IP_ADDRESS_SUBSET"
            } else {
                "PRIVATE_IP_ADDRESS_SUBSET"
            },
            Suggestion,
            "aws:SourceIp only holds public IP addresses; the private ranges in this condition have no effect.",
        )
    };
    ctx.add(kind, code, text.into(), ctx.loc(&c.values_loc));
}

fn is_private(net: &IpNet) -> bool {
    match net.trunc() {
        IpNet::V4(n) => {
            let a: Ipv4Addr = n.network();
            let b: Ipv4Addr = n.broadcast();
            (a.is_private() && b.is_private() && same_private_block(a, b)) || a.is_loopback()
        }
        IpNet::V6(n) => {
            let a: Ipv6Addr = n.network();
            // fc00::/7 unique local addresses.
            (a.segments()[0] & 0xfe00) == 0xfc00 && n.prefix_len() >= 7 || a.is_loopback()
        }
    }
}

fn same_private_block(a: Ipv4Addr, b: Ipv4Addr) -> bool {
    let blocks: [(IpAddr, u8); 3] = [
        (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 0)), 8),
        (IpAddr::V4(Ipv4Addr::new(172, 16, 0, 0)), 12),
        (IpAddr::V4(Ipv4Addr::new(192, 168, 0, 0)), 16),
    ];
    blocks.iter().any(|(n, l)| {
        IpNet::new(*n, *l)
            .is_ok_and(|net| net.contains(&IpAddr::V4(a)) && net.contains(&IpAddr::V4(b)))
    })
}
