//! A small JSON parser that keeps source positions.
//!
//! serde_json cannot report where a *value* sits in the text, and it silently
//! keeps the last of two equal object keys; Access Analyzer findings need both
//! (spans on every element, and duplicate keys as a finding), so policies are
//! read with this parser. It is strict RFC 8259 JSON (no comments, no trailing
//! commas) and never panics: nesting is capped so hostile input cannot blow the
//! stack.
//!
//! The document is stored flat, one [`Node`] per value in document order
//! (each container knows where its subtree ends), so parsing a policy makes
//! a single allocation for the whole tree instead of one per array/object,
//! and strings borrow from the source unless they contain escapes.
//! [`JValue`]/[`JMember`] are cheap views into it.

use std::borrow::Cow;

use crate::finding::{Position, Span};

/// Deepest nesting accepted. Real policies nest at most ~6 levels.
const MAX_DEPTH: usize = 64;

/// A parsed document; [`Json::root`] is the top-level value.
#[derive(Debug, Clone, PartialEq)]
pub struct Json<'a> {
    nodes: Vec<Node<'a>>,
}

/// One value, stored in document order; a container's children follow it.
#[derive(Debug, Clone, PartialEq)]
struct Node<'a> {
    kind: NodeKind<'a>,
    span: Span,
    /// The key when this value is an object member, else empty.
    key: Cow<'a, str>,
    key_span: Span,
    /// Index just past this node's subtree (its next sibling, if any).
    end: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum NodeKind<'a> {
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

/// Parses one JSON document (surrounding whitespace allowed).
pub fn parse_json(text: &str) -> Result<Json<'_>, SyntaxError> {
    let mut p = Parser {
        src: text.as_bytes(),
        text,
        i: 0,
        line: 1,
        col: 0,
        chars: 0,
        // Policies hold roughly one value per 10 bytes; over-reserving a
        // little avoids regrowing the whole tree.
        nodes: Vec::with_capacity(text.len() / 8 + 4),
    };
    // A UTF-8 byte order mark is tolerated: editors on Windows add it.
    if text.starts_with('\u{feff}') {
        p.i = 3;
        p.chars = 1;
        p.col = 1;
    }
    p.skip_ws();
    p.value(0)?;
    p.skip_ws();
    if p.i < p.src.len() {
        return Err(p.err("Unexpected content after the end of the JSON document"));
    }
    Ok(Json { nodes: p.nodes })
}

struct Parser<'a> {
    src: &'a [u8],
    text: &'a str,
    i: usize,
    line: u32,
    col: u32,
    chars: u32,
    nodes: Vec<Node<'a>>,
}

impl<'a> Parser<'a> {
    fn pos(&self) -> Position {
        Position {
            line: self.line,
            column: self.col,
            offset: self.chars,
        }
    }

    fn err(&self, msg: &str) -> SyntaxError {
        SyntaxError {
            message: msg.to_string(),
            position: self.pos(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.i).copied()
    }

    /// Advances over one whole UTF-8 character, keeping line/column/offset in
    /// characters (the unit Access Analyzer positions use).
    fn bump(&mut self) {
        let Some(&b) = self.src.get(self.i) else {
            return;
        };
        let len = utf8_len(b);
        self.i = (self.i + len).min(self.src.len());
        self.chars += 1;
        if b == b'\n' {
            self.line += 1;
            self.col = 0;
        } else {
            self.col += 1;
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                self.bump();
            } else {
                break;
            }
        }
    }

    fn expect_lit(&mut self, lit: &str) -> Result<(), SyntaxError> {
        for &c in lit.as_bytes() {
            if self.peek() != Some(c) {
                return Err(self.err(&format!("Invalid literal, expected '{lit}'")));
            }
            self.bump();
        }
        Ok(())
    }

    /// Parses one value and appends its nodes.
    fn value(&mut self, depth: usize) -> Result<(), SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.err("JSON nesting is too deep"));
        }
        let start = self.pos();
        let at = self.nodes.len();
        let kind = match self.peek() {
            None => return Err(self.err("Unexpected end of input, expected a value")),
            Some(b'{') => {
                self.push(NodeKind::Obj(0), start);
                NodeKind::Obj(self.object(depth)?)
            }
            Some(b'[') => {
                self.push(NodeKind::Arr(0), start);
                NodeKind::Arr(self.array(depth)?)
            }
            Some(b'"') => NodeKind::Str(self.string()?),
            Some(b't') => {
                self.expect_lit("true")?;
                NodeKind::Bool(true)
            }
            Some(b'f') => {
                self.expect_lit("false")?;
                NodeKind::Bool(false)
            }
            Some(b'n') => {
                self.expect_lit("null")?;
                NodeKind::Null
            }
            Some(b'-' | b'0'..=b'9') => NodeKind::Num(self.number()?),
            Some(_) => return Err(self.err("Unexpected character, expected a value")),
        };
        if at == self.nodes.len() {
            self.push(kind, start);
        } else if let Some(n) = self.nodes.get_mut(at) {
            n.kind = kind;
        }
        let (end, span_end) = (self.nodes.len(), self.pos());
        if let Some(n) = self.nodes.get_mut(at) {
            n.end = end;
            n.span.end = span_end;
        }
        Ok(())
    }

    /// Appends a node starting at `start`; [`Self::value`] fills in its end.
    fn push(&mut self, kind: NodeKind<'a>, start: Position) {
        let at = self.nodes.len();
        self.nodes.push(Node {
            kind,
            span: Span { start, end: start },
            key: Cow::Borrowed(""),
            key_span: Span::default(),
            end: at + 1,
        });
    }

    /// Parses the members after `{`; returns how many there were.
    fn object(&mut self, depth: usize) -> Result<usize, SyntaxError> {
        self.bump(); // '{'
        let mut count = 0;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.bump();
            return Ok(count);
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("Expected a string key"));
            }
            let kstart = self.pos();
            let key = self.string()?;
            let key_span = Span {
                start: kstart,
                end: self.pos(),
            };
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.err("Expected ':' after an object key"));
            }
            self.bump();
            self.skip_ws();
            let member = self.nodes.len();
            self.value(depth + 1)?;
            if let Some(n) = self.nodes.get_mut(member) {
                n.key = key;
                n.key_span = key_span;
            }
            count += 1;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.bump(),
                Some(b'}') => {
                    self.bump();
                    return Ok(count);
                }
                _ => return Err(self.err("Expected ',' or '}' in an object")),
            }
        }
    }

    /// Parses the elements after `[`; returns how many there were.
    fn array(&mut self, depth: usize) -> Result<usize, SyntaxError> {
        self.bump(); // '['
        let mut count = 0;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.bump();
            return Ok(count);
        }
        loop {
            self.skip_ws();
            self.value(depth + 1)?;
            count += 1;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.bump(),
                Some(b']') => {
                    self.bump();
                    return Ok(count);
                }
                _ => return Err(self.err("Expected ',' or ']' in an array")),
            }
        }
    }

    fn string(&mut self) -> Result<Cow<'a, str>, SyntaxError> {
        self.bump(); // opening quote
        // Common case: no escapes, so the value is a slice of the source.
        let start = self.i;
        self.plain_run();
        if self.peek() == Some(b'"') {
            let s = self.text.get(start..self.i).unwrap_or_default();
            self.bump();
            return Ok(Cow::Borrowed(s));
        }
        let mut out = String::from(self.text.get(start..self.i).unwrap_or_default());
        loop {
            match self.peek() {
                None => return Err(self.err("Unterminated string")),
                Some(b'"') => {
                    self.bump();
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.bump();
                    let c = self.escape()?;
                    out.push(c);
                }
                Some(_) => return Err(self.err("Control character in string")),
            }
            let run_start = self.i;
            self.plain_run();
            out.push_str(self.text.get(run_start..self.i).unwrap_or_default());
        }
    }

    /// Skips string content up to the next quote, backslash or control
    /// character. No newline can occur in it, so only the column and the
    /// character offset move (by the number of UTF-8 lead bytes).
    fn plain_run(&mut self) {
        let rest = self.src.get(self.i..).unwrap_or_default();
        let mut n = 0;
        let mut chars = 0u32;
        loop {
            // Eight plain ASCII bytes at a time: the bulk of any policy.
            while let Some(word) = rest.get(n..n + 8).and_then(|w| w.try_into().ok()) {
                if !plain_ascii(u64::from_le_bytes(word)) {
                    break;
                }
                n += 8;
                chars += 8;
            }
            match rest.get(n) {
                Some(&b) if b != b'"' && b != b'\\' && b >= 0x20 => {
                    chars += u32::from(b & 0xC0 != 0x80);
                    n += 1;
                }
                _ => break,
            }
        }
        self.i += n;
        self.col += chars;
        self.chars += chars;
    }

    fn escape(&mut self) -> Result<char, SyntaxError> {
        let Some(b) = self.peek() else {
            return Err(self.err("Unterminated escape sequence"));
        };
        let c = match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                self.bump();
                let hi = self.hex4()?;
                if (0xD800..0xDC00).contains(&hi) {
                    // A high surrogate must be followed by an escaped low one.
                    if self.peek() == Some(b'\\') && self.src.get(self.i + 1) == Some(&b'u') {
                        self.bump();
                        self.bump();
                        let lo = self.hex4()?;
                        if (0xDC00..0xE000).contains(&lo) {
                            let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                            return Ok(char::from_u32(cp).unwrap_or('\u{fffd}'));
                        }
                    }
                    return Ok('\u{fffd}');
                }
                return Ok(char::from_u32(hi).unwrap_or('\u{fffd}'));
            }
            _ => return Err(self.err("Invalid escape sequence")),
        };
        self.bump();
        Ok(c)
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                _ => return Err(self.err("Invalid \\u escape")),
            };
            v = v * 16 + u32::from(d);
            self.bump();
        }
        Ok(v)
    }

    fn number(&mut self) -> Result<&'a str, SyntaxError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.bump();
        }
        match self.peek() {
            Some(b'0') => self.bump(),
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.err("Invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.bump();
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("Invalid number: expected a digit after '.'"));
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.bump();
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.bump();
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("Invalid number: expected a digit in the exponent"));
            }
            self.digits();
        }
        Ok(self.text.get(start..self.i).unwrap_or_default())
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.bump();
        }
    }
}

/// Whether all eight bytes of `w` are ASCII, not control characters and
/// neither `"` nor `\\` (the classic SWAR "has a byte less than / equal to"
/// tests; exact for "some byte qualifies").
fn plain_ascii(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH != 0;
    let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH != 0;
    w & HIGH == 0
        && !control
        && !has_zero(w ^ (ONES * u64::from(b'"')))
        && !has_zero(w ^ (ONES * u64::from(b'\\')))
}

fn utf8_len(lead: u8) -> usize {
    match lead {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
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
        for c in ['"', '\\', '\u{1f}', '\u{7f}', 'é'] {
            let word = u64::from_le_bytes(
                *format!("abcdefg{c}")
                    .as_bytes()
                    .first_chunk()
                    .unwrap_or(&[0; 8]),
            );
            assert_eq!(plain_ascii(word), c == '\u{7f}', "{c:?}");
        }
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
