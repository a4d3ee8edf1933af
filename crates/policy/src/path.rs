//! Compact location paths for policy elements.
//!
//! Every element of a parsed policy remembers where it sits
//! (`Statement/[0]/Condition/StringLike/s3:prefix/[1]`) so a finding can
//! point at it, but findings are rare: almost all paths are never looked at.
//! A [`Path`] therefore lives inline (no heap allocation) and names the
//! well-known element keys with `&'static str`; only arbitrary keys
//! (condition operators and keys) are shared `Arc<str>` text. The
//! [`PathElement`] list of the AWS shape is built only when a finding is.

use std::sync::Arc;

use crate::finding::{Location, PathElement, Span};

/// Deepest path an element of a policy has: `Statement`, index, `Condition`,
/// operator, key, value index.
const MAX_DEPTH: usize = 6;

/// One step of a [`Path`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Index(u32),
    /// An object key known at compile time (`Statement`, `Action`, …).
    Name(&'static str),
    /// Any other object key.
    Text(Arc<str>),
}

/// Keys that are element names of the grammar: these never need a copy.
const KNOWN_KEYS: &[&str] = &[
    "Version",
    "Id",
    "Statement",
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
    "AWS",
    "Service",
    "Federated",
    "CanonicalUser",
];

impl Seg {
    /// The segment for an object key.
    pub fn key(k: &str) -> Seg {
        match KNOWN_KEYS.iter().find(|n| **n == k) {
            Some(n) => Seg::Name(n),
            None => Seg::Text(Arc::from(k)),
        }
    }

    fn element(&self) -> PathElement {
        match self {
            Seg::Index(i) => PathElement::Index(*i),
            Seg::Name(n) => PathElement::Value((*n).to_string()),
            Seg::Text(t) => PathElement::Value(t.to_string()),
        }
    }
}

/// A location path (see the module docs). Cloning copies a few words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    segs: [Seg; MAX_DEPTH],
    len: u8,
}

impl Default for Path {
    fn default() -> Self {
        Path {
            segs: [const { Seg::Index(0) }; MAX_DEPTH],
            len: 0,
        }
    }
}

impl Path {
    /// This path extended by one segment. The policy grammar never nests
    /// deeper than [`MAX_DEPTH`]; a deeper segment (unreachable from the
    /// parser) is dropped rather than panicking.
    pub fn child(&self, seg: Seg) -> Path {
        let mut p = self.clone();
        let n = usize::from(p.len);
        debug_assert!(n < MAX_DEPTH, "policy path deeper than {MAX_DEPTH}");
        if let Some(slot) = p.segs.get_mut(n) {
            *slot = seg;
            p.len += 1;
        }
        p
    }

    pub fn segs(&self) -> &[Seg] {
        &self.segs[..usize::from(self.len)]
    }

    /// The path in the AWS shape.
    pub fn elements(&self) -> Vec<PathElement> {
        self.segs().iter().map(Seg::element).collect()
    }

    /// A finding location for this path.
    pub fn location(&self, span: Span) -> Location {
        Location {
            path: self.elements(),
            span,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_aws_elements() {
        let p = Path::default()
            .child(Seg::key("Statement"))
            .child(Seg::Index(2))
            .child(Seg::key("Condition"))
            .child(Seg::key("StringLike"));
        assert!(matches!(p.segs()[2], Seg::Name("Condition")));
        assert!(matches!(p.segs()[3], Seg::Text(_)));
        assert_eq!(
            p.elements(),
            vec![
                PathElement::Value("Statement".into()),
                PathElement::Index(2),
                PathElement::Value("Condition".into()),
                PathElement::Value("StringLike".into()),
            ]
        );
    }
}
