//! Block Public Access: the bucket configuration (S3 `?publicAccessBlock`) and the account
//! configuration (S3 Control `/v20180820/configuration/publicAccessBlock`) round trip, and what
//! they do: BlockPublicPolicy refuses public bucket policies (bucket- or account-level),
//! RestrictPublicBuckets cuts other accounts out of a bucket with a public policy (bucket- or
//! account-level, the bucket OWNER's account only).

use crate::common::{policy::*, *};

fn theirs(stack: &Stack) -> aws_sdk_s3::Client {
    s3_as(stack, "us-east-1", OTHER_ACCESS_KEY, OTHER_SECRET_KEY)
}

async fn head_status(s3: &aws_sdk_s3::Client, bucket: &str) -> u16 {
    match s3.head_bucket().bucket(bucket).send().await {
        Ok(_) => 200,
        Err(e) => status_of(&e).unwrap_or_else(|| panic!("HeadBucket {bucket}: {e:?}")),
    }
}

async fn get_bucket_bpa(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> aws_sdk_s3::types::PublicAccessBlockConfiguration {
    let out = s3
        .get_public_access_block()
        .bucket(bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetPublicAccessBlock on {bucket}: {}", describe_err(&e)));
    out.public_access_block_configuration
        .unwrap_or_else(|| panic!("GetPublicAccessBlock on {bucket}: no configuration"))
}

async fn get_account_bpa(
    ctl: &aws_sdk_s3control::Client,
    account: &str,
) -> aws_sdk_s3control::types::PublicAccessBlockConfiguration {
    let out = ctl
        .get_public_access_block()
        .account_id(account)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "GetPublicAccessBlock for account {account}: {}",
                describe_err(&e)
            )
        });
    out.public_access_block_configuration
        .unwrap_or_else(|| panic!("GetPublicAccessBlock for account {account}: no configuration"))
}

fn public_policy(bucket: &str) -> String {
    let text = bucket_policy(bucket, "Allow", r#""*""#, "s3:ListBucket");
    assert_no_error_findings(&text, BUCKET_RESOURCE_TYPE);
    assert_public(&text, true);
    text
}

fn private_policy(bucket: &str) -> String {
    let text = bucket_policy(
        bucket,
        "Allow",
        &account_principal(OTHER_ACCOUNT),
        "s3:ListBucket",
    );
    assert_no_error_findings(&text, BUCKET_RESOURCE_TYPE);
    assert_public(&text, false);
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bucket_configuration_round_trip() -> TestResult {
    let stack = Stack::start().await?;
    let s3 = s3(&stack, "us-east-1");
    create_bucket(&stack, "pab-rt", "us-east-1").await;

    let first = bucket_bpa(true, false, true, false);
    put_bucket_bpa(&s3, "pab-rt", first.clone()).await;
    assert_eq!(get_bucket_bpa(&s3, "pab-rt").await, first);
    // A put replaces the whole configuration.
    let second = bucket_bpa(false, true, false, true);
    put_bucket_bpa(&s3, "pab-rt", second.clone()).await;
    assert_eq!(get_bucket_bpa(&s3, "pab-rt").await, second);

    // A flag left out reads back as false.
    let partial = aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
        .block_public_policy(true)
        .build();
    put_bucket_bpa(&s3, "pab-rt", partial).await;
    let got = get_bucket_bpa(&s3, "pab-rt").await;
    assert_eq!(got.block_public_policy(), Some(true), "{got:?}");
    for (flag, value) in [
        ("BlockPublicAcls", got.block_public_acls()),
        ("IgnorePublicAcls", got.ignore_public_acls()),
        ("RestrictPublicBuckets", got.restrict_public_buckets()),
    ] {
        assert!(!value.unwrap_or(false), "{flag} is on: {got:?}");
    }

    s3.delete_public_access_block()
        .bucket("pab-rt")
        .send()
        .await?;
    let r = s3.get_public_access_block().bucket("pab-rt").send().await;
    expect_error(r, "NoSuchPublicAccessBlockConfiguration", 404);
    // Deleting an absent configuration succeeds.
    s3.delete_public_access_block()
        .bucket("pab-rt")
        .send()
        .await?;

    // Another account may not read or change it.
    let intruder = theirs(&stack);
    put_bucket_bpa(&s3, "pab-rt", first.clone()).await;
    let r = intruder
        .get_public_access_block()
        .bucket("pab-rt")
        .send()
        .await;
    expect_error(r, "AccessDenied", 403);
    let r = intruder
        .put_public_access_block()
        .bucket("pab-rt")
        .public_access_block_configuration(bucket_bpa(false, false, false, false))
        .send()
        .await;
    expect_error(r, "AccessDenied", 403);
    let r = intruder
        .delete_public_access_block()
        .bucket("pab-rt")
        .send()
        .await;
    expect_error(r, "AccessDenied", 403);
    assert_eq!(get_bucket_bpa(&s3, "pab-rt").await, first);

    // No such bucket.
    let r = s3
        .put_public_access_block()
        .bucket("pab-nobody")
        .public_access_block_configuration(first)
        .send()
        .await;
    expect_error(r, "NoSuchBucket", 404);
    let r = s3
        .get_public_access_block()
        .bucket("pab-nobody")
        .send()
        .await;
    expect_error(r, "NoSuchBucket", 404);
    let r = s3
        .delete_public_access_block()
        .bucket("pab-nobody")
        .send()
        .await;
    expect_error(r, "NoSuchBucket", 404);

    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_configuration_round_trip() -> TestResult {
    let stack = Stack::start().await?;
    let ctl = control(&stack);
    let other = control_as(&stack, OTHER_ACCESS_KEY, OTHER_SECRET_KEY);

    let first = control_bpa(true, true, false, false);
    put_account_bpa(&ctl, ACCOUNT, first.clone()).await;
    assert_eq!(get_account_bpa(&ctl, ACCOUNT).await, first);
    let second = control_bpa(false, false, true, true);
    put_account_bpa(&ctl, ACCOUNT, second.clone()).await;
    assert_eq!(get_account_bpa(&ctl, ACCOUNT).await, second);

    // Each account has its own.
    let theirs = control_bpa(true, false, false, true);
    put_account_bpa(&other, OTHER_ACCOUNT, theirs.clone()).await;
    assert_eq!(get_account_bpa(&other, OTHER_ACCOUNT).await, theirs);
    assert_eq!(get_account_bpa(&ctl, ACCOUNT).await, second);
    // …and may not touch ours.
    let r = other
        .get_public_access_block()
        .account_id(ACCOUNT)
        .send()
        .await;
    expect_error(r, "AccessDenied", 403);
    let r = other
        .put_public_access_block()
        .account_id(ACCOUNT)
        .public_access_block_configuration(control_bpa(false, false, false, false))
        .send()
        .await;
    expect_error(r, "AccessDenied", 403);
    let r = other
        .delete_public_access_block()
        .account_id(ACCOUNT)
        .send()
        .await;
    expect_error(r, "AccessDenied", 403);
    assert_eq!(get_account_bpa(&ctl, ACCOUNT).await, second);

    delete_account_bpa(&ctl, ACCOUNT).await;
    let r = ctl
        .get_public_access_block()
        .account_id(ACCOUNT)
        .send()
        .await;
    expect_error(r, "NoSuchPublicAccessBlockConfiguration", 404);
    delete_account_bpa(&ctl, ACCOUNT).await;
    // Theirs is still there.
    assert_eq!(get_account_bpa(&other, OTHER_ACCOUNT).await, theirs);

    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bucket_block_public_policy_refuses_public_policies() -> TestResult {
    let stack = Stack::start().await?;
    let s3 = s3(&stack, "us-east-1");
    create_bucket(&stack, "pab-bpp", "us-east-1").await;

    // The three other flags do not refuse a public policy.
    put_bucket_bpa(&s3, "pab-bpp", bucket_bpa(true, true, false, true)).await;
    s3.put_bucket_policy()
        .bucket("pab-bpp")
        .policy(public_policy("pab-bpp"))
        .send()
        .await?;
    s3.delete_bucket_policy().bucket("pab-bpp").send().await?;

    // BlockPublicPolicy does.
    put_bucket_bpa(&s3, "pab-bpp", bucket_bpa(false, false, true, false)).await;
    let r = s3
        .put_bucket_policy()
        .bucket("pab-bpp")
        .policy(public_policy("pab-bpp"))
        .send()
        .await;
    expect_error(r, "AccessDenied", 403);
    let r = s3.get_bucket_policy().bucket("pab-bpp").send().await;
    expect_error(r, "NoSuchBucketPolicy", 404);
    // A non-public policy is fine.
    let private = private_policy("pab-bpp");
    s3.put_bucket_policy()
        .bucket("pab-bpp")
        .policy(&private)
        .send()
        .await?;
    let got = s3.get_bucket_policy().bucket("pab-bpp").send().await?;
    assert_eq!(got.policy(), Some(private.as_str()));

    // An existing public policy stays (and keeps working) when BlockPublicPolicy is turned on
    // afterwards; only new public policies are refused.
    create_bucket(&stack, "pab-existing", "us-east-1").await;
    let public = public_policy("pab-existing");
    s3.put_bucket_policy()
        .bucket("pab-existing")
        .policy(&public)
        .send()
        .await?;
    put_bucket_bpa(&s3, "pab-existing", bucket_bpa(false, false, true, false)).await;
    let got = s3.get_bucket_policy().bucket("pab-existing").send().await?;
    assert_eq!(got.policy(), Some(public.as_str()));
    let status = s3
        .get_bucket_policy_status()
        .bucket("pab-existing")
        .send()
        .await?;
    assert_eq!(
        status.policy_status().and_then(|s| s.is_public()),
        Some(true),
        "{status:?}"
    );
    assert_eq!(head_status(&theirs(&stack), "pab-existing").await, 200);
    let r = s3
        .put_bucket_policy()
        .bucket("pab-existing")
        .policy(&public)
        .send()
        .await;
    expect_error(r, "AccessDenied", 403);

    // Without the configuration the public policy goes through again.
    s3.delete_public_access_block()
        .bucket("pab-bpp")
        .send()
        .await?;
    s3.put_bucket_policy()
        .bucket("pab-bpp")
        .policy(public_policy("pab-bpp"))
        .send()
        .await?;

    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_block_public_policy_refuses_public_bucket_policies() -> TestResult {
    let stack = Stack::start().await?;
    let s3 = s3(&stack, "us-east-1");
    let ctl = control(&stack);
    create_bucket(&stack, "pab-acct", "us-east-1").await;

    put_account_bpa(&ctl, ACCOUNT, control_bpa(false, false, true, false)).await;
    let r = s3
        .put_bucket_policy()
        .bucket("pab-acct")
        .policy(public_policy("pab-acct"))
        .send()
        .await;
    expect_error(r, "AccessDenied", 403);
    s3.put_bucket_policy()
        .bucket("pab-acct")
        .policy(private_policy("pab-acct"))
        .send()
        .await?;

    // The other account's configuration does not govern our buckets.
    delete_account_bpa(&ctl, ACCOUNT).await;
    let other = control_as(&stack, OTHER_ACCESS_KEY, OTHER_SECRET_KEY);
    put_account_bpa(&other, OTHER_ACCOUNT, control_bpa(true, true, true, true)).await;
    s3.put_bucket_policy()
        .bucket("pab-acct")
        .policy(public_policy("pab-acct"))
        .send()
        .await?;

    // …but theirs governs theirs.
    let their_s3 = theirs(&stack);
    create_bucket_with(&their_s3, "pab-theirs", "us-east-1").await;
    let r = their_s3
        .put_bucket_policy()
        .bucket("pab-theirs")
        .policy(public_policy("pab-theirs"))
        .send()
        .await;
    expect_error(r, "AccessDenied", 403);

    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_restrict_public_buckets_cuts_other_accounts() -> TestResult {
    let stack = Stack::start().await?;
    let s3 = s3(&stack, "us-east-1");
    let ctl = control(&stack);
    let intruder = theirs(&stack);
    create_bucket(&stack, "pab-rpb", "us-east-1").await;
    s3.put_bucket_policy()
        .bucket("pab-rpb")
        .policy(public_policy("pab-rpb"))
        .send()
        .await?;
    assert_eq!(head_status(&intruder, "pab-rpb").await, 200);

    // The requester's account configuration is irrelevant…
    let other = control_as(&stack, OTHER_ACCESS_KEY, OTHER_SECRET_KEY);
    put_account_bpa(&other, OTHER_ACCOUNT, control_bpa(true, true, true, true)).await;
    assert_eq!(head_status(&intruder, "pab-rpb").await, 200);

    // …the bucket owner's decides.
    put_account_bpa(&ctl, ACCOUNT, control_bpa(false, false, false, true)).await;
    assert_eq!(head_status(&intruder, "pab-rpb").await, 403);
    assert_eq!(head_status(&s3, "pab-rpb").await, 200);

    delete_account_bpa(&ctl, ACCOUNT).await;
    assert_eq!(head_status(&intruder, "pab-rpb").await, 200);

    stack.stop().await?;
    Ok(())
}

/// Anonymous (unsigned) requests: allowed exactly where a public bucket policy grants the action
/// and no RestrictPublicBuckets (bucket or owner account) is on; refused for everything else, and
/// never through an MRAP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_requests_need_a_public_policy_and_no_restriction() -> TestResult {
    let stack = Stack::start().await?;
    let s3 = s3(&stack, "us-east-1");
    create_bucket(&stack, "pab-anon", "us-east-1").await;
    s3.put_object()
        .bucket("pab-anon")
        .key("hello")
        .body(b"world".to_vec().into())
        .send()
        .await?;
    let get = || raw::send(&stack, "GET", "/pab-anon/hello", "", &[], b"");
    let put = || raw::send(&stack, "PUT", "/pab-anon/new", "", &[], b"x");
    // No policy: refused.
    assert_eq!(get().await.status, 403);

    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Public","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pab-anon/*"}]}"#;
    assert_no_error_findings(policy, BUCKET_RESOURCE_TYPE);
    s3.put_bucket_policy()
        .bucket("pab-anon")
        .policy(policy)
        .send()
        .await?;
    let got = crate::common::mrap::eventually("anonymous GET allowed", || async {
        let r = get().await;
        (r.status == 200).then_some(r)
    })
    .await;
    assert_eq!(got.body, "world");
    // Only what the policy grants.
    assert_eq!(put().await.status, 403);
    assert_eq!(
        raw::send(&stack, "GET", "/pab-anon", "list-type=2", &[], b"")
            .await
            .status,
        403
    );

    // RestrictPublicBuckets on the bucket cuts anonymous access too.
    s3.put_public_access_block()
        .bucket("pab-anon")
        .public_access_block_configuration(bucket_bpa(false, false, false, true))
        .send()
        .await?;
    crate::common::mrap::eventually("anonymous GET refused again", || async {
        (get().await.status == 403).then_some(())
    })
    .await;
    stack.stop().await?;
    Ok(())
}
