//! Policies and Block Public Access through the gateway, against the real services: bucket
//! policies (and their effect on authorization), bucket and account Block Public Access, MRAP
//! put-policy → Describe → Get policy / policy status, and Access Analyzer `ValidatePolicy`.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use mrap_policy::{FindingType, PolicyType};
use mrap_proto::authz::Resource;

const S3_DECL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;
const CONTROL_NS: &str = "http://awss3control.amazonaws.com/doc/2018-08-20/";
const S3_NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// Test inputs are checked against the validator first, so that a failure points at the
/// services and not at a policy that was never what the test meant.
fn checked(text: &str, resource_type: &str, public: bool) -> String {
    let findings = mrap_policy::validate(text, PolicyType::Resource, Some(resource_type));
    assert!(
        findings
            .iter()
            .all(|f| f.finding_type != FindingType::Error),
        "{text}: {findings:#?}"
    );
    assert_eq!(
        mrap_policy::is_public(&mrap_policy::parse(text).unwrap()),
        public,
        "{text}"
    );
    text.to_owned()
}

fn bucket_policy(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
}

fn allow_other_list(bucket: &str) -> String {
    checked(
        &bucket_policy(&format!(
            r#"{{"Sid":"OtherAccountLists","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{OTHER_ACCOUNT}:root"}},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::{bucket}"}}"#
        )),
        "AWS::S3::Bucket",
        false,
    )
}

fn public_read(bucket: &str) -> String {
    checked(
        &bucket_policy(&format!(
            r#"{{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}"#
        )),
        "AWS::S3::Bucket",
        true,
    )
}

fn pab_xml(ns: &str, flags: [bool; 4]) -> String {
    let [a, b, c, d] = flags;
    format!(
        r#"<PublicAccessBlockConfiguration xmlns="{ns}"><BlockPublicAcls>{a}</BlockPublicAcls><IgnorePublicAcls>{b}</IgnorePublicAcls><BlockPublicPolicy>{c}</BlockPublicPolicy><RestrictPublicBuckets>{d}</RestrictPublicBuckets></PublicAccessBlockConfiguration>"#
    )
}

async fn head_status(h: &Harness, key: Key, bucket: &str) -> u16 {
    h.s3_as(key, "HEAD", &format!("/{bucket}"), "").await.status
}

// ---------------------------------------------------------------- bucket policies

#[tokio::test]
async fn bucket_policy_put_get_status_delete() {
    let h = harness().await;
    h.create_bucket(MAIN, "bp-crud", None).await;

    // none yet
    h.s3("GET", "/bp-crud?policy", "")
        .await
        .assert_flat(404, "NoSuchBucketPolicy", "/bp-crud");
    h.s3("GET", "/bp-crud?policyStatus", "").await.assert_flat(
        404,
        "NoSuchBucketPolicy",
        "/bp-crud",
    );

    let private = allow_other_list("bp-crud");
    let r = h.s3("PUT", "/bp-crud?policy", &private).await;
    assert_eq!((r.status, r.body.as_str()), (204, ""), "{r:#?}");
    let authz = h.tap.of(&r).await;
    assert_eq!(authz.action, "s3:PutBucketPolicy");
    assert_eq!(
        authz.resource,
        Resource::Bucket(mrap_model::BucketName::parse("bp-crud").unwrap())
    );

    let r = h.s3("GET", "/bp-crud?policy", "").await;
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(r.body, private, "the text exactly as put");
    let r = h.s3("GET", "/bp-crud?policyStatus", "").await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            200,
            format!(
                r#"{S3_DECL}<PolicyStatus xmlns="{S3_NS}"><IsPublic>false</IsPublic></PolicyStatus>"#
            )
            .as_str()
        )
    );

    // replaced by a public one (virtual-host style this time)
    let public = public_read("bp-crud");
    let mut req = Req::new("PUT", "/", "policy", public.as_bytes());
    req.host = Some(format!("bp-crud.localhost:{}", h.port()));
    assert_eq!(h.request(req).await.status, 204);
    let r = h.s3("GET", "/bp-crud?policyStatus", "").await;
    assert_eq!(r.xml_text("IsPublic"), Some("true"), "{r:#?}");
    assert_eq!(h.s3("GET", "/bp-crud?policy", "").await.body, public);

    // delete, twice: 204 both times
    for _ in 0..2 {
        let r = h.s3("DELETE", "/bp-crud?policy", "").await;
        assert_eq!((r.status, r.body.as_str()), (204, ""), "{r:#?}");
    }
    h.s3("GET", "/bp-crud?policy", "")
        .await
        .assert_flat(404, "NoSuchBucketPolicy", "/bp-crud");
}

#[tokio::test]
async fn bucket_policy_refusals() {
    let h = harness().await;
    h.create_bucket(MAIN, "bp-bad", None).await;

    for (what, body) in [
        ("empty", String::new()),
        ("not JSON", "policy".to_owned()),
        ("no Statement", r#"{"Version":"2012-10-17"}"#.to_owned()),
        (
            "bad Effect",
            bucket_policy(
                r#"{"Effect":"Maybe","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bp-bad/*"}"#,
            ),
        ),
    ] {
        let r = h.s3("PUT", "/bp-bad?policy", &body).await;
        r.assert_flat(400, "MalformedPolicy", "/bp-bad");
        assert!(
            r.xml_text("Message").is_some_and(|m| !m.is_empty()),
            "{what}: {r:#?}"
        );
    }
    h.s3("GET", "/bp-bad?policy", "")
        .await
        .assert_flat(404, "NoSuchBucketPolicy", "/bp-bad");

    // unknown bucket: NoSuchBucket even with a bad policy
    for (method, path, body) in [
        ("PUT", "/no-such-bucket?policy", "{"),
        ("GET", "/no-such-bucket?policy", ""),
        ("DELETE", "/no-such-bucket?policy", ""),
        ("GET", "/no-such-bucket?policyStatus", ""),
    ] {
        h.s3(method, path, body)
            .await
            .assert_flat(404, "NoSuchBucket", "/no-such-bucket");
    }
    // another account may not manage our policy
    let r = h
        .s3_as(OTHER, "PUT", "/bp-bad?policy", &allow_other_list("bp-bad"))
        .await;
    r.assert_flat(403, "AccessDenied", "/bp-bad");
}

#[tokio::test]
async fn a_bucket_policy_lets_another_account_in() {
    let h = harness().await;
    h.create_bucket(MAIN, "bp-cross", None).await;

    assert_eq!(head_status(&h, OTHER, "bp-cross").await, 403);
    assert_eq!(head_status(&h, MAIN, "bp-cross").await, 200);

    let r = h
        .s3("PUT", "/bp-cross?policy", &allow_other_list("bp-cross"))
        .await;
    assert_eq!(r.status, 204, "{r:#?}");
    assert_eq!(
        eventually(200, || head_status(&h, OTHER, "bp-cross")).await,
        200
    );
    assert_eq!(head_status(&h, MAIN, "bp-cross").await, 200);
    // the grant is ListBucket only
    h.s3_as(OTHER, "GET", "/bp-cross?policy", "")
        .await
        .assert_flat(403, "AccessDenied", "/bp-cross");

    assert_eq!(h.s3("DELETE", "/bp-cross?policy", "").await.status, 204);
    assert_eq!(
        eventually(403, || head_status(&h, OTHER, "bp-cross")).await,
        403
    );
}

#[tokio::test]
async fn an_explicit_deny_binds_the_owner_except_for_the_policy_itself() {
    let h = harness().await;
    h.create_bucket(MAIN, "bp-deny", None).await;
    let deny = checked(
        &bucket_policy(&format!(
            r#"{{"Sid":"NoListing","Effect":"Deny","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::bp-deny"}}"#
        )),
        "AWS::S3::Bucket",
        false,
    );
    assert_eq!(h.s3("PUT", "/bp-deny?policy", &deny).await.status, 204);
    assert_eq!(
        eventually(403, || head_status(&h, MAIN, "bp-deny")).await,
        403
    );
    // the owner can still read, check and remove the policy
    let r = h.s3("GET", "/bp-deny?policy", "").await;
    assert_eq!((r.status, r.body.as_str()), (200, deny.as_str()));
    assert_eq!(
        h.s3("GET", "/bp-deny?policyStatus", "")
            .await
            .xml_text("IsPublic"),
        Some("false")
    );
    assert_eq!(h.s3("DELETE", "/bp-deny?policy", "").await.status, 204);
    assert_eq!(
        eventually(200, || head_status(&h, MAIN, "bp-deny")).await,
        200
    );
}

// ---------------------------------------------------------------- Block Public Access

#[tokio::test]
async fn bucket_public_access_block_round_trip_and_effect() {
    let h = harness().await;
    h.create_bucket(MAIN, "pab-b", None).await;

    h.s3("GET", "/pab-b?publicAccessBlock", "")
        .await
        .assert_flat(404, "NoSuchPublicAccessBlockConfiguration", "/pab-b");

    let put = pab_xml(S3_NS, [false, true, true, false]);
    let r = h.s3("PUT", "/pab-b?publicAccessBlock", &put).await;
    assert_eq!((r.status, r.body.as_str()), (200, ""), "{r:#?}");
    let authz = h.tap.of(&r).await;
    assert_eq!(authz.action, "s3:PutBucketPublicAccessBlock");
    let r = h.s3("GET", "/pab-b?publicAccessBlock", "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-type"], "application/xml");
    assert_eq!(r.body, format!("{S3_DECL}{put}"));

    // BlockPublicPolicy refuses a public policy, not a private one
    h.s3("PUT", "/pab-b?policy", &public_read("pab-b"))
        .await
        .assert_flat(403, "AccessDenied", "/pab-b");
    assert_eq!(
        h.s3("PUT", "/pab-b?policy", &allow_other_list("pab-b"))
            .await
            .status,
        204
    );

    // flags left out are off
    let partial = format!(
        r#"<PublicAccessBlockConfiguration xmlns="{S3_NS}"><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>"#
    );
    assert_eq!(
        h.s3("PUT", "/pab-b?publicAccessBlock", &partial)
            .await
            .status,
        200
    );
    let r = h.s3("GET", "/pab-b?publicAccessBlock", "").await;
    assert_eq!(
        r.body,
        format!("{S3_DECL}{}", pab_xml(S3_NS, [false, false, false, true]))
    );
    assert_eq!(
        h.s3("PUT", "/pab-b?policy", &public_read("pab-b"))
            .await
            .status,
        204
    );

    h.s3(
        "PUT",
        "/pab-b?publicAccessBlock",
        "<PublicAccessBlockConfiguration><BlockPublicAcls>yes</BlockPublicAcls></PublicAccessBlockConfiguration>",
    )
    .await
    .assert_flat(400, "MalformedXML", "/pab-b");

    let r = h.s3("DELETE", "/pab-b?publicAccessBlock", "").await;
    assert_eq!((r.status, r.body.as_str()), (204, ""));
    assert_eq!(
        h.tap.of(&r).await.action,
        "s3:PutBucketPublicAccessBlock",
        "deleting is authorised as putting"
    );
    h.s3("GET", "/pab-b?publicAccessBlock", "")
        .await
        .assert_flat(404, "NoSuchPublicAccessBlockConfiguration", "/pab-b");
    h.s3("GET", "/no-such-bucket?publicAccessBlock", "")
        .await
        .assert_flat(404, "NoSuchBucket", "/no-such-bucket");
}

#[tokio::test]
async fn account_public_access_block_round_trip_and_effect() {
    let h = harness().await;
    const PATH: &str = "/v20180820/configuration/publicAccessBlock";

    h.control("GET", PATH, "")
        .await
        .assert_wrapped(404, "NoSuchPublicAccessBlockConfiguration");

    let put = pab_xml(CONTROL_NS, [true, false, true, false]);
    let r = h.control("PUT", PATH, &put).await;
    assert_eq!((r.status, r.body.as_str()), (200, ""), "{r:#?}");
    let authz = h.tap.of(&r).await;
    assert_eq!(authz.action, "s3:PutAccountPublicAccessBlock");
    assert_eq!(
        authz.resource,
        Resource::Arn {
            owner: Some(mrap_model::AccountId::parse(ACCOUNT).unwrap()),
            arn: "*".into()
        }
    );
    let r = h.control("GET", PATH, "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, format!("{S3_DECL}{put}"));
    assert_eq!(h.tap.of(&r).await.action, "s3:GetAccountPublicAccessBlock");

    // the other account's configuration is its own
    h.control_as(OTHER, OTHER_ACCOUNT, "GET", PATH, "")
        .await
        .assert_wrapped(404, "NoSuchPublicAccessBlockConfiguration");
    h.control_as(OTHER, ACCOUNT, "GET", PATH, "")
        .await
        .assert_wrapped(403, "AccessDenied");

    // the account's BlockPublicPolicy covers its buckets
    h.create_bucket(MAIN, "acct-pab", None).await;
    h.s3("PUT", "/acct-pab?policy", &public_read("acct-pab"))
        .await
        .assert_flat(403, "AccessDenied", "/acct-pab");

    h.control("PUT", PATH, "<PublicAccessBlockConfiguration>")
        .await
        .assert_wrapped(400, "MalformedXML");

    let r = h.control("DELETE", PATH, "").await;
    assert_eq!((r.status, r.body.as_str()), (200, ""), "{r:#?}");
    assert_eq!(h.tap.of(&r).await.action, "s3:PutAccountPublicAccessBlock");
    h.control("GET", PATH, "")
        .await
        .assert_wrapped(404, "NoSuchPublicAccessBlockConfiguration");
    assert_eq!(
        h.s3("PUT", "/acct-pab?policy", &public_read("acct-pab"))
            .await
            .status,
        204
    );
    h.control("POST", PATH, "")
        .await
        .assert_wrapped(405, "MethodNotAllowed");
}

// ---------------------------------------------------------------- MRAP policies

fn put_policy_body(token: &str, name: &str, policy: &str) -> String {
    let escaped = policy
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    format!(
        r#"<PutMultiRegionAccessPointPolicyRequest xmlns="{CONTROL_NS}"><ClientToken>{token}</ClientToken><Details><Name>{name}</Name><Policy>{escaped}</Policy></Details></PutMultiRegionAccessPointPolicyRequest>"#
    )
}

fn mrap_policy(alias: &str, principal: &str) -> String {
    checked(
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},"Action":"s3:GetObject","Resource":"arn:aws:s3::{ACCOUNT}:accesspoint/{alias}/object/*"}}]}}"#
        ),
        "AWS::S3::MultiRegionAccessPoint",
        principal == r#""*""#,
    )
}

#[tokio::test]
async fn mrap_put_policy_then_describe_get_and_status() {
    let h = harness().await;
    let alias = h
        .create_mrap(
            "pol-mrap",
            &[("pol-a", "us-east-1"), ("pol-b", "eu-west-1")],
        )
        .await;

    // no policy ever put: an empty document, status not public
    let r = h
        .control("GET", "/v20180820/mrap/instances/pol-mrap/policy", "")
        .await;
    assert_eq!(
        r.body,
        format!(
            r#"{S3_DECL}<GetMultiRegionAccessPointPolicyResult xmlns="{CONTROL_NS}"><Policy/></GetMultiRegionAccessPointPolicyResult>"#
        )
    );
    let status_doc = |public: bool| {
        format!(
            r#"{S3_DECL}<GetMultiRegionAccessPointPolicyStatusResult xmlns="{CONTROL_NS}"><Established><IsPublic>{public}</IsPublic></Established></GetMultiRegionAccessPointPolicyStatusResult>"#
        )
    };
    let r = h
        .control("GET", "/v20180820/mrap/instances/pol-mrap/policystatus", "")
        .await;
    assert_eq!((r.status, r.body.clone()), (200, status_doc(false)));
    assert_eq!(
        h.tap.of(&r).await.action,
        "s3:GetMultiRegionAccessPointPolicyStatus"
    );

    let policy = mrap_policy(
        &alias,
        &format!(r#"{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}}"#),
    );
    let r = h
        .control(
            "POST",
            "/v20180820/async-requests/mrap/put-policy",
            &put_policy_body("pp-1", "pol-mrap", &policy),
        )
        .await;
    assert_eq!(r.status, 200, "{r:#?}");
    let arn = r.xml_text("RequestTokenARN").unwrap().to_owned();
    assert!(
        r.body.starts_with(&format!(
            r#"{S3_DECL}<PutMultiRegionAccessPointPolicyResult xmlns="{CONTROL_NS}"><RequestTokenARN>arn:aws:s3:us-west-2:{ACCOUNT}:async-request/mrap/put-policy/"#
        )),
        "{}",
        r.body
    );
    assert_eq!(
        h.tap.of(&r).await.action,
        "s3:PutMultiRegionAccessPointPolicy"
    );

    let done = h.wait_for_op(&arn).await;
    assert_eq!(
        done.xml_text("RequestStatus"),
        Some("SUCCEEDED"),
        "{done:#?}"
    );
    assert!(
        done.body.contains(&format!(
            "<Operation>PutMultiRegionAccessPointPolicy</Operation><RequestTokenARN>{arn}</RequestTokenARN><RequestParameters><PutMultiRegionAccessPointPolicyRequest><Name>pol-mrap</Name><Policy>{policy}</Policy></PutMultiRegionAccessPointPolicyRequest></RequestParameters><RequestStatus>SUCCEEDED</RequestStatus>"
        )),
        "{}",
        done.body
    );

    // Established == Proposed == the text as put
    let r = h
        .control("GET", "/v20180820/mrap/instances/pol-mrap/policy", "")
        .await;
    assert_eq!(
        r.body,
        format!(
            r#"{S3_DECL}<GetMultiRegionAccessPointPolicyResult xmlns="{CONTROL_NS}"><Policy><Established><Policy>{policy}</Policy></Established><Proposed><Policy>{policy}</Policy></Proposed></Policy></GetMultiRegionAccessPointPolicyResult>"#
        )
    );
    assert_eq!(
        h.tap.of(&r).await.action,
        "s3:GetMultiRegionAccessPointPolicy"
    );
    let r = h
        .control("GET", "/v20180820/mrap/instances/pol-mrap/policystatus", "")
        .await;
    assert_eq!(r.body, status_doc(false));

    // the same ClientToken and request: the same operation
    let again = h
        .control(
            "POST",
            "/v20180820/async-requests/mrap/put-policy",
            &put_policy_body("pp-1", "pol-mrap", &policy),
        )
        .await;
    assert_eq!(again.xml_text("RequestTokenARN"), Some(arn.as_str()));
}

#[tokio::test]
async fn mrap_put_policy_failures_are_asynchronous_or_sync_by_kind() {
    let h = harness().await;
    let alias = h.create_mrap("pol-fail", &[("polf-a", "us-east-1")]).await;

    // synchronous: shape, ClientToken, name
    for (body, code) in [
        ("<nope".to_owned(), "MalformedXML"),
        (
            r#"<PutMultiRegionAccessPointPolicyRequest><ClientToken>t</ClientToken><Details><Name>pol-fail</Name></Details></PutMultiRegionAccessPointPolicyRequest>"#
                .to_owned(),
            "MalformedXML",
        ),
        (put_policy_body("a b", "pol-fail", "{}"), "InvalidRequest"),
        (put_policy_body("t", "Bad_Name", "{}"), "InvalidRequest"),
    ] {
        h.control("POST", "/v20180820/async-requests/mrap/put-policy", &body)
            .await
            .assert_wrapped(400, code);
    }

    // asynchronous: an empty or malformed policy, a public one under the MRAP's default BPA, an
    // MRAP that does not exist
    let public = mrap_policy(&alias, r#""*""#);
    let private = mrap_policy(
        &alias,
        &format!(r#"{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}}"#),
    );
    for (token, name, policy, code) in [
        ("f-1", "pol-fail", "", "MalformedPolicy"),
        ("f-2", "pol-fail", "{\"Version\":", "MalformedPolicy"),
        ("f-3", "pol-fail", public.as_str(), "AccessDenied"),
        (
            "f-4",
            "no-such-mrap",
            private.as_str(),
            "NoSuchMultiRegionAccessPoint",
        ),
    ] {
        let r = h
            .control(
                "POST",
                "/v20180820/async-requests/mrap/put-policy",
                &put_policy_body(token, name, policy),
            )
            .await;
        assert_eq!(r.status, 200, "{r:#?}");
        let done = h.wait_for_op(r.xml_text("RequestTokenARN").unwrap()).await;
        assert_eq!(done.xml_text("RequestStatus"), Some("FAILED"), "{done:#?}");
        assert_eq!(done.code(), code, "{done:#?}");
    }
    // nothing was proposed or established
    let r = h
        .control("GET", "/v20180820/mrap/instances/pol-fail/policy", "")
        .await;
    assert!(r.body.contains("<Policy/>"), "{}", r.body);

    // unknown and impossible names on the read side
    for name in ["no-such-mrap", "Bad_Name"] {
        for sub in ["policy", "policystatus"] {
            h.control(
                "GET",
                &format!("/v20180820/mrap/instances/{name}/{sub}"),
                "",
            )
            .await
            .assert_wrapped(404, "NoSuchMultiRegionAccessPoint");
        }
    }
    // another account cannot read it
    h.control_as(
        OTHER,
        ACCOUNT,
        "GET",
        "/v20180820/mrap/instances/pol-fail/policy",
        "",
    )
    .await
    .assert_wrapped(403, "AccessDenied");
}

// ---------------------------------------------------------------- Access Analyzer

/// Several findings of several kinds: a duplicate and an unknown action, an empty action list.
const NOISY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:GetObject","s3:GetObjekt"],"Resource":"*"},{"Effect":"Allow","Action":[],"Resource":"*"}]}"#;

fn validate_body(policy: &str, policy_type: &str, extra: &str) -> String {
    format!(
        r#"{{"policyDocument":{},"policyType":"{policy_type}"{extra}}}"#,
        serde_json::to_string(policy).unwrap()
    )
}

#[tokio::test]
async fn validate_policy_answers_the_validators_findings_in_pages() {
    let h = harness().await;
    let expected =
        serde_json::to_value(mrap_policy::validate(NOISY, PolicyType::Identity, None)).unwrap();
    let total = expected.as_array().unwrap().len();
    assert!(
        total >= 3,
        "the test policy needs several findings: {expected:#}"
    );

    let r = h
        .analyzer(
            "",
            &validate_body(NOISY, "IDENTITY_POLICY", r#","locale":"EN""#),
        )
        .await;
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(r.headers["x-amzn-requestid"], r.request_id().as_str());
    assert_eq!(r.json(), serde_json::json!({ "findings": expected }));
    let authz = h.tap.of(&r).await;
    assert_eq!(authz.action, "access-analyzer:ValidatePolicy");
    assert_eq!(authz.resource, Resource::CallerAccount);
    assert_eq!(authz.signing_service.as_deref(), Some("access-analyzer"));

    // one finding per page, following nextToken
    let mut pages = vec![];
    let mut token: Option<String> = None;
    loop {
        let query = match &token {
            None => "maxResults=1".to_owned(),
            Some(t) => format!("maxResults=1&nextToken={t}"),
        };
        let r = h
            .analyzer(&query, &validate_body(NOISY, "IDENTITY_POLICY", ""))
            .await;
        assert_eq!(r.status, 200, "{r:#?}");
        let json = r.json();
        let findings = json["findings"].as_array().unwrap().clone();
        assert_eq!(findings.len(), 1, "{json:#}");
        pages.extend(findings);
        token = json["nextToken"].as_str().map(str::to_owned);
        if token.is_none() {
            break;
        }
        assert!(pages.len() < total, "more pages than findings");
    }
    assert_eq!(serde_json::Value::Array(pages), expected);

    // a resource policy with the S3 resource type's checks
    let bucket = allow_other_list("aa-bucket");
    let r = h
        .analyzer(
            "",
            &validate_body(
                &bucket,
                "RESOURCE_POLICY",
                r#","validatePolicyResourceType":"AWS::S3::Bucket""#,
            ),
        )
        .await;
    assert_eq!(r.status, 200, "{r:#?}");
    let expected = mrap_policy::validate(&bucket, PolicyType::Resource, Some("AWS::S3::Bucket"));
    assert_eq!(
        r.json(),
        serde_json::json!({ "findings": serde_json::to_value(expected).unwrap() })
    );

    // a policy that is not even JSON is a finding, not a request error
    let r = h
        .analyzer("", &validate_body("{", "IDENTITY_POLICY", ""))
        .await;
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(r.json()["findings"][0]["issueCode"], "JSON_SYNTAX_ERROR");
}

#[tokio::test]
async fn validate_policy_errors_are_rest_json() {
    let h = harness().await;

    for (query, body, reason) in [
        ("", "not json".to_owned(), "cannotParse"),
        (
            "",
            r#"{"policyType":"IDENTITY_POLICY"}"#.to_owned(),
            "fieldValidationFailed",
        ),
        (
            "",
            validate_body("{}", "NOT_A_TYPE", ""),
            "fieldValidationFailed",
        ),
        (
            "",
            validate_body("{}", "SERVICE_CONTROL_POLICY", ""),
            "notSupported",
        ),
        (
            "",
            validate_body(
                "{}",
                "RESOURCE_POLICY",
                r#","validatePolicyResourceType":"AWS::Nope""#,
            ),
            "fieldValidationFailed",
        ),
        (
            "maxResults=0",
            validate_body("{}", "IDENTITY_POLICY", ""),
            "fieldValidationFailed",
        ),
        (
            "nextToken=xyz",
            validate_body("{}", "IDENTITY_POLICY", ""),
            "fieldValidationFailed",
        ),
        (
            "nextToken=999",
            validate_body(NOISY, "IDENTITY_POLICY", ""),
            "fieldValidationFailed",
        ),
    ] {
        let r = h.analyzer(query, &body).await;
        let json = r.assert_json_error(400, "ValidationException");
        assert_eq!(json["reason"], reason, "{query} {body}: {json:#}");
    }

    // authentication failures in the same style
    let wrong = Key {
        access: ACCESS_KEY,
        secret: "not-the-secret",
    };
    let body = validate_body("{}", "IDENTITY_POLICY", "");
    h.analyzer_as(wrong, "", &body)
        .await
        .assert_json_error(403, "InvalidSignatureException");
    let unknown = Key {
        access: "AKIDUNKNOWN",
        secret: "x",
    };
    h.analyzer_as(unknown, "", &body)
        .await
        .assert_json_error(403, "UnrecognizedClientException");
    // the other account may validate too (nothing of ours is involved)
    assert_eq!(h.analyzer_as(OTHER, "", &body).await.status, 200);

    // another Access Analyzer operation
    let mut req = Req::new("GET", "/analyzer", "", b"");
    req.service = "access-analyzer";
    h.request(req)
        .await
        .assert_json_error(404, "UnknownOperationException");

    // the same URL signed for S3 (or not signed) is an S3 object request
    let r = h.s3("POST", "/policy/validation", &body).await;
    r.assert_flat(501, "NotImplemented", "/policy/validation");
}
