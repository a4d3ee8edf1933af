//! Bucket policies through the official S3 client (path style): Put / Get / GetPolicyStatus /
//! Delete, MalformedPolicy, and what a bucket policy does to authorization — cross-account
//! allows, an explicit deny against the owner (who keeps the policy operations), and a public
//! policy.

use crate::common::{policy::*, *};

fn theirs(stack: &Stack) -> aws_sdk_s3::Client {
    s3_as(stack, "us-east-1", OTHER_ACCESS_KEY, OTHER_SECRET_KEY)
}

async fn put_policy(s3: &aws_sdk_s3::Client, bucket: &str, text: &str) {
    if let Err(e) = s3
        .put_bucket_policy()
        .bucket(bucket)
        .policy(text)
        .send()
        .await
    {
        panic!("PutBucketPolicy on {bucket}: {}", describe_err(&e));
    }
}

async fn get_policy(s3: &aws_sdk_s3::Client, bucket: &str) -> Option<String> {
    let out = s3
        .get_bucket_policy()
        .bucket(bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetBucketPolicy on {bucket}: {}", describe_err(&e)));
    out.policy().map(str::to_owned)
}

async fn is_public(s3: &aws_sdk_s3::Client, bucket: &str) -> Option<bool> {
    let out = s3
        .get_bucket_policy_status()
        .bucket(bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetBucketPolicyStatus on {bucket}: {}", describe_err(&e)));
    out.policy_status().and_then(|s| s.is_public())
}

async fn head_status(s3: &aws_sdk_s3::Client, bucket: &str) -> u16 {
    match s3.head_bucket().bucket(bucket).send().await {
        Ok(_) => 200,
        Err(e) => status_of(&e).unwrap_or_else(|| panic!("HeadBucket {bucket}: {e:?}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_get_status_delete() -> TestResult {
    let stack = Stack::start().await?;
    let s3 = s3(&stack, "us-east-1");
    create_bucket(&stack, "bp-crud", "us-east-1").await;

    let r = s3.get_bucket_policy().bucket("bp-crud").send().await;
    expect_error(r, "NoSuchBucketPolicy", 404);

    // A non-public policy, pretty-printed: the text comes back exactly as put.
    let private = format!(
        "{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {{\n      \"Sid\": \"OtherAccountLists\",\n      \"Effect\": \"Allow\",\n      \"Principal\": {},\n      \"Action\": \"s3:ListBucket\",\n      \"Resource\": \"arn:aws:s3:::bp-crud\"\n    }}\n  ]\n}}",
        account_principal(OTHER_ACCOUNT)
    );
    assert_no_error_findings(&private, BUCKET_RESOURCE_TYPE);
    assert_public(&private, false);
    put_policy(&s3, "bp-crud", &private).await;
    assert_eq!(
        get_policy(&s3, "bp-crud").await.as_deref(),
        Some(private.as_str())
    );
    assert_eq!(is_public(&s3, "bp-crud").await, Some(false));

    // A put replaces it; a public one is reported public.
    let public = bucket_policy("bp-crud", "Allow", r#""*""#, "s3:ListBucket");
    assert_no_error_findings(&public, BUCKET_RESOURCE_TYPE);
    assert_public(&public, true);
    put_policy(&s3, "bp-crud", &public).await;
    assert_eq!(
        get_policy(&s3, "bp-crud").await.as_deref(),
        Some(public.as_str())
    );
    assert_eq!(is_public(&s3, "bp-crud").await, Some(true));

    // The body checksum the SDK computes with each algorithm S3 defines is checked and accepted.
    use aws_sdk_s3::types::ChecksumAlgorithm;
    for algorithm in [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32C,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ] {
        s3.put_bucket_policy()
            .bucket("bp-crud")
            .policy(&public)
            .checksum_algorithm(algorithm.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("PutBucketPolicy with {algorithm}: {}", describe_err(&e)));
    }

    // Delete, then nothing to get.
    s3.delete_bucket_policy().bucket("bp-crud").send().await?;
    let r = s3.get_bucket_policy().bucket("bp-crud").send().await;
    expect_error(r, "NoSuchBucketPolicy", 404);
    // Deleting an absent policy succeeds (S3 answers 204 either way).
    s3.delete_bucket_policy().bucket("bp-crud").send().await?;

    // Another bucket's policy is its own.
    create_bucket(&stack, "bp-crud-2", "eu-west-1").await;
    let r = s3.get_bucket_policy().bucket("bp-crud-2").send().await;
    expect_error(r, "NoSuchBucketPolicy", 404);

    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_policies_and_missing_buckets() -> TestResult {
    let stack = Stack::start().await?;
    let s3 = s3(&stack, "us-east-1");
    create_bucket(&stack, "bp-bad", "us-east-1").await;
    let good = bucket_policy(
        "bp-bad",
        "Allow",
        &account_principal(OTHER_ACCOUNT),
        "s3:ListBucket",
    );
    put_policy(&s3, "bp-bad", &good).await;

    for (what, text) in [
        (
            "invalid JSON",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",}]}"#.to_owned(),
        ),
        ("not JSON", "policy, please".to_owned()),
        (
            "Effect Maybe",
            bucket_policy(
                "bp-bad",
                "Maybe",
                &account_principal(OTHER_ACCOUNT),
                "s3:ListBucket",
            ),
        ),
        (
            "no Principal",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bp-bad"}]}"#.to_owned(),
        ),
    ] {
        let r = s3.put_bucket_policy().bucket("bp-bad").policy(&text).send().await;
        let message = expect_error(r, "MalformedPolicy", 400);
        assert!(!message.is_empty(), "{what}: MalformedPolicy without a message");
        // A refused policy changes nothing.
        assert_eq!(
            get_policy(&s3, "bp-bad").await.as_deref(),
            Some(good.as_str()),
            "{what}"
        );
    }

    // No such bucket.
    let r = s3
        .put_bucket_policy()
        .bucket("bp-nobody")
        .policy(bucket_policy(
            "bp-nobody",
            "Allow",
            &account_principal(OTHER_ACCOUNT),
            "s3:ListBucket",
        ))
        .send()
        .await;
    expect_error(r, "NoSuchBucket", 404);
    let r = s3.get_bucket_policy().bucket("bp-nobody").send().await;
    expect_error(r, "NoSuchBucket", 404);
    let r = s3.delete_bucket_policy().bucket("bp-nobody").send().await;
    expect_error(r, "NoSuchBucket", 404);

    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_account_access_needs_a_bucket_policy() -> TestResult {
    let stack = Stack::start().await?;
    let ours = s3(&stack, "us-east-1");
    let theirs = theirs(&stack);
    create_bucket(&stack, "bp-cross", "us-east-1").await;

    assert_eq!(head_status(&theirs, "bp-cross").await, 403);
    assert_eq!(head_status(&ours, "bp-cross").await, 200);

    // Allow s3:ListBucket to the other account: HeadBucket passes, nothing else does.
    let allow = bucket_policy(
        "bp-cross",
        "Allow",
        &account_principal(OTHER_ACCOUNT),
        "s3:ListBucket",
    );
    assert_public(&allow, false);
    put_policy(&ours, "bp-cross", &allow).await;
    assert_eq!(head_status(&theirs, "bp-cross").await, 200);
    assert_eq!(head_status(&ours, "bp-cross").await, 200);
    let r = theirs.get_bucket_policy().bucket("bp-cross").send().await;
    expect_error(r, "AccessDenied", 403);
    let r = theirs
        .delete_bucket_policy()
        .bucket("bp-cross")
        .send()
        .await;
    expect_error(r, "AccessDenied", 403);
    let r = theirs
        .put_bucket_policy()
        .bucket("bp-cross")
        .policy(bucket_policy("bp-cross", "Allow", r#""*""#, "s3:*"))
        .send()
        .await;
    expect_error(r, "AccessDenied", 403);
    assert_eq!(
        get_policy(&ours, "bp-cross").await.as_deref(),
        Some(allow.as_str())
    );

    // A grant to a third account does not let the other one in.
    let third = bucket_policy(
        "bp-cross",
        "Allow",
        &account_principal("222222222222"),
        "s3:ListBucket",
    );
    put_policy(&ours, "bp-cross", &third).await;
    assert_eq!(head_status(&theirs, "bp-cross").await, 403);

    // Neither does a grant of another action.
    let other_action = bucket_policy(
        "bp-cross",
        "Allow",
        &account_principal(OTHER_ACCOUNT),
        "s3:GetBucketLocation",
    );
    put_policy(&ours, "bp-cross", &other_action).await;
    assert_eq!(head_status(&theirs, "bp-cross").await, 403);

    // Back to the allow, then deleting the policy closes the door again.
    put_policy(&ours, "bp-cross", &allow).await;
    assert_eq!(head_status(&theirs, "bp-cross").await, 200);
    ours.delete_bucket_policy()
        .bucket("bp-cross")
        .send()
        .await?;
    assert_eq!(head_status(&theirs, "bp-cross").await, 403);

    stack.stop().await?;
    Ok(())
}

/// A client's next request after its own policy change is decided under it: the gateway answers
/// the change once an authorizer has announced applying it. Opening and closing the door 25
/// times, each HeadBucket right after the change must see it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_request_after_a_policy_change_is_decided_under_it() -> TestResult {
    let stack = Stack::start().await?;
    let ours = s3(&stack, "us-east-1");
    let theirs = theirs(&stack);
    create_bucket(&stack, "bp-next", "us-east-1").await;
    let allow = bucket_policy(
        "bp-next",
        "Allow",
        &account_principal(OTHER_ACCOUNT),
        "s3:ListBucket",
    );
    for round in 0..25 {
        put_policy(&ours, "bp-next", &allow).await;
        assert_eq!(head_status(&theirs, "bp-next").await, 200, "round {round}");
        ours.delete_bucket_policy().bucket("bp-next").send().await?;
        assert_eq!(head_status(&theirs, "bp-next").await, 403, "round {round}");
    }
    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explicit_deny_binds_the_owner_but_not_the_policy_operations() -> TestResult {
    let stack = Stack::start().await?;
    let ours = s3(&stack, "us-east-1");
    create_bucket(&stack, "bp-deny", "us-east-1").await;

    let deny = bucket_policy(
        "bp-deny",
        "Deny",
        &account_principal(ACCOUNT),
        "s3:ListBucket",
    );
    assert_no_error_findings(&deny, BUCKET_RESOURCE_TYPE);
    put_policy(&ours, "bp-deny", &deny).await;
    assert_eq!(head_status(&ours, "bp-deny").await, 403);

    // Lock-out protection: the owner can still read, replace and delete the policy.
    assert_eq!(
        get_policy(&ours, "bp-deny").await.as_deref(),
        Some(deny.as_str())
    );
    assert_eq!(is_public(&ours, "bp-deny").await, Some(false));
    let deny_all = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Principal":{},"Action":"s3:*","Resource":["arn:aws:s3:::bp-deny","arn:aws:s3:::bp-deny/*"]}}]}}"#,
        account_principal(ACCOUNT)
    );
    assert_no_error_findings(&deny_all, BUCKET_RESOURCE_TYPE);
    put_policy(&ours, "bp-deny", &deny_all).await;
    assert_eq!(head_status(&ours, "bp-deny").await, 403);
    assert_eq!(
        get_policy(&ours, "bp-deny").await.as_deref(),
        Some(deny_all.as_str())
    );
    ours.delete_bucket_policy().bucket("bp-deny").send().await?;
    assert_eq!(head_status(&ours, "bp-deny").await, 200);

    // A deny of another action leaves HeadBucket alone.
    let deny_other = bucket_policy(
        "bp-deny",
        "Deny",
        &account_principal(ACCOUNT),
        "s3:GetBucketLocation",
    );
    put_policy(&ours, "bp-deny", &deny_other).await;
    assert_eq!(head_status(&ours, "bp-deny").await, 200);

    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_policy_lets_anyone_in_until_restrict_public_buckets() -> TestResult {
    let stack = Stack::start().await?;
    let ours = s3(&stack, "us-east-1");
    let theirs = theirs(&stack);
    create_bucket(&stack, "bp-pub", "us-east-1").await;

    let public = bucket_policy("bp-pub", "Allow", r#""*""#, "s3:ListBucket");
    assert_public(&public, true);
    put_policy(&ours, "bp-pub", &public).await;
    assert_eq!(is_public(&ours, "bp-pub").await, Some(true));
    assert_eq!(head_status(&theirs, "bp-pub").await, 200);

    // RestrictPublicBuckets on the bucket: only the owner's account gets through.
    put_bucket_bpa(&ours, "bp-pub", bucket_bpa(false, false, false, true)).await;
    assert_eq!(head_status(&theirs, "bp-pub").await, 403);
    assert_eq!(head_status(&ours, "bp-pub").await, 200);
    // The policy itself is untouched.
    assert_eq!(
        get_policy(&ours, "bp-pub").await.as_deref(),
        Some(public.as_str())
    );

    // Lifting it opens the bucket again.
    ours.delete_public_access_block()
        .bucket("bp-pub")
        .send()
        .await?;
    assert_eq!(head_status(&theirs, "bp-pub").await, 200);

    // RestrictPublicBuckets also cuts a named grant that sits in a public policy.
    let mixed = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Named","Effect":"Allow","Principal":{},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::bp-pub"}},{{"Sid":"Anyone","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bp-pub/*"}}]}}"#,
        account_principal(OTHER_ACCOUNT)
    );
    assert_no_error_findings(&mixed, BUCKET_RESOURCE_TYPE);
    assert_public(&mixed, true);
    put_policy(&ours, "bp-pub", &mixed).await;
    assert_eq!(head_status(&theirs, "bp-pub").await, 200);
    put_bucket_bpa(&ours, "bp-pub", bucket_bpa(false, false, false, true)).await;
    assert_eq!(head_status(&theirs, "bp-pub").await, 403);

    // …but not a named grant in a non-public policy.
    let named = bucket_policy(
        "bp-pub",
        "Allow",
        &account_principal(OTHER_ACCOUNT),
        "s3:ListBucket",
    );
    put_policy(&ours, "bp-pub", &named).await;
    assert_eq!(is_public(&ours, "bp-pub").await, Some(false));
    assert_eq!(head_status(&theirs, "bp-pub").await, 200);

    stack.stop().await?;
    Ok(())
}
