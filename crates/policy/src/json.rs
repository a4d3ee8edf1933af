//! A small JSON parser that keeps source positions.
//!
//! serde_json cannot report where a *value* sits in the text, and it silently
//! keeps the last of two equal object keys; Access Analyzer findings need both
//! (spans on every element, and duplicate keys as a finding), so policies are
//! read with this parser. It is strict RFC 8259 JSON (no comments, no trailing
//! commas) and never panics: nesting is capped so hostile input cannot blow the
//! stack.

use std::borrow::Cow;

use crate::finding::{Position, Span};

/// Deepest nesting accepted. Real policies nest at most ~6 levels.
const MAX_DEPTH: usize = 64;

/// A JSON value with the span of its source text (quotes included for strings).
/// Strings and keys borrow from the source unless they contain escapes.
#[derive(Debug, Clone, PartialEq)]
pub struct JValue<'a> {
    pub kind: JKind<'a>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum JKind<'a> {
    Null,
    Bool(bool),
    /// Numbers stay as their source text: IAM treats `10` and `"10"` alike and
    /// we must not lose precision or formatting before the operator decides.
    Num(&'a str),
    Str(Cow<'a, str>),
    Arr(Vec<JValue<'a>>),
    Obj(Vec<JMember<'a>>),
}

/// One `"key": value` pair; duplicates are kept so callers can report them.
#[derive(Debug, Clone, PartialEq)]
pub struct JMember<'a> {
    pub key: Cow<'a, str>,
    pub key_span: Span,
    pub value: JValue<'a>,
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
pub fn parse_json(text: &str) -> Result<JValue<'_>, SyntaxError> {
    let mut p = Parser {
        src: text.as_bytes(),
        text,
        i: 0,
        line: 1,
        col: 0,
        chars: 0,
    };
    // A UTF-8 byte order mark is tolerated: editors on Windows add it.
    if text.starts_with('\u{feff}') {
        p.i = 3;
        p.chars = 1;
        p.col = 1;
    }
    p.skip_ws();
    let v = p.value(0)?;
    p.skip_ws();
    if p.i < p.src.len() {
        return Err(p.err("Unexpected content after the end of the JSON document"));
    }
    Ok(v)
}

struct Parser<'a> {
    src: &'a [u8],
    text: &'a str,
    i: usize,
    line: u32,
    col: u32,
    chars: u32,
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

    fn value(&mut self, depth: usize) -> Result<JValue<'a>, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.err("JSON nesting is too deep"));
        }
        let start = self.pos();
        let kind = match self.peek() {
            None => return Err(self.err("Unexpected end of input, expected a value")),
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => JKind::Str(self.string()?),
            Some(b't') => {
                self.expect_lit("true")?;
                JKind::Bool(true)
            }
            Some(b'f') => {
                self.expect_lit("false")?;
                JKind::Bool(false)
            }
            Some(b'n') => {
                self.expect_lit("null")?;
                JKind::Null
            }
            Some(b'-' | b'0'..=b'9') => JKind::Num(self.number()?),
            Some(_) => return Err(self.err("Unexpected character, expected a value")),
        };
        Ok(JValue {
            kind,
            span: Span {
                start,
                end: self.pos(),
            },
        })
    }

    fn object(&mut self, depth: usize) -> Result<JKind<'a>, SyntaxError> {
        self.bump(); // '{'
        let mut members = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.bump();
            return Ok(JKind::Obj(members));
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
            let value = self.value(depth + 1)?;
            members.push(JMember {
                key,
                key_span,
                value,
            });
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.bump(),
                Some(b'}') => {
                    self.bump();
                    return Ok(JKind::Obj(members));
                }
                _ => return Err(self.err("Expected ',' or '}' in an object")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<JKind<'a>, SyntaxError> {
        self.bump(); // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.bump();
            return Ok(JKind::Arr(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.bump(),
                Some(b']') => {
                    self.bump();
                    return Ok(JKind::Arr(items));
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
        for &b in rest {
            if b == b'"' || b == b'\\' || b < 0x20 {
                break;
            }
            chars += u32::from(b & 0xC0 != 0x80);
            n += 1;
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
        let v = parse_json("{\"a\": [1, \"x\"],\n \"a\": true}").expect("valid");
        let JKind::Obj(m) = &v.kind else {
            panic!("object expected")
        };
        assert_eq!(m.len(), 2);
        assert_eq!(m[1].key_span.start, pos(2, 1, 17));
        assert_eq!(m[0].value.span.start, pos(1, 6, 6));
        assert_eq!(m[0].value.span.end, pos(1, 14, 14));
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
    fn unicode_offsets_count_chars() {
        let v = parse_json("[\"é\", 2]").expect("valid");
        let JKind::Arr(items) = &v.kind else {
            panic!("array expected")
        };
        assert_eq!(items[1].span.start, pos(1, 6, 6));
    }
}
