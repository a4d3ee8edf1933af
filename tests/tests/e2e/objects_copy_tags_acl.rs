//! CopyObject (within and across buckets, MetadataDirective COPY and REPLACE, the self-copy and
//! missing-source refusals), object tagging (Put/Get/Delete and `x-amz-tagging` on PutObject),
//! and ACLs as S3 answers them for buckets with ACLs disabled (BucketOwnerEnforced): the owner
//! has FULL_CONTROL, private/bucket-owner-full-control are accepted, anything granting more is
//! AccessControlListNotSupported.

use aws_sdk_s3::{
    primitives::ByteStream,
    types::{BucketCannedAcl, MetadataDirective, ObjectCannedAcl, Permission, Tag, Tagging, Type},
};

use crate::{
    common::{objects::*, *},
    objects_basic::local_object_tests,
};

local_object_tests! {
    copy_object_path_style: copy, Style::Path;
    copy_object_virtual_host: copy, Style::VirtualHost;
    object_tagging: tagging, Style::Path;
    acls_owner_only: acls, Style::Path;
}

async fn put_with_meta(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, data: &[u8]) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(data.to_vec()))
        .content_type("text/x-source")
        .cache_control("no-cache")
        .metadata("origin", "source")
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutObject {key}: {}", describe_err(&e)));
}

/// `x-amz-copy-source` is URL-encoded (the SDK documents it so and sends it as given).
fn copy_source(bucket: &str, key: &str) -> String {
    let mut out = format!("{bucket}/");
    for b in key.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub(crate) async fn copy(t: &Target<'_>) {
    let s3 = t.client();
    let bucket = t.fresh_bucket("copy-src").await;
    let other = t.fresh_bucket("copy-dst").await;
    let data = Prng::bytes(41, 200_000);
    let src_key = "dir/source file+1.bin";
    put_with_meta(&s3, &bucket, src_key, &data).await;

    // Within the bucket, default directive (COPY): data, ETag, type and metadata come along.
    let out = s3
        .copy_object()
        .bucket(&bucket)
        .key("copy/same-bucket")
        .copy_source(copy_source(&bucket, src_key))
        .send()
        .await
        .unwrap_or_else(|e| panic!("CopyObject within the bucket: {}", describe_err(&e)));
    let result = out.copy_object_result().expect("CopyObjectResult");
    assert_eq!(result.e_tag(), Some(etag_of(&data).as_str()), "{out:#?}");
    assert!(result.last_modified().is_some(), "{out:#?}");

    // Across buckets, explicit COPY.
    s3.copy_object()
        .bucket(&other)
        .key("copy/other-bucket")
        .copy_source(copy_source(&bucket, src_key))
        .metadata_directive(MetadataDirective::Copy)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CopyObject across buckets: {}", describe_err(&e)));

    for (b, k) in [(&bucket, "copy/same-bucket"), (&other, "copy/other-bucket")] {
        let got = s3
            .get_object()
            .bucket(b)
            .key(k)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GetObject {b}/{k}: {}", describe_err(&e)));
        assert_eq!(got.content_type(), Some("text/x-source"), "{b}/{k}");
        assert_eq!(got.cache_control(), Some("no-cache"), "{b}/{k}");
        assert_eq!(
            got.metadata()
                .and_then(|m| m.get("origin"))
                .map(String::as_str),
            Some("source"),
            "{b}/{k}"
        );
        assert_eq!(got.e_tag(), Some(etag_of(&data).as_str()));
        assert!(collect(got.body).await == data, "{b}/{k}: other bytes");
    }

    // REPLACE: the request's headers and metadata, nothing of the source's.
    s3.copy_object()
        .bucket(&other)
        .key("copy/replaced")
        .copy_source(copy_source(&bucket, src_key))
        .metadata_directive(MetadataDirective::Replace)
        .content_type("application/x-replaced")
        .metadata("fresh", "yes")
        .send()
        .await
        .unwrap_or_else(|e| panic!("CopyObject REPLACE: {}", describe_err(&e)));
    let head = s3
        .head_object()
        .bucket(&other)
        .key("copy/replaced")
        .send()
        .await
        .unwrap_or_else(|e| panic!("HeadObject replaced: {}", describe_err(&e)));
    assert_eq!(head.content_type(), Some("application/x-replaced"));
    assert_eq!(head.cache_control(), None, "{head:#?}");
    let meta = head.metadata().cloned().unwrap_or_default();
    assert_eq!(
        meta.get("fresh").map(String::as_str),
        Some("yes"),
        "{meta:?}"
    );
    assert_eq!(meta.get("origin"), None, "{meta:?}");
    assert_eq!(head.content_length(), Some(data.len() as i64));

    // The source is untouched.
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key(src_key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("HeadObject source: {}", describe_err(&e)));
    assert_eq!(head.content_type(), Some("text/x-source"));

    // Copying an object onto itself without changing anything is refused; REPLACE is how
    // metadata is edited in place.
    let r = s3
        .copy_object()
        .bucket(&bucket)
        .key(src_key)
        .copy_source(copy_source(&bucket, src_key))
        .send()
        .await;
    expect_error(r, "InvalidRequest", 400);
    s3.copy_object()
        .bucket(&bucket)
        .key(src_key)
        .copy_source(copy_source(&bucket, src_key))
        .metadata_directive(MetadataDirective::Replace)
        .metadata("edited", "in-place")
        .send()
        .await
        .unwrap_or_else(|e| panic!("CopyObject onto itself with REPLACE: {}", describe_err(&e)));
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key(src_key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("HeadObject edited: {}", describe_err(&e)));
    assert_eq!(
        head.metadata()
            .and_then(|m| m.get("edited"))
            .map(String::as_str),
        Some("in-place")
    );
    assert_eq!(head.e_tag(), Some(etag_of(&data).as_str()));

    // Missing source key / bucket.
    let r = s3
        .copy_object()
        .bucket(&bucket)
        .key("never")
        .copy_source(copy_source(&bucket, "no/such/key"))
        .send()
        .await;
    expect_error(r, "NoSuchKey", 404);
    let r = s3
        .copy_object()
        .bucket(&bucket)
        .key("never")
        .copy_source(copy_source(&unique_bucket_name("nobucket"), "k"))
        .send()
        .await;
    expect_error(r, "NoSuchBucket", 404);
}

fn tag_set(out: &[Tag]) -> Vec<(String, String)> {
    let mut tags: Vec<(String, String)> = out
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    tags.sort();
    tags
}

pub(crate) async fn tagging(t: &Target<'_>) {
    let s3 = t.client();
    let bucket = t.fresh_bucket("tags").await;

    // `x-amz-tagging` on PutObject (query-string form).
    s3.put_object()
        .bucket(&bucket)
        .key("tagged")
        .body(ByteStream::from_static(b"t"))
        .tagging("a=1&b=two%20words")
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutObject with tagging: {}", describe_err(&e)));
    let out = s3
        .get_object_tagging()
        .bucket(&bucket)
        .key("tagged")
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetObjectTagging: {}", describe_err(&e)));
    assert_eq!(
        tag_set(out.tag_set()),
        [
            ("a".to_owned(), "1".to_owned()),
            ("b".to_owned(), "two words".to_owned())
        ]
    );
    let head = s3
        .get_object()
        .bucket(&bucket)
        .key("tagged")
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetObject: {}", describe_err(&e)));
    assert_eq!(head.tag_count(), Some(2), "x-amz-tagging-count");

    // PutObjectTagging replaces the whole set.
    s3.put_object_tagging()
        .bucket(&bucket)
        .key("tagged")
        .tagging(
            Tagging::builder()
                .tag_set(
                    Tag::builder()
                        .key("x")
                        .value("y")
                        .build()
                        .expect("key and value"),
                )
                .build()
                .expect("tag set"),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutObjectTagging: {}", describe_err(&e)));
    let out = s3
        .get_object_tagging()
        .bucket(&bucket)
        .key("tagged")
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetObjectTagging: {}", describe_err(&e)));
    assert_eq!(tag_set(out.tag_set()), [("x".to_owned(), "y".to_owned())]);

    s3.delete_object_tagging()
        .bucket(&bucket)
        .key("tagged")
        .send()
        .await
        .unwrap_or_else(|e| panic!("DeleteObjectTagging: {}", describe_err(&e)));
    let out = s3
        .get_object_tagging()
        .bucket(&bucket)
        .key("tagged")
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetObjectTagging: {}", describe_err(&e)));
    assert!(out.tag_set().is_empty(), "{out:#?}");
    // The object itself is untouched by tagging calls.
    let got = s3
        .get_object()
        .bucket(&bucket)
        .key("tagged")
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetObject: {}", describe_err(&e)));
    assert_eq!(collect(got.body).await, b"t");

    let r = s3
        .get_object_tagging()
        .bucket(&bucket)
        .key("missing")
        .send()
        .await;
    expect_error(r, "NoSuchKey", 404);
    let r = s3
        .put_object_tagging()
        .bucket(&bucket)
        .key("missing")
        .tagging(
            Tagging::builder()
                .tag_set(
                    Tag::builder()
                        .key("x")
                        .value("y")
                        .build()
                        .expect("key and value"),
                )
                .build()
                .expect("tag set"),
        )
        .send()
        .await;
    expect_error(r, "NoSuchKey", 404);
}

fn assert_owner_full_control(
    what: &str,
    owner: Option<&aws_sdk_s3::types::Owner>,
    grants: &[aws_sdk_s3::types::Grant],
) {
    let owner_id = owner
        .and_then(|o| o.id())
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| panic!("{what}: no Owner ID"));
    assert_eq!(grants.len(), 1, "{what}: exactly one grant: {grants:#?}");
    let grant = &grants[0];
    let grantee = grant
        .grantee()
        .unwrap_or_else(|| panic!("{what}: a grant without a grantee"));
    assert_eq!(grantee.r#type(), &Type::CanonicalUser, "{what}: {grant:#?}");
    assert_eq!(grantee.id(), Some(owner_id), "{what}: {grant:#?}");
    assert_eq!(grant.permission(), Some(&Permission::FullControl), "{what}");
}

pub(crate) async fn acls(t: &Target<'_>) {
    let s3 = t.client();
    let bucket = t.fresh_bucket("acls").await;
    s3.put_object()
        .bucket(&bucket)
        .key("k")
        .body(ByteStream::from_static(b"acl"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutObject: {}", describe_err(&e)));

    let out = s3
        .get_bucket_acl()
        .bucket(&bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetBucketAcl: {}", describe_err(&e)));
    assert_owner_full_control("GetBucketAcl", out.owner(), out.grants());
    let bucket_owner = out.owner().and_then(|o| o.id()).map(str::to_owned);
    let out = s3
        .get_object_acl()
        .bucket(&bucket)
        .key("k")
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetObjectAcl: {}", describe_err(&e)));
    assert_owner_full_control("GetObjectAcl", out.owner(), out.grants());
    assert_eq!(out.owner().and_then(|o| o.id()), bucket_owner.as_deref());

    // Canned ACLs that grant nothing beyond the owner are accepted.
    for acl in [
        ObjectCannedAcl::Private,
        ObjectCannedAcl::BucketOwnerFullControl,
    ] {
        s3.put_object_acl()
            .bucket(&bucket)
            .key("k")
            .acl(acl.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("PutObjectAcl {acl}: {}", describe_err(&e)));
    }
    s3.put_bucket_acl()
        .bucket(&bucket)
        .acl(BucketCannedAcl::Private)
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutBucketAcl private: {}", describe_err(&e)));

    // Anything public is refused: ACLs are disabled.
    let r = s3
        .put_object_acl()
        .bucket(&bucket)
        .key("k")
        .acl(ObjectCannedAcl::PublicRead)
        .send()
        .await;
    expect_error(r, "AccessControlListNotSupported", 400);
    let r = s3
        .put_bucket_acl()
        .bucket(&bucket)
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await;
    expect_error(r, "AccessControlListNotSupported", 400);
    let r = s3
        .put_object()
        .bucket(&bucket)
        .key("public")
        .acl(ObjectCannedAcl::PublicRead)
        .body(ByteStream::from_static(b"no"))
        .send()
        .await;
    expect_error(r, "AccessControlListNotSupported", 400);
    expect_status(
        s3.head_object().bucket(&bucket).key("public").send().await,
        404,
    );
    // `x-amz-acl: bucket-owner-full-control` on PutObject is accepted.
    s3.put_object()
        .bucket(&bucket)
        .key("owner-full")
        .acl(ObjectCannedAcl::BucketOwnerFullControl)
        .body(ByteStream::from_static(b"ok"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutObject bucket-owner-full-control: {}", describe_err(&e)));

    // Still owner-only after all that.
    let out = s3
        .get_object_acl()
        .bucket(&bucket)
        .key("k")
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetObjectAcl: {}", describe_err(&e)));
    assert_owner_full_control("GetObjectAcl after puts", out.owner(), out.grants());
    let r = s3
        .get_object_acl()
        .bucket(&bucket)
        .key("missing")
        .send()
        .await;
    expect_error(r, "NoSuchKey", 404);
}
