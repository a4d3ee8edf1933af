//! Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'x'}`) and
//! the escapes `${*}`, `${?}`, `${$}`.
//!
//! A string that may hold variables is parsed once into a [`Template`]. When it
//! has no variables its glob is precompiled, so evaluation does not allocate.
//! Substituted values and escapes are literals: a `*` arriving from the request
//! must never act as a wildcard.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::text::Text;
use crate::wildcard::Glob;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Policy text: `*` and `?` are wildcards for `…Like` operators and ARNs.
    Pattern(String),
    /// Text that is always literal (`${*}` → `*`).
    Literal(String),
    /// A variable; `key` is lower-cased because key names are case-insensitive.
    Var {
        key: String,
        default: Option<String>,
    },
}

/// A string element that may contain policy variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    repr: Repr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Repr {
    /// No variable: the glob is compiled once; its text serves the
    /// `…Equals` operators.
    Static(Glob),
    /// Has variables: resolved per request.
    Dynamic(Vec<Piece>),
}

/// A syntax problem inside a `${…}`; offsets are in characters from the start
/// of the string's contents (what a `substring` path element reports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarIssue {
    pub code: &'static str,
    pub start: u32,
    pub length: u32,
}

impl Template {
    /// Parses `s`. With `vars_enabled == false` (Version missing or
    /// 2008-10-17) `${…}` is plain text, as IAM does.
    pub fn parse(s: &str, vars_enabled: bool) -> (Template, Vec<VarIssue>) {
        Template::parse_with(s, vars_enabled, Glob::new)
    }

    /// [`Self::parse`] for a policy string: a template without variables
    /// shares the string instead of copying it.
    pub fn parse_text(s: &Text, vars_enabled: bool) -> (Template, Vec<VarIssue>) {
        Template::parse_with(s, vars_enabled, |_| Glob::from_text(s.clone()))
    }

    fn parse_with(
        s: &str,
        vars_enabled: bool,
        whole: impl FnOnce(&str) -> Glob,
    ) -> (Template, Vec<VarIssue>) {
        let mut issues = Vec::new();
        if !vars_enabled || !crate::search::contains(s, "${") {
            let repr = Repr::Static(whole(s));
            return (Template { repr }, issues);
        }
        let mut pieces: Vec<Piece> = Vec::new();
        let mut pat = String::new();
        let mut rest = s;
        let mut consumed_chars = 0u32;
        while let Some(at) = crate::search::find(rest, "${") {
            pat.push_str(&rest[..at]);
            let start_char = consumed_chars + rest[..at].chars().count() as u32;
            let after = &rest[at + 2..];
            let Some(close) = after.find('}') else {
                issues.push(VarIssue {
                    code: "MISSING_BRACE_IN_VARIABLE",
                    start: start_char,
                    length: rest[at..].chars().count() as u32,
                });
                pat.push_str(&rest[at..]);
                rest = "";
                break;
            };
            let inner = &after[..close];
            let whole_len = inner.chars().count() as u32 + 3;
            match parse_inner(inner) {
                Ok(InnerVar::Escape(c)) => {
                    flush(&mut pieces, &mut pat);
                    push_literal(&mut pieces, c);
                }
                Ok(InnerVar::Var(key, default)) => {
                    flush(&mut pieces, &mut pat);
                    pieces.push(Piece::Var { key, default });
                }
                Err(code) => {
                    issues.push(VarIssue {
                        code,
                        start: start_char,
                        length: whole_len,
                    });
                    pat.push_str(&rest[at..at + 2 + close + 1]);
                }
            }
            consumed_chars = start_char + whole_len;
            rest = &after[close + 1..];
        }
        pat.push_str(rest);
        flush(&mut pieces, &mut pat);
        (Template::finish(pieces), issues)
    }

    fn finish(pieces: Vec<Piece>) -> Template {
        if pieces.iter().any(|p| matches!(p, Piece::Var { .. })) {
            return Template {
                repr: Repr::Dynamic(pieces),
            };
        }
        let mut g = Glob::default();
        for p in &pieces {
            match p {
                Piece::Pattern(s) => g.push_pattern(s),
                Piece::Literal(s) => g.push_literal(s),
                Piece::Var { .. } => {}
            }
        }
        Template {
            repr: Repr::Static(g),
        }
    }

    /// The precompiled glob, when the template has no variable.
    pub fn static_glob(&self) -> Option<&Glob> {
        match &self.repr {
            Repr::Static(g) => Some(g),
            Repr::Dynamic(_) => None,
        }
    }

    /// The compiled glob when there is no variable, else the template back.
    pub fn into_static_glob(self) -> Result<Glob, Template> {
        match self.repr {
            Repr::Static(g) => Ok(g),
            Repr::Dynamic(_) => Err(self),
        }
    }

    pub fn has_vars(&self) -> bool {
        matches!(self.repr, Repr::Dynamic(_))
    }

    /// The glob for this template in a request, or `None` when a variable
    /// cannot be resolved (then the element matches nothing).
    pub fn glob<'a>(&'a self, keys: &HashMap<String, Vec<String>>) -> Option<Cow<'a, Glob>> {
        let pieces = match &self.repr {
            Repr::Static(g) => return Some(Cow::Borrowed(g)),
            Repr::Dynamic(p) => p,
        };
        let mut g = Glob::default();
        for p in pieces {
            match p {
                Piece::Pattern(s) => g.push_pattern(s),
                Piece::Literal(s) => g.push_literal(s),
                Piece::Var { key, default } => g.push_literal(resolve(key, default, keys)?),
            }
        }
        Some(Cow::Owned(g))
    }

    /// The literal text of this template in a request (wildcards are plain
    /// characters), or `None` when a variable cannot be resolved.
    pub fn text<'a>(&'a self, keys: &HashMap<String, Vec<String>>) -> Option<Cow<'a, str>> {
        let pieces = match &self.repr {
            Repr::Static(g) => return Some(Cow::Borrowed(g.as_str())),
            Repr::Dynamic(p) => p,
        };
        let mut out = String::new();
        for p in pieces {
            match p {
                Piece::Pattern(s) | Piece::Literal(s) => out.push_str(s),
                Piece::Var { key, default } => out.push_str(resolve(key, default, keys)?),
            }
        }
        Some(Cow::Owned(out))
    }
}

/// A variable resolves only from a single-valued key; multivalued keys cannot
/// be variables. Falls back to the default when the key is absent.
fn resolve<'a>(
    key: &str,
    default: &'a Option<String>,
    keys: &'a HashMap<String, Vec<String>>,
) -> Option<&'a str> {
    match keys.get(key) {
        Some(v) if v.len() == 1 => v.first().map(String::as_str),
        _ => default.as_deref(),
    }
}

fn flush(pieces: &mut Vec<Piece>, pat: &mut String) {
    if !pat.is_empty() {
        pieces.push(Piece::Pattern(std::mem::take(pat)));
    }
}

fn push_literal(pieces: &mut Vec<Piece>, c: char) {
    if let Some(Piece::Literal(s)) = pieces.last_mut() {
        s.push(c);
    } else {
        pieces.push(Piece::Literal(c.to_string()));
    }
}

enum InnerVar {
    Escape(char),
    Var(String, Option<String>),
}

fn parse_inner(inner: &str) -> Result<InnerVar, &'static str> {
    match inner {
        "*" => return Ok(InnerVar::Escape('*')),
        "?" => return Ok(InnerVar::Escape('?')),
        "$" => return Ok(InnerVar::Escape('$')),
        _ => {}
    }
    if inner.trim().is_empty() {
        return Err("EMPTY_VARIABLE");
    }
    let (key, default) = match inner.split_once(',') {
        None => (inner, None),
        Some((k, d)) => {
            // The documented form is `key, 'default'`: exactly one space.
            let d = d.strip_prefix(' ').ok_or("UNSUPPORTED_SPACE_IN_VARIABLE")?;
            let quoted = d.len() >= 2 && d.starts_with('\'') && d.ends_with('\'');
            if !quoted {
                return Err("MISSING_QUOTE_IN_VARIABLE");
            }
            (k, Some(d[1..d.len() - 1].to_string()))
        }
    };
    if key.is_empty() {
        return Err("EMPTY_VARIABLE");
    }
    if key.contains(char::is_whitespace) {
        return Err("UNSUPPORTED_SPACE_IN_VARIABLE");
    }
    Ok(InnerVar::Var(key.to_ascii_lowercase(), default))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(pairs: &[(&str, &str)]) -> HashMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
            .collect()
    }

    #[test]
    fn substitution_and_escapes() {
        let (t, issues) = Template::parse("home/${aws:UserName}/${*}x", true);
        assert!(issues.is_empty());
        let k = keys(&[("aws:username", "bob")]);
        let g = t.glob(&k).expect("resolved");
        assert!(g.matches("home/bob/*x"));
        assert!(!g.matches("home/bob/yx"));
        assert_eq!(t.text(&k).as_deref(), Some("home/bob/*x"));
        assert!(t.glob(&HashMap::new()).is_none());
        let (t, _) = Template::parse("${aws:PrincipalTag/team, 'all'}", true);
        assert_eq!(t.text(&HashMap::new()).as_deref(), Some("all"));
        let (t, _) = Template::parse("${aws:username}", false);
        assert_eq!(t.text(&k).as_deref(), Some("${aws:username}"));
    }

    #[test]
    fn issues() {
        let code = |s: &str| {
            Template::parse(s, true)
                .1
                .first()
                .map(|i| (i.code, i.start, i.length))
        };
        assert_eq!(code("a${aws:x"), Some(("MISSING_BRACE_IN_VARIABLE", 1, 7)));
        assert_eq!(code("${}"), Some(("EMPTY_VARIABLE", 0, 3)));
        assert_eq!(
            code("${a,'x'}"),
            Some(("UNSUPPORTED_SPACE_IN_VARIABLE", 0, 8))
        );
        assert_eq!(code("${a, x}"), Some(("MISSING_QUOTE_IN_VARIABLE", 0, 7)));
        assert_eq!(
            code("${a b}"),
            Some(("UNSUPPORTED_SPACE_IN_VARIABLE", 0, 6))
        );
        assert_eq!(code("${*}${?}${$}"), None);
    }
}
