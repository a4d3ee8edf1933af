//! A small JSON parser that keeps source positions.
//!
//! serde_json cannot report where a *value* sits in the text, and it silently
//! keeps the last of two equal object keys; Access Analyzer findings need both
//! (spans on every element, and duplicate keys as a finding), so policies are
//! read with this parser. It is strict RFC 8259 JSON (no comments, no trailing
//! commas) and never panics: nesting is capped so hostile input cannot blow the
//! stack.
//!
//! The document is stored flat, one `Node` per value in document order
//! (each container knows where its subtree ends), so parsing a policy makes
//! a single allocation for the whole tree instead of one per array/object,
//! and strings borrow from the source unless they contain escapes.
//! [`JValue`]/[`JMember`] are cheap views into it.

use std::borrow::Cow;

use crate::finding::{Position, Span};

mod parser;

pub use parser::parse_json;

/// A parsed document; [`Json::root`] is the top-level value.
#[derive(Debug, Clone, PartialEq)]
pub struct Json<'a> {
    pub(super) nodes: Vec<Node<'a>>,
}

/// One value, stored in document order; a container's children follow it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node<'a> {
    pub(super) kind: NodeKind<'a>,
    pub(super) span: Span,
    /// The key when this value is an object member, else empty.
    pub(super) key: Cow<'a, str>,
    pub(super) key_span: Span,
    /// Index just past this node's subtree (its next sibling, if any).
    pub(super) end: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum NodeKind<'a> {
    Null,
    Bool(bool),
    Num(&'a str),
    Str(Cow<'a, str>),
    /// Number of elements.
    Arr(usize),
    /// Number of members.
    Obj(usize),
}

impl Json<'_> {
    pub fn root(&self) -> JValue<'_> {
        JValue::at(&self.nodes, 0)
    }

    /// How many values the document has.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

/// A JSON value with the span of its source text (quotes included for strings).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JValue<'j> {
    pub kind: JKind<'j>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum JKind<'j> {
    Null,
    Bool(bool),
    /// Numbers stay as their source text: IAM treats `10` and `"10"` alike and
    /// we must not lose precision or formatting before the operator decides.
    Num(&'j str),
    Str(&'j str),
    Arr(Items<'j>),
    Obj(Members<'j>),
}

/// One `"key": value` pair; duplicates are kept so callers can report them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JMember<'j> {
    pub key: &'j str,
    pub key_span: Span,
    pub value: JValue<'j>,
}

/// The elements of an array.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Items<'j> {
    children: Children<'j>,
}

/// The members of an object, in document order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Members<'j> {
    children: Children<'j>,
}

/// Iterates the direct children of a container node.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Children<'j> {
    nodes: &'j [Node<'j>],
    next: usize,
    left: usize,
}

impl<'j> Iterator for Children<'j> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.left == 0 {
            return None;
        }
        let at = self.next;
        self.next = self.nodes.get(at).map_or(usize::MAX, |n| n.end);
        self.left -= 1;
        Some(at)
    }
}

impl<'j> Items<'j> {
    pub fn len(&self) -> usize {
        self.children.left
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = JValue<'j>> + Clone + 'j {
        let nodes = self.children.nodes;
        self.children.map(move |i| JValue::at(nodes, i))
    }

    pub fn first(&self) -> Option<JValue<'j>> {
        self.iter().next()
    }
}

impl<'j> Members<'j> {
    pub fn len(&self) -> usize {
        self.children.left
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = JMember<'j>> + Clone + 'j {
        let nodes = self.children.nodes;
        self.children.map(move |i| {
            let n = nodes.get(i);
            JMember {
                key: n.map_or("", |n| &n.key),
                key_span: n.map(|n| n.key_span).unwrap_or_default(),
                value: JValue::at(nodes, i),
            }
        })
    }
}

impl<'j> JValue<'j> {
    /// The value stored at `nodes[i]` (`null` if out of range, which the
    /// parser never produces).
    fn at(nodes: &'j [Node<'j>], i: usize) -> JValue<'j> {
        let Some(n) = nodes.get(i) else {
            return JValue {
                kind: JKind::Null,
                span: Span::default(),
            };
        };
        let children = |left| Children {
            nodes,
            next: i + 1,
            left,
        };
        let kind = match &n.kind {
            NodeKind::Null => JKind::Null,
            NodeKind::Bool(b) => JKind::Bool(*b),
            NodeKind::Num(s) => JKind::Num(s),
            NodeKind::Str(s) => JKind::Str(s),
            NodeKind::Arr(len) => JKind::Arr(Items {
                children: children(*len),
            }),
            NodeKind::Obj(len) => JKind::Obj(Members {
                children: children(*len),
            }),
        };
        JValue { kind, span: n.span }
    }
}

impl JKind<'_> {
    /// The JSON type name used in DATA_TYPE_MISMATCH messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            JKind::Null => "null",
            JKind::Bool(_) => "boolean",
            JKind::Num(_) => "number",
            JKind::Str(_) => "string",
            JKind::Arr(_) => "array",
            JKind::Obj(_) => "object",
        }
    }
}

/// A syntax error and where it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub position: Position,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, column: u32, offset: u32) -> Position {
        Position {
            line,
            column,
            offset,
        }
    }

    #[test]
    fn spans_and_duplicates() {
        let doc = parse_json("{\"a\": [1, \"x\"],\n \"a\": true}").expect("valid");
        let JKind::Obj(m) = doc.root().kind else {
            panic!("object expected")
        };
        assert_eq!(m.len(), 2);
        let m: Vec<JMember<'_>> = m.iter().collect();
        assert_eq!(m[1].key_span.start, pos(2, 1, 17));
        assert_eq!(m[0].value.span.start, pos(1, 6, 6));
        assert_eq!(m[0].value.span.end, pos(1, 14, 14));
        assert_eq!(m[1].value.kind, JKind::Bool(true));
        let JKind::Arr(items) = m[0].value.kind else {
            panic!("array expected")
        };
        let items: Vec<JKind<'_>> = items.iter().map(|v| v.kind).collect();
        assert_eq!(items, vec![JKind::Num("1"), JKind::Str("x")]);
    }

    #[test]
    fn errors_have_positions() {
        let e = parse_json("{\n  \"a\": 1,\n}").expect_err("trailing comma");
        assert_eq!(e.position, pos(3, 0, 12));
        let e = parse_json("[1 2]").expect_err("missing comma");
        assert_eq!(e.position, pos(1, 3, 3));
        assert!(parse_json(&"[".repeat(200)).is_err());
        assert!(parse_json("\"\\ud800\"").is_ok());
        assert!(parse_json("01").is_err());
        assert!(parse_json("1.").is_err());
    }

    #[test]
    fn long_strings_and_escapes() {
        let long = "abcdefghij/é*?klmnopqrstuvwxyz0123456789";
        let text = format!("[\"{long}\", \"{long}\\\"q\\u00e9\\n{long}\", 1]");
        let doc = parse_json(&text).expect("valid");
        let JKind::Arr(items) = doc.root().kind else {
            panic!("array expected")
        };
        let v: Vec<JValue<'_>> = items.iter().collect();
        assert_eq!(v[0].kind, JKind::Str(long));
        let escaped = format!("{long}\"qé\n{long}");
        assert_eq!(v[1].kind, JKind::Str(&escaped));
        // Offsets in characters (`é` is one), computed independently.
        assert_eq!(v[1].span.start, pos(1, 45, 45));
        assert_eq!(v[2].span.start, pos(1, 140, 140));
        assert!(parse_json("[\"abcdefgh\u{1}ijklmnop\"]").is_err());
    }

    #[test]
    fn unicode_offsets_count_chars() {
        let doc = parse_json("[\"é\", 2]").expect("valid");
        let JKind::Arr(items) = doc.root().kind else {
            panic!("array expected")
        };
        assert_eq!(
            items.iter().nth(1).map(|v| v.span.start),
            Some(pos(1, 6, 6))
        );
    }
}
