//! Location paths of policy elements, interned per policy.
//!
//! Every element of a parsed policy remembers where it sits
//! (`Statement/[0]/Condition/StringLike/s3:prefix/[1]`) so a finding can
//! point at it, but findings are rare: almost all paths are never looked at.
//! So an element holds only a [`Path`] handle (four bytes) into the policy's
//! [`Paths`] table, where each path is one node linking to its parent; the
//! grammar's element names are small codes and arbitrary keys (condition
//! operators and keys) live in one shared string. Building a path is a push
//! onto a vector; the [`PathElement`] list of the AWS shape is built only
//! when a finding is.

use crate::finding::{Location, PathElement, Span};

/// Object keys that are element names of the grammar: stored as a code.
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

/// A path in a [`Paths`] table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Path(u32);

impl Path {
    /// The empty path (the whole document).
    pub const ROOT: Path = Path(0);
}

/// The paths of one policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// `nodes[0]` is the root.
    nodes: Vec<Node>,
    /// Arbitrary object keys, concatenated.
    texts: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Node {
    parent: Path,
    seg: Seg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seg {
    Root,
    Index(u32),
    /// `KNOWN_KEYS[i]`.
    Name(u8),
    /// `texts[start..end]`.
    Text(u32, u32),
}

impl Default for Paths {
    fn default() -> Self {
        Paths {
            nodes: vec![Node {
                parent: Path::ROOT,
                seg: Seg::Root,
            }],
            texts: String::new(),
        }
    }
}

/// Offsets and indices into a policy fit in u32 (policies are kilobytes;
/// validation of absurdly large input saturates rather than panics).
fn small(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Paths {
    /// An empty table with room for about `n` paths.
    pub fn with_capacity(n: usize) -> Paths {
        let mut p = Paths::default();
        p.nodes.reserve(n);
        p
    }

    /// `parent` extended by an array index.
    pub fn index(&mut self, parent: Path, i: usize) -> Path {
        self.add(parent, Seg::Index(small(i)))
    }

    /// `parent` extended by an object key.
    pub fn key(&mut self, parent: Path, k: &str) -> Path {
        let seg = match KNOWN_KEYS.iter().position(|n| *n == k) {
            Some(i) => Seg::Name(i as u8),
            None => {
                let start = small(self.texts.len());
                self.texts.push_str(k);
                Seg::Text(start, small(self.texts.len()))
            }
        };
        self.add(parent, seg)
    }

    fn add(&mut self, parent: Path, seg: Seg) -> Path {
        let p = Path(small(self.nodes.len()));
        self.nodes.push(Node { parent, seg });
        p
    }

    /// The path in the AWS shape (an unknown handle reads as the root).
    pub fn elements(&self, p: Path) -> Vec<PathElement> {
        let mut out = Vec::new();
        let mut at = p;
        while let Some(n) = self.nodes.get(at.0 as usize) {
            out.push(match n.seg {
                Seg::Root => break,
                Seg::Index(i) => PathElement::Index(i),
                Seg::Name(i) => {
                    PathElement::Value(KNOWN_KEYS.get(usize::from(i)).map_or("", |k| k).into())
                }
                Seg::Text(s, e) => PathElement::Value(
                    self.texts
                        .get(s as usize..e as usize)
                        .unwrap_or_default()
                        .into(),
                ),
            });
            // Parents are always added before their children.
            if n.parent.0 >= at.0 {
                break;
            }
            at = n.parent;
        }
        out.reverse();
        out
    }

    /// A finding location.
    pub fn location(&self, p: Path, span: Span) -> Location {
        Location {
            path: self.elements(p),
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
        let mut t = Paths::default();
        let st = t.key(Path::ROOT, "Statement");
        let st2 = t.index(st, 2);
        let cond = t.key(st2, "Condition");
        let op = t.key(cond, "StringLike");
        let key = t.key(op, "s3:prefix");
        let val = t.index(key, 1);
        assert_eq!(
            t.elements(val),
            vec![
                v("Statement"),
                PathElement::Index(2),
                v("Condition"),
                v("StringLike"),
                v("s3:prefix"),
                PathElement::Index(1),
            ]
        );
        assert_eq!(t.elements(op).last(), Some(&v("StringLike")));
        assert_eq!(t.texts, "StringLikes3:prefix");
        assert_eq!(t.elements(Path::ROOT), vec![]);
        assert_eq!(t.elements(Path(999)), vec![]);
    }
}
