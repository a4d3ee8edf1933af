//! Multi-Region Access Point policies through the official S3 Control client:
//! PutMultiRegionAccessPointPolicy (asynchronous: validate → propose → apply per Region →
//! establish), GetMultiRegionAccessPointPolicy (Established / Proposed),
//! GetMultiRegionAccessPointPolicyStatus, and the asynchronous failures MalformedPolicy,
//! AccessDenied (BlockPublicPolicy of the MRAP or of the account) and NoSuchMultiRegionAccessPoint.

use crate::common::{policy::*, raw, *};
use aws_sdk_s3control::types::{AsyncOperation, AsyncOperationName};

/// Two buckets in two Regions and a READY MRAP over them (default BPA: all four flags on).
async fn ready_mrap(stack: &Stack, name: &str) -> String {
    let ctl = control(stack);
    let (b1, b2) = (format!("{name}-use1"), format!("{name}-euw1"));
    create_bucket(stack, &b1, "us-east-1").await;
    create_bucket(stack, &b2, "eu-west-1").await;
    let token = create_mrap(&ctl, ACCOUNT, name, &[&b1, &b2]).await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;
    mrap_alias(&ctl, ACCOUNT, name).await
}

/// Operation, RequestParameters (Name + Policy) and every Region SUCCEEDED.
fn assert_put_policy_op(op: &AsyncOperation, name: &str, policy: &str, regions: &[&str]) {
    assert_eq!(
        op.operation(),
        Some(&AsyncOperationName::PutMultiRegionAccessPointPolicy),
        "{op:#?}"
    );
    let params = op
        .request_parameters()
        .and_then(|p| p.put_multi_region_access_point_policy_request())
        .unwrap_or_else(|| panic!("no PutMultiRegionAccessPointPolicyRequest: {op:#?}"));
    assert_eq!(params.name(), name, "{op:#?}");
    assert_eq!(params.policy(), policy, "{op:#?}");
    assert!(
        op.request_parameters()
            .and_then(|p| p.create_multi_region_access_point_request())
            .is_none(),
        "RequestParameters has a second child: {op:#?}"
    );
    let regional = op
        .response_details()
        .and_then(|d| d.multi_region_access_point_details())
        .unwrap_or_else(|| panic!("no MultiRegionAccessPointDetails: {op:#?}"));
    assert_eq!(
        set(regional.regions().iter().filter_map(|r| r.name())),
        set(regions.iter().copied()),
        "{regional:#?}"
    );
    for r in regional.regions() {
        assert_eq!(r.request_status(), Some("SUCCEEDED"), "{r:#?}");
    }
    assert!(
        op.response_details()
            .and_then(|d| d.error_details())
            .is_none(),
        "a SUCCEEDED operation with ErrorDetails: {op:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_get_replace_and_status() -> TestResult {
    let stack = Stack::start().await?;
    let ctl = control(&stack);
    let alias = ready_mrap(&stack, "pol").await;

    // Before any put: a result without Established and without Proposed (AWS leaves this case
    // undocumented; moto answers 404 NoSuchMultiRegionAccessPointPolicy instead).
    let before = ctl
        .get_multi_region_access_point_policy()
        .account_id(ACCOUNT)
        .name("pol")
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "GetMultiRegionAccessPointPolicy before a put: {}",
                describe_err(&e)
            )
        });
    assert!(
        before
            .policy()
            .is_none_or(|d| d.established().is_none() && d.proposed().is_none()),
        "a policy before any put: {before:#?}"
    );

    // A valid, non-public policy.
    let first = mrap_read_policy(ACCOUNT, &alias, OTHER_ACCOUNT);
    assert_no_error_findings(&first, MRAP_RESOURCE_TYPE);
    assert_public(&first, false);
    let first_token = put_mrap_policy(&ctl, ACCOUNT, "pol", &first).await;
    assert_token_arn(&first_token, ACCOUNT, "put-policy");
    let op = wait_succeeded(&ctl, ACCOUNT, &first_token).await;
    assert_eq!(
        op.request_token_arn(),
        Some(first_token.as_str()),
        "{op:#?}"
    );
    assert!(op.creation_time().is_some(), "{op:#?}");
    assert_put_policy_op(&op, "pol", &first, &["us-east-1", "eu-west-1"]);
    assert_mrap_policy(&ctl, ACCOUNT, "pol", &first).await;
    assert_eq!(mrap_is_public(&ctl, ACCOUNT, "pol").await, Some(false));
    // The SDK reads an absent IsPublic as false: check the element is really there.
    let raw_status = raw::control_request(
        &stack,
        "GET",
        "/v20180820/mrap/instances/pol/policystatus",
        "",
        b"",
        Some(raw::Signer::now(ACCESS_KEY, SECRET_KEY)),
    )
    .await;
    assert_eq!(raw_status.status, 200, "{raw_status:#?}");
    assert!(
        raw_status
            .body
            .contains("<Established><IsPublic>false</IsPublic></Established>"),
        "{raw_status:#?}"
    );

    // A second put replaces it. Pretty-printed, with characters XML must escape (`"`, `&`, `<`,
    // `>`) inside a condition value: the text comes back byte for byte.
    let arn = mrap_arn(ACCOUNT, &alias);
    let second = format!(
        r#"{{
  "Version": "2012-10-17",
  "Statement": [
    {{
      "Sid": "ReadAndList",
      "Effect": "Allow",
      "Principal": {{ "AWS": "arn:aws:iam::{OTHER_ACCOUNT}:root" }},
      "Action": ["s3:GetObject", "s3:ListBucket"],
      "Resource": ["{arn}", "{arn}/object/*"],
      "Condition": {{ "StringNotEquals": {{ "aws:UserAgent": "a&b <c> \"d\"" }} }}
    }}
  ]
}}"#
    );
    assert_no_error_findings(&second, MRAP_RESOURCE_TYPE);
    assert_public(&second, false);
    let token = put_mrap_policy(&ctl, ACCOUNT, "pol", &second).await;
    let op = wait_succeeded(&ctl, ACCOUNT, &token).await;
    assert_put_policy_op(&op, "pol", &second, &["us-east-1", "eu-west-1"]);
    assert_mrap_policy(&ctl, ACCOUNT, "pol", &second).await;
    assert_eq!(mrap_is_public(&ctl, ACCOUNT, "pol").await, Some(false));

    assert_ne!(token, first_token, "two puts share a request token");
    // The first operation still describes the first put.
    let first_op = describe(&ctl, ACCOUNT, &first_token).await;
    assert_eq!(
        first_op.request_status(),
        Some("SUCCEEDED"),
        "{first_op:#?}"
    );
    assert_put_policy_op(&first_op, "pol", &first, &["us-east-1", "eu-west-1"]);

    // There is no DeletePolicy: a deny-all policy is how an MRAP is shut.
    let deny_all = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"DenyAll","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["{arn}","{arn}/object/*"]}}]}}"#
    );
    assert_no_error_findings(&deny_all, MRAP_RESOURCE_TYPE);
    let token = put_mrap_policy(&ctl, ACCOUNT, "pol", &deny_all).await;
    let op = wait_succeeded(&ctl, ACCOUNT, &token).await;
    assert_put_policy_op(&op, "pol", &deny_all, &["us-east-1", "eu-west-1"]);
    assert_mrap_policy(&ctl, ACCOUNT, "pol", &deny_all).await;
    assert_eq!(mrap_is_public(&ctl, ACCOUNT, "pol").await, Some(false));

    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_findings_fail_with_malformed_policy() -> TestResult {
    let stack = Stack::start().await?;
    let ctl = control(&stack);
    let alias = ready_mrap(&stack, "mal").await;
    let arn = mrap_arn(ACCOUNT, &alias);

    let good = mrap_read_policy(ACCOUNT, &alias, OTHER_ACCOUNT);
    let token = put_mrap_policy(&ctl, ACCOUNT, "mal", &good).await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;

    let bad = [
        (
            "invalid JSON",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",}]}"#.to_owned(),
        ),
        ("not JSON at all", "this is not a policy".to_owned()),
        ("empty", String::new()),
        (
            "Effect Maybe",
            format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Maybe","Principal":{{"AWS":"arn:aws:iam::{OTHER_ACCOUNT}:root"}},"Action":"s3:GetObject","Resource":"{arn}/object/*"}}]}}"#
            ),
        ),
        ("no Statement", r#"{"Version":"2012-10-17"}"#.to_owned()),
        (
            "unknown action",
            format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{OTHER_ACCOUNT}:root"}},"Action":"s3:GetObjekt","Resource":"{arn}/object/*"}}]}}"#
            ),
        ),
        (
            "a bucket ARN in an MRAP policy",
            format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{OTHER_ACCOUNT}:root"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::mal-use1/*"}}]}}"#
            ),
        ),
    ];
    for (what, text) in &bad {
        let findings = mrap_policy::validate(
            text,
            mrap_policy::PolicyType::Resource,
            Some(MRAP_RESOURCE_TYPE),
        );
        assert!(
            findings
                .iter()
                .any(|f| f.finding_type == mrap_policy::FindingType::Error),
            "test input error: {what} has no ERROR finding: {findings:#?}"
        );
        let token = put_mrap_policy(&ctl, ACCOUNT, "mal", text).await;
        assert_token_arn(&token, ACCOUNT, "put-policy");
        let op = wait_failed(&ctl, ACCOUNT, &token, "MalformedPolicy").await;
        assert_eq!(
            op.operation(),
            Some(&AsyncOperationName::PutMultiRegionAccessPointPolicy),
            "{what}: {op:#?}"
        );
        assert_eq!(
            op.request_parameters()
                .and_then(|p| p.put_multi_region_access_point_policy_request())
                .map(|p| p.policy()),
            Some(text.as_str()),
            "{what}: {op:#?}"
        );
        // A refused policy changes nothing.
        assert_mrap_policy(&ctl, ACCOUNT, "mal", &good).await;
    }

    // Only ERROR findings refuse a policy: a missing Version is a WARNING (MISSING_VERSION).
    let no_version = format!(
        r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{OTHER_ACCOUNT}:root"}},"Action":"s3:GetObject","Resource":"{arn}/object/*"}}]}}"#
    );
    let findings = mrap_policy::validate(
        &no_version,
        mrap_policy::PolicyType::Resource,
        Some(MRAP_RESOURCE_TYPE),
    );
    assert!(
        findings.iter().any(|f| f.issue_code == "MISSING_VERSION"
            && f.finding_type == mrap_policy::FindingType::Warning),
        "test input error: {findings:#?}"
    );
    assert_no_error_findings(&no_version, MRAP_RESOURCE_TYPE);
    let token = put_mrap_policy(&ctl, ACCOUNT, "mal", &no_version).await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;
    assert_mrap_policy(&ctl, ACCOUNT, "mal", &no_version).await;

    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_policy_needs_block_public_policy_off() -> TestResult {
    let stack = Stack::start().await?;
    let ctl = control(&stack);

    // Default BPA (all four on): a public policy is refused, asynchronously, with AccessDenied.
    let alias = ready_mrap(&stack, "blk").await;
    let public = mrap_public_policy(ACCOUNT, &alias);
    assert_no_error_findings(&public, MRAP_RESOURCE_TYPE);
    assert_public(&public, true);
    let token = put_mrap_policy(&ctl, ACCOUNT, "blk", &public).await;
    let op = wait_failed(&ctl, ACCOUNT, &token, "AccessDenied").await;
    assert_eq!(
        op.operation(),
        Some(&AsyncOperationName::PutMultiRegionAccessPointPolicy),
        "{op:#?}"
    );
    assert_eq!(
        mrap_policy_texts(&ctl, ACCOUNT, "blk").await,
        (None, None),
        "a refused public policy was stored"
    );
    // A non-public one is fine on the same MRAP.
    let private = mrap_read_policy(ACCOUNT, &alias, OTHER_ACCOUNT);
    let token = put_mrap_policy(&ctl, ACCOUNT, "blk", &private).await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;
    assert_mrap_policy(&ctl, ACCOUNT, "blk", &private).await;

    // BlockPublicPolicy off at creation (the three other flags on): the public policy is
    // accepted and reported public.
    create_bucket(&stack, "open-use1", "us-east-1").await;
    let token = create_mrap_with_bpa(
        &ctl,
        ACCOUNT,
        "open",
        &["open-use1"],
        control_bpa(true, true, false, true),
    )
    .await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;
    let alias = mrap_alias(&ctl, ACCOUNT, "open").await;
    let public = mrap_public_policy(ACCOUNT, &alias);
    let token = put_mrap_policy(&ctl, ACCOUNT, "open", &public).await;
    let op = wait_succeeded(&ctl, ACCOUNT, &token).await;
    assert_put_policy_op(&op, "open", &public, &["us-east-1"]);
    assert_mrap_policy(&ctl, ACCOUNT, "open", &public).await;
    assert_eq!(mrap_is_public(&ctl, ACCOUNT, "open").await, Some(true));

    // Replaced by a non-public policy, the status follows the established policy.
    let private = mrap_read_policy(ACCOUNT, &alias, OTHER_ACCOUNT);
    let token = put_mrap_policy(&ctl, ACCOUNT, "open", &private).await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;
    assert_eq!(mrap_is_public(&ctl, ACCOUNT, "open").await, Some(false));

    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_block_public_policy_refuses_public_mrap_policies() -> TestResult {
    let stack = Stack::start().await?;
    let ctl = control(&stack);
    create_bucket(&stack, "acct-use1", "us-east-1").await;
    let token = create_mrap_with_bpa(
        &ctl,
        ACCOUNT,
        "acct",
        &["acct-use1"],
        control_bpa(false, false, false, false),
    )
    .await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;
    let alias = mrap_alias(&ctl, ACCOUNT, "acct").await;
    let public = mrap_public_policy(ACCOUNT, &alias);
    let private = mrap_read_policy(ACCOUNT, &alias, OTHER_ACCOUNT);

    // Account-level flags other than BlockPublicPolicy do not refuse a public policy.
    put_account_bpa(&ctl, ACCOUNT, control_bpa(true, true, false, true)).await;
    let token = put_mrap_policy(&ctl, ACCOUNT, "acct", &public).await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;
    assert_eq!(mrap_is_public(&ctl, ACCOUNT, "acct").await, Some(true));
    let token = put_mrap_policy(&ctl, ACCOUNT, "acct", &private).await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;

    // Account-level BlockPublicPolicy does, although the MRAP's own flag is off.
    put_account_bpa(&ctl, ACCOUNT, control_bpa(false, false, true, false)).await;
    let token = put_mrap_policy(&ctl, ACCOUNT, "acct", &public).await;
    wait_failed(&ctl, ACCOUNT, &token, "AccessDenied").await;
    assert_mrap_policy(&ctl, ACCOUNT, "acct", &private).await;
    assert_eq!(mrap_is_public(&ctl, ACCOUNT, "acct").await, Some(false));
    // Non-public policies still go through.
    let token = put_mrap_policy(&ctl, ACCOUNT, "acct", &private).await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;

    // Another account's Block Public Access does not govern our MRAP.
    let theirs = control_as(&stack, OTHER_ACCESS_KEY, OTHER_SECRET_KEY);
    delete_account_bpa(&ctl, ACCOUNT).await;
    put_account_bpa(&theirs, OTHER_ACCOUNT, control_bpa(true, true, true, true)).await;
    let token = put_mrap_policy(&ctl, ACCOUNT, "acct", &public).await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;
    assert_mrap_policy(&ctl, ACCOUNT, "acct", &public).await;
    assert_eq!(mrap_is_public(&ctl, ACCOUNT, "acct").await, Some(true));

    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_mrap_is_not_found() -> TestResult {
    let stack = Stack::start().await?;
    let ctl = control(&stack);
    let policy = mrap_read_policy(ACCOUNT, "mfzwi23gnjvgw.mrap", OTHER_ACCOUNT);

    let token = put_mrap_policy(&ctl, ACCOUNT, "nobody", &policy).await;
    assert_token_arn(&token, ACCOUNT, "put-policy");
    let op = wait_failed(&ctl, ACCOUNT, &token, "NoSuchMultiRegionAccessPoint").await;
    assert_eq!(
        op.operation(),
        Some(&AsyncOperationName::PutMultiRegionAccessPointPolicy),
        "{op:#?}"
    );
    let r = ctl
        .get_multi_region_access_point_policy()
        .account_id(ACCOUNT)
        .name("nobody")
        .send()
        .await;
    expect_error(r, "NoSuchMultiRegionAccessPoint", 404);
    let r = ctl
        .get_multi_region_access_point_policy_status()
        .account_id(ACCOUNT)
        .name("nobody")
        .send()
        .await;
    expect_error(r, "NoSuchMultiRegionAccessPoint", 404);

    // A deleted MRAP takes its policy with it.
    let alias = ready_mrap(&stack, "gone").await;
    let policy = mrap_read_policy(ACCOUNT, &alias, OTHER_ACCOUNT);
    let token = put_mrap_policy(&ctl, ACCOUNT, "gone", &policy).await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;
    let token = delete_mrap(&ctl, ACCOUNT, "gone").await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;
    let r = ctl
        .get_multi_region_access_point_policy()
        .account_id(ACCOUNT)
        .name("gone")
        .send()
        .await;
    expect_error(r, "NoSuchMultiRegionAccessPoint", 404);
    let token = put_mrap_policy(&ctl, ACCOUNT, "gone", &policy).await;
    wait_failed(&ctl, ACCOUNT, &token, "NoSuchMultiRegionAccessPoint").await;

    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_account_cannot_read_or_replace_our_policy() -> TestResult {
    let stack = Stack::start().await?;
    let ctl = control(&stack);
    let alias = ready_mrap(&stack, "mine").await;
    let policy = mrap_read_policy(ACCOUNT, &alias, OTHER_ACCOUNT);
    let token = put_mrap_policy(&ctl, ACCOUNT, "mine", &policy).await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;

    let intruder = control_as(&stack, OTHER_ACCESS_KEY, OTHER_SECRET_KEY);
    let deny_all = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"{}/object/*"}}]}}"#,
        mrap_arn(ACCOUNT, &alias)
    );
    // Naming our account: refused synchronously.
    let r = intruder
        .put_multi_region_access_point_policy()
        .account_id(ACCOUNT)
        .details(
            aws_sdk_s3control::types::PutMultiRegionAccessPointPolicyInput::builder()
                .name("mine")
                .policy(&deny_all)
                .build()?,
        )
        .send()
        .await;
    expect_error(r, "AccessDenied", 403);
    let r = intruder
        .get_multi_region_access_point_policy()
        .account_id(ACCOUNT)
        .name("mine")
        .send()
        .await;
    expect_error(r, "AccessDenied", 403);
    let r = intruder
        .get_multi_region_access_point_policy_status()
        .account_id(ACCOUNT)
        .name("mine")
        .send()
        .await;
    expect_error(r, "AccessDenied", 403);
    // Naming their own account: the name means nothing there.
    let token = put_mrap_policy(&intruder, OTHER_ACCOUNT, "mine", &deny_all).await;
    assert_token_arn(&token, OTHER_ACCOUNT, "put-policy");
    wait_failed(
        &intruder,
        OTHER_ACCOUNT,
        &token,
        "NoSuchMultiRegionAccessPoint",
    )
    .await;

    assert_mrap_policy(&ctl, ACCOUNT, "mine", &policy).await;
    stack.stop().await?;
    Ok(())
}
