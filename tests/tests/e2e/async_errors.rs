//! Every asynchronous error: the request is accepted (a token is returned), and Describe then
//! shows RequestStatus FAILED with ErrorDetails Code/Message. A failed create leaves nothing.

use crate::common::*;
use aws_sdk_s3control::types::AsyncOperationName;

async fn assert_no_mrap(ctl: &aws_sdk_s3control::Client, name: &str) {
    let r = ctl
        .get_multi_region_access_point()
        .account_id(ACCOUNT)
        .name(name)
        .send()
        .await;
    expect_error(r, "NoSuchMultiRegionAccessPoint", 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_failures_are_reported_by_describe() -> TestResult {
    let stack = Stack::start().await?;
    let ctl = control(&stack);
    create_bucket(&stack, "af-use1", "us-east-1").await;
    create_bucket(&stack, "af-use1-b", "us-east-1").await;
    create_bucket(&stack, "af-euw1", "eu-west-1").await;

    // A bucket that does not exist.
    let token = create_mrap(&ctl, ACCOUNT, "af-missing", &["af-use1", "af-nowhere"]).await;
    let op = wait_failed(&ctl, ACCOUNT, &token, "NoSuchBucket").await;
    assert_eq!(
        op.operation(),
        Some(&AsyncOperationName::CreateMultiRegionAccessPoint)
    );
    assert_no_mrap(&ctl, "af-missing").await;

    // Two buckets in one Region.
    let token = create_mrap(&ctl, ACCOUNT, "af-same", &["af-use1", "af-use1-b"]).await;
    wait_failed(
        &ctl,
        ACCOUNT,
        &token,
        "MultiRegionAccessPointSameBucketRegion",
    )
    .await;
    assert_no_mrap(&ctl, "af-same").await;

    // A name that is already taken (the first create succeeds, the second fails).
    let token = create_mrap(&ctl, ACCOUNT, "af-dup", &["af-use1", "af-euw1"]).await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;
    let alias = ctl
        .get_multi_region_access_point()
        .account_id(ACCOUNT)
        .name("af-dup")
        .send()
        .await?
        .access_point
        .and_then(|a| a.alias)
        .expect("an alias");
    let token = create_mrap(&ctl, ACCOUNT, "af-dup", &["af-euw1"]).await;
    wait_failed(
        &ctl,
        ACCOUNT,
        &token,
        "MultiRegionAccessPointAlreadyOwnedByYou",
    )
    .await;
    // The existing MRAP is untouched.
    let ap = ctl
        .get_multi_region_access_point()
        .account_id(ACCOUNT)
        .name("af-dup")
        .send()
        .await?
        .access_point
        .expect("an AccessPoint");
    assert_eq!(ap.alias(), Some(alias.as_str()));
    assert_eq!(ap.regions().len(), 2, "{ap:#?}");

    // Failed creates do not count against anything and leave nothing behind.
    let list = ctl
        .list_multi_region_access_points()
        .account_id(ACCOUNT)
        .send()
        .await?;
    let names: Vec<_> = list
        .access_points()
        .iter()
        .filter_map(|a| a.name())
        .collect();
    assert_eq!(names, ["af-dup"], "{list:#?}");

    // A bucket of the other account, named without its owner, does not exist for us.
    let theirs = s3_as(&stack, "eu-west-1", OTHER_ACCESS_KEY, OTHER_SECRET_KEY);
    create_bucket_with(&theirs, "af-theirs", "eu-west-1").await;
    let token = create_mrap(&ctl, ACCOUNT, "af-theirs", &["af-use1", "af-theirs"]).await;
    let op = wait_for_op(&ctl, ACCOUNT, &token).await;
    assert_eq!(op.request_status(), Some("FAILED"), "{op:#?}");
    assert_no_mrap(&ctl, "af-theirs").await;

    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_an_unknown_mrap_fails_asynchronously() -> TestResult {
    let stack = Stack::start().await?;
    let ctl = control(&stack);

    let token = delete_mrap(&ctl, ACCOUNT, "ad-never").await;
    assert_token_arn(&token, ACCOUNT, "delete");
    let op = wait_failed(&ctl, ACCOUNT, &token, "NoSuchMultiRegionAccessPoint").await;
    assert_eq!(
        op.operation(),
        Some(&AsyncOperationName::DeleteMultiRegionAccessPoint)
    );

    // Deleting twice: the second delete finds nothing.
    create_bucket(&stack, "ad-use1", "us-east-1").await;
    let token = create_mrap(&ctl, ACCOUNT, "ad-twice", &["ad-use1"]).await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;
    let token = delete_mrap(&ctl, ACCOUNT, "ad-twice").await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;
    let token = delete_mrap(&ctl, ACCOUNT, "ad-twice").await;
    wait_failed(&ctl, ACCOUNT, &token, "NoSuchMultiRegionAccessPoint").await;

    stack.stop().await?;
    Ok(())
}
