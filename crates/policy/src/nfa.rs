//! Fast "can some ARN match both?" test between a policy `Resource` pattern
//! and a catalogue ARN template, for resource-type detection.
//!
//! [`crate::wildcard::intersects`] answers this for any two patterns by
//! searching the product automaton, which costs a visited table of
//! `|pattern| × |template|` cells per call. Validation asks it for every
//! resource against every S3 resource type, so here the template side is
//! compiled once into bit masks (templates are short: one bit per token) and
//! the policy pattern is read character by character, keeping the set of
//! template positions still reachable. `*` in the pattern extends that set
//! to a fixpoint, `?` steps over any one character. The answer is the same
//! as `intersects` on the same tokens: both decide whether the two regular
//! languages share a string.

use crate::wildcard::{CTok, Class};

/// Templates longer than this use the general search.
const MAX_TOKENS: usize = 63;

/// A template compiled to bit masks: bit `j` stands for template token `j`,
/// bit `len` for "template fully matched".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TemplateNfa {
    len: u32,
    /// Tokens that may repeat (stay in place, or be skipped).
    repeat: u64,
    /// Whether a repeatable token is followed by another one, so skipping
    /// needs more than one step.
    chained: bool,
    /// Tokens accepting each ASCII character.
    ascii: [u64; 128],
    /// Tokens accepting any other character (`Seg` and `Any`).
    other: u64,
}

impl TemplateNfa {
    /// `None` when the template is too long or has a non-ASCII literal.
    pub(crate) fn new(toks: &[CTok]) -> Option<TemplateNfa> {
        if toks.len() > MAX_TOKENS {
            return None;
        }
        let mut n = TemplateNfa {
            len: u32::try_from(toks.len()).ok()?,
            repeat: 0,
            chained: false,
            ascii: [0; 128],
            other: 0,
        };
        for (j, t) in toks.iter().enumerate() {
            let bit = 1u64 << j;
            if t.repeat {
                n.repeat |= bit;
            }
            match t.class {
                Class::Any => {
                    n.other |= bit;
                    n.ascii.iter_mut().for_each(|m| *m |= bit);
                }
                Class::Seg => {
                    n.other |= bit;
                    for (c, m) in n.ascii.iter_mut().enumerate() {
                        if c != usize::from(b'/') && c != usize::from(b':') {
                            *m |= bit;
                        }
                    }
                }
                Class::Lit(c) => {
                    let slot = n.ascii.get_mut(usize::try_from(u32::from(c)).ok()?)?;
                    *slot |= bit;
                }
            }
        }
        n.chained = n.repeat & (n.repeat << 1) != 0;
        Some(n)
    }

    /// Adds the positions reachable by skipping repeatable tokens.
    fn close(&self, s: u64) -> u64 {
        let mut s = s | ((s & self.repeat) << 1);
        if self.chained {
            loop {
                let next = s | ((s & self.repeat) << 1);
                if next == s {
                    break;
                }
                s = next;
            }
        }
        s
    }

    /// Reads one character accepted by the tokens in `mask`.
    fn step(&self, s: u64, mask: u64) -> u64 {
        let moved = s & mask;
        self.close((moved & self.repeat) | ((moved & !self.repeat) << 1))
    }

    /// Whether some string matches both `pattern` (IAM `*`/`?` wildcards,
    /// case-sensitive) and the template.
    pub(crate) fn intersects(&self, pattern: &str) -> bool {
        // Every token accepts at least one character.
        let all = (1u64 << self.len) - 1;
        let mut s = self.close(1);
        for c in pattern.chars() {
            s = match c {
                '?' => self.step(s, all),
                '*' => {
                    let mut cur = s;
                    loop {
                        let next = cur | self.step(cur, all);
                        if next == cur {
                            break cur;
                        }
                        cur = next;
                    }
                }
                c => {
                    let mask = match self.ascii.get(c as usize) {
                        Some(m) => *m,
                        None => self.other,
                    };
                    self.step(s, mask)
                }
            };
            if s == 0 {
                return false;
            }
        }
        s & (1u64 << self.len) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wildcard::{ctoks, intersects};

    /// Template tokens like the catalogue's: `{` stands for a `${Name}`
    /// placeholder (one or more `Seg`), `}` for `${ObjectName}` (`Any`).
    fn template(s: &str) -> Vec<CTok> {
        let mut out = Vec::new();
        for c in s.chars() {
            let class = match c {
                '{' => Class::Seg,
                '}' => Class::Any,
                c => {
                    out.push(CTok {
                        class: Class::Lit(c),
                        repeat: false,
                    });
                    continue;
                }
            };
            out.push(CTok {
                class,
                repeat: false,
            });
            out.push(CTok {
                class,
                repeat: true,
            });
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn agrees_on_random_patterns(p in "[as3:/*?é]{0,14}") {
            for t in ["arn:{:s3:::{/}", "a{:}", "s{}3"] {
                let toks = template(t);
                let nfa = TemplateNfa::new(&toks).expect("short template");
                proptest::prop_assert_eq!(nfa.intersects(&p), intersects(&ctoks(&p, false), &toks));
            }
        }
    }

    #[test]
    fn agrees_with_product_search() {
        let templates = [
            "arn:{:s3:::{",
            "arn:{:s3:::{/}",
            "arn:{:s3::{:ap/{/object/}",
            "a{b}",
        ];
        let patterns = [
            "arn:aws:s3:::b",
            "arn:aws:s3:::b/*",
            "arn:aws:s3:::*",
            "*",
            "arn:*",
            "arn:aws:s3::1:ap/x/object/k",
            "arn:aws:s3::1:ap/x",
            "arn:aws:s3:::b/k:é?",
            "arn:?ws:s3:::b",
            "a*b",
            "ab",
            "a/b",
            "a?b*",
            "",
        ];
        for t in templates {
            let toks = template(t);
            let nfa = TemplateNfa::new(&toks).expect("short template");
            for p in patterns {
                assert_eq!(
                    nfa.intersects(p),
                    intersects(&ctoks(p, false), &toks),
                    "{p} vs {t}"
                );
            }
        }
    }
}
