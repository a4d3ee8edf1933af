//! The whole HTTP pipeline of the gateway, in process, against fake authorizer and policy-store
//! responders on a real `nats-server` (see `common`). The real services and the AWS SDKs are
//! exercised by the workspace's end-to-end suite; this checks what the gateway itself owns: routing,
//! error layouts, request ids, integrity checks, what it asks the authorizer and the store, and
//! bucket directories.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use mrap_model::{AccountId, RequestToken};
use mrap_proto::authz::Resource;
use sha2::{Digest, Sha256};

const CREATE_BODY: &str = r#"<CreateMultiRegionAccessPointRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><ClientToken>tok-1</ClientToken><Details><Name>my-mrap</Name><Regions><Region><Bucket>bucket-a</Bucket></Region></Regions></Details></CreateMultiRegionAccessPointRequest>"#;

#[tokio::test]
async fn create_then_describe_an_mrap_operation() {
    let Some(h) = harness(true).await else { return };

    let r = h
        .control("POST", "/v20180820/async-requests/mrap/create", CREATE_BODY)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.headers["content-type"], "application/xml");
    assert!(r.body.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?><CreateMultiRegionAccessPointResult xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><RequestTokenARN>arn:aws:s3:us-west-2:123456789012:async-request/mrap/create/"#), "{}", r.body);

    let authz = h.last_authz();
    assert_eq!(authz.action, "s3:CreateMultiRegionAccessPoint");
    assert_eq!(
        authz.resource,
        Resource::Account(AccountId::parse(ACCOUNT).unwrap())
    );
    assert_eq!(authz.path, "/v20180820/async-requests/mrap/create");
    assert!(authz.s3_control);
    assert_eq!(
        authz.payload_hash,
        hex::encode(Sha256::digest(CREATE_BODY.as_bytes()))
    );
    assert_eq!(
        authz.request_id,
        r.headers["x-amz-request-id"].to_str().unwrap()
    );
    let submit = h.seen.lock().unwrap().submits.last().cloned().unwrap();
    assert_eq!(submit.client_token, "tok-1");
    assert_eq!(submit.request_id, authz.request_id);

    let arn = submit.token.arn();
    let encoded = arn.replace(':', "%3A");
    let r = h
        .control(
            "GET",
            &format!("/v20180820/async-requests/mrap/{encoded}"),
            "",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body
            .contains("<Operation>CreateMultiRegionAccessPoint</Operation>")
    );
    assert!(
        r.body
            .contains(&format!("<RequestTokenARN>{arn}</RequestTokenARN>"))
    );
    assert!(r.body.contains("<RequestStatus>NEW</RequestStatus>"));
    // the authorizer saw the path exactly as sent (still percent-encoded)
    assert_eq!(
        h.last_authz().path,
        format!("/v20180820/async-requests/mrap/{encoded}")
    );

    // a token of another account, a mangled one, an unknown one: all 404 NoSuchAsyncRequest
    let other = RequestToken {
        account: AccountId::parse("111122223333").unwrap(),
        ..submit.token.clone()
    };
    for token in [
        other.arn(),
        "garbage".into(),
        arn.replace(&submit.token.id, &"0".repeat(32)),
    ] {
        let r = h
            .control(
                "GET",
                &format!("/v20180820/async-requests/mrap/{token}"),
                "",
            )
            .await;
        assert_eq!(r.status, 404, "{token}");
        assert!(
            r.body
                .contains("<ErrorResponse><Error><Code>NoSuchAsyncRequest</Code>"),
            "{}",
            r.body
        );
    }
}

#[tokio::test]
async fn control_plane_refusals_use_the_wrapped_layout() {
    let Some(h) = harness(true).await else { return };

    // synchronous validation
    let r = h
        .control(
            "POST",
            "/v20180820/async-requests/mrap/create",
            &CREATE_BODY.replace("my-mrap", "Bad_Name"),
        )
        .await;
    assert_eq!(
        (r.status, code_of(&r.body)),
        (400, "InvalidRequest"),
        "{}",
        r.body
    );
    assert!(r.body.contains("<ErrorResponse><Error>") && r.body.contains("<RequestId>"));
    let r = h
        .control("POST", "/v20180820/async-requests/mrap/create", "<nope")
        .await;
    assert_eq!((r.status, code_of(&r.body)), (400, "MalformedXML"));

    // missing account header: refused before the authorizer is asked
    let before = h.seen.lock().unwrap().authz.len();
    let r = h
        .send(
            "GET",
            "/v20180820/mrap/instances",
            "localhost",
            &[("authorization", "x")],
            "",
        )
        .await;
    assert_eq!((r.status, code_of(&r.body)), (400, "InvalidRequest"));
    assert_eq!(h.seen.lock().unwrap().authz.len(), before);

    // the authorizer's refusal
    let r = h
        .send(
            "GET",
            "/v20180820/mrap/instances",
            "localhost",
            &[("x-amz-account-id", ACCOUNT)],
            "",
        )
        .await;
    assert_eq!((r.status, code_of(&r.body)), (403, "AccessDenied"));
    assert!(r.body.contains("<ErrorResponse>"));

    // integrity checks
    let r = h
        .send(
            "POST",
            "/v20180820/async-requests/mrap/create",
            "localhost",
            &[
                ("authorization", "x"),
                ("x-amz-account-id", ACCOUNT),
                ("x-amz-content-sha256", &"0".repeat(64)),
            ],
            CREATE_BODY,
        )
        .await;
    assert_eq!(
        (r.status, code_of(&r.body)),
        (400, "XAmzContentSHA256Mismatch")
    );
    let r = h
        .send(
            "POST",
            "/v20180820/async-requests/mrap/create",
            "localhost",
            &[
                ("authorization", "x"),
                ("x-amz-account-id", ACCOUNT),
                ("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg=="),
            ],
            CREATE_BODY,
        )
        .await;
    assert_eq!((r.status, code_of(&r.body)), (400, "BadDigest"));
    let big = "x".repeat(1024 * 1024 + 1);
    let r = h
        .control("POST", "/v20180820/async-requests/mrap/create", &big)
        .await;
    assert_eq!((r.status, code_of(&r.body)), (400, "EntityTooLarge"));

    // store refusals and the unknown
    let r = h
        .control("GET", "/v20180820/mrap/instances/missing-mrap", "")
        .await;
    assert_eq!(
        (r.status, code_of(&r.body)),
        (404, "NoSuchMultiRegionAccessPoint")
    );
    let r = h
        .control("GET", "/v20180820/mrap/instances/Not_Valid", "")
        .await;
    assert_eq!(
        (r.status, code_of(&r.body)),
        (404, "NoSuchMultiRegionAccessPoint")
    );
    let r = h
        .control(
            "GET",
            "/v20180820/mrap/instances?maxResults=5&nextToken=abc",
            "",
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("<ListMultiRegionAccessPointsResult xmlns=\"http://awss3control.amazonaws.com/doc/2018-08-20/\"><AccessPoints/>"), "{}", r.body);
    let r = h
        .control("POST", "/v20180820/async-requests/mrap/put-policy", "")
        .await;
    assert_eq!((r.status, code_of(&r.body)), (501, "NotImplemented"));
    assert!(r.body.contains("<ErrorResponse>"));
    let r = h
        .control("DELETE", "/v20180820/mrap/instances/my-mrap", "")
        .await;
    assert_eq!((r.status, code_of(&r.body)), (405, "MethodNotAllowed"));
    let r = h.control("GET", "/v20180820/jobs", "").await;
    assert_eq!((r.status, code_of(&r.body)), (501, "NotImplemented"));
}

#[tokio::test]
async fn bucket_life_cycle_keeps_the_directory_in_step() {
    let Some(h) = harness(true).await else { return };
    let dir = h.data_dir.path().join("eu-west-1").join("bucket-eu");

    let r = h
        .s3("PUT", "/bucket-eu", r#"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"#)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.headers["location"], "/bucket-eu");
    assert!(dir.is_dir());
    let authz = h.last_authz();
    assert_eq!(
        (authz.action.as_str(), &authz.resource),
        ("s3:CreateBucket", &Resource::CallerAccount)
    );
    assert!(!authz.s3_control);
    assert_eq!(authz.payload_hash, "UNSIGNED-PAYLOAD");

    let r = h.s3("PUT", "/bucket-eu", "").await;
    assert_eq!(
        (r.status, code_of(&r.body)),
        (409, "BucketAlreadyOwnedByYou")
    );
    assert!(
        r.body
            .contains("<Error><Code>BucketAlreadyOwnedByYou</Code>")
            && r.body.contains("<Resource>/bucket-eu</Resource>"),
        "{}",
        r.body
    );

    // virtual-host style, account-prefixed host ignored for buckets
    let r = h
        .send(
            "HEAD",
            "/",
            "bucket-eu.localhost:4566",
            &[("authorization", "x")],
            "",
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["x-amz-bucket-region"], "eu-west-1");
    assert_eq!(
        h.last_authz().resource,
        Resource::Bucket(mrap_model::BucketName::parse("bucket-eu").unwrap())
    );

    let r = h.s3("GET", "/bucket-eu?location", "").await;
    assert_eq!(
        r.body,
        r#"<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">eu-west-1</LocationConstraint>"#
    );

    let r = h.s3("GET", "/?x-id=ListBuckets", "").await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("<Owner><ID>123456789012</ID>")
            && r.body.contains("<Name>bucket-eu</Name>"),
        "{}",
        r.body
    );

    // a bucket with an object in it is not deleted
    std::fs::write(dir.join("obj"), b"x").unwrap();
    let r = h.s3("DELETE", "/bucket-eu", "").await;
    assert_eq!((r.status, code_of(&r.body)), (409, "BucketNotEmpty"));
    std::fs::remove_file(dir.join("obj")).unwrap();

    let r = h.s3("DELETE", "/bucket-eu", "").await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert!(!dir.exists());

    let r = h.s3("HEAD", "/bucket-eu", "").await;
    assert_eq!((r.status, r.body.as_str()), (404, ""));
    let r = h.s3("GET", "/bucket-eu?location", "").await;
    assert_eq!((r.status, code_of(&r.body)), (404, "NoSuchBucket"));
}

#[tokio::test]
async fn s3_refusals_use_the_flat_layout() {
    let Some(h) = harness(true).await else { return };
    let r = h.s3("PUT", "/Bad_Bucket", "").await;
    assert_eq!((r.status, code_of(&r.body)), (400, "InvalidBucketName"));
    assert!(
        r.body.contains("<Error><Code>InvalidBucketName</Code>")
            && r.body.contains("<Resource>/Bad_Bucket</Resource>")
    );
    let r = h.s3("PUT", "/fine-bucket", r#"<CreateBucketConfiguration><LocationConstraint>mars-1</LocationConstraint></CreateBucketConfiguration>"#).await;
    assert_eq!(
        (r.status, code_of(&r.body)),
        (400, "InvalidLocationConstraint")
    );
    let r = h
        .s3("PUT", "/fine-bucket", "<CreateBucketConfiguration>")
        .await;
    assert_eq!((r.status, code_of(&r.body)), (400, "MalformedXML"));
    let r = h.s3("GET", "/fine-bucket/some/key", "").await;
    assert_eq!((r.status, code_of(&r.body)), (501, "NotImplemented"));
    let r = h.s3("PATCH", "/fine-bucket", "").await;
    assert_eq!((r.status, code_of(&r.body)), (405, "MethodNotAllowed"));
    let r = h
        .send(
            "GET",
            "/k",
            "mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com",
            &[],
            "",
        )
        .await;
    assert_eq!((r.status, code_of(&r.body)), (501, "NotImplemented"));
    let r = h.send("GET", "/", "localhost", &[], "").await;
    assert_eq!((r.status, code_of(&r.body)), (403, "AccessDenied"));
    assert!(
        r.body.starts_with(
            r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>"#
        )
    );
}

#[tokio::test]
async fn an_unreachable_authorizer_is_a_503_not_a_hang() {
    let Some(h) = harness(false).await else {
        return;
    };
    let r = h.control("GET", "/v20180820/mrap/instances", "").await;
    assert_eq!((r.status, code_of(&r.body)), (503, "ServiceUnavailable"));
}
