//! Requests through an MRAP: every object operation AWS serves through one, in the ARN form an
//! unmodified aws-sdk-s3 sends (SigV4A), in path style (`/{alias}/{key}`) and in host style
//! (`{alias}.accesspoint.s3-global.amazonaws.com`); routing to the nearest active Region,
//! failover when a Region is down, the routes API, and what an MRAP that is gone answers.

use std::time::Duration;

use aws_sdk_s3::{
    primitives::ByteStream,
    types::{CompletedMultipartUpload, CompletedPart, Tag, Tagging},
};
use aws_sdk_s3control::types::MultiRegionAccessPointRoute;

use crate::common::{
    mrap::*,
    raw::{self, Signer},
    *,
};

/// With no `MRAP_GATEWAY_REGION`, each Region's own `latency_ms` orders them: us-east-1 (10)
/// before eu-west-1 (80) in `deploy/regions.json`.
const NEAR: &str = "us-east-1";
const FAR: &str = "eu-west-1";

async fn body_of(out: aws_sdk_s3::operation::get_object::GetObjectOutput) -> Vec<u8> {
    out.body
        .collect()
        .await
        .expect("a complete body")
        .into_bytes()
        .to_vec()
}

/// Every object operation an MRAP serves, through `s3` naming MRAP `m` as `name` (its ARN, or
/// its alias in path style); `seen` is the `x-mrap-region` of each response when the client
/// records it. Objects land in the nearest Region's bucket (`NEAR`), and only there.
pub(crate) async fn every_operation(
    stack: &Stack,
    m: &ReadyMrap,
    s3: &aws_sdk_s3::Client,
    name: &str,
    seen: Option<&SeenRegion>,
) -> TestResult {
    let direct = crate::common::s3(stack, NEAR);
    let far_direct = crate::common::s3(stack, FAR);
    let served_by = |want: &str| {
        if let Some(seen) = seen {
            assert_eq!(last_region(seen).as_deref(), Some(want));
        }
    };

    s3.put_object()
        .bucket(name)
        .key("dir/a.txt")
        .content_type("text/plain")
        .metadata("colour", "blue")
        .body(ByteStream::from_static(b"hello through the MRAP"))
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    served_by(NEAR);
    // The object landed in the nearest Region's bucket, and only there.
    let there = direct
        .get_object()
        .bucket(m.bucket(NEAR))
        .key("dir/a.txt")
        .send()
        .await?;
    assert_eq!(body_of(there).await, b"hello through the MRAP");
    let far = far_direct
        .get_object()
        .bucket(m.bucket(FAR))
        .key("dir/a.txt")
        .send()
        .await;
    expect_error(far, "NoSuchKey", 404);

    let got = s3.get_object().bucket(name).key("dir/a.txt").send().await?;
    assert_eq!(got.content_type(), Some("text/plain"));
    assert_eq!(
        got.metadata()
            .and_then(|m| m.get("colour"))
            .map(String::as_str),
        Some("blue")
    );
    assert_eq!(body_of(got).await, b"hello through the MRAP");
    let ranged = s3
        .get_object()
        .bucket(name)
        .key("dir/a.txt")
        .range("bytes=0-4")
        .send()
        .await?;
    assert_eq!(body_of(ranged).await, b"hello");
    let head = s3
        .head_object()
        .bucket(name)
        .key("dir/a.txt")
        .send()
        .await?;
    assert_eq!(head.content_length(), Some(22));

    let listed = s3
        .list_objects_v2()
        .bucket(name)
        .prefix("dir/")
        .send()
        .await?;
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["dir/a.txt"]);

    let tags = Tagging::builder()
        .tag_set(Tag::builder().key("k").value("v").build()?)
        .build()?;
    s3.put_object_tagging()
        .bucket(name)
        .key("dir/a.txt")
        .tagging(tags)
        .send()
        .await?;
    let t = s3
        .get_object_tagging()
        .bucket(name)
        .key("dir/a.txt")
        .send()
        .await?;
    assert_eq!(t.tag_set().len(), 1);
    s3.delete_object_tagging()
        .bucket(name)
        .key("dir/a.txt")
        .send()
        .await?;
    let acl = s3
        .get_object_acl()
        .bucket(name)
        .key("dir/a.txt")
        .send()
        .await?;
    assert_eq!(acl.grants().len(), 1);
    s3.put_object_acl()
        .bucket(name)
        .key("dir/a.txt")
        .acl(aws_sdk_s3::types::ObjectCannedAcl::Private)
        .send()
        .await?;

    // Multipart: a 5 MiB part and a small last one.
    let up = s3
        .create_multipart_upload()
        .bucket(name)
        .key("big")
        .send()
        .await?;
    let id = up.upload_id().ok_or("no UploadId")?;
    let listed = s3.list_multipart_uploads().bucket(name).send().await?;
    assert_eq!(listed.uploads().len(), 1);
    let first = vec![7u8; 5 * 1024 * 1024];
    let mut parts = Vec::new();
    for (n, data) in [(1, first.clone()), (2, b"tail".to_vec())] {
        let p = s3
            .upload_part()
            .bucket(name)
            .key("big")
            .upload_id(id)
            .part_number(n)
            .body(ByteStream::from(data))
            .send()
            .await
            .map_err(|e| describe_err(&e))?;
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .set_e_tag(p.e_tag)
                .build(),
        );
    }
    let listed = s3
        .list_parts()
        .bucket(name)
        .key("big")
        .upload_id(id)
        .send()
        .await?;
    assert_eq!(listed.parts().len(), 2);
    let done = s3
        .complete_multipart_upload()
        .bucket(name)
        .key("big")
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await?;
    assert!(
        done.e_tag().is_some_and(|e| e.ends_with("-2\"")),
        "{done:?}"
    );
    let head = s3.head_object().bucket(name).key("big").send().await?;
    assert_eq!(head.content_length(), Some(5 * 1024 * 1024 + 4));
    let aborted = s3
        .create_multipart_upload()
        .bucket(name)
        .key("gone")
        .send()
        .await?;
    s3.abort_multipart_upload()
        .bucket(name)
        .key("gone")
        .upload_id(aborted.upload_id().ok_or("no UploadId")?)
        .send()
        .await?;

    s3.delete_object()
        .bucket(name)
        .key("dir/a.txt")
        .send()
        .await?;
    let gone = s3.get_object().bucket(name).key("dir/a.txt").send().await;
    expect_error(gone, "NoSuchKey", 404);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_object_operation_through_the_mrap_arn_with_sigv4a() -> TestResult {
    let stack = Stack::start().await?;
    let m = ReadyMrap::create(&stack, "arn-ops", &[NEAR, FAR]).await;
    let (s3, seen) = arn_client(&stack);
    every_operation(&stack, &m, &s3, &m.arn, Some(&seen)).await?;
    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_object_operation_through_the_mrap_in_path_style() -> TestResult {
    let stack = Stack::start().await?;
    let m = ReadyMrap::create(&stack, "path-ops", &[NEAR, FAR]).await;
    every_operation(&stack, &m, &s3(&stack, NEAR), &m.alias, None).await?;
    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_and_host_style_reach_the_same_objects() -> TestResult {
    let stack = Stack::start().await?;
    let m = ReadyMrap::create(&stack, "styles", &[NEAR, FAR]).await;
    // Path style, SigV4: the alias as the "bucket".
    let path = s3(&stack, NEAR);
    path.put_object()
        .bucket(&m.alias)
        .key("p.txt")
        .body(ByteStream::from_static(b"by path"))
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    let (arn, _) = arn_client(&stack);
    let got = arn.get_object().bucket(&m.arn).key("p.txt").send().await?;
    assert_eq!(body_of(got).await, b"by path");

    // Host style, SigV4, by hand: the alias host, the key as the path.
    let host = format!("{}.accesspoint.s3-global.amazonaws.com", m.alias);
    let signer = Signer::now(ACCESS_KEY, SECRET_KEY);
    let mut headers = vec![
        ("host".to_owned(), host.clone()),
        (
            "x-amz-content-sha256".to_owned(),
            "UNSIGNED-PAYLOAD".to_owned(),
        ),
    ];
    let added = mrap_sigv4::sign(
        "GET",
        "/p.txt",
        "",
        &headers,
        "UNSIGNED-PAYLOAD",
        signer.access_key,
        signer.secret,
        NEAR,
        "s3",
        signer.at_unix,
        mrap_sigv4::Options::S3,
    );
    headers.extend(added);
    let r = raw::send(&stack, "GET", "/p.txt", "", &headers, b"").await;
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(r.body, "by path");
    assert_eq!(r.header("x-mrap-region"), Some(NEAR));

    // Anonymous requests are never served through an MRAP.
    let anonymous = vec![("host".to_owned(), host)];
    let r = raw::send(&stack, "GET", "/p.txt", "", &anonymous, b"").await;
    r.assert_s3_error(403, "AccessDenied");
    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_and_bucket_operations_are_refused_through_an_mrap() -> TestResult {
    let stack = Stack::start().await?;
    let m = ReadyMrap::create(&stack, "refused", &[NEAR]).await;
    let path = s3(&stack, NEAR);
    put(&path, &m.alias, "src", b"x").await;
    let copy = path
        .copy_object()
        .bucket(&m.alias)
        .key("dst")
        .copy_source(format!("{}/src", m.bucket(NEAR)))
        .send()
        .await;
    let msg = expect_error(copy, "InvalidRequest", 400);
    assert!(msg.contains("CopyObject"), "{msg}");
    let policy = path.get_bucket_policy().bucket(&m.alias).send().await;
    expect_error(policy, "InvalidRequest", 400);
    let v1 = path.list_objects().bucket(&m.alias).send().await;
    expect_error(v1, "InvalidRequest", 400);
    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mrap_that_is_gone_or_never_was_is_no_such_access_point() -> TestResult {
    let stack = Stack::start().await?;
    let m = ReadyMrap::create(&stack, "gone", &[NEAR]).await;
    let direct = s3(&stack, NEAR);
    let (s3, _) = arn_client(&stack);
    put(&s3, &m.arn, "k", b"x").await;
    let ctl = control(&stack);
    let token = delete_mrap(&ctl, ACCOUNT, &m.name).await;
    wait_succeeded(&ctl, ACCOUNT, &token).await;
    let r = s3.get_object().bucket(&m.arn).key("k").send().await;
    expect_error(r, "NoSuchAccessPoint", 404);
    let never = format!("arn:aws:s3::{ACCOUNT}:accesspoint/mnosuchmrap00.mrap");
    let r = s3.get_object().bucket(&never).key("k").send().await;
    expect_error(r, "NoSuchAccessPoint", 404);
    // The bucket itself is untouched.
    let direct = direct
        .get_object()
        .bucket(m.bucket(NEAR))
        .key("k")
        .send()
        .await?;
    assert_eq!(body_of(direct).await, b"x");
    stack.stop().await?;
    Ok(())
}

/// Fail closed: an MRAP record that cannot be read refuses its requests (503), never serves them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_mrap_record_refuses_requests() -> TestResult {
    let stack = Stack::start().await?;
    let m = ReadyMrap::create(&stack, "unreadable", &[NEAR]).await;
    let (s3, _) = arn_client(&stack);
    put(&s3, &m.arn, "k", b"x").await;
    let key = format!("{ACCOUNT}.{}", m.name);
    stack
        .put_raw_kv(mrap_testkit::KvBucket::Mraps, &key, b"\xc1 not msgpack")
        .await?;
    let status = eventually("the corrupt record refuses requests", || async {
        s3.get_object()
            .bucket(&m.arn)
            .key("k")
            .send()
            .await
            .err()
            .map(|e| status_of(&e))
    })
    .await;
    assert_eq!(
        status,
        Some(503),
        "an unreadable MRAP is refused, not served"
    );
    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_region_taken_down_fails_over_and_none_left_is_503() -> TestResult {
    let stack = Stack::start().await?;
    let m = ReadyMrap::create(&stack, "failover", &[NEAR, FAR]).await;
    let (s3, seen) = arn_client(&stack);
    put(&s3, &m.arn, "k", b"near").await;
    assert_eq!(last_region(&seen).as_deref(), Some(NEAR));

    stack.set_region_down(NEAR, true).await?;
    // Every gateway applies it from a watch, within milliseconds. Wait for it with a request
    // that writes nothing: a write sent before the watch delivered it would still land in NEAR.
    eventually("requests fail over", || async {
        let _ = s3.head_object().bucket(&m.arn).key("k").send().await;
        (last_region(&seen).as_deref() == Some(FAR)).then_some(())
    })
    .await;
    put(&s3, &m.arn, "k", b"far").await;
    assert_eq!(last_region(&seen).as_deref(), Some(FAR), "writes fail over");
    let got = s3.get_object().bucket(&m.arn).key("k").send().await?;
    assert_eq!(last_region(&seen).as_deref(), Some(FAR), "reads fail over");
    assert_eq!(body_of(got).await, b"far");

    stack.set_region_down(FAR, true).await?;
    let refused = eventually("no Region left", || async {
        s3.get_object().bucket(&m.arn).key("k").send().await.err()
    })
    .await;
    assert_eq!(status_of(&refused), Some(503));
    assert_eq!(
        refused.into_service_error().meta().code(),
        Some("ServiceUnavailable")
    );

    stack.set_region_down(NEAR, false).await?;
    stack.set_region_down(FAR, false).await?;
    let back = eventually("back to the nearest", || async {
        let out = s3.get_object().bucket(&m.arn).key("k").send().await.ok()?;
        (last_region(&seen).as_deref() == Some(NEAR)).then_some(out)
    })
    .await;
    assert_eq!(body_of(back).await, b"near");
    stack.stop().await?;
    Ok(())
}

fn route(region: &str, dial: i32) -> MultiRegionAccessPointRoute {
    MultiRegionAccessPointRoute::builder()
        .region(region)
        .traffic_dial_percentage(dial)
        .build()
        .expect("the dial is set")
}

async fn dials(ctl: &aws_sdk_s3control::Client, arn: &str) -> Vec<(String, String, i32)> {
    let out = ctl
        .get_multi_region_access_point_routes()
        .account_id(ACCOUNT)
        .mrap(arn)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetMultiRegionAccessPointRoutes: {}", describe_err(&e)));
    assert_eq!(out.mrap(), Some(arn));
    let mut routes: Vec<_> = out
        .routes()
        .iter()
        .map(|r| {
            (
                r.region().unwrap_or_default().to_owned(),
                r.bucket().unwrap_or_default().to_owned(),
                r.traffic_dial_percentage(),
            )
        })
        .collect();
    routes.sort();
    routes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_move_traffic_on_every_gateway_and_one_must_stay_active() -> TestResult {
    let mut stack = Stack::start().await?;
    let m = ReadyMrap::create(&stack, "routes", &[NEAR, FAR]).await;
    let second = stack.start_gateway().await?;
    let ctl = control(&stack);
    let all_active = vec![
        (FAR.to_owned(), m.bucket(FAR).to_owned(), 100),
        (NEAR.to_owned(), m.bucket(NEAR).to_owned(), 100),
    ];
    assert_eq!(dials(&ctl, &m.arn).await, all_active);

    let (one, seen_one) = arn_client(&stack);
    let (two, seen_two) = arn_client_at(second, ACCESS_KEY, SECRET_KEY);
    for (c, seen) in [(&one, &seen_one), (&two, &seen_two)] {
        put(c, &m.arn, "k", b"x").await;
        assert_eq!(last_region(seen).as_deref(), Some(NEAR));
    }

    ctl.submit_multi_region_access_point_routes()
        .account_id(ACCOUNT)
        .mrap(&m.arn)
        .route_updates(route(NEAR, 0))
        .send()
        .await
        .map_err(|e| describe_err(&e))?;
    let submitted = tokio::time::Instant::now();
    assert_eq!(
        dials(&ctl, &m.arn).await,
        vec![
            (FAR.to_owned(), m.bucket(FAR).to_owned(), 100),
            (NEAR.to_owned(), m.bucket(NEAR).to_owned(), 0),
        ]
    );
    // Both gateways route to the remaining active Region within 1 s of the submission.
    for (c, seen) in [(&one, &seen_one), (&two, &seen_two)] {
        loop {
            c.head_object().bucket(&m.arn).key("k").send().await.ok();
            if last_region(seen).as_deref() == Some(FAR) {
                break;
            }
            assert!(
                submitted.elapsed() < Duration::from_secs(1),
                "a gateway still routes to the passive Region 1 s after the change"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    // A submission that would leave no Region active changes nothing.
    let r = ctl
        .submit_multi_region_access_point_routes()
        .account_id(ACCOUNT)
        .mrap(&m.arn)
        .route_updates(route(FAR, 0))
        .send()
        .await;
    expect_error(r, "InvalidRequest", 400);
    let r = ctl
        .submit_multi_region_access_point_routes()
        .account_id(ACCOUNT)
        .mrap(&m.arn)
        .route_updates(route("ap-southeast-2", 100))
        .send()
        .await;
    expect_error(r, "InvalidRequest", 400);
    let unknown = format!("arn:aws:s3::{ACCOUNT}:accesspoint/mnosuchmrap00.mrap");
    let r = ctl
        .get_multi_region_access_point_routes()
        .account_id(ACCOUNT)
        .mrap(&unknown)
        .send()
        .await;
    expect_error(r, "NoSuchMultiRegionAccessPoint", 404);
    assert_eq!(dials(&ctl, &m.arn).await[0].2, 100);

    // Back to active by bucket name.
    ctl.submit_multi_region_access_point_routes()
        .account_id(ACCOUNT)
        .mrap(&m.arn)
        .route_updates(
            MultiRegionAccessPointRoute::builder()
                .bucket(m.bucket(NEAR))
                .traffic_dial_percentage(100)
                .build()?,
        )
        .send()
        .await?;
    assert_eq!(dials(&ctl, &m.arn).await, all_active);
    stack.stop().await?;
    Ok(())
}

/// A URL presigned by aws-sdk-s3 for an MRAP ARN (SigV4A query form) works, and stops working
/// once it has expired.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigv4a_presigned_urls_through_the_mrap() -> TestResult {
    use aws_sdk_s3::presigning::PresigningConfig;
    let stack = Stack::start().await?;
    let m = ReadyMrap::create(&stack, "presigned", &[NEAR]).await;
    let (s3, _) = arn_client(&stack);
    put(&s3, &m.arn, "p", b"presigned").await;
    let presign = async |expires: Duration| {
        let presigned = s3
            .get_object()
            .bucket(&m.arn)
            .key("p")
            .presigned(PresigningConfig::expires_in(expires).expect("a valid expiry"))
            .await
            .expect("presigns");
        let uri: http::Uri = presigned.uri().parse().expect("a URI");
        assert!(
            uri.query()
                .is_some_and(|q| q.contains("X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256")),
            "{uri}"
        );
        // The client's interceptor aims the URI at the gateway and keeps the signed host in a
        // header; a URL presigned without it would name that host itself.
        let mut headers: Vec<(String, String)> = presigned
            .headers()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            headers.push((
                "host".to_owned(),
                uri.authority().expect("a host").to_string(),
            ));
        }
        (uri, headers)
    };
    let (uri, headers) = presign(Duration::from_secs(60)).await;
    let ok = raw::send(
        &stack,
        "GET",
        uri.path(),
        uri.query().unwrap_or(""),
        &headers,
        b"",
    )
    .await;
    assert_eq!(ok.status, 200, "{ok:#?}");
    assert_eq!(ok.body, "presigned");
    let (uri, headers) = presign(Duration::from_secs(1)).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let late = raw::send(
        &stack,
        "GET",
        uri.path(),
        uri.query().unwrap_or(""),
        &headers,
        b"",
    )
    .await;
    late.assert_s3_error(403, "AccessDenied");
    assert!(late.body.contains("Request has expired"), "{late:#?}");
    stack.stop().await?;
    Ok(())
}

/// A Region whose S3-compatible backend dies: the first request that meets the dead store is
/// retried on the next Region at once (the store is probed, found down, and left out from then
/// on), so reads and writes go on being served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_backend_fails_over_without_an_operator() -> TestResult {
    use crate::common::objects::{S3_BACKED_REGION, s3_backed_regions, start_with_regions};
    let moto = tokio::task::spawn_blocking(mrap_testkit::MotoServer::start).await??;
    let mut regions = s3_backed_regions(&moto)?;
    // The moto-backed Region is the nearest, so it is the one that serves until it dies.
    for r in &mut regions.regions {
        if r.name.as_str() == S3_BACKED_REGION {
            r.latency_ms = 1;
        }
    }
    let stack = start_with_regions(regions, &moto).await?;
    let m = ReadyMrap::create(&stack, "dead-backend", &[S3_BACKED_REGION, FAR]).await;
    let far_direct = s3(&stack, FAR);
    let (s3, seen) = arn_client(&stack);
    put(&s3, &m.arn, "k", b"on moto").await;
    assert_eq!(last_region(&seen).as_deref(), Some(S3_BACKED_REGION));
    put(&far_direct, m.bucket(FAR), "k", b"replica").await;

    drop(moto);
    let got = s3.get_object().bucket(&m.arn).key("k").send().await?;
    assert_eq!(
        last_region(&seen).as_deref(),
        Some(FAR),
        "the first read fails over"
    );
    assert_eq!(body_of(got).await, b"replica");
    put(&s3, &m.arn, "w", b"written after").await;
    assert_eq!(last_region(&seen).as_deref(), Some(FAR), "writes go on too");
    stack.stop().await?;
    Ok(())
}
