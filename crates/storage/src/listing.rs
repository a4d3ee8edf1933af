//! S3 listing over any source that can return rows in key byte order from a cursor: prefix,
//! delimiter roll-up into common prefixes, exclusive marker, page size. Each query is a range
//! scan; a common prefix's remaining keys are skipped with one jump past the whole group, so a
//! page costs O(page size) rows however large the bucket or the groups are.

/// Where the next scan starts.
pub(crate) enum From<P> {
    /// At the first row whose key is `>=` this (need not be valid UTF-8).
    Key(Vec<u8>),
    /// Strictly after the row at this position.
    After(P),
}

pub(crate) enum Entry<T> {
    Item(T),
    Prefix(String),
}

pub(crate) struct Request<'a, P> {
    pub prefix: &'a str,
    /// Empty means none.
    pub delimiter: &'a str,
    /// Common prefixes not greater than this are not returned (S3: a marker inside a group
    /// skips the rest of it).
    pub marker: Option<&'a str>,
    pub start: From<P>,
    pub max: usize,
}

/// Most rows fetched per query.
const BATCH: usize = 1000;

/// Runs one page. `fetch(from, upper, limit)` returns up to `limit` rows from `from`, with key
/// `< upper` when given, in order; `key` and `position` describe a row.
pub(crate) fn list<T, P, E>(
    req: Request<'_, P>,
    fetch: impl FnMut(&From<P>, Option<&[u8]>, usize) -> Result<Vec<T>, E>,
    key: impl Fn(&T) -> &str,
    position: impl Fn(&T) -> P,
) -> Result<(Vec<Entry<T>>, bool), E> {
    list_in_batches(req, BATCH, fetch, key, position)
}

fn list_in_batches<T, P, E>(
    req: Request<'_, P>,
    batch: usize,
    mut fetch: impl FnMut(&From<P>, Option<&[u8]>, usize) -> Result<Vec<T>, E>,
    key: impl Fn(&T) -> &str,
    position: impl Fn(&T) -> P,
) -> Result<(Vec<Entry<T>>, bool), E> {
    let mut entries = Vec::new();
    if req.max == 0 {
        return Ok((entries, false));
    }
    let upper = successor(req.prefix.as_bytes());
    let mut from = req.start;
    loop {
        // one more than the page needs, so a full page learns whether anything follows
        let limit = (req.max - entries.len() + 1).min(batch);
        let rows = fetch(&from, upper.as_deref(), limit)?;
        let exhausted = rows.len() < limit;
        let Some(last_position) = rows.last().map(&position) else {
            return Ok((entries, false));
        };
        let mut group: Option<String> = None;
        for row in rows {
            let k = key(&row);
            if group.as_deref().is_some_and(|g| k.starts_with(g)) {
                continue;
            }
            group = None;
            if entries.len() == req.max {
                // `row` (or the group it starts) would be the next entry
                return Ok((entries, true));
            }
            match common_prefix(k, req.prefix, req.delimiter) {
                Some(cp) => {
                    if req.marker.is_none_or(|m| cp > m) {
                        entries.push(Entry::Prefix(cp.to_owned()));
                    }
                    group = Some(cp.to_owned());
                }
                None => entries.push(Entry::Item(row)),
            }
        }
        from = match group {
            // the batch ended inside a group: jump past all of it
            Some(g) => match successor(g.as_bytes()) {
                Some(next) => From::Key(next),
                None => return Ok((entries, false)),
            },
            None if exhausted => return Ok((entries, false)),
            None => From::After(last_position),
        };
    }
}

/// The start of a listing: the first key `>= prefix` and `> marker`.
pub(crate) fn start<P>(prefix: &str, marker: Option<&str>) -> From<P> {
    match marker {
        Some(m) if m >= prefix => From::Key(immediate_successor(m.as_bytes())),
        _ => From::Key(prefix.as_bytes().to_vec()),
    }
}

/// `key` rolled up at the first `delimiter` after `prefix`, if any.
pub(crate) fn common_prefix<'k>(key: &'k str, prefix: &str, delimiter: &str) -> Option<&'k str> {
    if delimiter.is_empty() {
        return None;
    }
    let rest = key.get(prefix.len()..)?;
    let at = rest.find(delimiter)?;
    key.get(..prefix.len() + at + delimiter.len())
}

/// The smallest byte string greater than every string starting with `prefix`; None when there is
/// none (empty prefix, or all 0xFF).
pub(crate) fn successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut s = prefix.to_vec();
    while let Some(last) = s.pop() {
        if last < 0xFF {
            s.push(last + 1);
            return Some(s);
        }
    }
    None
}

/// The smallest byte string greater than `key`.
pub(crate) fn immediate_successor(key: &[u8]) -> Vec<u8> {
    let mut s = key.to_vec();
    s.push(0);
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::convert::Infallible;

    #[test]
    fn successors() {
        assert_eq!(successor(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(successor(b"a\xff\xff"), Some(b"b".to_vec()));
        assert_eq!(successor(b"\xff"), None);
        assert_eq!(successor(b""), None);
        assert_eq!(immediate_successor(b"a"), b"a\0".to_vec());
    }

    #[test]
    fn common_prefixes() {
        assert_eq!(common_prefix("a/b/c", "", "/"), Some("a/"));
        assert_eq!(common_prefix("a/b/c", "a/", "/"), Some("a/b/"));
        assert_eq!(common_prefix("a/b", "a/", "/"), None);
        assert_eq!(common_prefix("abcabc", "", "ca"), Some("abca"));
        assert_eq!(common_prefix("a/b", "", ""), None);
        assert_eq!(common_prefix("é/x", "é", "/"), Some("é/"));
    }

    /// Lists a sorted in-memory key set with small batches against a naive model.
    #[test]
    fn matches_a_naive_model() {
        let mut keys: Vec<String> = Vec::new();
        for d in ["a", "a/b", "a/c", "ab", "b/", "b/x/y", "c"] {
            keys.push(d.into());
            for i in 0..5 {
                keys.push(format!("{d}/{i}"));
                keys.push(format!("{d}/{i}/z"));
            }
        }
        keys.sort();
        keys.dedup();
        for prefix in ["", "a", "a/", "b/x", "zz"] {
            for delimiter in ["", "/", "b"] {
                for marker in [None, Some("a/"), Some("a/1"), Some("b"), Some("c/4/z")] {
                    for max in [0, 1, 2, 3, 1000] {
                        let want = model(&keys, prefix, delimiter, marker, max);
                        for batch in [1, 2, 3, BATCH] {
                            let got = run(&keys, prefix, delimiter, marker, max, batch);
                            assert_eq!(
                                got, want,
                                "{prefix:?} {delimiter:?} {marker:?} {max} {batch}"
                            );
                        }
                    }
                }
            }
        }
    }

    fn run(
        keys: &[String],
        prefix: &str,
        delimiter: &str,
        marker: Option<&str>,
        max: usize,
        batch: usize,
    ) -> (Vec<String>, bool) {
        let req = Request {
            prefix,
            delimiter,
            marker,
            start: start(prefix, marker),
            max,
        };
        let fetch = |from: &From<String>, upper: Option<&[u8]>, limit: usize| {
            Ok::<_, Infallible>(
                keys.iter()
                    .filter(|k| match from {
                        From::Key(b) => k.as_bytes() >= b.as_slice(),
                        From::After(p) => *k > p,
                    })
                    .filter(|k| upper.is_none_or(|u| k.as_bytes() < u))
                    .take(limit)
                    .cloned()
                    .collect(),
            )
        };
        let (entries, truncated) =
            list_in_batches(req, batch, fetch, |k| k.as_str(), |k| k.clone()).unwrap();
        let names = entries
            .into_iter()
            .map(|e| match e {
                Entry::Item(k) => k,
                Entry::Prefix(p) => format!("P:{p}"),
            })
            .collect();
        (names, truncated)
    }

    fn model(
        keys: &[String],
        prefix: &str,
        delimiter: &str,
        marker: Option<&str>,
        max: usize,
    ) -> (Vec<String>, bool) {
        let mut all: Vec<String> = Vec::new();
        for k in keys.iter().filter(|k| k.starts_with(prefix)) {
            if marker.is_some_and(|m| k.as_str() <= m) {
                continue;
            }
            let entry = match common_prefix(k, prefix, delimiter) {
                Some(cp) if marker.is_some_and(|m| cp <= m) => continue,
                Some(cp) => format!("P:{cp}"),
                None => k.clone(),
            };
            if all.last() != Some(&entry) {
                all.push(entry);
            }
        }
        // S3: max-keys=0 is an empty page that is not truncated
        let truncated = max > 0 && all.len() > max;
        all.truncate(max);
        (all, truncated)
    }
}
