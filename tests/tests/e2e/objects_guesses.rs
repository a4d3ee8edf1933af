//! S3 behaviours the documentation leaves open, as this gateway chose them
//! (crates/api-gateway/GUESSES.md): each test pins one choice.

use aws_sdk_s3::{
    primitives::ByteStream,
    types::{Delete, ObjectIdentifier},
};

use crate::{
    common::{objects::*, *},
    objects_basic::local_object_tests,
};

local_object_tests! {
    delete_objects_authorises_each_key: each_key_authorised, Style::Path;
    versions_other_than_null_are_invalid: versions, Style::Path;
    an_acl_put_with_nothing_in_it_is_missing_security_header: empty_acl_put, Style::Path;
    a_continuation_token_that_is_not_ours_is_invalid: bad_token, Style::Path;
}

async fn put(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutObject {key}: {}", describe_err(&e)));
}

fn delete_of(keys: &[(&str, Option<&str>)]) -> Delete {
    let objects = keys
        .iter()
        .map(|(k, v)| {
            ObjectIdentifier::builder()
                .key(*k)
                .set_version_id(v.map(str::to_owned))
                .build()
                .unwrap_or_else(|e| panic!("ObjectIdentifier: {e}"))
        })
        .collect();
    Delete::builder()
        .set_objects(Some(objects))
        .build()
        .unwrap_or_else(|e| panic!("Delete: {e}"))
}

/// DeleteObjects decides `s3:DeleteObject` per object ARN: a policy granting another account
/// `allowed/*` lets exactly those keys go; the others come back as per-key `AccessDenied`.
async fn each_key_authorised(t: &Target<'_>) {
    let ours = t.client();
    let theirs = t.client_as(OTHER_ACCESS_KEY, OTHER_SECRET_KEY);
    let bucket = t.fresh_bucket("each-key").await;
    put(&ours, &bucket, "allowed/a").await;
    put(&ours, &bucket, "kept/b").await;
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{},"Action":"s3:DeleteObject","Resource":"arn:aws:s3:::{bucket}/allowed/*"}}]}}"#,
        policy::account_principal(OTHER_ACCOUNT)
    );
    ours.put_bucket_policy()
        .bucket(&bucket)
        .policy(policy)
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutBucketPolicy: {}", describe_err(&e)));
    // In force once the authorizer's watch delivers it: deleting a key that does not exist
    // changes nothing and says when.
    crate::common::mrap::eventually("the policy is in force", || async {
        let probe = theirs.delete_object().bucket(&bucket).key("allowed/none");
        probe.send().await.ok()
    })
    .await;
    let out = theirs
        .delete_objects()
        .bucket(&bucket)
        .delete(delete_of(&[("allowed/a", None), ("kept/b", None)]))
        .send()
        .await
        .unwrap_or_else(|e| panic!("DeleteObjects: {}", describe_err(&e)));
    let deleted: Vec<&str> = out.deleted().iter().filter_map(|d| d.key()).collect();
    assert_eq!(deleted, ["allowed/a"]);
    let errors: Vec<(&str, &str)> = out
        .errors()
        .iter()
        .map(|e| (e.key().unwrap_or(""), e.code().unwrap_or("")))
        .collect();
    assert_eq!(errors, [("kept/b", "AccessDenied")]);
    let left = ours
        .list_objects_v2()
        .bucket(&bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("ListObjectsV2: {}", describe_err(&e)));
    let left: Vec<&str> = left.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(left, ["kept/b"]);
}

/// Buckets are unversioned: `null` names the only version; any other version id is
/// `InvalidArgument`, in DeleteObjects and in a copy source.
async fn versions(t: &Target<'_>) {
    let s3 = t.client();
    let bucket = t.fresh_bucket("versions").await;
    put(&s3, &bucket, "a").await;
    put(&s3, &bucket, "b").await;
    let out = s3
        .delete_objects()
        .bucket(&bucket)
        .delete(delete_of(&[
            ("a", Some("null")),
            ("b", Some("3HL4kqtJlcpXroDTDmJ")),
        ]))
        .send()
        .await
        .unwrap_or_else(|e| panic!("DeleteObjects: {}", describe_err(&e)));
    let deleted: Vec<&str> = out.deleted().iter().filter_map(|d| d.key()).collect();
    assert_eq!(deleted, ["a"]);
    let errors: Vec<(&str, &str)> = out
        .errors()
        .iter()
        .map(|e| (e.key().unwrap_or(""), e.code().unwrap_or("")))
        .collect();
    assert_eq!(errors, [("b", "InvalidArgument")]);
    let r = s3
        .copy_object()
        .bucket(&bucket)
        .key("c")
        .copy_source(format!("{bucket}/b?versionId=3HL4kqtJlcpXroDTDmJ"))
        .send()
        .await;
    expect_error(r, "InvalidArgument", 400);
}

/// PutObjectAcl with neither a canned ACL, grant headers nor a body says nothing to apply.
async fn empty_acl_put(t: &Target<'_>) {
    let s3 = t.client();
    let bucket = t.fresh_bucket("empty-acl").await;
    put(&s3, &bucket, "a").await;
    let r = s3.put_object_acl().bucket(&bucket).key("a").send().await;
    expect_error(r, "MissingSecurityHeader", 400);
}

/// Continuation tokens are opaque; one this gateway did not issue is `InvalidArgument`.
async fn bad_token(t: &Target<'_>) {
    let s3 = t.client();
    let bucket = t.fresh_bucket("bad-token").await;
    let r = s3
        .list_objects_v2()
        .bucket(&bucket)
        .continuation_token("not base64!")
        .send()
        .await;
    expect_error(r, "InvalidArgument", 400);
}
