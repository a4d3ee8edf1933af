//! The parser behind [`parse_json`].
//!
//! It works on bytes. Positions (line, column and offset, counted in
//! characters as Access Analyzer does) follow from the byte index and two
//! running counts: newlines can only be met in whitespace between tokens,
//! and bytes that do not start a character (UTF-8 continuation bytes) only
//! inside strings, where runs are scanned eight bytes at a time anyway.

use std::borrow::Cow;

use super::{Json, Node, NodeKind, SyntaxError};
use crate::finding::{Position, Span};

/// Deepest nesting accepted. Real policies nest at most ~6 levels.
const MAX_DEPTH: usize = 64;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Bit 7 of each byte of `w` that ends a plain string run: `"`, `\` or a
/// control character. Only the lowest flag is exact (borrows can flag the
/// bytes after it), which is all [`Parser::plain_run`] uses.
fn run_enders(w: u64) -> u64 {
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    control | zero(w ^ (ONES * u64::from(b'"'))) | zero(w ^ (ONES * u64::from(b'\\')))
}

/// UTF-8 continuation bytes (`10xxxxxx`) in `w`.
fn continuation_bytes(w: u64) -> usize {
    (w & !(w << 1) & HIGH).count_ones() as usize
}

/// Parses one JSON document (surrounding whitespace allowed).
pub fn parse_json(text: &str) -> Result<Json<'_>, SyntaxError> {
    let mut p = Parser {
        src: text.as_bytes(),
        text,
        i: 0,
        newlines: 0,
        line_start: 0,
        cont: 0,
        line_start_cont: 0,
        // Policies hold roughly one value per 10 bytes; over-reserving a
        // little avoids regrowing the whole tree.
        nodes: Vec::with_capacity(text.len() / 8 + 4),
    };
    // A UTF-8 byte order mark is tolerated: editors on Windows add it (it
    // still counts as one character of the positions).
    if text.starts_with('\u{feff}') {
        p.i = 3;
        p.cont = 2;
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
    /// Newlines before `i`.
    newlines: u32,
    /// Byte index where `i`'s line starts.
    line_start: usize,
    /// Continuation bytes before `i`, and before `line_start`.
    cont: usize,
    line_start_cont: usize,
    nodes: Vec<Node<'a>>,
}

/// Policies are far below 4 GiB; positions saturate rather than wrap.
fn small(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl<'a> Parser<'a> {
    fn pos(&self) -> Position {
        Position {
            line: self.newlines.saturating_add(1),
            column: small((self.i - self.line_start) - (self.cont - self.line_start_cont)),
            offset: small(self.i - self.cont),
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

    /// Steps over one ASCII byte (all the parser ever steps over singly).
    fn bump(&mut self) {
        self.i = (self.i + 1).min(self.src.len());
    }

    fn skip_ws(&mut self) {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r') => {}
                Some(b'\n') => {
                    self.newlines += 1;
                    self.line_start = self.i + 1;
                    self.line_start_cont = self.cont;
                }
                _ => return,
            }
            self.i += 1;
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
    /// character, eight bytes at a time, counting continuation bytes. Stops
    /// only at ASCII bytes, so `i` stays on a character boundary.
    fn plain_run(&mut self) {
        let rest = self.src.get(self.i..).unwrap_or_default();
        let mut n = 0;
        while let Some(w) = rest.get(n..n + 8).and_then(|w| w.try_into().ok()) {
            let w = u64::from_le_bytes(w);
            let enders = run_enders(w);
            if enders == 0 {
                if w & HIGH != 0 {
                    self.cont += continuation_bytes(w);
                }
                n += 8;
                continue;
            }
            // Little-endian: the lowest flagged byte comes first.
            let k = (enders.trailing_zeros() / 8) as usize;
            self.cont += continuation_bytes(w & ((1u64 << (8 * k)) - 1));
            self.i += n + k;
            return;
        }
        // Fewer than eight bytes left in the document.
        for &b in rest.get(n..).unwrap_or_default() {
            if b == b'"' || b == b'\\' || b < 0x20 {
                break;
            }
            self.cont += usize::from(b & 0xC0 == 0x80);
            n += 1;
        }
        self.i += n;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_tests() {
        for (text, first) in [
            ("abcdefgh", None),
            ("abc\"defg", Some(3)),
            ("\\bcdefgh", Some(0)),
            ("abcdefg\u{1}", Some(7)),
            ("é\"\"\"\"\"\"", Some(2)),
            ("\u{7f}éabcd\"", Some(7)),
        ] {
            let w = text
                .as_bytes()
                .first_chunk()
                .map_or(0, |w| u64::from_le_bytes(*w));
            let e = run_enders(w);
            assert_eq!((e != 0).then(|| e.trailing_zeros() / 8), first, "{text:?}");
        }
        let w = u64::from_le_bytes(*b"\xc3\xa9\xe2\x82\xacab\x80");
        assert_eq!(continuation_bytes(w), 4);
    }

    #[test]
    fn positions_count_characters_and_lines() {
        // Value starts, checked against a count on the text itself.
        let text = "\u{feff}[\"é€x\",\r\n \"0123456789abcdefé\" ,\n\n  \"\\u00e9ü\", [42, true]]";
        let doc = parse_json(text).expect("valid");
        let want = |at: usize| {
            let before = &text[..at];
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            Position {
                line: before.matches('\n').count() as u32 + 1,
                column: before[line_start..].chars().count() as u32,
                offset: before.chars().count() as u32,
            }
        };
        let at = |needle: &str| text.find(needle).map(want);
        let starts: Vec<Option<Position>> = doc.nodes.iter().map(|n| Some(n.span.start)).collect();
        let expected = ["[\"é", "\"é", "\"0123", "\"\\u00e9", "[42", "42", "true"].map(at);
        assert_eq!(starts, expected);
        assert_eq!(doc.nodes[0].span.end, want(text.len()));
        let e = parse_json("[\"é\",\n ü]").expect_err("bare non-ASCII");
        assert_eq!(
            e.position,
            Position {
                line: 2,
                column: 1,
                offset: 7
            }
        );
    }
}
