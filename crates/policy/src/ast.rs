//! The parsed policy. Every element keeps its span and a handle to its
//! Access Analyzer path (in [`Policy::paths`]) so validation can point at
//! it; strings are [`Text`] ranges of one shared copy of the source; compiled
//! forms (globs, ARN patterns, typed condition values) are built once here
//! so evaluation stays cheap.

use crate::arn::ArnPattern;
use crate::condition::{Operator, Parsed};
use crate::finding::{Location, Span};
use crate::path::{Path, Paths};
use crate::text::Text;
use crate::wildcard::Glob;

/// A value with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
    pub path: Path,
}

/// An element that a finding can point at.
pub trait Located {
    fn path(&self) -> Path;
    fn span(&self) -> Span;
}

impl<T> Located for Spanned<T> {
    fn path(&self) -> Path {
        self.path
    }
    fn span(&self) -> Span {
        self.span
    }
}

impl<T: Located + ?Sized> Located for &T {
    fn path(&self) -> Path {
        (**self).path()
    }
    fn span(&self) -> Span {
        (**self).span()
    }
}

macro_rules! located {
    ($($t:ty),*) => {$(
        impl Located for $t {
            fn path(&self) -> Path {
                self.path
            }
            fn span(&self) -> Span {
                self.span
            }
        }
    )*};
}

located!(Statement, PrincipalElem, ActionElem, ResourceElem);

/// A parsed policy document (see [`crate::parse`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub version: Option<Spanned<Text>>,
    pub id: Option<Spanned<Text>>,
    pub statements: Vec<Statement>,
    /// Whether policy variables are expanded (`Version` is `2012-10-17`).
    pub variables_enabled: bool,
    /// Size of the source text in bytes.
    pub size: usize,
    /// Span of the whole document.
    pub span: Span,
    /// The location paths the elements' [`Path`] handles refer to.
    pub paths: Paths,
}

impl Policy {
    /// Where `x` is, as a finding location.
    pub fn location(&self, x: &impl Located) -> Location {
        self.paths.location(x.path(), x.span())
    }

    /// Whether this policy's decision on a request may depend on more than its principal,
    /// action and resource: some statement has a `Condition`, or a `Resource`/`NotResource`
    /// pattern with policy variables (resolved from the request's context). A decision under
    /// policies that do not may be reused for any request of the same principal, action and
    /// resource.
    pub fn depends_on_request(&self) -> bool {
        self.statements.iter().any(|s| {
            !s.condition.is_empty()
                || s.condition_loc.is_some()
                || s.resource
                    .as_ref()
                    .is_some_and(|r| r.items.iter().any(|i| i.pattern.is_dynamic()))
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    Allow,
    Deny,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Position in the `Statement` array (0 for a single object).
    pub index: usize,
    pub sid: Option<Spanned<Text>>,
    pub effect: Option<Spanned<Effect>>,
    pub principal: Option<PrincipalElem>,
    /// Whether a `Principal`/`NotPrincipal` key was present (even if invalid).
    pub has_principal_key: bool,
    pub action: Option<ActionElem>,
    pub resource: Option<ResourceElem>,
    pub condition: Vec<Clause>,
    /// The `Condition` element itself, if present.
    pub condition_loc: Option<Spanned<()>>,
    pub span: Span,
    pub path: Path,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrincipalKind {
    Aws,
    Service,
    Federated,
    CanonicalUser,
}

impl PrincipalKind {
    pub fn key(self) -> &'static str {
        match self {
            PrincipalKind::Aws => "AWS",
            PrincipalKind::Service => "Service",
            PrincipalKind::Federated => "Federated",
            PrincipalKind::CanonicalUser => "CanonicalUser",
        }
    }
}

/// `Principal` or `NotPrincipal`.
#[derive(Debug, Clone, PartialEq)]
pub struct PrincipalElem {
    pub negated: bool,
    /// `"Principal": "*"`.
    pub any: bool,
    pub entries: Vec<PrincipalEntry>,
    pub span: Span,
    pub path: Path,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PrincipalEntry {
    pub kind: PrincipalKind,
    pub value: Spanned<Text>,
}

/// `Action` or `NotAction`.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionElem {
    pub negated: bool,
    pub items: Vec<ActionItem>,
    pub span: Span,
    pub path: Path,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActionItem {
    pub text: Spanned<Text>,
    /// `None` for strings that can never name an action (commas, spaces,
    /// empty names): they match nothing, so the `NotAction` form matches all.
    pub glob: Option<Glob>,
}

/// `Resource` or `NotResource`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceElem {
    pub negated: bool,
    pub items: Vec<ResourceItem>,
    pub span: Span,
    pub path: Path,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResourceItem {
    pub text: Spanned<Text>,
    pub pattern: ArnPattern,
}

/// One `Operator: { Key: Values }` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    pub operator: Spanned<Text>,
    /// `None` when the operator name is unknown: the clause is then false.
    pub op: Option<Operator>,
    pub key: Spanned<Text>,
    /// Lower-cased key: condition key names are case-insensitive.
    pub key_lower: Text,
    pub values: Vec<CondValue>,
    /// Typed values in the same order, kept contiguous for evaluation.
    pub parsed: Vec<Parsed>,
    /// Span/path of the key's value (the scalar or the array).
    pub values_loc: Spanned<()>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CondValue {
    /// The value as text (JSON numbers and booleans in their source form).
    pub text: Spanned<Text>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parsed policies are shared between threads (the authorizer's read
    /// model); the shared-text and path types must keep that possible.
    #[test]
    fn policy_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Policy>();
    }

    #[test]
    fn what_makes_a_decision_depend_on_the_request() {
        let policy = |statement: &str| {
            crate::parse(&format!(
                r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#
            ))
            .expect("parses")
        };
        let plain = r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#;
        assert!(!policy(plain).depends_on_request());
        assert!(!policy(&plain.replace("Resource", "NotResource")).depends_on_request());
        let conditional = r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#;
        assert!(policy(&format!("{plain},{conditional}")).depends_on_request());
        let empty_condition =
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{}}"#;
        assert!(policy(empty_condition).depends_on_request());
        let variable = r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/*"}"#;
        assert!(policy(variable).depends_on_request());
        let not_variable = variable.replace("\"Resource\"", "\"NotResource\"");
        assert!(policy(&not_variable).depends_on_request());
    }
}
