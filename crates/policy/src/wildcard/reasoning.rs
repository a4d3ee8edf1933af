//! Pattern-vs-pattern reasoning (does one IAM pattern cover another, can two
//! match a common string), used by validation only.

/// Character classes for pattern intersection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Lit(char),
    /// Any character.
    Any,
    /// Any character except `/` and `:` (one ARN name component).
    Seg,
}

/// A class that occurs once, or any number of times (`repeat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CTok {
    pub class: Class,
    pub repeat: bool,
}

/// Tokenises an IAM pattern (`*`, `?` active) for pattern reasoning.
pub(crate) fn ctoks(pattern: &str, ignore_case: bool) -> Vec<CTok> {
    pattern
        .chars()
        .map(|c| match c {
            '*' => CTok {
                class: Class::Any,
                repeat: true,
            },
            '?' => CTok {
                class: Class::Any,
                repeat: false,
            },
            c => CTok {
                class: Class::Lit(if ignore_case {
                    c.to_ascii_lowercase()
                } else {
                    c
                }),
                repeat: false,
            },
        })
        .collect()
}

fn class_meets(a: Class, b: Class) -> bool {
    match (a, b) {
        (Class::Any, _) | (_, Class::Any) | (Class::Seg, Class::Seg) => true,
        (Class::Lit(x), Class::Lit(y)) => x == y,
        (Class::Lit(x), Class::Seg) | (Class::Seg, Class::Lit(x)) => x != '/' && x != ':',
    }
}

/// Whether some string matches both patterns (product-automaton search).
pub(crate) fn intersects(a: &[CTok], b: &[CTok]) -> bool {
    let w = b.len() + 1;
    let mut seen = vec![false; (a.len() + 1) * w];
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        let idx = i * w + j;
        if seen[idx] {
            continue;
        }
        seen[idx] = true;
        if i == a.len() && j == b.len() {
            return true;
        }
        let ta = a.get(i);
        let tb = b.get(j);
        if let Some(t) = ta
            && t.repeat
        {
            stack.push((i + 1, j));
        }
        if let Some(t) = tb
            && t.repeat
        {
            stack.push((i, j + 1));
        }
        if let (Some(x), Some(y)) = (ta, tb)
            && class_meets(x.class, y.class)
        {
            let ni = if x.repeat { i } else { i + 1 };
            let nj = if y.repeat { j } else { j + 1 };
            stack.push((ni, nj));
        }
    }
    false
}

/// [`covers`] on pattern text (`ci`: ASCII case-insensitive, as for
/// actions). The common answers come from string comparisons; only
/// patterns that share their literal head are tokenised.
pub(crate) fn pattern_covers(outer: &str, inner: &str, ci: bool) -> bool {
    let same = |a: &[u8], b: &[u8]| {
        if ci {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    let head = outer.bytes().position(|b| b == b'*' || b == b'?');
    match head {
        // A wildcard-free pattern covers only itself.
        None => same(outer.as_bytes(), inner.as_bytes()),
        // `inner` must spell out the literal head of `outer`.
        Some(n)
            if !inner
                .as_bytes()
                .get(..n)
                .is_some_and(|i| same(&outer.as_bytes()[..n], i)) =>
        {
            false
        }
        Some(_) => covers(&ctoks(outer, ci), &ctoks(inner, ci)),
    }
}

/// Whether every string matched by `inner` is also matched by `outer`.
/// Sound (never claims coverage that does not hold); it may miss exotic
/// coverings, which only costs a missed REDUNDANT_* suggestion.
pub(crate) fn covers(outer: &[CTok], inner: &[CTok]) -> bool {
    // Fast paths (most policy entries share long literal prefixes): a
    // wildcard-free outer covers only itself, and the literal prefix of outer
    // must be spelled out by inner.
    let lit = |t: &CTok| !t.repeat && matches!(t.class, Class::Lit(_));
    if outer.iter().all(lit) {
        return outer == inner;
    }
    for (i, o) in outer.iter().take_while(|t| lit(t)).enumerate() {
        if inner.get(i) != Some(o) {
            return false;
        }
    }
    let (n, m) = (outer.len(), inner.len());
    let w = m + 1;
    // dp[i][j]: outer[i..] covers inner[j..]
    let mut dp = vec![false; (n + 1) * w];
    dp[n * w + m] = true;
    for i in (0..n).rev() {
        for j in (0..=m).rev() {
            let o = outer[i];
            let v = if o.repeat {
                dp[(i + 1) * w + j] || (j < m && dp[i * w + j + 1])
            } else if j < m {
                let t = inner[j];
                let ok = !t.repeat
                    && match (o.class, t.class) {
                        (Class::Any, _) => true,
                        (Class::Lit(x), Class::Lit(y)) => x == y,
                        _ => false,
                    };
                ok && dp[(i + 1) * w + j + 1]
            } else {
                false
            };
            dp[i * w + j] = v;
        }
    }
    dp[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_covers_agrees_with_tokens() {
        let pats = [
            "s3:*",
            "s3:Get*",
            "S3:GETOBJECT",
            "s3:GetObject",
            "s3:Get?",
            "a?c",
            "a*",
            "",
            "*",
            "é*",
            "éa",
        ];
        for o in pats {
            for i in pats {
                for ci in [false, true] {
                    assert_eq!(
                        pattern_covers(o, i, ci),
                        covers(&ctoks(o, ci), &ctoks(i, ci)),
                        "{o} / {i} / {ci}"
                    );
                }
            }
        }
    }

    #[test]
    fn pattern_reasoning() {
        let c = |s| ctoks(s, false);
        assert!(covers(&c("s3:*"), &c("s3:Get*")));
        assert!(covers(&c("s3:Get*"), &c("s3:GetObject")));
        assert!(!covers(&c("s3:Get?"), &c("s3:Get*")));
        assert!(!covers(&c("s3:GetObject"), &c("s3:Get*")));
        assert!(covers(&c("a?c"), &c("a?c")));
        let seg = CTok {
            class: Class::Seg,
            repeat: true,
        };
        let mut bucket = c("arn:aws:s3:::");
        bucket.push(CTok {
            class: Class::Seg,
            repeat: false,
        });
        bucket.push(seg);
        assert!(intersects(&c("arn:aws:s3:::*"), &bucket));
        assert!(intersects(&c("arn:aws:s3:::b"), &bucket));
        assert!(!intersects(&c("arn:aws:s3:::b/*"), &bucket));
    }
}
