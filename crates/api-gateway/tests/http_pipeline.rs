//! The gateway's HTTP pipeline against the real services (see `common`): routing, error layouts,
//! request ids, integrity checks, what it asks the authorizer, and bucket directories. The AWS
//! SDKs themselves are exercised by the workspace's end-to-end suite.
#![allow(clippy::unwrap_used)]

mod common;

use bytes::Bytes;
use common::*;
use mrap_model::{AccountId, BucketName, RequestToken};
use mrap_proto::{authz::Resource, subjects::KvBucket};
use mrap_storage::{RegionStore, local::LocalStore};
use sha2::{Digest, Sha256};

const CREATE_BODY: &str = r#"<CreateMultiRegionAccessPointRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><ClientToken>tok-1</ClientToken><Details><Name>my-mrap</Name><Regions><Region><Bucket>bucket-a</Bucket></Region></Regions></Details></CreateMultiRegionAccessPointRequest>"#;

#[tokio::test]
async fn create_then_describe_an_mrap_operation() {
    let h = harness().await;
    h.create_bucket(MAIN, "bucket-a", None).await;

    let r = h
        .control("POST", "/v20180820/async-requests/mrap/create", CREATE_BODY)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.headers["content-type"], "application/xml");
    let prefix = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><CreateMultiRegionAccessPointResult xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><RequestTokenARN>arn:aws:s3:us-west-2:{ACCOUNT}:async-request/mrap/create/"#
    );
    assert!(r.body.starts_with(&prefix), "{}", r.body);

    let authz = h.tap.of(&r).await;
    assert_eq!(authz.action, "s3:CreateMultiRegionAccessPoint");
    assert_eq!(
        authz.resource,
        Resource::Arn {
            owner: Some(AccountId::parse(ACCOUNT).unwrap()),
            arn: format!("arn:aws:s3::{ACCOUNT}:accesspoint/my-mrap"),
        }
    );
    assert_eq!(authz.path, "/v20180820/async-requests/mrap/create");
    assert!(authz.s3_control);
    assert_eq!(authz.signing_service, None);
    assert_eq!(
        authz.payload_hash,
        hex::encode(Sha256::digest(CREATE_BODY.as_bytes()))
    );
    assert_eq!(authz.source_ip.as_deref(), Some("127.0.0.1"));

    // the same ClientToken and request: the same token back
    let arn = r.xml_text("RequestTokenARN").unwrap().to_owned();
    let again = h
        .control("POST", "/v20180820/async-requests/mrap/create", CREATE_BODY)
        .await;
    assert_eq!(again.xml_text("RequestTokenARN"), Some(arn.as_str()));

    let done = h.wait_for_op(&arn).await;
    assert_eq!(
        done.xml_text("RequestStatus"),
        Some("SUCCEEDED"),
        "{done:#?}"
    );
    assert!(
        done.body
            .contains("<Operation>CreateMultiRegionAccessPoint</Operation>")
            && done
                .body
                .contains(&format!("<RequestTokenARN>{arn}</RequestTokenARN>")),
        "{}",
        done.body
    );
    // the authorizer saw the path exactly as sent (still percent-encoded)
    let encoded = arn.replace(':', "%3A");
    assert_eq!(
        h.tap.of(&done).await.path,
        format!("/v20180820/async-requests/mrap/{encoded}")
    );

    // a token of another account, a mangled one, an unknown one: all 404 NoSuchAsyncRequest
    let token = RequestToken::parse_arn(&arn).unwrap();
    let other = RequestToken {
        account: AccountId::parse(OTHER_ACCOUNT).unwrap(),
        ..token.clone()
    };
    for bad in [
        other.arn(),
        "garbage".into(),
        arn.replace(&token.id, &"0".repeat(32)),
    ] {
        let r = h
            .control("GET", &format!("/v20180820/async-requests/mrap/{bad}"), "")
            .await;
        r.assert_wrapped(404, "NoSuchAsyncRequest");
    }
}

#[tokio::test]
async fn control_plane_refusals_use_the_wrapped_layout() {
    let h = harness().await;

    // synchronous validation
    let r = h
        .control(
            "POST",
            "/v20180820/async-requests/mrap/create",
            &CREATE_BODY.replace("my-mrap", "Bad_Name"),
        )
        .await;
    r.assert_wrapped(400, "InvalidRequest");
    let r = h
        .control("POST", "/v20180820/async-requests/mrap/create", "<nope")
        .await;
    r.assert_wrapped(400, "MalformedXML");
    let r = h
        .control("POST", "/v20180820/async-requests/mrap/put-policy", "")
        .await;
    r.assert_wrapped(400, "MalformedXML");

    // missing account header: refused before the authorizer is asked
    let mut req = Req::new("GET", "/v20180820/mrap/instances", "", b"");
    req.host = Some(format!("{ACCOUNT}.localhost:{}", h.port()));
    let r = h.request(req).await;
    r.assert_wrapped(400, "InvalidRequest");
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(h.tap.find(&r.request_id()).is_none());

    // the authorizer's refusals: unsigned, wrong secret, another account's resources
    let unsigned = [
        ("host".to_owned(), format!("{ACCOUNT}.localhost")),
        ("x-amz-account-id".to_owned(), ACCOUNT.to_owned()),
    ];
    let r = h
        .send("GET", "/v20180820/mrap/instances", "", &unsigned, b"")
        .await;
    r.assert_wrapped(403, "AccessDenied");
    let wrong = Key {
        access: ACCESS_KEY,
        secret: "not-the-secret",
    };
    let r = h
        .control_as(wrong, ACCOUNT, "GET", "/v20180820/mrap/instances", "")
        .await;
    r.assert_wrapped(403, "SignatureDoesNotMatch");
    let r = h
        .control_as(OTHER, ACCOUNT, "GET", "/v20180820/mrap/instances", "")
        .await;
    r.assert_wrapped(403, "AccessDenied");

    // integrity checks
    let mut req = Req::new(
        "POST",
        "/v20180820/async-requests/mrap/create",
        "",
        CREATE_BODY.as_bytes(),
    );
    let zeros = "0".repeat(64);
    req.content_sha256 = Some(&zeros);
    req.headers = vec![("x-amz-account-id", ACCOUNT.to_owned())];
    h.request(req)
        .await
        .assert_wrapped(400, "XAmzContentSHA256Mismatch");
    // Digests of the empty body (as the SDKs send them for a GET), not of this one; and a
    // checksum that is not even a CRC32's size.
    for (header, value, code) in [
        ("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==", "BadDigest"),
        ("x-amz-checksum-crc32", "AAAAAA==", "BadDigest"),
        ("x-amz-checksum-crc32", "AAAA", "InvalidRequest"),
    ] {
        let mut req = Req::new(
            "POST",
            "/v20180820/async-requests/mrap/create",
            "",
            CREATE_BODY.as_bytes(),
        );
        req.headers = vec![
            ("x-amz-account-id", ACCOUNT.to_owned()),
            (header, value.to_owned()),
        ];
        h.request(req).await.assert_wrapped(400, code);
    }
    let big = "x".repeat(2 * 1024 * 1024 + 1);
    h.control("POST", "/v20180820/async-requests/mrap/create", &big)
        .await
        .assert_wrapped(400, "EntityTooLarge");

    // store refusals and the unknown
    h.control("GET", "/v20180820/mrap/instances/missing-mrap", "")
        .await
        .assert_wrapped(404, "NoSuchMultiRegionAccessPoint");
    h.control("GET", "/v20180820/mrap/instances/Not_Valid", "")
        .await
        .assert_wrapped(404, "NoSuchMultiRegionAccessPoint");
    let r = h
        .control(
            "GET",
            "/v20180820/mrap/instances?maxResults=5&nextToken=abc",
            "",
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("<ListMultiRegionAccessPointsResult xmlns=\"http://awss3control.amazonaws.com/doc/2018-08-20/\"><AccessPoints/>"), "{}", r.body);
    h.control("DELETE", "/v20180820/mrap/instances/my-mrap", "")
        .await
        .assert_wrapped(405, "MethodNotAllowed");
    h.control("GET", "/v20180820/jobs", "")
        .await
        .assert_wrapped(501, "NotImplemented");
    // A routes call must name an MRAP by its ARN.
    h.control("GET", "/v20180820/mrap/instances/x/routes", "")
        .await
        .assert_wrapped(400, "InvalidRequest");
}

#[tokio::test]
async fn bucket_life_cycle_keeps_the_region_store_in_step() {
    let h = harness().await;
    let spec = h.stack.regions.get("eu-west-1").unwrap();
    // A second opener of the Region's store, as another gateway process would be.
    let store = LocalStore::open(&h.stack.regions.storage_dir(&h.stack.data_dir, spec)).unwrap();

    let create = r#"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"#;
    let mut req = Req::new("PUT", "/bucket-eu", "", create.as_bytes());
    req.content_sha256 = Some("UNSIGNED-PAYLOAD");
    let r = h.request(req).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.headers["location"], "/bucket-eu");
    assert_eq!(store.bucket_is_empty("bucket-eu").await.ok(), Some(true));
    let authz = h.tap.of(&r).await;
    assert_eq!(
        (authz.action.as_str(), &authz.resource),
        (
            "s3:CreateBucket",
            &Resource::Arn {
                owner: None,
                arn: "arn:aws:s3:::bucket-eu".into()
            }
        )
    );
    assert!(!authz.s3_control);
    assert_eq!(authz.payload_hash, "UNSIGNED-PAYLOAD");

    h.s3("PUT", "/bucket-eu", "")
        .await
        .assert_flat(409, "BucketAlreadyOwnedByYou", "/bucket-eu");

    // virtual-host style, account-prefixed host ignored for buckets
    let mut req = Req::new("HEAD", "/", "", b"");
    req.host = Some(format!("bucket-eu.localhost:{}", h.port()));
    let r = h.request(req).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["x-amz-bucket-region"], "eu-west-1");
    assert_eq!(
        h.tap.of(&r).await.resource,
        Resource::Bucket(BucketName::parse("bucket-eu").unwrap())
    );

    let r = h.s3("GET", "/bucket-eu?location", "").await;
    assert_eq!(
        r.body,
        r#"<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">eu-west-1</LocationConstraint>"#
    );

    let r = h.s3("GET", "/?x-id=ListBuckets", "").await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains(&format!("<Owner><ID>{ACCOUNT}</ID>"))
            && r.body.contains("<Name>bucket-eu</Name>"),
        "{}",
        r.body
    );
    // another account's listing does not show it
    let r = h.s3_as(OTHER, "GET", "/", "").await;
    assert!(!r.body.contains("bucket-eu"), "{}", r.body);

    // a bucket with an object in it is not deleted
    let r = h.s3("PUT", "/bucket-eu/obj", "x").await;
    assert_eq!(r.status, 200, "{}", r.body);
    h.s3("DELETE", "/bucket-eu", "")
        .await
        .assert_flat(409, "BucketNotEmpty", "/bucket-eu");
    assert_eq!(store.bucket_is_empty("bucket-eu").await.ok(), Some(false));
    assert_eq!(h.s3("DELETE", "/bucket-eu/obj", "").await.status, 204);

    let r = h.s3("DELETE", "/bucket-eu", "").await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert!(matches!(
        store.bucket_is_empty("bucket-eu").await,
        Err(mrap_storage::Error::NoSuchBucket)
    ));

    let r = h.s3("HEAD", "/bucket-eu", "").await;
    assert_eq!((r.status, r.body.as_str()), (404, ""));
    h.s3("GET", "/bucket-eu?location", "")
        .await
        .assert_flat(404, "NoSuchBucket", "/bucket-eu");
}

#[tokio::test]
async fn s3_refusals_use_the_flat_layout() {
    let h = harness().await;
    h.s3("PUT", "/Bad_Bucket", "")
        .await
        .assert_flat(400, "InvalidBucketName", "/Bad_Bucket");
    h.s3("PUT", "/fine-bucket", r#"<CreateBucketConfiguration><LocationConstraint>mars-1</LocationConstraint></CreateBucketConfiguration>"#)
        .await
        .assert_flat(400, "InvalidLocationConstraint", "/fine-bucket");
    h.s3("PUT", "/fine-bucket", "<CreateBucketConfiguration>")
        .await
        .assert_flat(400, "MalformedXML", "/fine-bucket");
    h.s3("GET", "/fine-bucket/some/key?torrent", "")
        .await
        .assert_flat(501, "NotImplemented", "/fine-bucket/some/key");
    h.s3("GET", "/fine-bucket/some/key", "").await.assert_flat(
        404,
        "NoSuchBucket",
        "/fine-bucket/some/key",
    );
    h.s3("PATCH", "/fine-bucket", "")
        .await
        .assert_flat(405, "MethodNotAllowed", "/fine-bucket");
    h.s3("POST", "/fine-bucket?policy", "").await.assert_flat(
        405,
        "MethodNotAllowed",
        "/fine-bucket",
    );
    let mut req = Req::new("GET", "/k", "", b"");
    req.host = Some("mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com".into());
    // An alias that names no MRAP, in the same flat document.
    let r = h.request(req).await;
    assert_eq!((r.status, r.code()), (404, "NoSuchAccessPoint"));
    let r = h
        .send(
            "GET",
            "/",
            "",
            &[("host".to_owned(), "localhost".to_owned())],
            b"",
        )
        .await;
    r.assert_flat(403, "AccessDenied", "/");
}

#[tokio::test]
async fn an_unreachable_authorizer_is_a_503_not_a_hang() {
    let g = gateway_alone().await;
    let r = g
        .send(
            "GET",
            "/v20180820/mrap/instances",
            &[
                ("host".to_owned(), "localhost".to_owned()),
                ("x-amz-account-id".to_owned(), ACCOUNT.to_owned()),
            ],
        )
        .await;
    r.assert_wrapped(503, "ServiceUnavailable");
}

/// Deciding access fails closed: a bucket record the authorizer cannot decode is a refusal the
/// client may retry (503), never an allow and never "no such bucket".
#[tokio::test]
async fn unreadable_authorization_data_is_a_refusal() {
    let h = harness().await;
    h.create_bucket(MAIN, "bucket-corrupt", None).await;
    let r = h.s3("PUT", "/bucket-corrupt/k", "x").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let client = async_nats::connect(&h.stack.nats_url).await.unwrap();
    let kv = async_nats::jetstream::new(client)
        .get_key_value(h.stack.namespace.kv(KvBucket::Buckets))
        .await
        .unwrap();
    kv.put("bucket-corrupt", Bytes::from_static(b"\xc1 not a record"))
        .await
        .unwrap();
    h.s3("GET", "/bucket-corrupt/k", "").await.assert_flat(
        503,
        "ServiceUnavailable",
        "/bucket-corrupt/k",
    );
}
