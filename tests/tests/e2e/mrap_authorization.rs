//! Authorization of requests through an MRAP (policy-eval.md §1.4–§1.9), with a second account:
//! both the MRAP policy and the routed bucket's policy must allow a cross-account principal, an
//! explicit deny in either wins, a bucket can delegate to the MRAP with
//! `s3:DataAccessPointAccount` / `s3:DataAccessPointArn`, and an MRAP policy never touches direct
//! bucket traffic.

use crate::common::{mrap::*, policy::*, *};

const REGION: &str = "us-east-1";

/// The HTTP status of GetObject (200, or the error's).
async fn get_status(client: &aws_sdk_s3::Client, bucket: &str, key: &str) -> u16 {
    match client.get_object().bucket(bucket).key(key).send().await {
        Ok(_) => 200,
        Err(e) => status_of(&e).unwrap_or_else(|| panic!("GetObject {bucket}/{key}: {e:?}")),
    }
}

/// Retries GetObject until it answers `want`: policy changes reach the authorizer through a
/// watch a few milliseconds after the store wrote them (AWS is eventually consistent here too).
async fn until_status(client: &aws_sdk_s3::Client, bucket: &str, key: &str, want: u16) {
    let what = format!("GetObject {bucket}/{key} answers {want}");
    eventually(&what, || async {
        (get_status(client, bucket, key).await == want).then_some(())
    })
    .await;
}

async fn set_mrap_policy(stack: &Stack, m: &ReadyMrap, policy: &str) {
    assert_no_error_findings(policy, MRAP_RESOURCE_TYPE);
    let ctl = control(stack);
    let token = put_mrap_policy(&ctl, ACCOUNT, &m.name, policy).await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;
}

async fn set_bucket_policy(owner: &aws_sdk_s3::Client, bucket: &str, policy: &str) {
    assert_no_error_findings(policy, BUCKET_RESOURCE_TYPE);
    if let Err(e) = owner
        .put_bucket_policy()
        .bucket(bucket)
        .policy(policy)
        .send()
        .await
    {
        panic!("PutBucketPolicy {bucket}: {}", describe_err(&e));
    }
}

/// Allows everything on the bucket to requests that come through an access point of `account`
/// (or, with `arn_key`, through the named MRAP): AWS's delegation pattern.
fn delegation(bucket: &str, key: &str, value: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Delegate","Effect":"Allow","Principal":{{"AWS":"*"}},"Action":"s3:*","Resource":["arn:aws:s3:::{bucket}","arn:aws:s3:::{bucket}/*"],"Condition":{{"StringEquals":{{"{key}":"{value}"}}}}}}]}}"#
    )
}

fn statement_policy(effect: &str, principal_account: &str, action: &str, resource: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"S","Effect":"{effect}","Principal":{{"AWS":"arn:aws:iam::{principal_account}:root"}},"Action":"{action}","Resource":"{resource}"}}]}}"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_layers_decide_and_direct_access_is_unchanged() -> TestResult {
    let stack = Stack::start().await?;
    let m = ReadyMrap::create(&stack, "authz", &[REGION]).await;
    let bucket = m.bucket(REGION).to_owned();
    let owner_direct = s3(&stack, REGION);
    let their_direct = s3_as(&stack, REGION, OTHER_ACCESS_KEY, OTHER_SECRET_KEY);
    let (owner, _) = arn_client(&stack);
    let (theirs, _) = arn_client_at(stack.addr, OTHER_ACCESS_KEY, OTHER_SECRET_KEY);
    put(&owner_direct, &bucket, "doc", b"x").await;

    // (f) same account, silent policies: the owner's identity allow suffices.
    assert_eq!(get_status(&owner, &m.arn, "doc").await, 200);
    // (e) another account with no MRAP policy allowing it: refused through the MRAP even though
    // the bucket policy lets it read directly.
    let bucket_allows_them = statement_policy(
        "Allow",
        OTHER_ACCOUNT,
        "s3:GetObject",
        &format!("arn:aws:s3:::{bucket}/*"),
    );
    set_bucket_policy(&owner_direct, &bucket, &bucket_allows_them).await;
    assert_eq!(get_status(&their_direct, &bucket, "doc").await, 200);
    assert_eq!(get_status(&theirs, &m.arn, "doc").await, 403);

    // (a) the bucket delegates to the MRAP owner's access points and the MRAP policy lets them
    // read: allowed through the MRAP, while directly the delegation does not apply.
    set_bucket_policy(
        &owner_direct,
        &bucket,
        &delegation(&bucket, "s3:DataAccessPointAccount", ACCOUNT),
    )
    .await;
    set_mrap_policy(
        &stack,
        &m,
        &mrap_read_policy(ACCOUNT, &m.alias, OTHER_ACCOUNT),
    )
    .await;
    until_status(&theirs, &m.arn, "doc", 200).await;
    assert_eq!(get_status(&their_direct, &bucket, "doc").await, 403);
    // The MRAP policy grants GetObject only: listing through the MRAP stays refused for them.
    let list = theirs.list_objects_v2().bucket(&m.arn).send().await;
    expect_error(list, "AccessDenied", 403);

    // (b) a delegation to another MRAP's ARN does not cover this one.
    let other_arn = format!("arn:aws:s3::{ACCOUNT}:accesspoint/mzzzzzzzzzzzz.mrap");
    set_bucket_policy(
        &owner_direct,
        &bucket,
        &delegation(&bucket, "s3:DataAccessPointArn", &other_arn),
    )
    .await;
    until_status(&theirs, &m.arn, "doc", 403).await;
    // …and one to this MRAP's ARN does.
    set_bucket_policy(
        &owner_direct,
        &bucket,
        &delegation(&bucket, "s3:DataAccessPointArn", &m.arn),
    )
    .await;
    until_status(&theirs, &m.arn, "doc", 200).await;

    // (d) an explicit deny in the MRAP policy beats the owner's own allow through the MRAP, and
    // leaves direct access alone.
    let deny_owner = statement_policy(
        "Deny",
        ACCOUNT,
        "s3:GetObject",
        &format!("{}/object/*", m.arn),
    );
    set_mrap_policy(&stack, &m, &deny_owner).await;
    until_status(&owner, &m.arn, "doc", 403).await;
    assert_eq!(get_status(&owner_direct, &bucket, "doc").await, 200);
    set_mrap_policy(
        &stack,
        &m,
        &mrap_read_policy(ACCOUNT, &m.alias, OTHER_ACCOUNT),
    )
    .await;
    until_status(&owner, &m.arn, "doc", 200).await;

    // (d') an explicit deny in the bucket policy beats everything, through the MRAP and directly.
    set_bucket_policy(
        &owner_direct,
        &bucket,
        &statement_policy(
            "Deny",
            ACCOUNT,
            "s3:GetObject",
            &format!("arn:aws:s3:::{bucket}/*"),
        ),
    )
    .await;
    until_status(&owner, &m.arn, "doc", 403).await;
    assert_eq!(get_status(&owner_direct, &bucket, "doc").await, 403);
    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_through_the_mrap_needs_list_bucket_on_its_arn() -> TestResult {
    let stack = Stack::start().await?;
    let m = ReadyMrap::create(&stack, "authz-list", &[REGION]).await;
    let bucket = m.bucket(REGION).to_owned();
    let owner_direct = s3(&stack, REGION);
    let (theirs, _) = arn_client_at(stack.addr, OTHER_ACCESS_KEY, OTHER_SECRET_KEY);
    set_bucket_policy(
        &owner_direct,
        &bucket,
        &delegation(&bucket, "s3:DataAccessPointAccount", ACCOUNT),
    )
    .await;
    // Before any MRAP policy: refused (cross-account needs the MRAP layer too).
    let list = theirs.list_objects_v2().bucket(&m.arn).send().await;
    expect_error(list, "AccessDenied", 403);
    let on_mrap = statement_policy("Allow", OTHER_ACCOUNT, "s3:ListBucket", &m.arn);
    set_mrap_policy(&stack, &m, &on_mrap).await;
    eventually(
        "ListBucket on the MRAP ARN allows ListObjectsV2 through it",
        || async { theirs.list_objects_v2().bucket(&m.arn).send().await.ok() },
    )
    .await;

    stack.stop().await?;
    Ok(())
}

/// (c) The decision depends on the bucket the request is routed to: one bucket delegates to the
/// MRAP, the other does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_routed_buckets_policy_decides() -> TestResult {
    let stack = Stack::start().await?;
    let (near, far) = ("us-east-1", "eu-west-1");
    let m = ReadyMrap::create(&stack, "authz-routed", &[near, far]).await;
    for region in [near, far] {
        put(&s3(&stack, region), m.bucket(region), "doc", b"x").await;
    }
    let near_bucket = m.bucket(near).to_owned();
    set_bucket_policy(
        &s3(&stack, near),
        &near_bucket,
        &delegation(&near_bucket, "s3:DataAccessPointAccount", ACCOUNT),
    )
    .await;
    set_mrap_policy(
        &stack,
        &m,
        &mrap_read_policy(ACCOUNT, &m.alias, OTHER_ACCOUNT),
    )
    .await;
    let (theirs, seen) = arn_client_at(stack.addr, OTHER_ACCESS_KEY, OTHER_SECRET_KEY);
    until_status(&theirs, &m.arn, "doc", 200).await;
    assert_eq!(last_region(&seen).as_deref(), Some(near));
    stack.set_region_down(near, true).await?;
    until_status(&theirs, &m.arn, "doc", 403).await;
    assert_eq!(last_region(&seen).as_deref(), Some(far));
    stack.stop().await?;
    Ok(())
}

/// (k) A public MRAP policy grants other accounts access only while no Block Public Access
/// setting on the way restricts public buckets — here the MRAP owner's account turns
/// `RestrictPublicBuckets` on; the owner itself keeps its access.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restrict_public_buckets_cuts_what_a_public_mrap_policy_grants_other_accounts() -> TestResult
{
    let stack = Stack::start().await?;
    let open = control_bpa(false, false, false, false);
    let m = ReadyMrap::create_with(&stack, "authz-public", &[REGION], Some(open)).await;
    let bucket = m.bucket(REGION).to_owned();
    let owner_direct = s3(&stack, REGION);
    put(&owner_direct, &bucket, "doc", b"x").await;
    set_bucket_policy(
        &owner_direct,
        &bucket,
        &delegation(&bucket, "s3:DataAccessPointAccount", ACCOUNT),
    )
    .await;
    let public = mrap_public_policy(ACCOUNT, &m.alias);
    assert_public(&public, true);
    set_mrap_policy(&stack, &m, &public).await;
    let (theirs, _) = arn_client_at(stack.addr, OTHER_ACCESS_KEY, OTHER_SECRET_KEY);
    let (owner, _) = arn_client(&stack);
    until_status(&theirs, &m.arn, "doc", 200).await;

    let ctl = control(&stack);
    put_account_bpa(&ctl, ACCOUNT, control_bpa(false, false, false, true)).await;
    assert_eq!(get_status(&theirs, &m.arn, "doc").await, 403);
    assert_eq!(get_status(&owner, &m.arn, "doc").await, 200);
    delete_account_bpa(&ctl, ACCOUNT).await;
    assert_eq!(get_status(&theirs, &m.arn, "doc").await, 200);
    stack.stop().await?;
    Ok(())
}

/// `s3:signatureversion` comes from the request: a policy can refuse SigV4 through the MRAP
/// while SigV4A (what SDKs send for an MRAP ARN) is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signature_version_is_the_requests() -> TestResult {
    let stack = Stack::start().await?;
    let m = ReadyMrap::create(&stack, "authz-sigv", &[REGION]).await;
    let owner_direct = s3(&stack, REGION);
    put(&owner_direct, m.bucket(REGION), "doc", b"x").await;
    let sigv4a_only = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"V4AOnly","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"{}/object/*","Condition":{{"StringEquals":{{"s3:signatureversion":"AWS4-HMAC-SHA256"}}}}}}]}}"#,
        m.arn
    );
    set_mrap_policy(&stack, &m, &sigv4a_only).await;
    // Path style through the MRAP, signed with SigV4.
    until_status(&owner_direct, &m.alias, "doc", 403).await;
    let (sigv4a, _) = arn_client(&stack);
    assert_eq!(get_status(&sigv4a, &m.arn, "doc").await, 200);
    stack.stop().await?;
    Ok(())
}
