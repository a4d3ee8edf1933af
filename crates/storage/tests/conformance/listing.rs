//! ListObjects: byte order, prefixes, delimiters, exclusive markers, paging.

use super::*;
use std::collections::BTreeSet;

/// What S3 lists for `keys`: a naive reference.
pub fn model(
    keys: &BTreeSet<String>,
    prefix: &str,
    delimiter: Option<&str>,
    after: Option<&str>,
    max: usize,
) -> (Vec<String>, bool) {
    let mut all: Vec<String> = Vec::new();
    for k in keys.iter().filter(|k| k.starts_with(prefix)) {
        if after.is_some_and(|a| k.as_str() <= a) {
            continue;
        }
        let rest = &k[prefix.len()..];
        let entry = match delimiter
            .filter(|d| !d.is_empty())
            .and_then(|d| rest.find(d).map(|i| (i, d)))
        {
            Some((i, d)) => {
                let cp = &k[..prefix.len() + i + d.len()];
                if after.is_some_and(|a| cp <= a) {
                    continue;
                }
                format!("P:{cp}")
            }
            None => k.clone(),
        };
        if all.last() != Some(&entry) {
            all.push(entry);
        }
    }
    let truncated = max > 0 && all.len() > max;
    all.truncate(max);
    (all, truncated)
}

async fn check(
    s: &dyn RegionStore,
    keys: &BTreeSet<String>,
    prefix: &str,
    delimiter: Option<&str>,
    after: Option<&str>,
    max: usize,
) {
    let page = s
        .list_objects("b", &params(prefix, delimiter, after, max))
        .await
        .unwrap();
    let got = entries(&page);
    let (want, truncated) = model(keys, prefix, delimiter, after, max);
    assert_eq!(
        (&got, page.is_truncated),
        (&want, truncated),
        "prefix {prefix:?} delimiter {delimiter:?} after {after:?} max {max}"
    );
    let last = want
        .last()
        .map(|e| e.strip_prefix("P:").unwrap_or(e).to_string());
    assert_eq!(page.last, last);
}

pub async fn byte_order(s: &dyn RegionStore) {
    s.create_bucket("b").await.unwrap();
    let keys = [
        "a/",
        "a-",
        "a0",
        "é",
        "z",
        "Z",
        "A",
        "a",
        "a/b",
        "ab",
        "~",
        "test key/",
        "test%123",
        "test@key/",
    ];
    for k in keys {
        put(s, "b", k, b"").await;
    }
    let listed = list_all(s, "b", "", None, 1000).await;
    assert_eq!(
        listed,
        [
            "A",
            "Z",
            "a",
            "a-",
            "a/",
            "a/b",
            "a0",
            "ab",
            "test key/",
            "test%123",
            "test@key/",
            "z",
            "~",
            "é"
        ]
    );
    // common prefixes interleave with keys in the same order
    let page = s
        .list_objects("b", &params("", Some("/"), None, 1000))
        .await
        .unwrap();
    assert_eq!(
        entries(&page),
        [
            "A",
            "Z",
            "a",
            "a-",
            "P:a/",
            "a0",
            "ab",
            "P:test key/",
            "test%123",
            "P:test@key/",
            "z",
            "~",
            "é"
        ]
    );
    assert_eq!(page.common_prefixes, ["a/", "test key/", "test@key/"]);
}

pub async fn delimiters_and_markers(s: &dyn RegionStore) {
    s.create_bucket("b").await.unwrap();
    let keys: BTreeSet<String> = [
        "folder/aSubfolder/subFile1",
        "folder/aSubfolder/subFile2",
        "folder/file1",
        "folder/file2",
        "folder/zz/",
        "folder.txt",
        "foo",
        "foo/bar",
        "foo/bar/baz",
        "foo%bar",
        "fooa",
        "asdf",
        "b/a/c",
        "b/a/d",
        "b/b",
        "bab",
        "c",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    for k in &keys {
        put(s, "b", k, b"x").await;
    }
    let k = &keys;
    // S3's recorded marker cases: a marker equal to or inside a group skips the rest of it
    check(s, k, "folder/", Some("/"), None, 1000).await;
    check(s, k, "folder/", Some("/"), Some("folder/aSubfolder/"), 1000).await;
    check(
        s,
        k,
        "folder/",
        Some("/"),
        Some("folder/aSubfolder/subFile1"),
        1000,
    )
    .await;
    let page = s
        .list_objects(
            "b",
            &params(
                "folder/",
                Some("/"),
                Some("folder/aSubfolder/subFile1"),
                1000,
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        entries(&page),
        ["folder/file1", "folder/file2", "P:folder/zz/"]
    );
    for prefix in ["", "f", "foo", "foo/", "folder", "b/", "nothing", "c"] {
        for delimiter in [None, Some("/"), Some("a"), Some("%"), Some(""), Some("bar")] {
            for after in [
                None,
                Some(""),
                Some("b"),
                Some("foo"),
                Some("foo/"),
                Some("b/a/c"),
                Some("zzz"),
            ] {
                for max in [0, 1, 2, 1000] {
                    check(s, k, prefix, delimiter, after, max).await;
                }
            }
        }
    }
}

/// Thousands of keys in nested groups, listed page by page in many shapes, against the model.
pub async fn paging_thousands(s: &dyn RegionStore) {
    s.create_bucket("b").await.unwrap();
    let mut keys = BTreeSet::new();
    for i in 0..2500u32 {
        let key = match i % 5 {
            0 => format!("top{i:05}"),
            1 => format!("d{}/f{i:05}", i % 7),
            2 => format!("d{}/sub{}/f{i:05}", i % 3, i % 4),
            3 => format!("deep/{}/{}/{}", i % 2, i % 11, i),
            _ => format!("D{i}"),
        };
        keys.insert(key);
    }
    let all: Vec<String> = keys.iter().cloned().collect();
    futures::stream::iter(all.iter())
        .for_each_concurrent(16, |k| async move {
            put(s, "b", k, b"").await;
        })
        .await;

    for (prefix, delimiter) in [
        ("", None),
        ("", Some("/")),
        ("d1/", Some("/")),
        ("deep/", Some("/")),
        ("d", Some("f")),
        ("top", None),
    ] {
        for max in [1, 7, 100, 1000] {
            let (want, _) = model(&keys, prefix, delimiter, None, usize::MAX);
            let got = list_all(s, "b", prefix, delimiter, max).await;
            assert_eq!(
                got, want,
                "prefix {prefix:?} delimiter {delimiter:?} max {max}"
            );
        }
    }
    for after in [
        "",
        "D2",
        "d1/",
        "d1/sub",
        "d2/sub3/f00002",
        "deep/1/",
        "deep/1/5/",
        "top01000",
        "~",
    ] {
        check(s, &keys, "", Some("/"), Some(after), 50).await;
        check(s, &keys, "", None, Some(after), 50).await;
        check(s, &keys, "d", Some("/"), Some(after), 3).await;
    }
    // a page of exactly the remaining entries is not truncated
    let (rest, _) = model(&keys, "top", None, None, usize::MAX);
    let page = s
        .list_objects("b", &params("top", None, None, rest.len()))
        .await
        .unwrap();
    assert_eq!((page.objects.len(), page.is_truncated), (rest.len(), false));
    let page = s
        .list_objects("b", &params("", None, None, 0))
        .await
        .unwrap();
    assert!(page.objects.is_empty() && page.common_prefixes.is_empty() && !page.is_truncated);
}
