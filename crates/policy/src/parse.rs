//! Turns spanned JSON into a [`Policy`], reporting grammar problems as
//! findings. [`crate::parse`] fails on the first ERROR among them;
//! [`crate::validate`] returns them all next to its semantic checks, so both
//! share one notion of "well-formed".

use crate::arn::ArnPattern;
use crate::ast::*;
use crate::condition::{Family, Operator, Parsed, Qualifier};
use crate::finding::{Finding, FindingType, Location, PathElement, Position, Span};
use crate::json::{JKind, JMember, JValue, Members, parse_json};
use crate::path::{Path, Paths};
use crate::text::{Source, Text};
use crate::variables::Template;
use crate::wildcard::Glob;

/// Largest policy accepted by [`crate::parse`]: the 20 KB S3 bucket-policy
/// limit (MRAP and access-point policies are assumed to share it).
pub const MAX_POLICY_SIZE: usize = 20 * 1024;

/// Why a policy could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message} (line {}, column {})", position.line, position.column)]
pub struct ParseError {
    /// The Access Analyzer issue code of the problem (e.g. `JSON_SYNTAX_ERROR`).
    pub code: String,
    pub message: String,
    pub position: Position,
}

pub(crate) struct Built {
    pub policy: Option<Policy>,
    pub findings: Vec<Finding>,
}

struct Builder<'a> {
    findings: Vec<Finding>,
    vars_enabled: bool,
    paths: Paths,
    /// Element strings are ranges of this shared copy of the text.
    src: Source<'a>,
}

impl Builder<'_> {
    fn at(&self, path: Path, span: Span) -> Vec<Location> {
        vec![self.paths.location(path, span)]
    }

    fn push(&mut self, t: FindingType, code: &str, details: String, loc: Vec<Location>) {
        self.findings.push(Finding::new(t, code, details, loc));
    }

    fn type_mismatch(&mut self, expected: &str, v: &JValue<'_>, path: Path) {
        self.push(
            FindingType::Error,
            "DATA_TYPE_MISMATCH",
            format!(
                "The text does not match the expected JSON data type {expected}; found {}.",
                v.kind.type_name()
            ),
            self.at(path, v.span),
        );
    }

    /// Reports repeated keys in one object (JSON allows them, IAM does not:
    /// which one wins would be parser-dependent).
    fn duplicates(&mut self, members: Members<'_>, path: Path) {
        for (i, m) in members.iter().enumerate() {
            if members.iter().take(i).any(|o| o.key == m.key) {
                let p = self.paths.key(path, m.key);
                self.push(
                    FindingType::Error,
                    "DUPLICATE_KEYS",
                    format!(
                        "The key \"{}\" appears more than once in the same JSON object.",
                        m.key
                    ),
                    self.at(p, m.key_span),
                );
            }
        }
    }

    /// A string or an array of strings, each turned into an item by `each`
    /// and appended to `out`. Reports an empty array with `empty_code` (a
    /// SUGGESTION) and non-strings as DATA_TYPE_MISMATCH.
    fn string_list<T>(
        &mut self,
        v: &JValue<'_>,
        path: Path,
        empty_code: Option<&str>,
        out: &mut Vec<T>,
        mut each: impl FnMut(&mut Self, Spanned<Text>) -> T,
    ) {
        match v.kind {
            JKind::Str(s) => {
                let s = Spanned {
                    value: self.src.text(s),
                    span: v.span,
                    path,
                };
                out.push(each(self, s));
            }
            JKind::Arr(items) => {
                if items.is_empty()
                    && let Some(code) = empty_code
                {
                    self.push(
                        FindingType::Suggestion,
                        code,
                        "This array is empty, so the element has no effect; remove it or add values."
                            .into(),
                        self.at(path, v.span),
                    );
                }
                out.reserve(items.len());
                for (i, it) in items.iter().enumerate() {
                    let p = self.paths.index(path, i);
                    match it.kind {
                        JKind::Str(s) => {
                            let s = Spanned {
                                value: self.src.text(s),
                                span: it.span,
                                path: p,
                            };
                            out.push(each(self, s));
                        }
                        _ => self.type_mismatch("string", &it, p),
                    }
                }
            }
            _ => self.type_mismatch("string or array of strings", v, path),
        }
    }

    /// Variable syntax errors, or variables where they are not expanded.
    /// Returns the compiled template where variables are `allowed` (elements
    /// that do not take variables have no use for one).
    fn check_vars(
        &mut self,
        s: &Spanned<Text>,
        allowed: bool,
        operator: Option<&str>,
    ) -> Option<Template> {
        let template = allowed.then(|| {
            let (t, issues) = Template::parse_text(&s.value, self.vars_enabled);
            for i in issues {
                let mut path = self.paths.elements(s.path);
                path.push(PathElement::Substring {
                    start: i.start,
                    length: i.length,
                });
                self.push(
                    FindingType::Error,
                    i.code,
                    var_issue_text(i.code),
                    vec![Location { path, span: s.span }],
                );
            }
            t
        });
        if crate::search::contains(&s.value, "${") {
            if !allowed {
                let (code, details) = match operator {
                    Some(op) => (
                        "INVALID_VARIABLE_FOR_OPERATOR",
                        format!("Policy variables cannot be used with the {op} operator; use a String or ARN operator."),
                    ),
                    None => (
                        "VARIABLE_UNSUPPORTED_IN_ELEMENT",
                        "Policy variables are not supported in this element; they are allowed only in Resource, NotResource and String/ARN condition values.".to_string(),
                    ),
                };
                self.push(FindingType::Error, code, details, self.at(s.path, s.span));
            } else if !self.vars_enabled {
                self.push(
                    FindingType::Error,
                    "VARIABLE_UNSUPPORTED_IN_VERSION",
                    "Policy variables require \"Version\": \"2012-10-17\"; with another or no Version they are treated as literal text.".into(),
                    self.at(s.path, s.span),
                );
            }
        }
        template
    }
}

fn var_issue_text(code: &str) -> String {
    match code {
        "MISSING_BRACE_IN_VARIABLE" => "A policy variable is missing its closing brace '}'.",
        "EMPTY_VARIABLE" => "A policy variable ${} is empty; add a condition key name.",
        "MISSING_QUOTE_IN_VARIABLE" => {
            "A policy variable default value must be in single quotes: ${key, 'default'}."
        }
        _ => "A policy variable contains an unsupported space; use ${key} or ${key, 'default'}.",
    }
    .to_string()
}

/// Parses and builds; never panics.
pub(crate) fn build(text: &str) -> Built {
    let doc = match parse_json(text) {
        Ok(d) => d,
        Err(e) => {
            let f = Finding::new(
                FindingType::Error,
                "JSON_SYNTAX_ERROR",
                format!(
                    "Fix the JSON syntax error at index {} line {} column {}: {}.",
                    e.position.offset, e.position.line, e.position.column, e.message
                ),
                vec![Location {
                    path: vec![],
                    span: Span {
                        start: e.position,
                        end: e.position,
                    },
                }],
            );
            return Built {
                policy: None,
                findings: vec![f],
            };
        }
    };
    let mut b = Builder {
        findings: Vec::new(),
        vars_enabled: false,
        // About one path per JSON value.
        paths: Paths::with_capacity(doc.len()),
        src: Source::new(text),
    };
    let json = doc.root();
    let JKind::Obj(members) = json.kind else {
        b.type_mismatch("object", &json, Path::ROOT);
        return Built {
            policy: None,
            findings: b.findings,
        };
    };
    b.duplicates(members, Path::ROOT);
    let mut version = None;
    let mut id = None;
    let mut statement_json = None;
    for m in members.iter() {
        let p = b.paths.key(Path::ROOT, m.key);
        match m.key {
            "Version" => match m.value.kind {
                JKind::Str(s) => {
                    if s != "2012-10-17" && s != "2008-10-17" {
                        b.push(
                            FindingType::Error,
                            "INVALID_VERSION",
                            format!("The version {s} is not valid. Use one of the following versions: 2012-10-17, 2008-10-17."),
                            b.at(p, m.value.span),
                        );
                    }
                    version = Some(Spanned {
                        value: b.src.text(s),
                        span: m.value.span,
                        path: p,
                    });
                }
                _ => b.type_mismatch("string", &m.value, p),
            },
            "Id" => match m.value.kind {
                JKind::Str(s) => {
                    id = Some(Spanned {
                        value: b.src.text(s),
                        span: m.value.span,
                        path: p,
                    })
                }
                _ => b.type_mismatch("string", &m.value, p),
            },
            "Statement" => statement_json = Some(m.value),
            other => b.push(
                FindingType::Error,
                "INVALID_POLICY_ELEMENT",
                format!("The policy element {other} is not valid."),
                b.at(p, m.key_span),
            ),
        }
    }
    match &version {
        None => b.push(
            FindingType::Warning,
            "MISSING_VERSION",
            "We recommend that you specify the Version element to help you with debugging permission issues.".into(),
            b.at(Path::ROOT, json.span),
        ),
        Some(v) => b.vars_enabled = v.value == "2012-10-17",
    }
    let mut statements = Vec::new();
    match statement_json {
        None => b.push(
            FindingType::Error,
            "MISSING_STATEMENT",
            "Add a Statement element to the policy.".into(),
            b.at(Path::ROOT, json.span),
        ),
        Some(sv) => {
            let sp = b.paths.key(Path::ROOT, "Statement");
            match sv.kind {
                JKind::Obj(_) => statements.extend(b.statement(&sv, 0, sp)),
                JKind::Arr(items) => {
                    statements.reserve_exact(items.len());
                    if items.is_empty() {
                        b.push(
                            FindingType::Error,
                            "MISSING_STATEMENT",
                            "The Statement array is empty; add at least one statement.".into(),
                            b.at(sp, sv.span),
                        );
                    }
                    for (i, it) in items.iter().enumerate() {
                        let p = b.paths.index(sp, i);
                        if matches!(it.kind, JKind::Obj(_)) {
                            statements.extend(b.statement(&it, i, p));
                        } else {
                            b.type_mismatch("object", &it, p);
                        }
                    }
                }
                _ => b.type_mismatch("object or array of objects", &sv, sp),
            }
        }
    }
    let policy = Policy {
        version,
        id,
        statements,
        variables_enabled: b.vars_enabled,
        size: text.len(),
        span: json.span,
        paths: b.paths,
    };
    Built {
        policy: Some(policy),
        findings: b.findings,
    }
}

impl Builder<'_> {
    fn statement(&mut self, v: &JValue<'_>, index: usize, path: Path) -> Option<Statement> {
        let JKind::Obj(members) = v.kind else {
            return None;
        };
        self.duplicates(members, path);
        let mut st = Statement {
            index,
            sid: None,
            effect: None,
            principal: None,
            has_principal_key: false,
            action: None,
            resource: None,
            condition: Vec::new(),
            condition_loc: None,
            span: v.span,
            path,
        };
        let mut seen_principal = None;
        let mut seen_action = None;
        let mut seen_resource = None;
        for m in members.iter() {
            let p = self.paths.key(path, m.key);
            match m.key {
                "Sid" => match m.value.kind {
                    JKind::Str(s) => {
                        st.sid = Some(Spanned {
                            value: self.src.text(s),
                            span: m.value.span,
                            path: p,
                        })
                    }
                    _ => self.type_mismatch("string", &m.value, p),
                },
                "Effect" => match m.value.kind {
                    JKind::Str(s) => {
                        let e = match s {
                            "Allow" => Some(Effect::Allow),
                            "Deny" => Some(Effect::Deny),
                            _ => {
                                self.push(
                                    FindingType::Error,
                                    "INVALID_EFFECT",
                                    format!("The effect {s} is not valid. Use Allow or Deny."),
                                    self.at(p, m.value.span),
                                );
                                None
                            }
                        };
                        st.effect = e.map(|value| Spanned {
                            value,
                            span: m.value.span,
                            path: p,
                        });
                    }
                    _ => self.type_mismatch("string", &m.value, p),
                },
                "Principal" | "NotPrincipal" => {
                    if let Some(prev) = seen_principal.replace(m.key) {
                        self.combination(prev, m.key, p, m.key_span);
                    }
                    st.has_principal_key = true;
                    st.principal = self.principal(&m.value, m.key == "NotPrincipal", p);
                }
                "Action" | "NotAction" => {
                    if let Some(prev) = seen_action.replace(m.key) {
                        self.combination(prev, m.key, p, m.key_span);
                    }
                    st.action = Some(self.action(&m.value, m.key == "NotAction", p));
                }
                "Resource" | "NotResource" => {
                    if let Some(prev) = seen_resource.replace(m.key) {
                        self.combination(prev, m.key, p, m.key_span);
                    }
                    st.resource = Some(self.resource(&m.value, m.key == "NotResource", p));
                }
                "Condition" => {
                    st.condition_loc = Some(Spanned {
                        value: (),
                        span: m.value.span,
                        path: p,
                    });
                    st.condition = self.condition(&m.value, p);
                }
                other => self.push(
                    FindingType::Error,
                    "INVALID_POLICY_ELEMENT",
                    format!("The policy element {other} is not valid."),
                    self.at(p, m.key_span),
                ),
            }
        }
        let has = |k: &str| members.iter().any(|m| m.key == k);
        if !has("Effect") {
            self.push(
                FindingType::Error,
                "MISSING_EFFECT",
                "Add an Effect element to the policy statement with a value of Allow or Deny."
                    .into(),
                self.at(path, v.span),
            );
        }
        if seen_action.is_none() {
            self.push(
                FindingType::Error,
                "MISSING_ACTION",
                "Add an Action or NotAction element to the policy statement.".into(),
                self.at(path, v.span),
            );
        }
        if seen_resource.is_none() {
            self.push(
                FindingType::Error,
                "MISSING_RESOURCE",
                "Add a Resource or NotResource element to the policy statement.".into(),
                self.at(path, v.span),
            );
        }
        Some(st)
    }

    fn combination(&mut self, a: &str, b: &str, path: Path, span: Span) {
        self.push(
            FindingType::Error,
            "UNSUPPORTED_ELEMENT_COMBINATION",
            format!("The policy elements {a} and {b} can not be used in the same statement."),
            self.at(path, span),
        );
    }

    fn principal(&mut self, v: &JValue<'_>, negated: bool, path: Path) -> Option<PrincipalElem> {
        let mut el = PrincipalElem {
            negated,
            any: false,
            entries: Vec::new(),
            span: v.span,
            path,
        };
        match v.kind {
            JKind::Str("*") => el.any = true,
            JKind::Str(_) => {
                self.push(
                    FindingType::Error,
                    "INVALID_PRINCIPAL_FORMAT",
                    "The Principal element must be \"*\" or an object with AWS, Service, Federated or CanonicalUser keys.".into(),
                    self.at(path, v.span),
                );
                return None;
            }
            JKind::Obj(members) => {
                self.duplicates(members, path);
                if members.is_empty() {
                    self.push(
                        FindingType::Suggestion,
                        "EMPTY_OBJECT_PRINCIPAL",
                        "The Principal object is empty, so the statement applies to no principal; add principals or remove the statement.".into(),
                        self.at(path, v.span),
                    );
                }
                for m in members.iter() {
                    let p = self.paths.key(path, m.key);
                    let kind = match m.key {
                        "AWS" => PrincipalKind::Aws,
                        "Service" => PrincipalKind::Service,
                        "Federated" => PrincipalKind::Federated,
                        "CanonicalUser" => PrincipalKind::CanonicalUser,
                        other => {
                            self.push(
                                FindingType::Error,
                                "INVALID_PRINCIPAL_KEY",
                                format!("The {other} principal key is not valid. Use AWS, Service, Federated or CanonicalUser."),
                                self.at(p, m.key_span),
                            );
                            continue;
                        }
                    };
                    let empty = Some("EMPTY_ARRAY_PRINCIPAL");
                    self.string_list(&m.value, p, empty, &mut el.entries, |b, s| {
                        b.check_vars(&s, false, None);
                        PrincipalEntry { kind, value: s }
                    });
                }
            }
            _ => {
                self.type_mismatch("string or object", v, path);
                return None;
            }
        }
        Some(el)
    }

    fn action(&mut self, v: &JValue<'_>, negated: bool, path: Path) -> ActionElem {
        let mut items = Vec::new();
        self.string_list(v, path, Some("EMPTY_ARRAY_ACTION"), &mut items, |b, s| {
            b.check_vars(&s, false, None);
            let usable = !s.value.is_empty()
                && !s.value.contains(',')
                && !s.value.contains(char::is_whitespace)
                && (s.value == "*" || s.value.split_once(':').is_some_and(|(_, n)| !n.is_empty()));
            ActionItem {
                glob: usable.then(|| Glob::from_text(s.value.clone())),
                text: s,
            }
        });
        ActionElem {
            negated,
            items,
            span: v.span,
            path,
        }
    }

    fn resource(&mut self, v: &JValue<'_>, negated: bool, path: Path) -> ResourceElem {
        let mut items = Vec::new();
        self.string_list(v, path, Some("EMPTY_ARRAY_RESOURCE"), &mut items, |b, s| {
            // Resources always take variables, so there is a template.
            let template = b
                .check_vars(&s, true, None)
                .unwrap_or_else(|| Template::parse_text(&s.value, false).0);
            ResourceItem {
                pattern: ArnPattern::new(template),
                text: s,
            }
        });
        ResourceElem {
            negated,
            items,
            span: v.span,
            path,
        }
    }

    fn condition(&mut self, v: &JValue<'_>, path: Path) -> Vec<Clause> {
        let JKind::Obj(ops) = v.kind else {
            self.type_mismatch("object", v, path);
            return Vec::new();
        };
        self.duplicates(ops, path);
        if ops.is_empty() {
            self.push(
                FindingType::Suggestion,
                "EMPTY_OBJECT_CONDITION",
                "The Condition object is empty and has no effect; remove it or add conditions."
                    .into(),
                self.at(path, v.span),
            );
        }
        let count = ops.iter().map(|om| match om.value.kind {
            JKind::Obj(keys) => keys.len(),
            _ => 0,
        });
        let mut clauses = Vec::with_capacity(count.sum());
        for om in ops.iter() {
            let op_path = self.paths.key(path, om.key);
            let op = Operator::parse(om.key);
            if op.is_none() {
                self.push(
                    FindingType::Error,
                    "INVALID_CONDITION_OPERATOR",
                    format!(
                        "The condition operator {} is not valid. Use a valid condition operator.",
                        om.key
                    ),
                    self.at(op_path, om.key_span),
                );
            }
            let JKind::Obj(keys) = om.value.kind else {
                self.type_mismatch("object", &om.value, op_path);
                continue;
            };
            self.duplicates(keys, op_path);
            if keys.is_empty() {
                self.push(
                    FindingType::Suggestion,
                    "EMPTY_OBJECT_CONDITION",
                    "The condition operator has no keys and has no effect.".into(),
                    self.at(op_path, om.value.span),
                );
            }
            for km in keys.iter() {
                clauses.push(self.clause(&om, op, &km, op_path));
            }
        }
        clauses
    }

    fn clause(
        &mut self,
        om: &JMember<'_>,
        op: Option<Operator>,
        km: &JMember<'_>,
        op_path: Path,
    ) -> Clause {
        let kp = self.paths.key(op_path, km.key);
        let mut values = Vec::with_capacity(match km.value.kind {
            JKind::Arr(items) => items.len(),
            _ => 1,
        });
        let is_scalar =
            |j: &JValue<'_>| matches!(j.kind, JKind::Str(_) | JKind::Num(_) | JKind::Bool(_));
        let scalar = |b: &Self, j: &JValue<'_>| match j.kind {
            JKind::Str(s) | JKind::Num(s) => Some(b.src.text(s)),
            JKind::Bool(v) => Some(Text::new(if v { "true" } else { "false" })),
            _ => None,
        };
        match km.value.kind {
            JKind::Arr(items) => {
                if items.is_empty() {
                    let code = match op {
                        Some(o) if o.if_exists => "EMPTY_ARRAY_CONDITION_IFEXISTS",
                        Some(Operator {
                            qualifier: Some(Qualifier::ForAllValues),
                            ..
                        }) => "EMPTY_ARRAY_CONDITION_FORALLVALUES",
                        Some(Operator {
                            qualifier: Some(Qualifier::ForAnyValue),
                            ..
                        }) => "EMPTY_ARRAY_CONDITION_FORANYVALUE",
                        _ => "EMPTY_ARRAY_CONDITION",
                    };
                    self.push(
                        FindingType::Suggestion,
                        code,
                        "The condition value array is empty, so the condition does not test any value.".into(),
                        self.at(kp, km.value.span),
                    );
                }
                let first_type = items.first().map(|i| i.kind.type_name());
                for (i, it) in items.iter().enumerate() {
                    let p = self.paths.index(kp, i);
                    if first_type.is_some_and(|t| t != it.kind.type_name()) && is_scalar(&it) {
                        self.push(
                            FindingType::Error,
                            "INVALID_CONDITION_DATA_TYPE",
                            "The condition values mix JSON data types; use one data type for all values.".into(),
                            self.at(p, it.span),
                        );
                    }
                    match scalar(self, &it) {
                        Some(s) => values.push(CondValue {
                            text: Spanned {
                                value: s,
                                span: it.span,
                                path: p,
                            },
                        }),
                        None => self.type_mismatch("string, number or boolean", &it, p),
                    }
                }
            }
            _ => match scalar(self, &km.value) {
                Some(s) => values.push(CondValue {
                    text: Spanned {
                        value: s,
                        span: km.value.span,
                        path: kp,
                    },
                }),
                None => self.type_mismatch("string, number, boolean or array", &km.value, kp),
            },
        }
        let family = op.map(|o| o.base.family());
        let vars_allowed = matches!(family, Some(Family::String | Family::Arn) | None);
        let mut parsed = Vec::with_capacity(values.len());
        for v in &values {
            let template = self.check_vars(&v.text, vars_allowed, op.map(|o| o.base.name()));
            let Some(f) = family else {
                parsed.push(Parsed::Invalid);
                continue;
            };
            // String and ARN values take variables: reuse the template
            // compiled while checking them.
            let p = match (f, template) {
                (Family::String, Some(t)) => Parsed::Str(t),
                (Family::Arn, Some(t)) => Parsed::Arn(ArnPattern::new(t)),
                _ => Parsed::for_family(f, &v.text.value, self.vars_enabled),
            };
            if p == Parsed::Invalid {
                let (code, what) = match f {
                    Family::Numeric => ("TYPE_MISMATCH_NUMBER", "a number"),
                    Family::Date => ("TYPE_MISMATCH_DATE", "an ISO 8601 date or epoch time"),
                    Family::Bool | Family::Null => ("TYPE_MISMATCH_BOOLEAN", "true or false"),
                    Family::Ip => ("TYPE_MISMATCH_IP_RANGE", "an IP address or CIDR range"),
                    _ => ("TYPE_MISMATCH_STRING", "a base64-encoded string"),
                };
                self.push(
                    FindingType::Warning,
                    code,
                    format!(
                        "The value {} for operator {} must be {what}; this condition never matches.",
                        v.text.value,
                        op.map_or("", |o| o.base.name())
                    ),
                    self.at(v.text.path, v.text.span),
                );
            }
            parsed.push(p);
        }
        Clause {
            operator: Spanned {
                value: self.src.text(om.key),
                span: om.key_span,
                path: op_path,
            },
            op,
            key: Spanned {
                value: self.src.text(km.key),
                span: km.key_span,
                path: kp,
            },
            // Shared unless lower-casing changes it.
            key_lower: if km.key.bytes().any(|b| b.is_ascii_uppercase()) {
                Text::from(km.key.to_ascii_lowercase())
            } else {
                self.src.text(km.key)
            },
            values,
            parsed,
            values_loc: Spanned {
                value: (),
                span: km.value.span,
                path: kp,
            },
        }
    }
}
