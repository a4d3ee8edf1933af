//! Single objects: round trips, metadata, digests, ranges, conditional writes, body errors, keys.

use super::*;
use mrap_storage::{Checksum, ChecksumAlgorithm, ChecksumType, Error, RangeRequest};

pub async fn round_trip(s: &dyn RegionStore) {
    s.create_bucket("b").await.unwrap();
    let info = put(s, "b", "dir/hello.txt", b"hello world").await;
    assert_eq!(info.key, "dir/hello.txt");
    assert_eq!(info.size, 11);
    assert_eq!(info.etag, md5_hex(b"hello world"));
    assert_eq!(info.parts_count, None);
    assert_eq!(s.head_object("b", "dir/hello.txt").await.unwrap(), info);
    let out = s.get_object("b", "dir/hello.txt", None).await.unwrap();
    assert_eq!(out.info, info);
    assert_eq!(out.range, None);
    assert_eq!(read_all(out).await, b"hello world");

    // overwrite replaces the bytes
    let again = put(s, "b", "dir/hello.txt", b"bye").await;
    assert_eq!(again.etag, md5_hex(b"bye"));
    assert_eq!(get(s, "b", "dir/hello.txt").await, b"bye");

    // an empty object
    let empty = put(s, "b", "empty", b"").await;
    assert_eq!(
        (empty.size, empty.etag.as_str()),
        (0, "d41d8cd98f00b204e9800998ecf8427e")
    );
    assert_eq!(get(s, "b", "empty").await, b"");

    s.delete_object("b", "dir/hello.txt").await.unwrap();
    assert!(matches!(
        s.head_object("b", "dir/hello.txt").await,
        Err(Error::NoSuchKey)
    ));
    assert!(matches!(
        s.get_object("b", "dir/hello.txt", None).await,
        Err(Error::NoSuchKey)
    ));
    // deleting what is absent is fine
    s.delete_object("b", "dir/hello.txt").await.unwrap();
    s.delete_object("b", "never").await.unwrap();

    // a missing bucket
    assert!(matches!(
        s.head_object("nope", "k").await,
        Err(Error::NoSuchBucket)
    ));
    assert!(matches!(
        s.get_object("nope", "k", None).await,
        Err(Error::NoSuchBucket)
    ));
    assert!(matches!(
        s.delete_object("nope", "k").await,
        Err(Error::NoSuchBucket)
    ));
    assert!(matches!(
        s.list_objects("nope", &params("", None, None, 10)).await,
        Err(Error::NoSuchBucket)
    ));
    assert!(matches!(
        s.stage("nope", body(vec![b"x".to_vec()]), Wanted::default(), MAX)
            .await,
        Err(Error::NoSuchBucket)
    ));
}

pub async fn metadata_and_tags(s: &dyn RegionStore) {
    s.create_bucket("b").await.unwrap();
    let meta = ObjectMeta {
        content_type: Some("text/plain; charset=utf-8".into()),
        content_encoding: Some("gzip".into()),
        content_disposition: Some("attachment; filename=\"a b.txt\"".into()),
        content_language: Some("fr-CA".into()),
        cache_control: Some("max-age=60".into()),
        expires: Some("Wed, 21 Oct 2015 07:28:00 GMT".into()),
        user: vec![
            ("zeta".into(), "last?".into()),
            ("alpha".into(), "ünïcode ✓".into()),
            ("dup".into(), "".into()),
        ],
        tags: vec![("k1".into(), "v1".into())],
    };
    let info = put_with(s, "b", "k", b"data", meta.clone()).await;
    assert_eq!(info.meta, meta);
    assert_eq!(s.head_object("b", "k").await.unwrap().meta, meta);

    let tags = vec![("b".to_string(), "2".to_string()), ("a".into(), "1".into())];
    s.set_tags("b", "k", tags.clone()).await.unwrap();
    let head = s.head_object("b", "k").await.unwrap();
    assert_eq!(head.meta.tags, tags);
    assert_eq!(head.meta.user, meta.user, "tagging leaves the rest alone");
    assert_eq!(head.etag, info.etag);
    assert!(matches!(
        s.set_tags("b", "absent", vec![]).await,
        Err(Error::NoSuchKey)
    ));

    // an overwrite replaces all metadata
    let plain = put(s, "b", "k", b"data").await;
    assert_eq!(plain.meta, ObjectMeta::default());
    assert_eq!(
        s.head_object("b", "k").await.unwrap().meta,
        ObjectMeta::default()
    );
}

pub async fn digests_while_staging(s: &dyn RegionStore) {
    s.create_bucket("b").await.unwrap();
    let check = [
        (ChecksumAlgorithm::Crc32, "cbf43926"),
        (ChecksumAlgorithm::Crc32c, "e3069283"),
        (ChecksumAlgorithm::Crc64Nvme, "ae8b14860a799888"),
        (
            ChecksumAlgorithm::Sha1,
            "f7c3bc1d808e04732adf679965ccc34ca7ae3441",
        ),
        (
            ChecksumAlgorithm::Sha256,
            "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225",
        ),
    ];
    for (algorithm, hex_value) in check {
        // one byte per chunk: digests must not depend on chunking
        let chunks = b"123456789".iter().map(|b| vec![*b]).collect();
        let wanted = Wanted {
            sha256: true,
            checksum: Some(algorithm),
        };
        let staged = s.stage("b", body(chunks), wanted, MAX).await.unwrap();
        let d = staged.digests();
        assert_eq!(d.size, 9);
        assert_eq!(hex::encode(d.md5), "25f9e794323b453885f5181f1b624d0b");
        assert_eq!(
            d.sha256.map(hex::encode).as_deref(),
            Some("15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225")
        );
        let c = d.checksum.clone().unwrap();
        assert_eq!(
            (c.algorithm, hex::encode(&c.value)),
            (algorithm, hex_value.to_string())
        );
        assert_eq!((c.kind, c.parts), (ChecksumType::FullObject, None));
        // the checksum is stored with the object
        let info = s
            .put_object(
                "b",
                "k",
                staged,
                ObjectMeta::default(),
                WriteCondition::Always,
            )
            .await
            .unwrap();
        assert_eq!(info.checksum.as_ref(), Some(&c));
        assert_eq!(s.head_object("b", "k").await.unwrap().checksum, Some(c));
    }
    // nothing asked, nothing computed
    let staged = stage(s, "b", b"123456789", Wanted::default()).await;
    assert!(staged.digests().sha256.is_none() && staged.digests().checksum.is_none());
    let info = s
        .put_object(
            "b",
            "k",
            staged,
            ObjectMeta::default(),
            WriteCondition::Always,
        )
        .await
        .unwrap();
    assert_eq!(info.checksum, None);
    // the documented header value of CRC32("hello world")
    let staged = stage(
        s,
        "b",
        b"hello world",
        Wanted {
            sha256: false,
            checksum: Some(ChecksumAlgorithm::Crc32),
        },
    )
    .await;
    let c: &Checksum = staged.digests().checksum.as_ref().unwrap();
    assert_eq!(c.to_header_value(), "DUoRhQ==");
}

pub async fn ranges(s: &dyn RegionStore) {
    s.create_bucket("b").await.unwrap();
    put(s, "b", "ten", b"0123456789").await;
    put(s, "b", "zero", b"").await;
    let from = |first, last| RangeRequest::From { first, last };
    let ok = [
        (from(0, Some(8)), (0, 8)),
        (from(1, Some(1)), (1, 1)),
        (from(1, None), (1, 9)),
        (from(0, Some(100)), (0, 9)),
        (RangeRequest::Suffix(2), (8, 9)),
        (RangeRequest::Suffix(15), (0, 9)),
    ];
    for (range, (first, last)) in ok {
        let out = s.get_object("b", "ten", Some(range)).await.unwrap();
        assert_eq!(out.range, Some((first, last)), "{range:?}");
        assert_eq!(out.info.size, 10);
        let want = &b"0123456789"[first as usize..=last as usize];
        assert_eq!(read_all(out).await, want, "{range:?}");
    }
    for range in [
        from(10, None),
        from(100, Some(200)),
        RangeRequest::Suffix(0),
    ] {
        assert!(
            matches!(
                s.get_object("b", "ten", Some(range)).await,
                Err(Error::InvalidRange { size: 10 })
            ),
            "{range:?}"
        );
    }
    for range in [from(0, None), from(0, Some(0)), RangeRequest::Suffix(1)] {
        assert!(
            matches!(
                s.get_object("b", "zero", Some(range)).await,
                Err(Error::InvalidRange { size: 0 })
            ),
            "{range:?}"
        );
    }
    // a range on a missing key is still NoSuchKey
    assert!(matches!(
        s.get_object("b", "none", Some(from(0, None))).await,
        Err(Error::NoSuchKey)
    ));
}

pub async fn conditional_writes(s: &dyn RegionStore) {
    s.create_bucket("b").await.unwrap();
    let put_if = |key: &'static str, data: &'static [u8], cond: WriteCondition| async move {
        let staged = stage(s, "b", data, Wanted::default()).await;
        s.put_object("b", key, staged, ObjectMeta::default(), cond)
            .await
    };
    // If-None-Match: *
    put_if("k", b"one", WriteCondition::IfNoneMatchAny)
        .await
        .unwrap();
    assert!(matches!(
        put_if("k", b"two", WriteCondition::IfNoneMatchAny).await,
        Err(Error::PreconditionFailed)
    ));
    assert_eq!(get(s, "b", "k").await, b"one");
    // If-Match
    assert!(matches!(
        put_if("absent", b"x", WriteCondition::IfMatch(md5_hex(b"x"))).await,
        Err(Error::NoSuchKey)
    ));
    assert!(matches!(
        put_if("k", b"two", WriteCondition::IfMatch(md5_hex(b"other"))).await,
        Err(Error::PreconditionFailed)
    ));
    assert_eq!(get(s, "b", "k").await, b"one");
    let info = put_if("k", b"two", WriteCondition::IfMatch(md5_hex(b"one")))
        .await
        .unwrap();
    assert_eq!(info.etag, md5_hex(b"two"));
    assert_eq!(get(s, "b", "k").await, b"two");

    // racing creators with If-None-Match: * : exactly one wins
    let attempts = (0..8).map(|i| async move {
        let data = format!("writer {i}");
        let staged = stage(s, "b", data.as_bytes(), Wanted::default()).await;
        s.put_object(
            "b",
            "race",
            staged,
            ObjectMeta::default(),
            WriteCondition::IfNoneMatchAny,
        )
        .await
    });
    let results = futures::future::join_all(attempts).await;
    let won: Vec<_> = results.iter().filter(|r| r.is_ok()).collect();
    assert_eq!(won.len(), 1);
    assert!(
        results
            .iter()
            .all(|r| r.is_ok() || matches!(r, Err(Error::PreconditionFailed)))
    );
}

/// The gateway's own error type travelling inside the body stream's io::Error.
#[derive(Debug)]
pub struct ChunkSignatureMismatch;

impl std::fmt::Display for ChunkSignatureMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("chunk signature mismatch")
    }
}

impl std::error::Error for ChunkSignatureMismatch {}

pub async fn body_errors(s: &dyn RegionStore) {
    s.create_bucket("b").await.unwrap();
    let failing: ByteStream = futures::stream::iter(vec![
        Ok(Bytes::from_static(b"some bytes")),
        Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            ChunkSignatureMismatch,
        )),
        Ok(Bytes::from_static(b"never read")),
    ])
    .boxed();
    match s.stage("b", failing, Wanted::default(), MAX).await {
        Err(Error::Body(e)) => {
            assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
            let inner = e.into_inner().unwrap();
            assert!(inner.downcast_ref::<ChunkSignatureMismatch>().is_some());
        }
        other => panic!("expected Error::Body, got {other:?}"),
    }
    // max_size is inclusive
    let exact = s
        .stage("b", body(vec![vec![0; 10]]), Wanted::default(), 10)
        .await
        .unwrap();
    assert_eq!(exact.digests().size, 10);
    assert!(matches!(
        s.stage(
            "b",
            body(vec![vec![0; 6], vec![0; 5]]),
            Wanted::default(),
            10
        )
        .await,
        Err(Error::EntityTooLarge { max: 10 })
    ));
    // a staged body that is dropped never becomes visible
    drop(stage(s, "b", b"dropped", Wanted::default()).await);
    assert!(s.bucket_is_empty("b").await.unwrap());
}

/// 64 MiB streamed in and out in 1 MiB chunks that are generated and checked on the fly:
/// nothing here holds the object, so the store must not either.
pub async fn large_object_streams(s: &dyn RegionStore) {
    use md5::Digest as _;
    const MIB: usize = 1024 * 1024;
    const N: usize = 64;
    s.create_bucket("b").await.unwrap();
    let chunk = |i: usize| Bytes::from(vec![(i % 251) as u8; MIB]);
    let mut want = md5::Md5::new();
    for i in 0..N {
        want.update(chunk(i));
    }
    let want = hex::encode(want.finalize());
    let source = futures::stream::iter(0..N)
        .map(move |i| Ok(chunk(i)))
        .boxed();
    let staged = s.stage("b", source, Wanted::default(), MAX).await.unwrap();
    let info = s
        .put_object(
            "b",
            "big",
            staged,
            ObjectMeta::default(),
            WriteCondition::Always,
        )
        .await
        .unwrap();
    assert_eq!(
        (info.size, info.etag.as_str()),
        ((N * MIB) as u64, want.as_str())
    );
    let mut body = s.get_object("b", "big", None).await.unwrap().body;
    let mut got = md5::Md5::new();
    let (mut size, mut largest) = (0, 0);
    while let Some(c) = body.next().await {
        let c = c.unwrap();
        size += c.len();
        largest = largest.max(c.len());
        got.update(&c);
    }
    assert_eq!(size, N * MIB);
    assert!(
        largest <= 4 * MIB,
        "the body comes in bounded chunks, got one of {largest}"
    );
    assert_eq!(hex::encode(got.finalize()), want);
    // a range deep inside
    let out = s
        .get_object(
            "b",
            "big",
            Some(RangeRequest::From {
                first: (10 * MIB) as u64,
                last: Some((10 * MIB + 2) as u64),
            }),
        )
        .await
        .unwrap();
    assert_eq!(read_all(out).await, vec![10u8; 3]);
}

/// Keys that would be dangerous as paths or that differ only in ways a filesystem might fold.
pub fn hostile_key_set() -> Vec<String> {
    let mut keys: Vec<String> = [
        "../x",
        "../../etc/passwd",
        "/abs",
        "//double",
        "a//b",
        ".",
        "..",
        "./.",
        "a/../b",
        "nul\0byte",
        "\0",
        "tab\there",
        "new\nline",
        "\u{1}\u{1f}\u{7f}",
        "back\\slash",
        "C:\\win",
        "%2F",
        "file%2Fname",
        "test%123",
        "a/%F0%9F%98%80/",
        "test key//",
        " ",
        "\"",
        "%",
        "&",
        "<",
        "_ _",
        "Straße",
        "STRASSE",
        "strasse",
        "e\u{301}",
        "\u{e9}",
        "🙂",
        "trailing/",
        "CON",
        "aux.txt",
        "\u{202e}rtl",
        "\u{feff}bom",
        "x".repeat(1024).as_str(),
        "y/".repeat(512).as_str(),
    ]
    .into_iter()
    .map(String::from)
    .collect();
    keys.push("é".repeat(512)); // 1024 bytes of two-byte characters
    keys
}

pub async fn hostile_keys(s: &dyn RegionStore) {
    s.create_bucket("one").await.unwrap();
    s.create_bucket("two").await.unwrap();
    let keys = hostile_key_set();
    for k in &keys {
        put(s, "one", k, k.as_bytes()).await;
    }
    // the second bucket holds every other key, with different contents
    for k in keys.iter().step_by(2) {
        put(s, "two", k, b"two").await;
    }
    for k in &keys {
        assert_eq!(get(s, "one", k).await, k.as_bytes(), "{k:?}");
        assert_eq!(s.head_object("one", k).await.unwrap().key, *k);
    }
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(list_all(s, "one", "", None, 1000).await, sorted);
    assert_eq!(list_all(s, "one", "", None, 3).await, sorted);
    let mut second: Vec<String> = keys.iter().step_by(2).cloned().collect();
    second.sort();
    assert_eq!(list_all(s, "two", "", None, 1000).await, second);
    // prefixes are bytes too
    assert_eq!(
        list_all(s, "one", "..", None, 1000).await,
        vec!["..", "../../etc/passwd", "../x"]
    );
    assert_eq!(
        list_all(s, "one", "nul\0", None, 1000).await,
        vec!["nul\0byte"]
    );
    assert_eq!(list_all(s, "one", "e", None, 1000).await, vec!["e\u{301}"]);
    // deleting one spelling leaves the look-alikes
    s.delete_object("one", "Straße").await.unwrap();
    s.delete_object("one", "\u{e9}").await.unwrap();
    for k in ["STRASSE", "strasse", "e\u{301}"] {
        assert_eq!(get(s, "one", k).await, k.as_bytes());
    }
    assert!(matches!(
        s.head_object("one", "Straße").await,
        Err(Error::NoSuchKey)
    ));
    assert_eq!(get(s, "two", "../x").await, b"two");
}
