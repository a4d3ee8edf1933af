//! The whole life of buckets and a Multi-Region Access Point, through aws-sdk-s3 and
//! aws-sdk-s3control, against the real stack.

use crate::common::*;
use aws_sdk_s3control::types::{AsyncOperationName, MultiRegionAccessPointStatus};

const REGIONS: [(&str, &str); 3] = [
    ("life-use1", "us-east-1"),
    ("life-euw1", "eu-west-1"),
    ("life-apse2", "ap-southeast-2"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buckets_and_mrap_from_create_to_delete() -> TestResult {
    let stack = Stack::start().await?;
    let ctl = control(&stack);
    let s3c = s3(&stack, "us-east-1");

    // --- buckets in three Regions ---
    for (bucket, region) in REGIONS {
        create_bucket(&stack, bucket, region).await;
    }
    for (bucket, region) in REGIONS {
        let head = s3c.head_bucket().bucket(bucket).send().await?;
        assert_eq!(head.bucket_region(), Some(region), "HeadBucket {bucket}");
        let location = s3c.get_bucket_location().bucket(bucket).send().await?;
        let constraint = location
            .location_constraint()
            .map(|c| c.as_str())
            .unwrap_or_default();
        // S3 reports us-east-1 as an empty LocationConstraint.
        let expected = if region == "us-east-1" { "" } else { region };
        assert_eq!(constraint, expected, "GetBucketLocation {bucket}");
    }
    let listed = s3c.list_buckets().send().await?;
    let names = set(listed.buckets().iter().filter_map(|b| b.name()));
    for (bucket, _) in REGIONS {
        assert!(
            names.contains(bucket),
            "ListBuckets lacks {bucket}: {names:?}"
        );
    }

    // --- create ---
    let buckets: Vec<&str> = REGIONS.iter().map(|(b, _)| *b).collect();
    let token = create_mrap(&ctl, ACCOUNT, "life", &buckets).await;
    assert_token_arn(&token, ACCOUNT, "create");

    let first = describe(&ctl, ACCOUNT, &token).await;
    assert_eq!(
        first.operation(),
        Some(&AsyncOperationName::CreateMultiRegionAccessPoint)
    );
    assert_eq!(first.request_token_arn(), Some(token.as_str()));
    assert!(
        first.creation_time().is_some(),
        "no CreationTime: {first:#?}"
    );
    let params = first
        .request_parameters()
        .and_then(|p| p.create_multi_region_access_point_request())
        .unwrap_or_else(|| panic!("no CreateMultiRegionAccessPointRequest: {first:#?}"));
    assert_eq!(params.name(), "life");
    assert_eq!(
        set(params.regions().iter().map(|r| r.bucket())),
        set(buckets.iter().copied())
    );
    assert!(
        all_blocked(params.public_access_block()),
        "Block Public Access defaults to all four flags on: {params:#?}"
    );
    assert!(
        matches!(
            first.request_status(),
            Some("NEW" | "IN_PROGRESS" | "SUCCEEDED")
        ),
        "unexpected first status: {first:#?}"
    );

    let done = wait_succeeded(&ctl, ACCOUNT, &token).await;
    assert_eq!(done.creation_time(), first.creation_time());
    let regional = done
        .response_details()
        .and_then(|d| d.multi_region_access_point_details())
        .unwrap_or_else(|| panic!("no MultiRegionAccessPointDetails: {done:#?}"));
    assert_eq!(
        set(regional.regions().iter().filter_map(|r| r.name())),
        set(REGIONS.iter().map(|(_, r)| *r)),
        "{regional:#?}"
    );
    for r in regional.regions() {
        assert_eq!(r.request_status(), Some("SUCCEEDED"), "{r:#?}");
    }

    // --- get / list ---
    let ap = ctl
        .get_multi_region_access_point()
        .account_id(ACCOUNT)
        .name("life")
        .send()
        .await?
        .access_point
        .expect("GetMultiRegionAccessPointResult has an AccessPoint");
    assert_eq!(ap.name(), Some("life"));
    assert_eq!(ap.status(), Some(&MultiRegionAccessPointStatus::Ready));
    let alias = ap.alias().expect("an alias").to_owned();
    assert_alias(&alias);
    // Both timestamps are "when the create request was received" (API reference).
    let created_at = ap.created_at().expect("a CreatedAt");
    let received = first.creation_time().expect("a CreationTime");
    assert_eq!(
        created_at.secs(),
        received.secs(),
        "CreatedAt {created_at} vs CreationTime {received}"
    );
    assert!(all_blocked(ap.public_access_block()), "{ap:#?}");
    assert_eq!(ap.regions().len(), REGIONS.len(), "{ap:#?}");
    for (bucket, region) in REGIONS {
        let report = ap
            .regions()
            .iter()
            .find(|r| r.bucket() == Some(bucket))
            .unwrap_or_else(|| panic!("no Region report for {bucket}: {ap:#?}"));
        assert_eq!(report.region(), Some(region), "{report:#?}");
        assert_eq!(report.bucket_account_id(), Some(ACCOUNT), "{report:#?}");
    }

    let list = ctl
        .list_multi_region_access_points()
        .account_id(ACCOUNT)
        .send()
        .await?;
    let listed = list
        .access_points()
        .iter()
        .find(|a| a.name() == Some("life"))
        .unwrap_or_else(|| panic!("List lacks the MRAP: {list:#?}"));
    assert_eq!(listed.alias(), Some(alias.as_str()));
    assert_eq!(listed.status(), Some(&MultiRegionAccessPointStatus::Ready));

    // --- a member bucket cannot be deleted ---
    let refused = s3c.delete_bucket().bucket("life-euw1").send().await;
    expect_error(refused, "InvalidBucketState", 409);

    // --- delete ---
    let token = delete_mrap(&ctl, ACCOUNT, "life").await;
    assert_token_arn(&token, ACCOUNT, "delete");
    let done = wait_succeeded(&ctl, ACCOUNT, &token).await;
    assert_eq!(
        done.operation(),
        Some(&AsyncOperationName::DeleteMultiRegionAccessPoint)
    );
    assert_eq!(
        done.request_parameters()
            .and_then(|p| p.delete_multi_region_access_point_request())
            .map(|d| d.name()),
        Some("life"),
        "{done:#?}"
    );
    let gone = ctl
        .get_multi_region_access_point()
        .account_id(ACCOUNT)
        .name("life")
        .send()
        .await;
    expect_error(gone, "NoSuchMultiRegionAccessPoint", 404);

    // Deleting an MRAP never deletes its buckets.
    for (bucket, region) in REGIONS {
        let head = s3c.head_bucket().bucket(bucket).send().await?;
        assert_eq!(head.bucket_region(), Some(region));
    }

    // --- same name again: a new alias, never a reused one ---
    let token = create_mrap(&ctl, ACCOUNT, "life", &buckets[..2]).await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;
    let again = ctl
        .get_multi_region_access_point()
        .account_id(ACCOUNT)
        .name("life")
        .send()
        .await?
        .access_point
        .expect("an AccessPoint");
    let new_alias = again.alias().expect("an alias");
    assert_alias(new_alias);
    assert_ne!(new_alias, alias, "an alias must never be reused");

    // The bucket that is no longer a member can go now; the members only after the MRAP.
    s3c.delete_bucket().bucket("life-apse2").send().await?;
    let refused = s3c.delete_bucket().bucket("life-use1").send().await;
    expect_error(refused, "InvalidBucketState", 409);
    let token = delete_mrap(&ctl, ACCOUNT, "life").await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;
    for bucket in &buckets[..2] {
        s3c.delete_bucket().bucket(*bucket).send().await?;
    }
    for bucket in &buckets {
        expect_status(s3c.head_bucket().bucket(*bucket).send().await, 404);
    }
    let listed = s3c.list_buckets().send().await?;
    assert!(listed.buckets().is_empty(), "{listed:#?}");

    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explicit_public_access_block_round_trips() -> TestResult {
    use aws_sdk_s3control::types::PublicAccessBlockConfiguration;

    let stack = Stack::start().await?;
    let ctl = control(&stack);
    create_bucket(&stack, "bpa-use1", "us-east-1").await;
    create_bucket(&stack, "bpa-euw1", "eu-west-1").await;

    let bpa = PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(false)
        .restrict_public_buckets(true)
        .build();
    let token = ctl
        .create_multi_region_access_point()
        .account_id(ACCOUNT)
        .details(create_input(
            "bpa",
            &["bpa-use1", "bpa-euw1"],
            Some(bpa.clone()),
        ))
        .send()
        .await?
        .request_token_arn()
        .expect("a token")
        .to_owned();
    let op = wait_succeeded(&ctl, ACCOUNT, &token).await;
    let described = op
        .request_parameters()
        .and_then(|p| p.create_multi_region_access_point_request())
        .and_then(|c| c.public_access_block())
        .unwrap_or_else(|| panic!("no PublicAccessBlock in Describe: {op:#?}"));
    assert_eq!(described, &bpa);

    let ap = ctl
        .get_multi_region_access_point()
        .account_id(ACCOUNT)
        .name("bpa")
        .send()
        .await?
        .access_point
        .expect("an AccessPoint");
    assert_eq!(ap.public_access_block(), Some(&bpa), "{ap:#?}");
    let list = ctl
        .list_multi_region_access_points()
        .account_id(ACCOUNT)
        .send()
        .await?;
    let listed = list
        .access_points()
        .iter()
        .find(|a| a.name() == Some("bpa"))
        .expect("listed");
    assert_eq!(listed.public_access_block(), Some(&bpa));

    stack.stop().await?;
    Ok(())
}
