//! Keys are bytes, not paths: `../escape`, a leading slash, `a//b`, a literal `%2F`, spaces,
//! case and Unicode-normalisation twins, emoji, XML metacharacters and a 1024-byte key each stay
//! in their bucket, read back their own bytes, list byte-exactly and delete through the XML of
//! DeleteObjects; 1025 bytes is KeyTooLongError; a NUL byte is either stored faithfully or
//! refused with a 4xx, never a server error.

use aws_sdk_s3::{primitives::ByteStream, types::EncodingType};

use crate::{
    common::{objects::*, *},
    objects_basic::local_object_tests,
};

local_object_tests! {
    hostile_keys_path_style: hostile_keys, Style::Path;
    hostile_keys_virtual_host: hostile_keys, Style::VirtualHost;
    key_length_and_nul_byte: key_limits, Style::Path;
}

fn hostile() -> Vec<String> {
    let mut keys: Vec<String> = [
        "../escape",
        "../../etc/passwd",
        "/leading-slash",
        "//double-leading",
        "a//b",
        "a/./b",
        "a/../b",
        "..",
        ".",
        "trailing/",
        "%2F",
        "%2e%2e/x",
        "key with spaces",
        "plus+sign",
        "Key",
        "key",
        "KEY",
        "\u{e9}",   // é, NFC
        "e\u{301}", // é, NFD: another key
        "emoji-😀/🎉",
        "amp&lt<gt>\"quote'apos",
        "question?mark#hash",
        "back\\slash",
        "tab\there",
        "cr\rlf\n",
    ]
    .iter()
    .map(|k| k.to_string())
    .collect();
    // 1024 bytes, the most S3 allows: 512 two-byte characters.
    keys.push("é".repeat(512));
    keys
}

/// The body each key is stored with: its own bytes, tagged.
fn body_for(key: &str) -> Vec<u8> {
    format!("body of {key:?}").into_bytes()
}

pub(crate) async fn hostile_keys(t: &Target<'_>) {
    let s3 = t.client();
    let bucket = t.fresh_bucket("hostile").await;
    // A neighbour that `../` could reach if keys were treated as paths.
    let neighbour = t.fresh_bucket("neighbour").await;
    let keys = hostile();
    assert_eq!(keys.last().map(String::len), Some(1024));

    for key in &keys {
        s3.put_object()
            .bucket(&bucket)
            .key(key)
            .body(ByteStream::from(body_for(key)))
            .send()
            .await
            .unwrap_or_else(|e| panic!("PutObject {key:?}: {}", describe_err(&e)));
    }
    for key in &keys {
        let out = s3
            .get_object()
            .bucket(&bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GetObject {key:?}: {}", describe_err(&e)));
        assert_eq!(collect(out.body).await, body_for(key), "GetObject {key:?}");
        s3.head_object()
            .bucket(&bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("HeadObject {key:?}: {}", describe_err(&e)));
    }

    // The listing is exactly the set, byte-exact, in byte order. (`url` encoding because XML
    // cannot carry every key byte-exactly — CR is normalised by XML parsers.)
    let mut expected = keys.clone();
    expected.sort();
    let out = s3
        .list_objects_v2()
        .bucket(&bucket)
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("ListObjectsV2: {}", describe_err(&e)));
    let listed: Vec<String> = out
        .contents()
        .iter()
        .map(|o| url_decode(o.key().unwrap_or_default()))
        .collect();
    assert_eq!(listed, expected);
    // Without encoding, the keys without control characters come back byte-exact too.
    let out = s3
        .list_objects_v2()
        .bucket(&bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("ListObjectsV2 without encoding: {}", describe_err(&e)));
    let plain: Vec<&str> = out
        .contents()
        .iter()
        .filter_map(|o| o.key())
        .filter(|k| !k.contains(['\r', '\n', '\t']))
        .collect();
    let expected_plain: Vec<&str> = expected
        .iter()
        .map(String::as_str)
        .filter(|k| !k.contains(['\r', '\n', '\t']))
        .collect();
    assert_eq!(plain, expected_plain);

    // Nothing escaped into the neighbour bucket, and the neighbour's namespace is its own.
    let out = s3
        .list_objects_v2()
        .bucket(&neighbour)
        .send()
        .await
        .unwrap_or_else(|e| panic!("ListObjectsV2 neighbour: {}", describe_err(&e)));
    assert!(out.contents().is_empty(), "{out:#?}");
    let r = s3
        .get_object()
        .bucket(&neighbour)
        .key("../escape")
        .send()
        .await;
    expect_error(r, "NoSuchKey", 404);
    let r = s3
        .get_object()
        .bucket(&neighbour)
        .key("escape")
        .send()
        .await;
    expect_error(r, "NoSuchKey", 404);

    // DeleteObjects carries the keys in XML: every one of them is deleted by name.
    let ids = keys
        .iter()
        .map(|k| {
            aws_sdk_s3::types::ObjectIdentifier::builder()
                .key(k)
                .build()
                .expect("key is set")
        })
        .collect();
    let out = s3
        .delete_objects()
        .bucket(&bucket)
        .delete(
            aws_sdk_s3::types::Delete::builder()
                .set_objects(Some(ids))
                .build()
                .expect("objects are set"),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("DeleteObjects of the hostile keys: {}", describe_err(&e)));
    assert!(out.errors().is_empty(), "{out:#?}");
    assert_eq!(out.deleted().len(), keys.len(), "{out:#?}");
    let out = s3
        .list_objects_v2()
        .bucket(&bucket)
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("ListObjectsV2 after delete: {}", describe_err(&e)));
    assert!(out.contents().is_empty(), "left behind: {out:#?}");
}

/// 1025 bytes → 400 KeyTooLongError. A key with a NUL byte: S3's documentation allows any
/// UTF-8 and does not say what it does with NUL; either it is stored faithfully (read back,
/// listed as `%00` with url encoding, deletable) or refused with a 400 — never a 5xx.
pub(crate) async fn key_limits(t: &Target<'_>) {
    let s3 = t.client();
    let bucket = t.fresh_bucket("keylimits").await;

    let too_long = format!("{}x", "é".repeat(512));
    assert_eq!(too_long.len(), 1025);
    let r = s3
        .put_object()
        .bucket(&bucket)
        .key(&too_long)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    expect_error(r, "KeyTooLongError", 400);
    let r = s3
        .create_multipart_upload()
        .bucket(&bucket)
        .key(&too_long)
        .send()
        .await;
    expect_error(r, "KeyTooLongError", 400);

    let nul = "nul\0byte";
    let r = s3
        .put_object()
        .bucket(&bucket)
        .key(nul)
        .body(ByteStream::from_static(b"nul"))
        .send()
        .await;
    let out = s3
        .list_objects_v2()
        .bucket(&bucket)
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("ListObjectsV2: {}", describe_err(&e)));
    let listed: Vec<&str> = out.contents().iter().filter_map(|o| o.key()).collect();
    match r {
        Ok(_) => {
            let got = s3
                .get_object()
                .bucket(&bucket)
                .key(nul)
                .send()
                .await
                .unwrap_or_else(|e| panic!("GetObject of the NUL key: {}", describe_err(&e)));
            assert_eq!(collect(got.body).await, b"nul");
            assert_eq!(listed, ["nul%00byte"]);
            // A key that differs only by what follows the NUL is another key.
            let r = s3.get_object().bucket(&bucket).key("nul").send().await;
            expect_error(r, "NoSuchKey", 404);
            s3.delete_object()
                .bucket(&bucket)
                .key(nul)
                .send()
                .await
                .unwrap_or_else(|e| panic!("DeleteObject of the NUL key: {}", describe_err(&e)));
        }
        Err(e) => {
            let status = status_of(&e);
            assert!(
                status.is_some_and(|s| (400..500).contains(&s)),
                "a NUL key must be stored or refused with a 4xx: {}",
                describe_err(&e)
            );
            assert!(listed.is_empty(), "refused, yet listed: {listed:?}");
        }
    }
}
