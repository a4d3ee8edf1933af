//! IAM and STS over the query protocol, through `aws-sdk-iam`, `aws-sdk-sts`, boto3 and raw
//! requests: users, access keys, inline user policies, GetCallerIdentity, and the protocol's
//! refusals (`MissingAuthenticationToken`, `InvalidClientTokenId`, `InvalidAction`,
//! `ValidationError`) in the `<ErrorResponse>` document with `x-amzn-RequestId`.

use aws_sdk_iam::types::StatusType;
use sha2::{Digest as _, Sha256};

use crate::common::{
    raw::{self, RawResponse, Signer},
    *,
};

const IAM_NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
const STS_NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// A valid identity policy holding a `%` (AWS sends it back as `%25`).
const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/a%3Ab c"}]}"#;

/// RFC 3986 percent-decoding, as a caller of GetUserPolicy must do.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ASCII escape");
            out.push(u8::from_str_radix(hex, 16).expect("a hex escape"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8 document")
}

/// A form POST to the gateway's `/`, signed for `service` when `signer` is given (as the SDKs
/// sign: generic canonicalisation, the body's SHA-256, no `x-amz-content-sha256`).
async fn query_request(
    stack: &Stack,
    body: &str,
    service: &str,
    signer: Option<Signer<'_>>,
) -> RawResponse {
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), stack.addr.to_string()),
        (
            "content-type".into(),
            "application/x-www-form-urlencoded; charset=utf-8".into(),
        ),
    ];
    if let Some(s) = signer {
        let payload_hash = hex::encode(Sha256::digest(body.as_bytes()));
        let added = mrap_sigv4::sign(
            "POST",
            "/",
            "",
            &headers,
            &payload_hash,
            s.access_key,
            s.secret,
            IAM_REGION,
            service,
            s.at_unix,
            mrap_sigv4::Options::DEFAULT,
        );
        headers.extend(added);
    }
    raw::send(stack, "POST", "/", "", &headers, body.as_bytes()).await
}

/// Asserts a query-protocol error document: status, namespace, `Type`, `Code`, and the
/// `x-amzn-RequestId` header equal to the body's `RequestId`.
fn assert_query_error(r: &RawResponse, status: u16, ns: &str, code: &str) {
    assert_eq!(r.status, status, "{r:#?}");
    assert_eq!(
        r.header("content-type"),
        Some("text/xml"),
        "content type: {r:#?}"
    );
    let fault = if status >= 500 { "Receiver" } else { "Sender" };
    assert!(
        r.body.starts_with(&format!(
            r#"<ErrorResponse xmlns="{ns}"><Error><Type>{fault}</Type><Code>{code}</Code><Message>"#
        )),
        "{}",
        r.body
    );
    let id = r
        .header("x-amzn-requestid")
        .unwrap_or_else(|| panic!("no x-amzn-RequestId: {r:#?}"));
    assert!(
        r.body.ends_with(&format!(
            "</Error><RequestId>{id}</RequestId></ErrorResponse>"
        )),
        "{}",
        r.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sts_get_caller_identity_as_root() -> TestResult {
    let stack = Stack::start().await?;
    let out = sts_as(&stack, ACCESS_KEY, SECRET_KEY)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    assert_eq!(out.account(), Some(ACCOUNT));
    assert_eq!(out.user_id(), Some(ACCOUNT));
    let root = format!("arn:aws:iam::{ACCOUNT}:root");
    assert_eq!(out.arn(), Some(root.as_str()));

    // the other account's root is told apart
    let out = sts_as(&stack, OTHER_ACCESS_KEY, OTHER_SECRET_KEY)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    assert_eq!(out.account(), Some(OTHER_ACCOUNT));
    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_protocol_refusals() -> TestResult {
    let stack = Stack::start().await?;

    // unsigned: routed by Version, refused by the authorizer
    let r = query_request(
        &stack,
        "Action=GetCallerIdentity&Version=2011-06-15",
        "sts",
        None,
    )
    .await;
    assert_query_error(&r, 403, STS_NS, "MissingAuthenticationToken");
    let r = query_request(&stack, "Action=ListUsers&Version=2010-05-08", "iam", None).await;
    assert_query_error(&r, 403, IAM_NS, "MissingAuthenticationToken");

    // unknown key
    let err = sts_as(&stack, "AKIANOSUCHKEY0000000", "secret")
        .get_caller_identity()
        .send()
        .await;
    let msg = expect_error(err, "InvalidClientTokenId", 403);
    assert_eq!(
        msg,
        "The security token included in the request is invalid."
    );
    let err = iam_as(&stack, "AKIANOSUCHKEY0000000", "secret")
        .list_users()
        .send()
        .await;
    expect_error(err, "InvalidClientTokenId", 403);

    // wrong secret
    let err = sts_as(&stack, ACCESS_KEY, "not-the-secret")
        .get_caller_identity()
        .send()
        .await;
    expect_error(err, "SignatureDoesNotMatch", 403);

    // unknown action, and the other service's action
    let signed = || Some(Signer::now(ACCESS_KEY, SECRET_KEY));
    let r = query_request(
        &stack,
        "Action=CreateRole&Version=2010-05-08&RoleName=r",
        "iam",
        signed(),
    )
    .await;
    assert_query_error(&r, 400, IAM_NS, "InvalidAction");
    assert!(
        r.body
            .contains("Could not find operation CreateRole for version 2010-05-08"),
        "{}",
        r.body
    );
    let r = query_request(
        &stack,
        "Action=ListUsers&Version=2011-06-15",
        "sts",
        signed(),
    )
    .await;
    assert_query_error(&r, 400, STS_NS, "InvalidAction");

    // validation comes before any store call
    let err = iam(&stack)
        .create_user()
        .user_name("bad name!")
        .send()
        .await;
    let msg = expect_error(err, "ValidationError", 400);
    assert_eq!(
        msg,
        r"1 validation error detected: Value 'bad name!' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+"
    );
    let err = iam(&stack)
        .update_access_key()
        .access_key_id("AKIAAAAAAAAAAAAAAAAA")
        .status(StatusType::from("Bogus"))
        .send()
        .await;
    let msg = expect_error(err, "ValidationError", 400);
    assert!(msg.contains("at 'status'"), "{msg}");
    let err = iam(&stack).list_users().max_items(5000).send().await;
    expect_error(err, "ValidationError", 400);

    // a required list left out
    let r = query_request(
        &stack,
        "Action=SimulateCustomPolicy&Version=2010-05-08&ActionNames.member.1=s3:GetObject",
        "iam",
        signed(),
    )
    .await;
    assert_query_error(&r, 400, IAM_NS, "ValidationError");
    assert!(
        r.body.contains(
            "Value null at &apos;policyInputList&apos; failed to satisfy constraint: Member must not be null"
        ),
        "{}",
        r.body
    );

    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_users_lifecycle() -> TestResult {
    let stack = Stack::start().await?;
    let iam = iam(&stack);

    let out = iam
        .create_user()
        .user_name("Alice")
        .path("/eng/")
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    let alice = out.user().expect("a User").clone();
    assert_eq!(alice.user_name(), "Alice");
    assert_eq!(alice.path(), "/eng/");
    assert_eq!(
        alice.arn(),
        format!("arn:aws:iam::{ACCOUNT}:user/eng/Alice")
    );
    assert!(alice.user_id().starts_with("AIDA"), "{alice:?}");
    assert_eq!(alice.user_id().len(), 21);

    let got = iam
        .get_user()
        .user_name("Alice")
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    assert_eq!(got.user(), Some(&alice));

    // names are unique case-insensitively
    let err = iam.create_user().user_name("aLICE").send().await;
    expect_error(err, "EntityAlreadyExists", 409);

    let err = iam.get_user().user_name("nobody").send().await;
    let msg = expect_error(err, "NoSuchEntity", 404);
    assert!(msg.contains("nobody"), "{msg}");

    // the caller: the root shape
    let me = iam.get_user().send().await.map_err(|e| describe_err(&e))?;
    let me = me.user().expect("a User");
    assert_eq!(me.user_id(), ACCOUNT);
    assert_eq!(me.arn(), format!("arn:aws:iam::{ACCOUNT}:root"));
    assert_eq!(me.user_name(), "");

    iam.create_user()
        .user_name("bob")
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    let all = iam
        .list_users()
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    let names: Vec<&str> = all.users().iter().map(|u| u.user_name()).collect();
    assert_eq!(names, ["Alice", "bob"]);
    assert!(!all.is_truncated());
    assert_eq!(all.marker(), None);
    let eng = iam
        .list_users()
        .path_prefix("/eng/")
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    assert_eq!(eng.users().len(), 1);

    // another account sees none of them
    let other = iam_as(&stack, OTHER_ACCESS_KEY, OTHER_SECRET_KEY);
    let theirs = other
        .list_users()
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    assert!(theirs.users().is_empty());
    expect_error(
        other.get_user().user_name("Alice").send().await,
        "NoSuchEntity",
        404,
    );

    iam.delete_user()
        .user_name("alice")
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    expect_error(
        iam.get_user().user_name("Alice").send().await,
        "NoSuchEntity",
        404,
    );
    expect_error(
        iam.delete_user().user_name("Alice").send().await,
        "NoSuchEntity",
        404,
    );
    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_list_users_paginates() -> TestResult {
    let stack = Stack::start().await?;
    let iam = iam(&stack);
    let names = ["u1", "U2", "u3", "u4", "u5"];
    for name in names {
        iam.create_user()
            .user_name(name)
            .send()
            .await
            .map_err(|e| describe_err(&e))?;
    }
    let first = iam
        .list_users()
        .max_items(2)
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    assert!(first.is_truncated());
    let marker = first.marker().expect("a marker when truncated");
    let got: Vec<&str> = first.users().iter().map(|u| u.user_name()).collect();
    assert_eq!(got, ["u1", "U2"]);
    let second = iam
        .list_users()
        .max_items(2)
        .marker(marker)
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    let got: Vec<&str> = second.users().iter().map(|u| u.user_name()).collect();
    assert_eq!(got, ["u3", "u4"]);

    // the SDK's paginator follows the markers to the end
    let all = iam
        .list_users()
        .into_paginator()
        .page_size(2)
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| describe_err(&e))?;
    let got: Vec<&str> = all.iter().map(|u| u.user_name()).collect();
    assert_eq!(got, names);
    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_access_keys() -> TestResult {
    let stack = Stack::start().await?;
    let iam = iam(&stack);
    iam.create_user()
        .user_name("carol")
        .path("/ops/")
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    let mut ids = Vec::new();
    let mut first_secret = String::new();
    for _ in 0..2 {
        let out = iam
            .create_access_key()
            .user_name("carol")
            .send()
            .await
            .map_err(|e| describe_err(&e))?;
        let key = out.access_key().expect("an AccessKey");
        assert_eq!(key.user_name(), "carol");
        assert_eq!(key.status(), &StatusType::Active);
        assert_eq!(key.access_key_id().len(), 20);
        assert_eq!(key.secret_access_key().len(), 40);
        if first_secret.is_empty() {
            first_secret = key.secret_access_key().to_owned();
        }
        ids.push(key.access_key_id().to_owned());
    }
    expect_error(
        iam.create_access_key().user_name("carol").send().await,
        "LimitExceeded",
        409,
    );
    expect_error(
        iam.create_access_key().user_name("nobody").send().await,
        "NoSuchEntity",
        404,
    );

    // the new key signs as carol
    let who = sts_as(&stack, &ids[0], &first_secret)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    assert_eq!(
        who.arn(),
        Some(format!("arn:aws:iam::{ACCOUNT}:user/ops/carol").as_str())
    );
    assert!(
        who.user_id().is_some_and(|id| id.starts_with("AIDA")),
        "{who:?}"
    );
    assert_eq!(who.account(), Some(ACCOUNT));

    iam.update_access_key()
        .user_name("carol")
        .access_key_id(&ids[1])
        .status(StatusType::Inactive)
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    let listed = iam
        .list_access_keys()
        .user_name("carol")
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    let mut got: Vec<(String, StatusType)> = listed
        .access_key_metadata()
        .iter()
        .map(|k| {
            (
                k.access_key_id().unwrap_or_default().to_owned(),
                k.status().cloned().expect("a status"),
            )
        })
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    let mut want = vec![
        (ids[0].clone(), StatusType::Active),
        (ids[1].clone(), StatusType::Inactive),
    ];
    want.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(got, want);
    assert!(!listed.is_truncated());

    // a key of another user is not found under this one
    expect_error(
        iam.update_access_key()
            .user_name("carol")
            .access_key_id("AKIAAAAAAAAAAAAAAAAA")
            .status(StatusType::Active)
            .send()
            .await,
        "NoSuchEntity",
        404,
    );

    // keys block the user's deletion
    expect_error(
        iam.delete_user().user_name("carol").send().await,
        "DeleteConflict",
        409,
    );
    for id in &ids {
        iam.delete_access_key()
            .user_name("carol")
            .access_key_id(id)
            .send()
            .await
            .map_err(|e| describe_err(&e))?;
    }
    let listed = iam
        .list_access_keys()
        .user_name("carol")
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    assert!(listed.access_key_metadata().is_empty());
    iam.delete_user()
        .user_name("carol")
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_user_policies() -> TestResult {
    let stack = Stack::start().await?;
    let iam = iam(&stack);
    iam.create_user()
        .user_name("dave")
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    iam.put_user_policy()
        .user_name("dave")
        .policy_name("read")
        .policy_document(POLICY)
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    let got = iam
        .get_user_policy()
        .user_name("dave")
        .policy_name("read")
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    assert_eq!(got.user_name(), "dave");
    assert_eq!(got.policy_name(), "read");
    // percent-encoded on the wire; the Rust SDK hands it over encoded
    assert!(got.policy_document().starts_with("%7B%22Version%22"));
    assert!(got.policy_document().contains("a%253Ab%20c"));
    assert_eq!(percent_decode(got.policy_document()), POLICY);

    let err = iam
        .put_user_policy()
        .user_name("dave")
        .policy_name("broken")
        .policy_document(r#"{"Version": "2012-10-17", "Statement": "#)
        .send()
        .await;
    expect_error(err, "MalformedPolicyDocument", 400);
    expect_error(
        iam.put_user_policy()
            .user_name("nobody")
            .policy_name("read")
            .policy_document(POLICY)
            .send()
            .await,
        "NoSuchEntity",
        404,
    );

    iam.put_user_policy()
        .user_name("dave")
        .policy_name("also")
        .policy_document(POLICY)
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    let listed = iam
        .list_user_policies()
        .user_name("dave")
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    assert_eq!(listed.policy_names(), ["also", "read"]);
    let page = iam
        .list_user_policies()
        .user_name("dave")
        .max_items(1)
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    assert_eq!(page.policy_names(), ["also"]);
    assert!(page.is_truncated());

    expect_error(
        iam.delete_user().user_name("dave").send().await,
        "DeleteConflict",
        409,
    );
    for name in ["read", "also"] {
        iam.delete_user_policy()
            .user_name("dave")
            .policy_name(name)
            .send()
            .await
            .map_err(|e| describe_err(&e))?;
    }
    expect_error(
        iam.get_user_policy()
            .user_name("dave")
            .policy_name("read")
            .send()
            .await,
        "NoSuchEntity",
        404,
    );
    expect_error(
        iam.delete_user_policy()
            .user_name("dave")
            .policy_name("read")
            .send()
            .await,
        "NoSuchEntity",
        404,
    );
    iam.delete_user()
        .user_name("dave")
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    stack.stop().await?;
    Ok(())
}

/// boto3 (and so the AWS CLI's botocore) end to end: GetCallerIdentity, CreateUser, the
/// ListUsers paginator, a modeled error class, and GetUserPolicy's document decoded back to the
/// JSON object by botocore's own handler.
const BOTO3_SCRIPT: &str = r#"
import json, os, sys
import boto3
from botocore.exceptions import ClientError
kw = dict(endpoint_url=sys.argv[1], region_name="us-west-2",
          aws_access_key_id=os.environ["MRAP_KEY"], aws_secret_access_key=os.environ["MRAP_SECRET"])
iam = boto3.client("iam", **kw)
sts = boto3.client("sts", **kw)
out = {"caller": sts.get_caller_identity()["Arn"]}
iam.create_user(UserName="eve", Path="/x/")
iam.create_user(UserName="frank")
names = []
for page in iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 1}):
    names.extend(u["UserName"] for u in page["Users"])
out["names"] = names
try:
    iam.get_user(UserName="nobody")
except iam.exceptions.NoSuchEntityException as e:
    out["missing"] = e.response["Error"]["Code"]
policy = os.environ["MRAP_POLICY"]
iam.put_user_policy(UserName="eve", PolicyName="p", PolicyDocument=policy)
out["document"] = iam.get_user_policy(UserName="eve", PolicyName="p")["PolicyDocument"]
print(json.dumps(out))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_iam_and_sts() -> TestResult {
    let stack = Stack::start().await?;
    let stdout = crate::common::python::run_boto3(
        &["-c", BOTO3_SCRIPT, &stack.endpoint],
        &[
            ("MRAP_KEY", ACCESS_KEY),
            ("MRAP_SECRET", SECRET_KEY),
            ("MRAP_POLICY", POLICY),
        ],
    )
    .await;
    let got: serde_json::Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("boto3 output is not JSON ({e}): {stdout}"));
    assert_eq!(got["caller"], format!("arn:aws:iam::{ACCOUNT}:root"));
    assert_eq!(got["names"], serde_json::json!(["eve", "frank"]));
    assert_eq!(got["missing"], "NoSuchEntity");
    let want: serde_json::Value = serde_json::from_str(POLICY)?;
    assert_eq!(got["document"], want, "botocore decodes the document");
    stack.stop().await?;
    Ok(())
}
