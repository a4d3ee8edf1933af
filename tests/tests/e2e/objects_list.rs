//! ListObjectsV2 and ListObjects (v1) through aws-sdk-s3: UTF-8 byte order, prefix, delimiter and
//! CommonPrefixes, MaxKeys paging with continuation tokens, StartAfter, v1 Marker/NextMarker,
//! and `encoding-type=url` (which aws-sdk-s3 never sets by itself and never decodes; boto3 sets
//! and decodes it — `objects_boto3.rs`).

use aws_sdk_s3::{primitives::ByteStream, types::EncodingType};
use futures::StreamExt as _;

use crate::{
    common::{objects::*, *},
    objects_basic::local_object_tests,
};

local_object_tests! {
    paging_250_keys_path_style: paging, Style::Path;
    paging_250_keys_virtual_host: paging, Style::VirtualHost;
    prefix_delimiter_start_after_path_style: prefix_and_delimiter, Style::Path;
    prefix_delimiter_start_after_virtual_host: prefix_and_delimiter, Style::VirtualHost;
    list_v1_markers: list_v1, Style::Path;
    encoding_type_url: url_encoding, Style::Path;
}

/// Puts every key (body = the key), 16 at a time.
pub(crate) async fn put_keys(s3: &aws_sdk_s3::Client, bucket: &str, keys: &[String]) {
    futures::stream::iter(keys)
        .map(|key| async move {
            s3.put_object()
                .bucket(bucket)
                .key(key)
                .body(ByteStream::from(key.as_bytes().to_vec()))
                .send()
                .await
                .unwrap_or_else(|e| panic!("PutObject {key:?}: {}", describe_err(&e)))
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
}

fn keys_of(out: &aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output) -> Vec<String> {
    out.contents()
        .iter()
        .map(|o| o.key().expect("every Contents has a Key").to_owned())
        .collect()
}

fn prefixes_of(out: &aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output) -> Vec<String> {
    out.common_prefixes()
        .iter()
        .map(|p| {
            p.prefix()
                .expect("every CommonPrefixes has a Prefix")
                .to_owned()
        })
        .collect()
}

/// 250 keys mixing case, punctuation, '/', spaces and multi-byte UTF-8.
fn mixed_keys() -> Vec<String> {
    const STEMS: [&str; 8] = ["a", "B", "z", "é", "a b", "a+b", "ü/x", "~"];
    (0..250)
        .map(|i| format!("{}-{i:03}", STEMS[i % STEMS.len()]))
        .collect()
}

/// MaxKeys 100 over 250 keys: three pages (100, 100, 50) joined by continuation tokens give
/// exactly all keys, in UTF-8 byte order, each once; `IsTruncated` is true only while keys remain.
pub(crate) async fn paging(t: &Target<'_>) {
    let s3 = t.client();
    let bucket = t.fresh_bucket("paging").await;
    let mut expected = mixed_keys();
    put_keys(&s3, &bucket, &expected).await;
    // `String`'s order is byte order of the UTF-8 encoding, which is S3's listing order.
    expected.sort();

    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = Vec::new();
    loop {
        let out = s3
            .list_objects_v2()
            .bucket(&bucket)
            .max_keys(100)
            .set_continuation_token(token.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("ListObjectsV2 page {}: {}", pages.len(), describe_err(&e)));
        let keys = keys_of(&out);
        assert_eq!(out.key_count(), Some(keys.len() as i32), "{out:#?}");
        assert_eq!(out.max_keys(), Some(100));
        assert_eq!(out.continuation_token(), token.as_deref());
        // Each Contents carries its size (the body is the key) and its ETag.
        for o in out.contents() {
            let key = o.key().unwrap_or_default();
            assert_eq!(o.size(), Some(key.len() as i64), "{o:?}");
            assert_eq!(o.e_tag(), Some(etag_of(key.as_bytes()).as_str()), "{o:?}");
        }
        pages.push((keys.len(), out.is_truncated()));
        seen.extend(keys);
        match out.next_continuation_token() {
            Some(next) => {
                assert_eq!(out.is_truncated(), Some(true), "{out:#?}");
                token = Some(next.to_owned());
            }
            None => {
                assert_eq!(out.is_truncated(), Some(false), "{out:#?}");
                break;
            }
        }
        assert!(pages.len() < 10, "paging does not end: {pages:?}");
    }
    assert_eq!(
        pages,
        [(100, Some(true)), (100, Some(true)), (50, Some(false))]
    );
    assert_eq!(seen, expected, "not exactly all keys in UTF-8 byte order");

    // The default page holds all 250 (MaxKeys 1000), not truncated.
    let out = s3
        .list_objects_v2()
        .bucket(&bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("ListObjectsV2: {}", describe_err(&e)));
    assert_eq!(keys_of(&out), expected);
    assert_eq!(out.is_truncated(), Some(false));
    assert_eq!(out.key_count(), Some(250));

    // MaxKeys 0: empty and not truncated.
    let out = s3
        .list_objects_v2()
        .bucket(&bucket)
        .max_keys(0)
        .send()
        .await
        .unwrap_or_else(|e| panic!("ListObjectsV2 max-keys 0: {}", describe_err(&e)));
    assert!(out.contents().is_empty(), "{out:#?}");
    assert_eq!(out.is_truncated(), Some(false));
}

pub(crate) const TREE: [&str; 8] = [
    "docs/x",
    "photos",
    "photos/2024/a.jpg",
    "photos/2024/b.jpg",
    "photos/2025/c.jpg",
    "photos/readme",
    "top",
    "tóp",
];

async fn list(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: Option<&str>,
    delimiter: Option<&str>,
    start_after: Option<&str>,
) -> (Vec<String>, Vec<String>) {
    let out = s3
        .list_objects_v2()
        .bucket(bucket)
        .set_prefix(prefix.map(str::to_owned))
        .set_delimiter(delimiter.map(str::to_owned))
        .set_start_after(start_after.map(str::to_owned))
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "ListObjectsV2 prefix {prefix:?} delimiter {delimiter:?} start-after {start_after:?}: {}",
                describe_err(&e)
            )
        });
    assert_eq!(
        out.key_count(),
        Some((out.contents().len() + out.common_prefixes().len()) as i32),
        "KeyCount counts keys and prefixes: {out:#?}"
    );
    (keys_of(&out), prefixes_of(&out))
}

/// Prefix, delimiter (CommonPrefixes), both, StartAfter, and a delimiter walk page by page.
pub(crate) async fn prefix_and_delimiter(t: &Target<'_>) {
    let s3 = t.client();
    let bucket = t.fresh_bucket("tree").await;
    let tree: Vec<String> = TREE.iter().map(|k| k.to_string()).collect();
    put_keys(&s3, &bucket, &tree).await;
    let v = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    assert_eq!(
        list(&s3, &bucket, Some("photos/"), None, None).await,
        (
            v(&[
                "photos/2024/a.jpg",
                "photos/2024/b.jpg",
                "photos/2025/c.jpg",
                "photos/readme"
            ]),
            v(&[])
        )
    );
    assert_eq!(
        list(&s3, &bucket, None, Some("/"), None).await,
        (v(&["photos", "top", "tóp"]), v(&["docs/", "photos/"]))
    );
    assert_eq!(
        list(&s3, &bucket, Some("photos/"), Some("/"), None).await,
        (v(&["photos/readme"]), v(&["photos/2024/", "photos/2025/"]))
    );
    // A delimiter other than '/'.
    assert_eq!(
        list(&s3, &bucket, Some("photos/"), Some("."), None).await,
        (
            v(&["photos/readme"]),
            v(&["photos/2024/a.", "photos/2024/b.", "photos/2025/c."])
        )
    );
    // A prefix matching nothing.
    assert_eq!(
        list(&s3, &bucket, Some("nothing/"), Some("/"), None).await,
        (v(&[]), v(&[]))
    );
    // StartAfter is exclusive and need not be a key.
    assert_eq!(
        list(&s3, &bucket, None, None, Some("photos/2024/b.jpg")).await,
        (
            v(&["photos/2025/c.jpg", "photos/readme", "top", "tóp"]),
            v(&[])
        )
    );
    assert_eq!(
        list(&s3, &bucket, None, None, Some("photos/2024/c")).await,
        (
            v(&["photos/2025/c.jpg", "photos/readme", "top", "tóp"]),
            v(&[])
        )
    );
    // A StartAfter inside a rolled-up group skips the rest of that group.
    assert_eq!(
        list(
            &s3,
            &bucket,
            Some("photos/"),
            Some("/"),
            Some("photos/2024/a.jpg")
        )
        .await,
        (v(&["photos/readme"]), v(&["photos/2025/"]))
    );

    // MaxKeys 1 with a delimiter: each common prefix is one entry; the walk sees every entry
    // once, keys and prefixes interleaved in byte order.
    let mut walk = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..20 {
        let out = s3
            .list_objects_v2()
            .bucket(&bucket)
            .delimiter("/")
            .max_keys(1)
            .set_continuation_token(token.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("ListObjectsV2 delimiter walk: {}", describe_err(&e)));
        assert_eq!(out.key_count(), Some(1), "{out:#?}");
        walk.extend(keys_of(&out).into_iter().map(|k| format!("key {k}")));
        walk.extend(prefixes_of(&out).into_iter().map(|p| format!("prefix {p}")));
        token = out.next_continuation_token().map(str::to_owned);
        if token.is_none() {
            assert_eq!(out.is_truncated(), Some(false), "{out:#?}");
            break;
        }
    }
    assert_eq!(
        walk,
        [
            "prefix docs/",
            "key photos",
            "prefix photos/",
            "key top",
            "key tóp"
        ]
    );
}

/// ListObjects v1: Marker is echoed and exclusive; NextMarker only with a delimiter (the last
/// key or prefix of the page); without one, clients resume from the last key.
pub(crate) async fn list_v1(t: &Target<'_>) {
    let s3 = t.client();
    let bucket = t.fresh_bucket("listv1").await;
    let tree: Vec<String> = TREE.iter().map(|k| k.to_string()).collect();
    put_keys(&s3, &bucket, &tree).await;

    // With a delimiter, two entries a page.
    let mut marker: Option<String> = None;
    let mut walk = Vec::new();
    for _ in 0..10 {
        let out = s3
            .list_objects()
            .bucket(&bucket)
            .delimiter("/")
            .max_keys(2)
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("ListObjects v1: {}", describe_err(&e)));
        assert_eq!(out.marker().unwrap_or(""), marker.as_deref().unwrap_or(""));
        let mut page: Vec<String> = out
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_owned))
            .chain(
                out.common_prefixes()
                    .iter()
                    .filter_map(|p| p.prefix().map(str::to_owned)),
            )
            .collect();
        page.sort();
        if out.is_truncated() == Some(true) {
            let next = out.next_marker().unwrap_or_else(|| {
                panic!("a truncated v1 page with a delimiter has NextMarker: {out:#?}")
            });
            assert_eq!(Some(next), page.last().map(String::as_str), "{out:#?}");
            marker = Some(next.to_owned());
            walk.extend(page);
        } else {
            walk.extend(page);
            break;
        }
    }
    assert_eq!(walk, ["docs/", "photos", "photos/", "top", "tóp"]);

    // Without a delimiter: no NextMarker; resume from the last key.
    let mut marker: Option<String> = None;
    let mut all = Vec::new();
    for _ in 0..10 {
        let out = s3
            .list_objects()
            .bucket(&bucket)
            .max_keys(3)
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("ListObjects v1: {}", describe_err(&e)));
        assert_eq!(
            out.next_marker(),
            None,
            "NextMarker without a delimiter: {out:#?}"
        );
        let page: Vec<String> = out
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_owned))
            .collect();
        // v1 Contents always carry the owner.
        assert!(
            out.contents().iter().all(|o| o.owner().is_some()),
            "{out:#?}"
        );
        marker = page.last().cloned();
        all.extend(page);
        if out.is_truncated() != Some(true) {
            break;
        }
    }
    assert_eq!(all, TREE);
}

/// `encoding-type=url`: keys and prefixes come back percent-encoded (space as `%20`, never `+`;
/// `+` as `%2B`; UTF-8 bytes as `%XX`; `/` kept) and decode to exactly the stored keys.
pub(crate) async fn url_encoding(t: &Target<'_>) {
    let s3 = t.client();
    let bucket = t.fresh_bucket("urlenc").await;
    let keys: Vec<String> = ["a b/1", "a+b/2", "é/3", "plain/4", "x=y&z"]
        .iter()
        .map(|k| k.to_string())
        .collect();
    put_keys(&s3, &bucket, &keys).await;

    let out = s3
        .list_objects_v2()
        .bucket(&bucket)
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("ListObjectsV2 encoding-type=url: {}", describe_err(&e)));
    assert_eq!(out.encoding_type(), Some(&EncodingType::Url), "{out:#?}");
    let raw = keys_of(&out);
    assert!(raw.contains(&"a%20b/1".to_owned()), "{raw:?}");
    assert!(raw.contains(&"a%2Bb/2".to_owned()), "{raw:?}");
    assert!(raw.contains(&"%C3%A9/3".to_owned()), "{raw:?}");
    assert!(raw.contains(&"plain/4".to_owned()), "{raw:?}");
    let decoded: Vec<String> = raw.iter().map(|k| url_decode(k)).collect();
    let mut expected = keys.clone();
    expected.sort();
    assert_eq!(decoded, expected);

    // Common prefixes are encoded too.
    let out = s3
        .list_objects_v2()
        .bucket(&bucket)
        .delimiter("/")
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("ListObjectsV2 url + delimiter: {}", describe_err(&e)));
    assert_eq!(
        prefixes_of(&out),
        // In the order of the stored (decoded) bytes: "é" (0xC3 0xA9) after "plain/".
        ["a%20b/", "a%2Bb/", "plain/", "%C3%A9/"]
    );
    assert_eq!(keys_of(&out), ["x%3Dy%26z"]);
}
