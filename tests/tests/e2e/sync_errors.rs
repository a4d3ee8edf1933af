//! Every synchronous (HTTP) error of the MRAP control plane and of bucket creation, as the
//! official SDKs see it: the error code and the HTTP status.

use crate::common::*;
use aws_sdk_s3control::{error::ProvideErrorMetadata as _, types::Region as MrapRegion};

async fn create_result(
    ctl: &aws_sdk_s3control::Client,
    name: &str,
    buckets: &[&str],
) -> Result<
    aws_sdk_s3control::operation::create_multi_region_access_point::CreateMultiRegionAccessPointOutput,
    aws_sdk_s3control::error::SdkError<
        aws_sdk_s3control::operation::create_multi_region_access_point::CreateMultiRegionAccessPointError,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
>{
    ctl.create_multi_region_access_point()
        .account_id(ACCOUNT)
        .details(create_input(name, buckets, None))
        .send()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_names_and_region_counts_are_invalid_requests() -> TestResult {
    let stack = Stack::start().await?;
    let ctl = control(&stack);
    create_bucket(&stack, "names-use1", "us-east-1").await;

    let too_long = "a".repeat(51);
    for name in ["UPPER", "ab", "-abc", "abc-", too_long.as_str(), "a_b"] {
        let r = create_result(&ctl, name, &["names-use1"]).await;
        expect_error(r, "InvalidRequest", 400);
    }
    // The longest legal name is accepted (50 characters).
    let longest = "a".repeat(50);
    let token = create_result(&ctl, &longest, &["names-use1"])
        .await?
        .request_token_arn()
        .expect("a token")
        .to_owned();
    wait_succeeded(&ctl, ACCOUNT, &token).await;

    // No Regions at all.
    let empty = aws_sdk_s3control::types::CreateMultiRegionAccessPointInput::builder()
        .name("no-regions")
        .set_regions(Some(Vec::new()))
        .build()?;
    let r = ctl
        .create_multi_region_access_point()
        .account_id(ACCOUNT)
        .details(empty)
        .send()
        .await;
    expect_error(r, "InvalidRequest", 400);

    // 21 Regions (syntax is checked before any bucket is looked at).
    let many: Vec<String> = (0..21).map(|i| format!("many-{i:02}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let r = create_result(&ctl, "too-many-regions", &many).await;
    expect_error(r, "TooManyMultiRegionAccessPointregionsError", 400);

    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_token_reuse() -> TestResult {
    let stack = Stack::start().await?;
    let ctl = control(&stack);
    create_bucket(&stack, "tok-use1", "us-east-1").await;
    create_bucket(&stack, "tok-euw1", "eu-west-1").await;

    let send = |name: &'static str, buckets: &'static [&'static str]| {
        ctl.create_multi_region_access_point()
            .account_id(ACCOUNT)
            .client_token("e2e-token-1")
            .details(create_input(name, buckets, None))
            .send()
    };
    let first = send("tok", &["tok-use1", "tok-euw1"])
        .await?
        .request_token_arn()
        .expect("a token")
        .to_owned();
    assert_token_arn(&first, ACCOUNT, "create");

    // Same token, same request: the same operation.
    let again = send("tok", &["tok-use1", "tok-euw1"])
        .await?
        .request_token_arn()
        .expect("a token")
        .to_owned();
    assert_eq!(again, first);

    // Same token, different request: a conflict.
    expect_error(
        send("tok-other", &["tok-use1"]).await,
        "ClientTokenConflict",
        409,
    );
    expect_error(send("tok", &["tok-use1"]).await, "ClientTokenConflict", 409);

    // The original ran exactly once.
    wait_succeeded(&ctl, ACCOUNT, &first).await;
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
    assert_eq!(names, ["tok"], "{list:#?}");

    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hundred_and_first_mrap_is_over_quota() -> TestResult {
    let stack = Stack::start().await?;
    let ctl = control(&stack);
    // One bucket may belong to many MRAPs.
    create_bucket(&stack, "quota-use1", "us-east-1").await;

    let mut tokens = Vec::new();
    for i in 0..100 {
        tokens.push(create_mrap(&ctl, ACCOUNT, &format!("quota-{i:03}"), &["quota-use1"]).await);
    }
    for token in &tokens {
        wait_succeeded(&ctl, ACCOUNT, token).await;
    }
    let list = ctl
        .list_multi_region_access_points()
        .account_id(ACCOUNT)
        .send()
        .await?;
    assert_eq!(list.access_points().len(), 100);

    let r = create_result(&ctl, "quota-100", &["quota-use1"]).await;
    expect_error(r, "TooManyMultiRegionAccessPoints", 400);

    // The other account has its own quota.
    let other = control_as(&stack, OTHER_ACCESS_KEY, OTHER_SECRET_KEY);
    create_bucket_with(
        &s3_as(&stack, "us-east-1", OTHER_ACCESS_KEY, OTHER_SECRET_KEY),
        "quota-other",
        "us-east-1",
    )
    .await;
    let token = create_mrap(&other, OTHER_ACCOUNT, "quota-100", &["quota-other"]).await;
    wait_succeeded(&other, OTHER_ACCOUNT, &token).await;

    // Deleting one frees a slot.
    let token = delete_mrap(&ctl, ACCOUNT, "quota-000").await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;
    let token = create_mrap(&ctl, ACCOUNT, "quota-100", &["quota-use1"]).await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;

    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_tokens_and_names_are_not_found() -> TestResult {
    let stack = Stack::start().await?;
    let ctl = control(&stack);

    let unknown = format!(
        "arn:aws:s3:us-west-2:{ACCOUNT}:async-request/mrap/create/{}",
        "0".repeat(32)
    );
    let r = ctl
        .describe_multi_region_access_point_operation()
        .account_id(ACCOUNT)
        .request_token_arn(unknown)
        .send()
        .await;
    expect_error(r, "NoSuchAsyncRequest", 404);

    let r = ctl
        .get_multi_region_access_point()
        .account_id(ACCOUNT)
        .name("never-created")
        .send()
        .await;
    expect_error(r, "NoSuchMultiRegionAccessPoint", 404);

    // A token of another account is not ours to describe.
    create_bucket(&stack, "nf-use1", "us-east-1").await;
    let token = create_mrap(&ctl, ACCOUNT, "nf-mine", &["nf-use1"]).await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;
    let other = control_as(&stack, OTHER_ACCESS_KEY, OTHER_SECRET_KEY);
    let r = other
        .describe_multi_region_access_point_operation()
        .account_id(OTHER_ACCOUNT)
        .request_token_arn(&token)
        .send()
        .await;
    let err = r.expect_err("another account's operation must not be described");
    assert!(
        matches!(
            (err.code(), status_of(&err)),
            (Some("NoSuchAsyncRequest"), Some(404)) | (Some("AccessDenied"), Some(403))
        ),
        "{}",
        describe_err(&err)
    );
    let r = other
        .get_multi_region_access_point()
        .account_id(OTHER_ACCOUNT)
        .name("nf-mine")
        .send()
        .await;
    expect_error(r, "NoSuchMultiRegionAccessPoint", 404);

    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_bucket_errors() -> TestResult {
    let stack = Stack::start().await?;
    let mine = s3(&stack, "us-east-1");
    let theirs = s3_as(&stack, "us-east-1", OTHER_ACCESS_KEY, OTHER_SECRET_KEY);

    // sa-east-1 is not a Region of this deployment (deploy/regions.json).
    let r = mine
        .create_bucket()
        .bucket("cb-nowhere")
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::SaEast1)
                .build(),
        )
        .send()
        .await;
    expect_error(r, "InvalidLocationConstraint", 400);
    expect_status(mine.head_bucket().bucket("cb-nowhere").send().await, 404);

    create_bucket(&stack, "cb-taken", "eu-west-1").await;
    let again = s3(&stack, "eu-west-1")
        .create_bucket()
        .bucket("cb-taken")
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await;
    expect_error(again, "BucketAlreadyOwnedByYou", 409);

    let r = theirs.create_bucket().bucket("cb-taken").send().await;
    expect_error(r, "BucketAlreadyExists", 409);

    for bad in ["AB", "UPPER-case", "a_b", "-dash", "x", "ends-with-dash-"] {
        let r = mine.create_bucket().bucket(bad).send().await;
        expect_error(r, "InvalidBucketName", 400);
    }
    // The refused names were not created.
    let listed = mine.list_buckets().send().await?;
    let names: Vec<_> = listed.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["cb-taken"], "{listed:#?}");

    stack.stop().await?;
    Ok(())
}

/// A Region element can also name the bucket's owner explicitly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explicit_bucket_account_id_is_accepted() -> TestResult {
    let stack = Stack::start().await?;
    let ctl = control(&stack);
    create_bucket(&stack, "owner-use1", "us-east-1").await;
    let details = aws_sdk_s3control::types::CreateMultiRegionAccessPointInput::builder()
        .name("owner")
        .regions(
            MrapRegion::builder()
                .bucket("owner-use1")
                .bucket_account_id(ACCOUNT)
                .build()?,
        )
        .build()?;
    let token = ctl
        .create_multi_region_access_point()
        .account_id(ACCOUNT)
        .details(details)
        .send()
        .await?
        .request_token_arn()
        .expect("a token")
        .to_owned();
    wait_succeeded(&ctl, ACCOUNT, &token).await;
    stack.stop().await?;
    Ok(())
}
