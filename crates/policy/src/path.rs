//! Compact location paths for policy elements.
//!
//! Every element of a parsed policy remembers where it sits
//! (`Statement/[0]/Condition/StringLike/s3:prefix/[1]`) so a finding can
//! point at it, but findings are rare: almost all paths are never looked at.
//! A [`Path`] therefore lives inline and is cheap to copy: indices and the
//! grammar's element names are small codes; only arbitrary object keys
//! (condition operators and keys) are shared `Arc<str>` text. The [`PathElement`] list of the AWS shape is built only when a
//! finding is.

use std::sync::Arc;

use crate::finding::{Location, PathElement, Span};

/// Deepest path an element of a policy has: `Statement`, index, `Condition`,
/// operator, key, value index.
const MAX_DEPTH: usize = 6;

/// Most arbitrary keys on one path: a condition operator and its key.
const MAX_TEXTS: usize = 2;

/// Object keys that are element names of the grammar: stored as an index.
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

/// One step of a [`Path`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seg {
    Index(u32),
    /// `KNOWN_KEYS[i]`.
    Name(u8),
    /// `Path::texts[i]`.
    Text(u8),
}

/// A location path (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Path {
    segs: [Option<Seg>; MAX_DEPTH],
    /// The arbitrary keys along the path, in order.
    texts: [Option<Arc<str>>; MAX_TEXTS],
}

impl Path {
    /// This path extended by an array index.
    pub fn index(&self, i: usize) -> Path {
        // Policies are at most a few KiB, so indices fit in u32.
        self.with(Seg::Index(u32::try_from(i).unwrap_or(u32::MAX)))
    }

    /// This path extended by an object key.
    pub fn key(&self, k: &str) -> Path {
        if let Some(i) = KNOWN_KEYS.iter().position(|n| *n == k) {
            return self.with(Seg::Name(i as u8));
        }
        let n = self.texts.iter().take_while(|t| t.is_some()).count();
        let mut p = self.with(Seg::Text(n as u8));
        if let Some(slot) = p.texts.get_mut(n) {
            *slot = Some(Arc::from(k));
        }
        p
    }

    /// The policy grammar never nests deeper than [`MAX_DEPTH`] nor has
    /// more than [`MAX_TEXTS`] arbitrary keys on a path; anything beyond
    /// (unreachable from the parser) is dropped rather than panicking.
    fn with(&self, seg: Seg) -> Path {
        let mut p = self.clone();
        debug_assert!(
            p.segs[MAX_DEPTH - 1].is_none(),
            "path deeper than {MAX_DEPTH}"
        );
        if let Some(slot) = p.segs.iter_mut().find(|s| s.is_none()) {
            *slot = Some(seg);
        }
        p
    }

    /// The path in the AWS shape.
    pub fn elements(&self) -> Vec<PathElement> {
        self.segs
            .iter()
            .map_while(|s| *s)
            .map(|s| match s {
                Seg::Index(i) => PathElement::Index(i),
                Seg::Name(i) => {
                    PathElement::Value(KNOWN_KEYS.get(usize::from(i)).map_or("", |n| n).into())
                }
                Seg::Text(i) => PathElement::Value(
                    self.texts
                        .get(usize::from(i))
                        .and_then(Option::as_deref)
                        .map_or_else(String::new, str::to_string),
                ),
            })
            .collect()
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
        let v = |s: &str| PathElement::Value(s.into());
        let cond = Path::default().key("Statement").index(2).key("Condition");
        let key = cond.key("StringLike").key("s3:prefix");
        assert!(cond.texts.iter().all(Option::is_none));
        assert_eq!(
            key.index(1).elements(),
            vec![
                v("Statement"),
                PathElement::Index(2),
                v("Condition"),
                v("StringLike"),
                v("s3:prefix"),
                PathElement::Index(1),
            ]
        );
        assert_eq!(cond.key("Bool").elements().last(), Some(&v("Bool")));
        assert_eq!(Path::default().elements(), vec![]);
    }
}
