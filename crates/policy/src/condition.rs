//! Condition operators, typed condition values and clause evaluation.
//!
//! Semantics (policy-eval.md §2.5): AND across operators and keys, OR across a
//! key's values; negated operators are the negation of their positive twin
//! (so several values mean "matches none"). A missing key makes positive
//! operators false and negated ones true, except `…IfExists` (true) and
//! `Null` (tests presence). `ForAllValues:` is true for a missing/empty key,
//! `ForAnyValue:` false.

use std::collections::HashMap;
use std::net::IpAddr;
use std::str::FromStr;

use base64::Engine;
use ipnet::IpNet;

use crate::arn::ArnPattern;
use crate::variables::Template;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qualifier {
    ForAllValues,
    ForAnyValue,
}

/// The base operator without qualifier and `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpBase {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

/// Value family an operator works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    String,
    Numeric,
    Date,
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

const NAMES: &[(&str, OpBase)] = &[
    ("StringEquals", OpBase::StringEquals),
    ("StringNotEquals", OpBase::StringNotEquals),
    ("StringEqualsIgnoreCase", OpBase::StringEqualsIgnoreCase),
    (
        "StringNotEqualsIgnoreCase",
        OpBase::StringNotEqualsIgnoreCase,
    ),
    ("StringLike", OpBase::StringLike),
    ("StringNotLike", OpBase::StringNotLike),
    ("NumericEquals", OpBase::NumericEquals),
    ("NumericNotEquals", OpBase::NumericNotEquals),
    ("NumericLessThan", OpBase::NumericLessThan),
    ("NumericLessThanEquals", OpBase::NumericLessThanEquals),
    ("NumericGreaterThan", OpBase::NumericGreaterThan),
    ("NumericGreaterThanEquals", OpBase::NumericGreaterThanEquals),
    ("DateEquals", OpBase::DateEquals),
    ("DateNotEquals", OpBase::DateNotEquals),
    ("DateLessThan", OpBase::DateLessThan),
    ("DateLessThanEquals", OpBase::DateLessThanEquals),
    ("DateGreaterThan", OpBase::DateGreaterThan),
    ("DateGreaterThanEquals", OpBase::DateGreaterThanEquals),
    ("Bool", OpBase::Bool),
    ("BinaryEquals", OpBase::BinaryEquals),
    ("IpAddress", OpBase::IpAddress),
    ("NotIpAddress", OpBase::NotIpAddress),
    ("ArnEquals", OpBase::ArnEquals),
    ("ArnLike", OpBase::ArnLike),
    ("ArnNotEquals", OpBase::ArnNotEquals),
    ("ArnNotLike", OpBase::ArnNotLike),
    ("Null", OpBase::Null),
];

impl OpBase {
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, o)| *o == self)
            .map_or("", |(n, _)| n)
    }

    pub fn family(self) -> Family {
        use OpBase::*;
        match self {
            StringEquals
            | StringNotEquals
            | StringEqualsIgnoreCase
            | StringNotEqualsIgnoreCase
            | StringLike
            | StringNotLike => Family::String,
            NumericEquals
            | NumericNotEquals
            | NumericLessThan
            | NumericLessThanEquals
            | NumericGreaterThan
            | NumericGreaterThanEquals => Family::Numeric,
            DateEquals
            | DateNotEquals
            | DateLessThan
            | DateLessThanEquals
            | DateGreaterThan
            | DateGreaterThanEquals => Family::Date,
            Bool => Family::Bool,
            BinaryEquals => Family::Binary,
            IpAddress | NotIpAddress => Family::Ip,
            ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => Family::Arn,
            Null => Family::Null,
        }
    }

    /// Whether this is the negation of another operator.
    pub fn negated(self) -> bool {
        use OpBase::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }

    /// Operators whose values are globs.
    pub fn is_like(self) -> bool {
        use OpBase::*;
        matches!(
            self,
            StringLike | StringNotLike | ArnLike | ArnNotLike | ArnEquals | ArnNotEquals
        )
    }
}

/// A parsed operator name such as `ForAnyValue:StringLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operator {
    pub qualifier: Option<Qualifier>,
    pub base: OpBase,
    pub if_exists: bool,
}

impl Operator {
    /// Parses an operator name (case-sensitive, as IAM's grammar is).
    pub fn parse(name: &str) -> Option<Operator> {
        let (qualifier, rest) = if let Some(r) = name.strip_prefix("ForAllValues:") {
            (Some(Qualifier::ForAllValues), r)
        } else if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (Some(Qualifier::ForAnyValue), r)
        } else {
            (None, name)
        };
        let (if_exists, base_name) = match rest.strip_suffix("IfExists") {
            Some(b) => (true, b),
            None => (false, rest),
        };
        let base = NAMES.iter().find(|(n, _)| *n == base_name)?.1;
        Some(Operator {
            qualifier,
            base,
            if_exists,
        })
    }
}

/// A condition value, parsed for its operator's family at parse time.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Str(Template),
    Arn(ArnPattern),
    Num(f64),
    /// Milliseconds since the Unix epoch.
    Date(i64),
    Bool(bool),
    Ip(IpNet),
    Bin(Vec<u8>),
    /// For `Null`: `true` = "key must be absent".
    Null(bool),
    /// Unparseable for the operator: never matches (reported as TYPE_MISMATCH_*).
    Invalid,
}

impl Parsed {
    pub fn for_family(family: Family, text: &str, vars_enabled: bool) -> Parsed {
        match family {
            Family::String => Parsed::Str(Template::parse(text, vars_enabled).0),
            Family::Arn => Parsed::Arn(ArnPattern::new(Template::parse(text, vars_enabled).0)),
            Family::Numeric => parse_number(text).map_or(Parsed::Invalid, Parsed::Num),
            Family::Date => parse_date(text).map_or(Parsed::Invalid, Parsed::Date),
            Family::Bool => parse_bool(text).map_or(Parsed::Invalid, Parsed::Bool),
            Family::Null => parse_bool(text).map_or(Parsed::Invalid, Parsed::Null),
            Family::Ip => parse_cidr(text).map_or(Parsed::Invalid, Parsed::Ip),
            Family::Binary => parse_base64(text).map_or(Parsed::Invalid, Parsed::Bin),
        }
    }
}

/// `true`/`false`, case-insensitive.
pub fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Integer or decimal (optionally signed). Exponents, `NaN` and `inf` are not
/// IAM numbers.
pub fn parse_number(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return None;
    }
    if body.ends_with('.') {
        return None;
    }
    s.parse().ok()
}

/// An IPv4/IPv6 address or CIDR; a bare address is a /32 or /128.
pub fn parse_cidr(s: &str) -> Option<IpNet> {
    if s.contains('/') {
        IpNet::from_str(s).ok()
    } else {
        IpAddr::from_str(s).ok().map(IpNet::from)
    }
}

pub fn parse_base64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(s))
        .ok()
}

/// W3C/ISO 8601 dates (`2024-01-31`, `2024-01-31T10:00:00Z`, fractions,
/// `±hh:mm` offsets) or epoch seconds. Returns epoch milliseconds.
pub fn parse_date(s: &str) -> Option<i64> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i64>().ok()?.checked_mul(1000);
    }
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return None;
    }
    let mut ms = days_from_civil(y, mo, d) * 86_400_000;
    if b.len() == 10 {
        return Some(ms);
    }
    if !matches!(b.get(10), Some(b'T' | b't')) {
        return None;
    }
    let (h, mi) = (num(11..13)?, num(14..16)?);
    if b.get(13) != Some(&b':') || h > 23 || mi > 59 {
        return None;
    }
    let mut i = 16;
    let mut sec = 0;
    if b.get(i) == Some(&b':') {
        sec = num(i + 1..i + 3)?;
        if sec > 60 {
            return None;
        }
        i += 3;
        if b.get(i) == Some(&b'.') {
            let start = i + 1;
            i = start;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
                return None;
            }
            let frac = s.get(start..i.min(start + 3))?;
            let scale = 10i64.pow(3 - frac.len() as u32);
            ms += frac.parse::<i64>().ok()? * scale;
        }
    }
    ms += (h * 3600 + mi * 60 + sec) * 1000;
    match s.get(i..)? {
        "" | "Z" | "z" => Some(ms),
        tz => {
            let sign = match tz.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            let digits: String = tz[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let oh: i64 = digits[..2].parse().ok()?;
            let om: i64 = digits[2..].parse().ok()?;
            Some(ms - sign * (oh * 3600 + om * 60) * 1000)
        }
    }
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Does one request value satisfy the *positive* form of `base` for any of
/// the policy values?
fn positive_match(
    base: OpBase,
    values: &[Parsed],
    rv: &str,
    keys: &HashMap<String, Vec<String>>,
) -> bool {
    use OpBase::*;
    match base.family() {
        Family::String => values.iter().any(|v| {
            let Parsed::Str(t) = v else { return false };
            match base {
                StringLike | StringNotLike => t.glob(keys).is_some_and(|g| g.matches(rv)),
                StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => {
                    t.text(keys).is_some_and(|x| eq_ignore_case(&x, rv))
                }
                _ => t.text(keys).is_some_and(|x| x == rv),
            }
        }),
        Family::Arn => values.iter().any(|v| match v {
            Parsed::Arn(p) => p.matches(rv, keys, false),
            _ => false,
        }),
        Family::Numeric => {
            let Some(r) = parse_number(rv) else {
                return false;
            };
            values.iter().any(|v| {
                let Parsed::Num(p) = v else { return false };
                compare(base, r.partial_cmp(p))
            })
        }
        Family::Date => {
            let Some(r) = parse_date(rv) else {
                return false;
            };
            values.iter().any(|v| {
                let Parsed::Date(p) = v else { return false };
                compare(base, Some(r.cmp(p)))
            })
        }
        Family::Bool => {
            let r = parse_bool(rv);
            values
                .iter()
                .any(|v| matches!(v, Parsed::Bool(p) if Some(*p) == r))
        }
        Family::Binary => {
            let r = parse_base64(rv).unwrap_or_else(|| rv.as_bytes().to_vec());
            values
                .iter()
                .any(|v| matches!(v, Parsed::Bin(p) if *p == r))
        }
        Family::Ip => {
            let Ok(ip) = IpAddr::from_str(rv) else {
                return false;
            };
            values
                .iter()
                .any(|v| matches!(v, Parsed::Ip(n) if n.contains(&ip)))
        }
        Family::Null => false,
    }
}

fn eq_ignore_case(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

/// Maps an ordering to the operator's comparison. Equality-style operators
/// (including the negated ones, whose negation happens later) test `Equal`.
fn compare(base: OpBase, ord: Option<std::cmp::Ordering>) -> bool {
    use OpBase::*;
    use std::cmp::Ordering::*;
    let Some(o) = ord else { return false };
    match base {
        NumericLessThan | DateLessThan => o == Less,
        NumericLessThanEquals | DateLessThanEquals => o != Greater,
        NumericGreaterThan | DateGreaterThan => o == Greater,
        NumericGreaterThanEquals | DateGreaterThanEquals => o != Less,
        _ => o == Equal,
    }
}

/// Evaluates one `Operator: { key: values }` entry against the request keys.
/// `key` must already be lower-case.
pub fn eval_clause(
    op: &Operator,
    key: &str,
    values: &[Parsed],
    keys: &HashMap<String, Vec<String>>,
) -> bool {
    let present = keys.get(key).filter(|v| !v.is_empty());
    if op.base == OpBase::Null {
        // Qualifiers and IfExists do not change Null: it tests presence.
        return values
            .iter()
            .any(|v| matches!(v, Parsed::Null(absent) if *absent != present.is_some()));
    }
    let neg = op.base.negated();
    let Some(req) = present else {
        if op.if_exists {
            return true;
        }
        return match op.qualifier {
            Some(Qualifier::ForAllValues) => true,
            Some(Qualifier::ForAnyValue) => false,
            None => neg,
        };
    };
    match op.qualifier {
        None => {
            let any = req
                .iter()
                .any(|rv| positive_match(op.base, values, rv, keys));
            any != neg
        }
        Some(Qualifier::ForAnyValue) => req
            .iter()
            .any(|rv| positive_match(op.base, values, rv, keys) != neg),
        Some(Qualifier::ForAllValues) => req
            .iter()
            .all(|rv| positive_match(op.base, values, rv, keys) != neg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names() {
        let op = Operator::parse("ForAnyValue:StringLikeIfExists").expect("valid");
        assert_eq!(op.qualifier, Some(Qualifier::ForAnyValue));
        assert_eq!(op.base, OpBase::StringLike);
        assert!(op.if_exists);
        assert!(Operator::parse("stringequals").is_none());
        assert!(Operator::parse("StringEqualsExists").is_none());
        assert_eq!(OpBase::NotIpAddress.name(), "NotIpAddress");
    }

    #[test]
    fn value_parsers() {
        assert_eq!(parse_date("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_date("1970-01-01T00:00:01.5Z"), Some(1500));
        assert_eq!(parse_date("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_date("86400"), Some(86_400_000));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2024-02-29T10:00Z"), Some(1_709_200_800_000));
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_number("1.5"), Some(1.5));
        assert_eq!(parse_number("-3"), Some(-3.0));
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("1e5"), None);
        assert_eq!(parse_number("."), None);
        assert!(parse_cidr("10.0.0.0/8").is_some());
        assert!(parse_cidr("2001:db8::/32").is_some());
        assert!(parse_cidr("10.0.0.1").is_some());
        assert!(parse_cidr("10.0.0.0/33").is_none());
        assert_eq!(parse_base64("aGk="), Some(b"hi".to_vec()));
    }
}
