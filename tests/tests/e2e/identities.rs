//! IAM users as principals, end to end with the real SDKs: identity policies decide what a user
//! may do (S3 Control, S3, IAM), an explicit deny wins, refusals name the deciding layer, a second
//! account is one access key away, and a change (a key deactivated, a policy replaced) is enforced
//! as soon as the authorizer's mirror sees it. The propagation times are printed (the p99 is a
//! reported figure, not an assertion).

use std::time::{Duration, Instant};

use aws_sdk_iam::types::StatusType;

use crate::common::{mrap::eventually, *};

/// A user of the main account with one inline policy and an access key: (key id, secret).
async fn user_with_policy(stack: &Stack, name: &str, policy: Option<&str>) -> (String, String) {
    let iam = iam(stack);
    iam.create_user()
        .user_name(name)
        .send()
        .await
        .expect("CreateUser");
    if let Some(doc) = policy {
        iam.put_user_policy()
            .user_name(name)
            .policy_name("inline")
            .policy_document(doc)
            .send()
            .await
            .expect("PutUserPolicy");
    }
    let key = iam
        .create_access_key()
        .user_name(name)
        .send()
        .await
        .expect("CreateAccessKey");
    let key = key.access_key().expect("a key");
    (
        key.access_key_id().to_owned(),
        key.secret_access_key().to_owned(),
    )
}

fn allow(actions: &[&str], resource: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":{},"Resource":"{resource}"}}]}}"#,
        serde_json::to_string(actions).expect("json")
    )
}

#[tokio::test]
async fn a_reader_may_get_and_list_but_not_create() -> TestResult {
    let stack = Stack::start().await?;
    let policy = allow(
        &[
            "s3:ListMultiRegionAccessPoints",
            "s3:GetMultiRegionAccessPoint",
        ],
        "*",
    );
    let (key, secret) = user_with_policy(&stack, "reader", Some(&policy)).await;
    let ctl = control_as(&stack, &key, &secret);
    ctl.list_multi_region_access_points()
        .account_id(ACCOUNT)
        .send()
        .await?;
    let message = expect_error(
        ctl.create_multi_region_access_point()
            .account_id(ACCOUNT)
            .details(create_input("reader-made", &["some-bucket"], None))
            .send()
            .await,
        "AccessDenied",
        403,
    );
    assert_eq!(
        message,
        format!(
            "User: arn:aws:iam::{ACCOUNT}:user/reader is not authorized to perform: s3:CreateMultiRegionAccessPoint on resource: \"arn:aws:s3::{ACCOUNT}:accesspoint/reader-made\" because no identity-based policy allows the s3:CreateMultiRegionAccessPoint action"
        )
    );
    // S3 is outside the policy too.
    let s3 = s3_as(&stack, "us-east-1", &key, &secret);
    expect_error(s3.list_buckets().send().await, "AccessDenied", 403);
    stack.stop().await?;
    Ok(())
}

#[tokio::test]
async fn a_user_without_policy_is_refused_everything() -> TestResult {
    let stack = Stack::start().await?;
    create_bucket(&stack, "root-bucket", "us-east-1").await;
    let (key, secret) = user_with_policy(&stack, "nobody", None).await;
    let ctl = control_as(&stack, &key, &secret);
    expect_error(
        ctl.list_multi_region_access_points()
            .account_id(ACCOUNT)
            .send()
            .await,
        "AccessDenied",
        403,
    );
    let s3 = s3_as(&stack, "us-east-1", &key, &secret);
    expect_error(
        s3.get_object().bucket("root-bucket").key("k").send().await,
        "AccessDenied",
        403,
    );
    expect_error(
        s3.create_bucket().bucket("nobodys-bucket").send().await,
        "AccessDenied",
        403,
    );
    expect_error(
        iam_as(&stack, &key, &secret).list_users().send().await,
        "AccessDenied",
        403,
    );
    // Who am I needs no permission.
    let me = sts_as(&stack, &key, &secret)
        .get_caller_identity()
        .send()
        .await?;
    assert_eq!(
        me.arn(),
        Some(format!("arn:aws:iam::{ACCOUNT}:user/nobody").as_str())
    );
    assert_eq!(me.account(), Some(ACCOUNT));
    let user_id = me.user_id().unwrap_or_default();
    assert!(
        user_id.starts_with("AIDA") && user_id.len() == 21,
        "{user_id}"
    );
    stack.stop().await?;
    Ok(())
}

#[tokio::test]
async fn an_explicit_deny_beats_an_allow() -> TestResult {
    let stack = Stack::start().await?;
    create_bucket(&stack, "kept-bucket", "us-east-1").await;
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"s3:*","Resource":"*"},
        {"Sid":"NoDeletes","Effect":"Deny","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::kept-bucket"}]}"#;
    let (key, secret) = user_with_policy(&stack, "almost-admin", Some(policy)).await;
    let s3 = s3_as(&stack, "us-east-1", &key, &secret);
    s3.list_buckets().send().await?;
    s3.put_object()
        .bucket("kept-bucket")
        .key("k")
        .body(b"v".to_vec().into())
        .send()
        .await?;
    let message = expect_error(
        s3.delete_bucket().bucket("kept-bucket").send().await,
        "AccessDenied",
        403,
    );
    assert!(
        message.ends_with("with an explicit deny in an identity-based policy"),
        "{message}"
    );
    // The deny is the user's, not the account's: root still may.
    s3_as(&stack, "us-east-1", ACCESS_KEY, SECRET_KEY)
        .delete_object()
        .bucket("kept-bucket")
        .key("k")
        .send()
        .await?;
    stack.stop().await?;
    Ok(())
}

#[tokio::test]
async fn users_manage_iam_only_as_far_as_their_policy_allows() -> TestResult {
    let stack = Stack::start().await?;
    let policy = allow(
        &["iam:CreateUser", "iam:GetUser"],
        &format!("arn:aws:iam::{ACCOUNT}:user/team/*"),
    );
    let (key, secret) = user_with_policy(&stack, "team-lead", Some(&policy)).await;
    let lead = iam_as(&stack, &key, &secret);
    lead.create_user()
        .user_name("member")
        .path("/team/")
        .send()
        .await?;
    let message = expect_error(
        lead.create_user().user_name("outsider").send().await,
        "AccessDenied",
        403,
    );
    assert!(message.contains("iam:CreateUser"), "{message}");
    expect_error(
        lead.delete_user().user_name("member").send().await,
        "AccessDenied",
        403,
    );
    expect_error(
        lead.put_user_policy()
            .user_name("team-lead")
            .policy_name("escalate")
            .policy_document(allow(&["*"], "*"))
            .send()
            .await,
        "AccessDenied",
        403,
    );
    stack.stop().await?;
    Ok(())
}

/// Polls `still_allowed` every 2 ms until it turns false; returns how long that took.
async fn until_refused<F, Fut>(what: &str, mut still_allowed: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while still_allowed().await {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "not enforced within 5 s: {what}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    started.elapsed()
}

#[tokio::test]
async fn a_deactivated_key_and_a_new_deny_are_enforced_at_once() -> TestResult {
    let stack = Stack::start().await?;
    let iam = iam(&stack);
    let list = allow(&["s3:ListMultiRegionAccessPoints"], "*");
    let deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:ListMultiRegionAccessPoints","Resource":"*"}]}"#;
    let mut key_times = Vec::new();
    let mut policy_times = Vec::new();
    for i in 0..10 {
        let name = format!("rotating-{i}");
        let (key, secret) = user_with_policy(&stack, &name, Some(&list)).await;
        let ctl = control_as(&stack, &key, &secret);
        let allowed = |ctl: aws_sdk_s3control::Client| async move {
            ctl.list_multi_region_access_points()
                .account_id(ACCOUNT)
                .send()
                .await
                .is_ok()
        };
        eventually("the new user may list", || {
            let ctl = ctl.clone();
            async move { allowed(ctl).await.then_some(()) }
        })
        .await;
        // A policy replaced by a deny.
        iam.put_user_policy()
            .user_name(&name)
            .policy_name("inline")
            .policy_document(deny)
            .send()
            .await?;
        policy_times.push(until_refused("deny", || allowed(ctl.clone())).await);
        // Back to allowed, then the key deactivated.
        iam.put_user_policy()
            .user_name(&name)
            .policy_name("inline")
            .policy_document(&list)
            .send()
            .await?;
        eventually("allowed again", || {
            let ctl = ctl.clone();
            async move { allowed(ctl).await.then_some(()) }
        })
        .await;
        iam.update_access_key()
            .user_name(&name)
            .access_key_id(&key)
            .status(StatusType::Inactive)
            .send()
            .await?;
        key_times.push(until_refused("inactive key", || allowed(ctl.clone())).await);
        expect_error(
            ctl.list_multi_region_access_points()
                .account_id(ACCOUNT)
                .send()
                .await,
            "InvalidAccessKeyId",
            403,
        );
    }
    key_times.sort();
    policy_times.sort();
    eprintln!(
        "propagation after the store's reply (max of 10 = p99 here): key deactivation {:?}, policy change {:?}",
        key_times.last(),
        policy_times.last()
    );
    stack.stop().await?;
    Ok(())
}

#[tokio::test]
async fn a_second_account_is_one_access_key_away() -> TestResult {
    let stack = Stack::start().await?;
    create_bucket(&stack, "main-account-bucket", "us-east-1").await;
    let other = "111111111111";
    let me = sts_as(&stack, other, "test")
        .get_caller_identity()
        .send()
        .await?;
    assert_eq!(me.account(), Some(other));
    assert_eq!(me.arn(), Some("arn:aws:iam::111111111111:root"));
    assert_eq!(me.user_id(), Some(other));
    let s3 = s3_as(&stack, "us-east-1", other, "test");
    create_bucket_with(&s3, "second-account-bucket", "us-east-1").await;
    // Its own bucket, yes; the main account's, no.
    s3.put_object()
        .bucket("second-account-bucket")
        .key("k")
        .body(b"v".to_vec().into())
        .send()
        .await?;
    let message = expect_error(
        s3.get_object()
            .bucket("main-account-bucket")
            .key("k")
            .send()
            .await,
        "AccessDenied",
        403,
    );
    assert!(
        message.ends_with("because no resource-based policy allows the s3:GetObject action"),
        "{message}"
    );
    // The wrong secret for a 12-digit key is a bad signature, not a new account.
    expect_error(
        sts_as(&stack, other, "not-test")
            .get_caller_identity()
            .send()
            .await,
        "SignatureDoesNotMatch",
        403,
    );
    stack.stop().await?;
    Ok(())
}

#[tokio::test]
async fn an_unreachable_store_is_a_refusal_never_an_allow() -> TestResult {
    let mut stack = Stack::start().await?;
    let ctl = control(&stack);
    ctl.list_multi_region_access_points()
        .account_id(ACCOUNT)
        .send()
        .await?;
    stack
        .nats_server()
        .expect("the stack's own nats-server")
        .kill();
    let started = Instant::now();
    let refused = ctl
        .list_multi_region_access_points()
        .account_id(ACCOUNT)
        .send()
        .await;
    let err = refused.expect_err("no decision can be made without NATS");
    assert_eq!(status_of(&err), Some(503), "{}", describe_err(&err));
    eprintln!(
        "refused after {:?} (SDK retries included)",
        started.elapsed()
    );
    Ok(())
}

/// `mrap-admin account add ACCOUNT` asks the store for a root key of a new account (the store
/// call below); the key then works like any root's, in that account only.
#[tokio::test]
async fn an_operator_adds_an_account_by_minting_its_root_key() -> TestResult {
    let stack = Stack::start().await?;
    let nats = mrap_proto::NatsConfig::new(&stack.nats_url)
        .connect("e2e-admin")
        .await?;
    let account = mrap_testkit::AccountId::parse("222233334444")?;
    let key = mrap_proto::store::call(
        &nats,
        &stack.namespace,
        &mrap_proto::store::CreateAccessKey {
            account: account.clone(),
            user: None,
        },
    )
    .await
    .map_err(|e| format!("{e:?}"))?;
    assert!(key.access_key.starts_with("AKIA") && key.secret.len() == 40);
    let me = sts_as(&stack, &key.access_key, &key.secret)
        .get_caller_identity()
        .send()
        .await?;
    assert_eq!(me.arn(), Some("arn:aws:iam::222233334444:root"));
    let s3 = s3_as(&stack, "us-east-1", &key.access_key, &key.secret);
    create_bucket_with(&s3, "added-account-bucket", "us-east-1").await;
    let listed = s3.list_buckets().send().await?;
    assert!(listed.owner().and_then(|o| o.id()).is_some());
    assert_eq!(listed.buckets().len(), 1);
    // The main account sees none of it.
    let mine = s3_as(&stack, "us-east-1", ACCESS_KEY, SECRET_KEY)
        .list_buckets()
        .send()
        .await?;
    assert!(
        mine.buckets()
            .iter()
            .all(|b| b.name() != Some("added-account-bucket"))
    );
    stack.stop().await?;
    Ok(())
}
