//! The object API's single-object core through aws-sdk-s3, path style and virtual-host style:
//! Put/Get/Head/Delete with ETags and stored headers, missing keys and buckets, ranges,
//! conditional reads, DeleteObjects, BucketNotEmpty, the 5 GiB single-PUT limit, and who may
//! touch another account's objects.
//!
//! Each family is a function of a [`Target`] (stack + Region + style) so that every storage
//! backend runs the same checks (`objects_backends.rs`); the tests here run them against a
//! Region kept on the local backend.

use aws_sdk_s3::{
    primitives::{ByteStream, DateTime},
    types::{Delete, ObjectIdentifier},
};

use crate::common::{
    objects::*,
    raw::{self, Signer},
    *,
};

/// A Region on the local (embedded) backend in the default Regions file; not us-east-1, so
/// buckets carry a LocationConstraint and clients sign for a Region of their own.
pub(crate) const LOCAL_REGION: &str = "eu-west-1";

/// Starts a stack and runs `family` against [`LOCAL_REGION`] in `style`.
macro_rules! local_object_tests {
    ($($name:ident: $family:path, $style:expr;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() -> TestResult {
            let stack = Stack::start().await?;
            $family(&Target::new(&stack, crate::objects_basic::LOCAL_REGION, $style)).await;
            stack.stop().await?;
            Ok(())
        }
    )*};
}
pub(crate) use local_object_tests;

local_object_tests! {
    put_get_head_delete_path_style: round_trip, Style::Path;
    put_get_head_delete_virtual_host: round_trip, Style::VirtualHost;
    ranges_path_style: ranges, Style::Path;
    ranges_virtual_host: ranges, Style::VirtualHost;
    conditional_get_and_head: conditional_reads, Style::Path;
    delete_objects_quiet_and_verbose_path_style: delete_objects, Style::Path;
    delete_objects_quiet_and_verbose_virtual_host: delete_objects, Style::VirtualHost;
    delete_bucket_refuses_until_empty: bucket_not_empty, Style::Path;
    other_account_needs_a_bucket_policy_path_style: other_account, Style::Path;
    other_account_needs_a_bucket_policy_virtual_host: other_account, Style::VirtualHost;
}

async fn put(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, data: &[u8]) -> String {
    let out = s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(data.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutObject {bucket}/{key}: {}", describe_err(&e)));
    out.e_tag()
        .unwrap_or_else(|| panic!("PutObject {bucket}/{key}: no ETag"))
        .to_owned()
}

async fn get_bytes(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetObject {bucket}/{key}: {}", describe_err(&e)));
    collect(out.body).await
}

async fn keys_of(s3: &aws_sdk_s3::Client, bucket: &str) -> Vec<String> {
    let out = s3
        .list_objects_v2()
        .bucket(bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("ListObjectsV2 {bucket}: {}", describe_err(&e)));
    out.contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect()
}

/// Put → Head → Get → overwrite → Delete, with every stored header, and the 404s.
pub(crate) async fn round_trip(t: &Target<'_>) {
    let s3 = t.client();
    let bucket = t.fresh_bucket("basic").await;
    let data = Prng::bytes(1, 70_000);

    let first = s3
        .put_object()
        .bucket(&bucket)
        .key("dir/object.bin")
        .body(ByteStream::from(data.clone()))
        .content_type("application/x-test")
        .content_encoding("identity")
        .cache_control("max-age=60")
        .content_disposition("attachment; filename=\"object.bin\"")
        .metadata("color", "blue")
        // Names are stored lower-case.
        .metadata("Mixed-Case", "Value With Spaces")
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutObject: {}", describe_err(&e)));
    // Single-part ETag: the quoted hex MD5 of the bytes.
    assert_eq!(first.e_tag(), Some(etag_of(&data).as_str()), "{first:#?}");

    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("dir/object.bin")
        .send()
        .await
        .unwrap_or_else(|e| panic!("HeadObject: {}", describe_err(&e)));
    assert_eq!(head.content_length(), Some(data.len() as i64), "{head:#?}");
    assert_eq!(head.e_tag(), Some(etag_of(&data).as_str()));
    assert_eq!(head.content_type(), Some("application/x-test"));
    assert_eq!(head.content_encoding(), Some("identity"));
    assert_eq!(head.cache_control(), Some("max-age=60"));
    assert_eq!(
        head.content_disposition(),
        Some("attachment; filename=\"object.bin\"")
    );
    let meta = head.metadata().cloned().unwrap_or_default();
    assert_eq!(
        meta.get("color").map(String::as_str),
        Some("blue"),
        "{meta:?}"
    );
    assert_eq!(
        meta.get("mixed-case").map(String::as_str),
        Some("Value With Spaces"),
        "{meta:?}"
    );
    assert_eq!(meta.len(), 2, "only the metadata that was put: {meta:?}");
    assert!(head.last_modified().is_some(), "{head:#?}");

    let get = s3
        .get_object()
        .bucket(&bucket)
        .key("dir/object.bin")
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetObject: {}", describe_err(&e)));
    assert_eq!(get.e_tag(), Some(etag_of(&data).as_str()));
    assert_eq!(get.content_length(), Some(data.len() as i64));
    assert_eq!(get.content_type(), Some("application/x-test"));
    assert_eq!(get.cache_control(), Some("max-age=60"));
    assert_eq!(
        get.metadata()
            .and_then(|m| m.get("color"))
            .map(String::as_str),
        Some("blue")
    );
    assert_eq!(get.accept_ranges(), Some("bytes"));
    assert!(
        collect(get.body).await == data,
        "GetObject returned other bytes"
    );

    // An overwrite replaces the data and every stored header.
    let data2 = b"second version".to_vec();
    let etag2 = put(&s3, &bucket, "dir/object.bin", &data2).await;
    assert_eq!(etag2, etag_of(&data2));
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("dir/object.bin")
        .send()
        .await
        .unwrap_or_else(|e| panic!("HeadObject after overwrite: {}", describe_err(&e)));
    assert_eq!(head.content_length(), Some(data2.len() as i64));
    assert!(
        head.metadata().is_none_or(|m| m.is_empty()),
        "old metadata survived an overwrite: {head:#?}"
    );
    assert_eq!(head.cache_control(), None, "{head:#?}");
    assert_eq!(get_bytes(&s3, &bucket, "dir/object.bin").await, data2);

    // A zero-byte object.
    let etag0 = put(&s3, &bucket, "empty", b"").await;
    assert_eq!(etag0, "\"d41d8cd98f00b204e9800998ecf8427e\"");
    let head = s3.head_object().bucket(&bucket).key("empty").send().await;
    let head = head.unwrap_or_else(|e| panic!("HeadObject empty: {}", describe_err(&e)));
    assert_eq!(head.content_length(), Some(0));
    assert!(get_bytes(&s3, &bucket, "empty").await.is_empty());

    // Delete, then the key is gone for GET (NoSuchKey document) and HEAD (bodiless 404).
    s3.delete_object()
        .bucket(&bucket)
        .key("dir/object.bin")
        .send()
        .await
        .unwrap_or_else(|e| panic!("DeleteObject: {}", describe_err(&e)));
    let r = s3
        .get_object()
        .bucket(&bucket)
        .key("dir/object.bin")
        .send()
        .await;
    expect_error(r, "NoSuchKey", 404);
    let r = s3
        .head_object()
        .bucket(&bucket)
        .key("dir/object.bin")
        .send()
        .await;
    match r {
        Ok(v) => panic!("HeadObject of a deleted key succeeded: {v:?}"),
        Err(e) => {
            assert_eq!(status_of(&e), Some(404), "{}", describe_err(&e));
            // No body, so the SDK can only call it NotFound.
            assert!(
                e.as_service_error().is_some_and(|s| s.is_not_found()),
                "{e:?}"
            );
        }
    }
    // Deleting a missing key succeeds (204), as in S3.
    s3.delete_object()
        .bucket(&bucket)
        .key("never-existed")
        .send()
        .await
        .unwrap_or_else(|e| panic!("DeleteObject of a missing key: {}", describe_err(&e)));
    assert_eq!(keys_of(&s3, &bucket).await, vec!["empty".to_owned()]);

    // No such bucket, for reads and writes.
    let missing = unique_bucket_name("missing");
    let r = s3.get_object().bucket(&missing).key("k").send().await;
    expect_error(r, "NoSuchBucket", 404);
    let r = s3
        .put_object()
        .bucket(&missing)
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    expect_error(r, "NoSuchBucket", 404);
    let r = s3.head_object().bucket(&missing).key("k").send().await;
    expect_status(r, 404);
}

async fn ranged(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    range: &str,
) -> (Option<String>, Option<i64>, Vec<u8>) {
    let out = s3
        .get_object()
        .bucket(bucket)
        .key("alphabet")
        .range(range)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetObject Range {range}: {}", describe_err(&e)));
    let content_range = out.content_range().map(str::to_owned);
    let length = out.content_length();
    (content_range, length, collect(out.body).await)
}

/// `Range`: first bytes, open end, suffix, clamped end → 206 + Content-Range; past the end → 416.
pub(crate) async fn ranges(t: &Target<'_>) {
    let s3 = t.client();
    let bucket = t.fresh_bucket("ranges").await;
    let data = b"abcdefghijklmnopqrstuvwxyz";
    put(&s3, &bucket, "alphabet", data).await;

    for (range, content_range, bytes) in [
        ("bytes=0-9", "bytes 0-9/26", &data[0..10]),
        ("bytes=5-", "bytes 5-25/26", &data[5..]),
        ("bytes=-3", "bytes 23-25/26", &data[23..]),
        ("bytes=25-25", "bytes 25-25/26", &data[25..]),
        // An end past the object is clamped.
        ("bytes=20-100", "bytes 20-25/26", &data[20..]),
    ] {
        let (got_range, length, body) = ranged(&s3, &bucket, range).await;
        assert_eq!(got_range.as_deref(), Some(content_range), "{range}");
        assert_eq!(length, Some(bytes.len() as i64), "{range}");
        assert_eq!(body, bytes, "{range}");
    }

    // The SDK gives no access to the 206 itself; the raw client does.
    let path = format!("/{bucket}/alphabet");
    let r = raw::s3_request(
        t.stack,
        t.region,
        "GET",
        &path,
        "",
        &[("range", "bytes=0-9")],
        b"",
        Some(Signer::now(ACCESS_KEY, SECRET_KEY)),
    )
    .await;
    assert_eq!(r.status, 206, "{r:#?}");
    assert_eq!(r.body, "abcdefghij");

    // Unsatisfiable: a start at or past the end.
    for range in ["bytes=26-30", "bytes=100-200"] {
        let r = s3
            .get_object()
            .bucket(&bucket)
            .key("alphabet")
            .range(range)
            .send()
            .await;
        expect_error(r, "InvalidRange", 416);
    }
    // A missing key is still a 404 first.
    let r = s3
        .get_object()
        .bucket(&bucket)
        .key("nothing")
        .range("bytes=0-1")
        .send()
        .await;
    expect_error(r, "NoSuchKey", 404);
}

/// If-Match / If-None-Match / If-Modified-Since / If-Unmodified-Since on GET and HEAD.
pub(crate) async fn conditional_reads(t: &Target<'_>) {
    let s3 = t.client();
    let bucket = t.fresh_bucket("cond").await;
    let etag = put(&s3, &bucket, "k", b"conditional").await;
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("k")
        .send()
        .await
        .unwrap_or_else(|e| panic!("HeadObject: {}", describe_err(&e)));
    let modified = *head.last_modified().expect("Last-Modified");
    let hour_before = DateTime::from_secs(modified.secs() - 3600);
    let other_etag = "\"00000000000000000000000000000000\"";

    let get = || s3.get_object().bucket(&bucket).key("k");

    // Matching conditions → 200 with the body.
    for (what, req) in [
        ("If-Match ETag", get().if_match(&etag)),
        ("If-Match *", get().if_match("*")),
        ("If-None-Match other", get().if_none_match(other_etag)),
        (
            "If-Modified-Since earlier",
            get().if_modified_since(hour_before),
        ),
        (
            "If-Unmodified-Since same second",
            get().if_unmodified_since(modified),
        ),
    ] {
        let out = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{what}: {}", describe_err(&e)));
        assert_eq!(collect(out.body).await, b"conditional", "{what}");
    }

    // If-Match mismatch / If-Unmodified-Since earlier → 412 PreconditionFailed.
    let r = get().if_match(other_etag).send().await;
    expect_error(r, "PreconditionFailed", 412);
    let r = get().if_unmodified_since(hour_before).send().await;
    expect_error(r, "PreconditionFailed", 412);

    // If-None-Match match / If-Modified-Since not newer → 304 Not Modified (no body).
    expect_status(get().if_none_match(&etag).send().await, 304);
    expect_status(get().if_none_match("*").send().await, 304);
    expect_status(get().if_modified_since(modified).send().await, 304);

    // If-Match true overrides a false If-Unmodified-Since (documented S3 rule).
    let out = get()
        .if_match(&etag)
        .if_unmodified_since(hour_before)
        .send()
        .await
        .unwrap_or_else(|e| panic!("If-Match true + IUS false: {}", describe_err(&e)));
    assert_eq!(collect(out.body).await, b"conditional");

    // HEAD answers the same statuses, without bodies.
    let headq = || s3.head_object().bucket(&bucket).key("k");
    expect_status(headq().if_match(other_etag).send().await, 412);
    expect_status(headq().if_none_match(&etag).send().await, 304);
    headq()
        .if_match(&etag)
        .send()
        .await
        .unwrap_or_else(|e| panic!("HEAD If-Match: {}", describe_err(&e)));
}

fn delete_request(keys: &[&str], quiet: bool) -> Delete {
    let objects = keys
        .iter()
        .map(|k| {
            ObjectIdentifier::builder()
                .key(*k)
                .build()
                .expect("key is set")
        })
        .collect();
    Delete::builder()
        .set_objects(Some(objects))
        .quiet(quiet)
        .build()
        .expect("objects are set")
}

/// DeleteObjects: verbose lists every key (missing ones too) as deleted; quiet lists none.
pub(crate) async fn delete_objects(t: &Target<'_>) {
    let s3 = t.client();
    let bucket = t.fresh_bucket("multidel").await;
    for key in ["a", "b", "c", "d & <e>"] {
        put(&s3, &bucket, key, key.as_bytes()).await;
    }

    let out = s3
        .delete_objects()
        .bucket(&bucket)
        .delete(delete_request(&["a", "d & <e>", "missing"], false))
        .send()
        .await
        .unwrap_or_else(|e| panic!("DeleteObjects verbose: {}", describe_err(&e)));
    assert!(out.errors().is_empty(), "{out:#?}");
    let mut deleted: Vec<&str> = out.deleted().iter().filter_map(|d| d.key()).collect();
    deleted.sort_unstable();
    assert_eq!(deleted, ["a", "d & <e>", "missing"], "{out:#?}");
    assert_eq!(keys_of(&s3, &bucket).await, ["b", "c"]);

    let out = s3
        .delete_objects()
        .bucket(&bucket)
        .delete(delete_request(&["b", "also-missing"], true))
        .send()
        .await
        .unwrap_or_else(|e| panic!("DeleteObjects quiet: {}", describe_err(&e)));
    assert!(
        out.deleted().is_empty(),
        "quiet mode lists nothing: {out:#?}"
    );
    assert!(out.errors().is_empty(), "{out:#?}");
    assert_eq!(keys_of(&s3, &bucket).await, ["c"]);

    // Deleting again reports the keys deleted again.
    let out = s3
        .delete_objects()
        .bucket(&bucket)
        .delete(delete_request(&["a", "c"], false))
        .send()
        .await
        .unwrap_or_else(|e| panic!("DeleteObjects repeat: {}", describe_err(&e)));
    assert_eq!(out.deleted().len(), 2, "{out:#?}");
    assert!(keys_of(&s3, &bucket).await.is_empty());
}

/// DeleteBucket of a bucket with an object → 409 BucketNotEmpty; once emptied it succeeds.
pub(crate) async fn bucket_not_empty(t: &Target<'_>) {
    let s3 = t.client();
    let bucket = t.fresh_bucket("notempty").await;
    put(&s3, &bucket, "keep/me", b"x").await;

    let r = s3.delete_bucket().bucket(&bucket).send().await;
    expect_error(r, "BucketNotEmpty", 409);
    // Refused without damage.
    assert_eq!(get_bytes(&s3, &bucket, "keep/me").await, b"x");

    s3.delete_object()
        .bucket(&bucket)
        .key("keep/me")
        .send()
        .await
        .unwrap_or_else(|e| panic!("DeleteObject: {}", describe_err(&e)));
    s3.delete_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("DeleteBucket of the emptied bucket: {}", describe_err(&e)));
    expect_status(s3.head_bucket().bucket(&bucket).send().await, 404);
}

/// Another account reads nothing without a bucket policy; an allow of s3:GetObject on the
/// bucket's objects lets it read (GET and HEAD) and nothing else.
pub(crate) async fn other_account(t: &Target<'_>) {
    let ours = t.client();
    let theirs = t.client_as(OTHER_ACCESS_KEY, OTHER_SECRET_KEY);
    let bucket = t.fresh_bucket("xacct").await;
    put(&ours, &bucket, "shared.txt", b"for the other account").await;

    let r = theirs
        .get_object()
        .bucket(&bucket)
        .key("shared.txt")
        .send()
        .await;
    expect_error(r, "AccessDenied", 403);
    expect_status(
        theirs
            .head_object()
            .bucket(&bucket)
            .key("shared.txt")
            .send()
            .await,
        403,
    );
    let r = theirs
        .put_object()
        .bucket(&bucket)
        .key("intruder.txt")
        .body(ByteStream::from_static(b"no"))
        .send()
        .await;
    expect_error(r, "AccessDenied", 403);

    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"OtherReads","Effect":"Allow","Principal":{},"Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#,
        policy::account_principal(OTHER_ACCOUNT)
    );
    ours.put_bucket_policy()
        .bucket(&bucket)
        .policy(policy)
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutBucketPolicy: {}", describe_err(&e)));

    // In force once the authorizer's watch delivers it: within milliseconds, not at once.
    let shared = crate::common::mrap::eventually("the other account may read", || async {
        let out = theirs
            .get_object()
            .bucket(&bucket)
            .key("shared.txt")
            .send()
            .await
            .ok()?;
        Some(collect(out.body).await)
    })
    .await;
    assert_eq!(shared, b"for the other account");
    theirs
        .head_object()
        .bucket(&bucket)
        .key("shared.txt")
        .send()
        .await
        .unwrap_or_else(|e| panic!("HeadObject by the allowed account: {}", describe_err(&e)));
    // Only reads were granted.
    let r = theirs
        .put_object()
        .bucket(&bucket)
        .key("intruder.txt")
        .body(ByteStream::from_static(b"no"))
        .send()
        .await;
    expect_error(r, "AccessDenied", 403);
    let r = theirs
        .delete_object()
        .bucket(&bucket)
        .key("shared.txt")
        .send()
        .await;
    expect_error(r, "AccessDenied", 403);
    assert_eq!(keys_of(&ours, &bucket).await, ["shared.txt"]);
}

/// A single PUT declaring more than 5 GiB is refused from its headers, before any body byte:
/// 400 EntityTooLarge (the test sends no body at all).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_put_over_5_gib_is_refused_up_front() -> TestResult {
    let stack = Stack::start().await?;
    let bucket = fresh_bucket(&stack, LOCAL_REGION, "toolarge").await;
    let path = format!("/{bucket}/huge.bin");
    let size = "5368709121"; // 5 GiB + 1
    let headers = raw::s3_headers(
        &stack,
        LOCAL_REGION,
        "PUT",
        &path,
        "",
        &[("content-length", size)],
        "UNSIGNED-PAYLOAD",
        Some(Signer::now(ACCESS_KEY, SECRET_KEY)),
    );
    let mut head = format!("PUT {path} HTTP/1.1\r\n");
    for (name, value) in &headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let r = raw::send_head_only(&stack, &head).await;
    r.assert_s3_error(400, "EntityTooLarge");

    // The refused request stored nothing.
    let s3 = s3_client_path_style(&stack, LOCAL_REGION);
    let keys = s3.list_objects_v2().bucket(&bucket).send().await?;
    assert!(keys.contents().is_empty(), "{keys:#?}");

    stack.stop().await?;
    Ok(())
}
