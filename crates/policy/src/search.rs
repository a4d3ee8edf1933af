//! Substring search for the short, fixed needles policies are scanned for
//! (`${`, `:iam::`, …). `str::find`/`split_once` set up a general two-way
//! searcher on every call, which costs more than the scan itself for
//! needles this short and haystacks of a few dozen bytes.

/// Byte offset of the first occurrence of `needle` in `hay`.
pub(crate) fn find(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let (&first, rest) = n.split_first()?;
    let mut from = 0;
    while let Some(off) = h.get(from..)?.iter().position(|&b| b == first) {
        let at = from + off;
        if h.get(at + 1..)?.starts_with(rest) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

pub(crate) fn contains(hay: &str, needle: &str) -> bool {
    find(hay, needle).is_some()
}

/// `hay.split_once(needle)`.
pub(crate) fn split_once<'a>(hay: &'a str, needle: &str) -> Option<(&'a str, &'a str)> {
    let at = find(hay, needle)?;
    Some((hay.get(..at)?, hay.get(at + needle.len()..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_std() {
        let cases = [
            ("arn:aws:iam::1:root", ":iam::"),
            ("a${b}${c}", "${"),
            ("$$${", "${"),
            ("é${x", "${"),
            ("abc", "${"),
            ("", "${"),
            ("ab", "abc"),
            (":i:iam:", ":iam::"),
            ("xyz", ""),
        ];
        for (h, n) in cases {
            if n.is_empty() {
                assert_eq!(find(h, n), None);
                continue;
            }
            assert_eq!(find(h, n), h.find(n), "{h} / {n}");
            assert_eq!(split_once(h, n), h.split_once(n), "{h} / {n}");
            assert_eq!(contains(h, n), h.contains(n));
        }
    }
}
