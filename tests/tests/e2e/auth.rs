//! Authentication and account boundaries: bad signatures, unknown keys, other accounts, clock
//! skew, unsigned requests, and the error document S3 Control clients expect.

use crate::common::{
    raw::{self, Signer},
    *,
};

const LIST_PATH: &str = "/v20180820/mrap/instances";
const CREATE_PATH: &str = "/v20180820/async-requests/mrap/create";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_credentials_are_refused() -> TestResult {
    let stack = Stack::start().await?;

    let wrong_secret = control_as(&stack, ACCESS_KEY, "not-the-secret");
    let r = wrong_secret
        .list_multi_region_access_points()
        .account_id(ACCOUNT)
        .send()
        .await;
    expect_error(r, "SignatureDoesNotMatch", 403);

    let unknown = control_as(&stack, "AKIDNOBODY", "whatever");
    let r = unknown
        .list_multi_region_access_points()
        .account_id(ACCOUNT)
        .send()
        .await;
    expect_error(r, "InvalidAccessKeyId", 403);

    // The same through S3.
    let r = s3_as(&stack, "us-east-1", ACCESS_KEY, "not-the-secret")
        .list_buckets()
        .send()
        .await;
    expect_error(r, "SignatureDoesNotMatch", 403);
    let r = s3_as(&stack, "us-east-1", "AKIDNOBODY", "whatever")
        .list_buckets()
        .send()
        .await;
    expect_error(r, "InvalidAccessKeyId", 403);

    // A refused create leaves no operation behind.
    let r = wrong_secret
        .create_multi_region_access_point()
        .account_id(ACCOUNT)
        .details(create_input("never", &["nothing"], None))
        .send()
        .await;
    expect_error(r, "SignatureDoesNotMatch", 403);
    let list = control(&stack)
        .list_multi_region_access_points()
        .account_id(ACCOUNT)
        .send()
        .await?;
    assert!(list.access_points().is_empty(), "{list:#?}");

    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_account_cannot_act_on_ours() -> TestResult {
    let stack = Stack::start().await?;
    let ctl = control(&stack);
    create_bucket(&stack, "auth-use1", "us-east-1").await;
    let token = create_mrap(&ctl, ACCOUNT, "auth", &["auth-use1"]).await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;

    let intruder = control_as(&stack, OTHER_ACCESS_KEY, OTHER_SECRET_KEY);
    let r = intruder
        .list_multi_region_access_points()
        .account_id(ACCOUNT)
        .send()
        .await;
    expect_error(r, "AccessDenied", 403);
    let r = intruder
        .get_multi_region_access_point()
        .account_id(ACCOUNT)
        .name("auth")
        .send()
        .await;
    expect_error(r, "AccessDenied", 403);
    let r = intruder
        .describe_multi_region_access_point_operation()
        .account_id(ACCOUNT)
        .request_token_arn(&token)
        .send()
        .await;
    expect_error(r, "AccessDenied", 403);
    let r = intruder
        .create_multi_region_access_point()
        .account_id(ACCOUNT)
        .details(create_input("intruder", &["auth-use1"], None))
        .send()
        .await;
    expect_error(r, "AccessDenied", 403);
    let r = intruder
        .delete_multi_region_access_point()
        .account_id(ACCOUNT)
        .details(
            aws_sdk_s3control::types::DeleteMultiRegionAccessPointInput::builder()
                .name("auth")
                .build()?,
        )
        .send()
        .await;
    expect_error(r, "AccessDenied", 403);

    // Our bucket, their S3 client.
    let theirs = s3_as(&stack, "us-east-1", OTHER_ACCESS_KEY, OTHER_SECRET_KEY);
    expect_status(theirs.head_bucket().bucket("auth-use1").send().await, 403);
    let r = theirs.delete_bucket().bucket("auth-use1").send().await;
    expect_error(r, "AccessDenied", 403);
    let listed = theirs.list_buckets().send().await?;
    assert!(listed.buckets().is_empty(), "{listed:#?}");
    // Their own view of MRAPs does not include ours.
    let theirs_listed = intruder
        .list_multi_region_access_points()
        .account_id(OTHER_ACCOUNT)
        .send()
        .await?;
    assert!(
        theirs_listed.access_points().is_empty(),
        "{theirs_listed:#?}"
    );

    // Nothing changed.
    let ap = ctl
        .get_multi_region_access_point()
        .account_id(ACCOUNT)
        .name("auth")
        .send()
        .await?
        .access_point
        .expect("an AccessPoint");
    assert_eq!(ap.name(), Some("auth"));
    let list = ctl
        .list_multi_region_access_points()
        .account_id(ACCOUNT)
        .send()
        .await?;
    assert_eq!(list.access_points().len(), 1, "{list:#?}");
    s3(&stack, "us-east-1")
        .head_bucket()
        .bucket("auth-use1")
        .send()
        .await?;

    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_requests_get_the_documented_errors() -> TestResult {
    let stack = Stack::start().await?;

    // Correctly signed, now: the raw client itself works.
    let ok = raw::control_request(
        &stack,
        "GET",
        LIST_PATH,
        "",
        b"",
        Some(Signer::now(ACCESS_KEY, SECRET_KEY)),
    )
    .await;
    assert_eq!(ok.status, 200, "{ok:#?}");
    assert!(
        ok.body.contains("<ListMultiRegionAccessPointsResult"),
        "{ok:#?}"
    );

    // Signed 20 minutes ago.
    let skewed = raw::control_request(
        &stack,
        "GET",
        LIST_PATH,
        "",
        b"",
        Some(Signer {
            access_key: ACCESS_KEY,
            secret: SECRET_KEY,
            at_unix: raw::now_unix() - 20 * 60,
        }),
    )
    .await;
    skewed.assert_wrapped_error(403, "RequestTimeTooSkewed");

    // ... and 20 minutes ahead.
    let ahead = raw::control_request(
        &stack,
        "GET",
        LIST_PATH,
        "",
        b"",
        Some(Signer {
            access_key: ACCESS_KEY,
            secret: SECRET_KEY,
            at_unix: raw::now_unix() + 20 * 60,
        }),
    )
    .await;
    ahead.assert_wrapped_error(403, "RequestTimeTooSkewed");

    // Not signed at all.
    let anonymous = raw::control_request(&stack, "GET", LIST_PATH, "", b"", None).await;
    anonymous.assert_wrapped_error(403, "AccessDenied");
    let anonymous_create = raw::control_request(
        &stack,
        "POST",
        CREATE_PATH,
        "",
        create_body("anon").as_bytes(),
        None,
    )
    .await;
    anonymous_create.assert_wrapped_error(403, "AccessDenied");

    // Signed, but the body is not XML that parses.
    let truncated = &create_body("malformed")[..60];
    let malformed = raw::control_request(
        &stack,
        "POST",
        CREATE_PATH,
        "",
        truncated.as_bytes(),
        Some(Signer::now(ACCESS_KEY, SECRET_KEY)),
    )
    .await;
    malformed.assert_wrapped_error(400, "MalformedXML");

    // Well-formed XML of the wrong shape (no Details).
    let no_details = r#"<CreateMultiRegionAccessPointRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><ClientToken>t-1</ClientToken></CreateMultiRegionAccessPointRequest>"#;
    let r = raw::control_request(
        &stack,
        "POST",
        CREATE_PATH,
        "",
        no_details.as_bytes(),
        Some(Signer::now(ACCESS_KEY, SECRET_KEY)),
    )
    .await;
    // Either code is documented for a body that does not validate against the schema.
    let code = if r.body.contains("<Code>InvalidRequest</Code>") {
        "InvalidRequest"
    } else {
        "MalformedXML"
    };
    r.assert_wrapped_error(400, code);

    // And the well-formed create, hand-signed, is accepted.
    let created = raw::control_request(
        &stack,
        "POST",
        CREATE_PATH,
        "",
        create_body("raw-ok").as_bytes(),
        Some(Signer::now(ACCESS_KEY, SECRET_KEY)),
    )
    .await;
    assert_eq!(created.status, 200, "{created:#?}");
    assert!(
        created.body.contains("<CreateMultiRegionAccessPointResult"),
        "{created:#?}"
    );
    assert!(created.headers.contains_key("x-amz-request-id"));

    stack.stop().await?;
    Ok(())
}

fn create_body(name: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><CreateMultiRegionAccessPointRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><ClientToken>{name}-token</ClientToken><Details><Name>{name}</Name><Regions><Region><Bucket>raw-bucket</Bucket></Region></Regions></Details></CreateMultiRegionAccessPointRequest>"#
    )
}
