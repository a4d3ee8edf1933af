//! Glob matching with IAM's two wildcards: `*` (any run of characters,
//! possibly empty) and `?` (exactly one character).
//!
//! Patterns are compiled once, at parse time, into a [`Glob`] so the hot
//! evaluation path does no allocation. Text produced by
//! policy-variable substitution or by the `${*}`/`${?}` escapes is pushed as
//! literal bytes, which is how IAM keeps request values from acting as
//! wildcards.

mod reasoning;

pub(crate) use reasoning::{CTok, Class, ctoks, intersects, pattern_covers};

use crate::text::Text;

/// A compiled glob: the pattern text plus the positions of `*`/`?` bytes
/// that are literal characters (from `${*}`/`${?}` or substituted values).
/// Keeping the text itself (rather than a token per byte) makes compiling a
/// pattern one allocation and lets the `…Equals` operators compare against
/// the same text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Glob {
    text: GlobText,
    /// Sorted byte offsets into `text`; almost always empty.
    literal: Vec<u32>,
}

/// A glob's text: shared with the policy element it was compiled from, or
/// built up (policy variables substituted at evaluation).
#[derive(Debug, Clone, PartialEq, Eq)]
enum GlobText {
    Shared(Text),
    Owned(String),
}

impl Default for GlobText {
    fn default() -> Self {
        GlobText::Owned(String::new())
    }
}

impl GlobText {
    fn as_str(&self) -> &str {
        match self {
            GlobText::Shared(t) => t,
            GlobText::Owned(s) => s,
        }
    }

    fn push_str(&mut self, more: &str) {
        match self {
            GlobText::Owned(s) => s.push_str(more),
            GlobText::Shared(t) => {
                let mut s = t.to_string();
                s.push_str(more);
                *self = GlobText::Owned(s);
            }
        }
    }
}

/// One pattern element, as the matcher sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Byte(u8),
    Star,
    One,
}

/// A borrowed run of a [`Glob`] (the whole pattern or one ARN segment).
#[derive(Debug, Clone, Copy)]
pub(crate) struct GlobRef<'a> {
    pat: &'a [u8],
    /// Offset of `pat` in the glob's text, to look up `literal`.
    base: usize,
    literal: &'a [u32],
}

impl Glob {
    /// Compiles `pattern` with `*` and `?` active.
    pub fn new(pattern: &str) -> Self {
        Glob {
            text: GlobText::Owned(pattern.to_string()),
            literal: Vec::new(),
        }
    }

    /// Compiles a policy string with `*` and `?` active, sharing its text.
    pub fn from_text(pattern: Text) -> Self {
        Glob {
            text: GlobText::Shared(pattern),
            literal: Vec::new(),
        }
    }

    /// A glob that matches exactly `text`.
    pub fn literal(text: &str) -> Self {
        let mut g = Glob::default();
        g.push_literal(text);
        g
    }

    pub fn push_pattern(&mut self, pattern: &str) {
        self.text.push_str(pattern);
    }

    pub fn push_literal(&mut self, text: &str) {
        let at = self.text.as_str().len();
        for (i, b) in text.bytes().enumerate() {
            if b == b'*' || b == b'?' {
                // Policies are at most a few KiB, so offsets fit in u32.
                self.literal.push(u32::try_from(at + i).unwrap_or(u32::MAX));
            }
        }
        self.text.push_str(text);
    }

    /// The pattern as text, wildcards written as `*`/`?` (escaped or not):
    /// what the `…Equals` operators compare literally.
    pub fn as_str(&self) -> &str {
        self.text.as_str()
    }

    pub(crate) fn view(&self) -> GlobRef<'_> {
        GlobRef {
            pat: self.text.as_str().as_bytes(),
            base: 0,
            literal: &self.literal,
        }
    }

    /// Byte ranges of the ARN segments: split at the first five `:` (at
    /// most six segments; the last keeps any further colons).
    pub(crate) fn arn_segments(&self) -> ArnCuts {
        let mut cuts = ArnCuts {
            ends: [0; 6],
            len: 1,
        };
        for (i, b) in self.as_str().bytes().enumerate() {
            if b == b':' && cuts.len < 6 {
                cuts.ends[cuts.len - 1] = i;
                cuts.len += 1;
            }
        }
        cuts.ends[cuts.len - 1] = self.as_str().len();
        cuts
    }

    /// Segment `k` of `cuts` as a matchable slice.
    pub(crate) fn segment(&self, cuts: &ArnCuts, k: usize) -> GlobRef<'_> {
        let start = if k == 0 { 0 } else { cuts.ends[k - 1] + 1 };
        let end = cuts.ends[k].max(start);
        GlobRef {
            pat: self.as_str().as_bytes().get(start..end).unwrap_or_default(),
            base: start,
            literal: &self.literal,
        }
    }

    pub fn is_match_all(&self) -> bool {
        self.as_str() == "*" && self.literal.is_empty()
    }

    pub fn has_wildcards(&self) -> bool {
        let r = self.view();
        (0..r.pat.len()).any(|p| r.tok(p) != Tok::Byte(r.pat[p]))
    }

    /// Case-sensitive match (ARNs, string values).
    pub fn matches(&self, text: &str) -> bool {
        self.view().matches(text.as_bytes(), false)
    }

    /// ASCII case-insensitive match (action names).
    pub fn matches_ignore_ascii_case(&self, text: &str) -> bool {
        self.view().matches(text.as_bytes(), true)
    }
}

/// Where the segments of an ARN pattern end (see [`Glob::arn_segments`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ArnCuts {
    /// Exclusive end of each segment; the next one starts one byte later.
    ends: [usize; 6],
    pub len: usize,
}

impl<'a> GlobRef<'a> {
    /// `pattern` with `*` and `?` active, without compiling a [`Glob`].
    pub(crate) fn plain(pattern: &'a str) -> GlobRef<'a> {
        GlobRef {
            pat: pattern.as_bytes(),
            base: 0,
            literal: &[],
        }
    }
}

impl GlobRef<'_> {
    fn tok(&self, p: usize) -> Tok {
        let b = self.pat[p];
        let wild = (b == b'*' || b == b'?')
            && (self.literal.is_empty()
                || self
                    .literal
                    .binary_search(&u32::try_from(self.base + p).unwrap_or(u32::MAX))
                    .is_err());
        match b {
            b'*' if wild => Tok::Star,
            b'?' if wild => Tok::One,
            _ => Tok::Byte(b),
        }
    }

    /// Whether the last token is `*` (a segment that may extend over colons).
    pub(crate) fn ends_with_star(&self) -> bool {
        !self.pat.is_empty() && self.tok(self.pat.len() - 1) == Tok::Star
    }

    pub(crate) fn matches(&self, text: &[u8], ci: bool) -> bool {
        glob_match(self, text, ci)
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

/// Linear-time glob matching with a single backtrack point: when a literal
/// fails, the most recent `*` absorbs one more character. This is correct for
/// `*`/`?` globs because a later `*` can always absorb what an earlier one
/// would have. `?` and star-extension step over whole UTF-8 characters.
fn glob_match(g: &GlobRef<'_>, text: &[u8], ci: bool) -> bool {
    let n = g.pat.len();
    // Most patterns start with a long literal (`arn:aws:s3:::bucket/`):
    // compare it in one go. Nothing can backtrack into it, so the loop
    // below may start after it.
    let head = g
        .pat
        .iter()
        .position(|&b| b == b'*' || b == b'?')
        .unwrap_or(n);
    let same = |a: &[u8], b: &[u8]| {
        if ci {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    match text.get(..head) {
        Some(t) if same(&g.pat[..head], t) => {}
        _ => return false,
    }
    if head == n {
        return text.len() == n;
    }
    if head + 1 == n && g.tok(head) == Tok::Star {
        return true; // `prefix*`
    }
    let (mut p, mut t) = (head, head);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        let step = match (p < n).then(|| g.tok(p)) {
            Some(Tok::Star) => {
                star = Some((p, t));
                p += 1;
                continue;
            }
            Some(Tok::One) => Some(utf8_len(text[t])),
            Some(Tok::Byte(b)) if b == text[t] || (ci && b.eq_ignore_ascii_case(&text[t])) => {
                Some(1)
            }
            _ => None,
        };
        if let Some(step) = step {
            p += 1;
            t += step;
            continue;
        }
        match star {
            Some((sp, st)) => {
                let nt = st + utf8_len(text[st]);
                star = Some((sp, nt));
                p = sp + 1;
                t = nt;
            }
            None => return false,
        }
    }
    while p < n && g.tok(p) == Tok::Star {
        p += 1;
    }
    p == n && t == text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "", true),
            ("*", "anything", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbb", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a?c", "aéc", true),
            ("*é", "xxé", true),
            ("s3:Get*", "s3:GetObject", true),
            ("s3:Get*", "s3:getobject", false),
            ("a*b*c", "aXbYbZc", true),
            ("", "", true),
            ("", "a", false),
            ("abc", "ab", false),
        ];
        for (p, t, want) in cases {
            assert_eq!(Glob::new(p).matches(t), *want, "{p} vs {t}");
        }
        assert!(Glob::new("s3:Get*").matches_ignore_ascii_case("S3:GETOBJECT"));
        let mut g = Glob::new("a");
        g.push_literal("*");
        assert!(g.matches("a*"));
        assert!(!g.matches("ab"));
    }
}
