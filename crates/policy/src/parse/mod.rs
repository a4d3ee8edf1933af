//! Turns spanned JSON into a [`Policy`], reporting grammar problems as
//! findings. [`crate::parse`] fails on the first ERROR among them;
//! [`crate::validate`] returns them all next to its semantic checks, so both
//! share one notion of "well-formed".

mod condition;
mod elements;

use crate::ast::*;
use crate::finding::{Finding, FindingType, Location, PathElement, Position, Span};
use crate::json::{JKind, JValue, Members, parse_json};
use crate::path::{Path, Paths};
use crate::text::{Source, Text};
use crate::variables::Template;

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
}
