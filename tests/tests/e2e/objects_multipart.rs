//! Multipart upload through aws-sdk-s3: a 65 MiB object in 8 MiB parts whose ETag is computed
//! here independently (MD5 of the binary part MD5s + `-N`) and whose bytes come back identical;
//! UploadPartCopy; ListParts; ListMultipartUploads; Abort then NoSuchUpload; and the Complete
//! refusals EntityTooSmall, InvalidPart and InvalidPartOrder.

use aws_sdk_s3::{
    primitives::ByteStream,
    types::{CompletedMultipartUpload, CompletedPart},
};
use md5::{Digest as _, Md5};

use crate::{
    common::{objects::*, *},
    objects_basic::local_object_tests,
};

const MIB: usize = 1024 * 1024;

local_object_tests! {
    // The one big transfer: path style only (it is the same code path in both styles and the
    // suite must stay fast on two cores); the small flows run in both styles.
    multipart_65_mib_round_trip: large_upload, Style::Path;
    multipart_copy_list_abort_path_style: small_flows, Style::Path;
    multipart_copy_list_abort_virtual_host: small_flows, Style::VirtualHost;
    multipart_complete_refusals: complete_refusals, Style::Path;
}

/// Part `n` of the large object: 8 MiB each for parts 1–8, then a remainder; regenerated from
/// its seed whenever needed so that at most one part is in memory.
fn large_part(n: i32) -> Vec<u8> {
    let len = if n <= 8 { 8 * MIB } else { MIB + 12_345 };
    Prng::bytes(1000 + n as u64, len)
}

async fn create(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> String {
    let out = s3
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateMultipartUpload {key}: {}", describe_err(&e)));
    assert_eq!(out.bucket(), Some(bucket));
    assert_eq!(out.key(), Some(key));
    out.upload_id()
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| panic!("CreateMultipartUpload without an UploadId: {out:#?}"))
        .to_owned()
}

async fn upload_part(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
    n: i32,
    data: Vec<u8>,
) -> String {
    let expected = etag_of(&data);
    let out = s3
        .upload_part()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .part_number(n)
        .body(ByteStream::from(data))
        .send()
        .await
        .unwrap_or_else(|e| panic!("UploadPart {n} of {key}: {}", describe_err(&e)));
    // A part's ETag is the quoted MD5 of its bytes.
    assert_eq!(out.e_tag(), Some(expected.as_str()), "part {n}: {out:#?}");
    expected
}

fn completed(parts: &[(i32, &str)]) -> CompletedMultipartUpload {
    CompletedMultipartUpload::builder()
        .set_parts(Some(
            parts
                .iter()
                .map(|(n, etag)| {
                    CompletedPart::builder()
                        .part_number(*n)
                        .e_tag(*etag)
                        .build()
                })
                .collect(),
        ))
        .build()
}

async fn complete(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
    parts: &[(i32, &str)],
) -> Result<
    aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadOutput,
    aws_sdk_s3::error::SdkError<
        aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadError,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
> {
    s3.complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .multipart_upload(completed(parts))
        .send()
        .await
}

/// 8 × 8 MiB + 1 MiB and a bit: multipart ETag, size, bytes (streamed MD5), and a range that
/// straddles the first part boundary.
pub(crate) async fn large_upload(t: &Target<'_>) {
    let s3 = t.client();
    let bucket = t.fresh_bucket("mp-large").await;
    let key = "big/object.bin";
    let upload_id = create(&s3, &bucket, key).await;

    let mut whole = Md5::new();
    let mut part_md5s = Vec::new();
    let mut etags = Vec::new();
    let mut total = 0u64;
    for n in 1..=9 {
        let data = large_part(n);
        whole.update(&data);
        part_md5s.push(md5(&data));
        total += data.len() as u64;
        etags.push(upload_part(&s3, &bucket, key, &upload_id, n, data).await);
    }
    let whole: [u8; 16] = whole.finalize().into();
    let expected_etag = multipart_etag(&part_md5s);
    assert!(expected_etag.ends_with("-9\""), "{expected_etag}");

    // ListParts before completing: all nine, ascending, with sizes and ETags.
    let parts = s3
        .list_parts()
        .bucket(&bucket)
        .key(key)
        .upload_id(&upload_id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("ListParts: {}", describe_err(&e)));
    let listed: Vec<(i32, i64, String)> = parts
        .parts()
        .iter()
        .map(|p| {
            (
                p.part_number().unwrap_or_default(),
                p.size().unwrap_or_default(),
                p.e_tag().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expected_parts: Vec<(i32, i64, String)> = (1..=9)
        .map(|n| {
            let size = if n <= 8 { 8 * MIB } else { MIB + 12_345 };
            (n, size as i64, etags[(n - 1) as usize].clone())
        })
        .collect();
    assert_eq!(listed, expected_parts);

    let numbered: Vec<(i32, &str)> = etags
        .iter()
        .enumerate()
        .map(|(i, e)| (i as i32 + 1, e.as_str()))
        .collect();
    let out = complete(&s3, &bucket, key, &upload_id, &numbered)
        .await
        .unwrap_or_else(|e| panic!("CompleteMultipartUpload: {}", describe_err(&e)));
    assert_eq!(out.e_tag(), Some(expected_etag.as_str()), "{out:#?}");
    assert_eq!(out.bucket(), Some(bucket.as_str()));
    assert_eq!(out.key(), Some(key));

    let head = s3
        .head_object()
        .bucket(&bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("HeadObject: {}", describe_err(&e)));
    assert_eq!(head.content_length(), Some(total as i64));
    assert_eq!(head.e_tag(), Some(expected_etag.as_str()));

    let get = s3
        .get_object()
        .bucket(&bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetObject: {}", describe_err(&e)));
    assert_eq!(get.e_tag(), Some(expected_etag.as_str()));
    let (got_md5, got_len) = stream_md5(get.body).await;
    assert_eq!(got_len, total, "length of the completed object");
    assert!(got_md5 == whole, "the completed object's bytes differ");

    // Across the boundary of parts 1 and 2.
    let start = 8 * MIB - 8;
    let out = s3
        .get_object()
        .bucket(&bucket)
        .key(key)
        .range(format!("bytes={start}-{}", start + 15))
        .send()
        .await
        .unwrap_or_else(|e| panic!("ranged GetObject: {}", describe_err(&e)));
    let mut expected = large_part(1)[start..].to_vec();
    expected.extend_from_slice(&large_part(2)[..8]);
    assert_eq!(collect(out.body).await, expected);

    // The upload is finished.
    let r = s3
        .list_parts()
        .bucket(&bucket)
        .key(key)
        .upload_id(&upload_id)
        .send()
        .await;
    expect_error(r, "NoSuchUpload", 404);
}

/// UploadPartCopy (whole and ranged), ListMultipartUploads, ListParts, AbortMultipartUpload.
pub(crate) async fn small_flows(t: &Target<'_>) {
    let s3 = t.client();
    let bucket = t.fresh_bucket("mp-small").await;

    // UploadPartCopy: part 1 = a whole 6 MiB object, part 2 = its first 100 bytes.
    let src = Prng::bytes(7, 6 * MIB);
    s3.put_object()
        .bucket(&bucket)
        .key("src/six-mib")
        .body(ByteStream::from(src.clone()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutObject source: {}", describe_err(&e)));
    let upload_id = create(&s3, &bucket, "copied").await;
    let copy_source = format!("{bucket}/src/six-mib");
    let p1 = s3
        .upload_part_copy()
        .bucket(&bucket)
        .key("copied")
        .upload_id(&upload_id)
        .part_number(1)
        .copy_source(&copy_source)
        .send()
        .await
        .unwrap_or_else(|e| panic!("UploadPartCopy whole: {}", describe_err(&e)));
    let p1_etag = p1
        .copy_part_result()
        .and_then(|r| r.e_tag())
        .expect("CopyPartResult has an ETag")
        .to_owned();
    assert_eq!(p1_etag, etag_of(&src));
    let p2 = s3
        .upload_part_copy()
        .bucket(&bucket)
        .key("copied")
        .upload_id(&upload_id)
        .part_number(2)
        .copy_source(&copy_source)
        .copy_source_range("bytes=0-99")
        .send()
        .await
        .unwrap_or_else(|e| panic!("UploadPartCopy ranged: {}", describe_err(&e)));
    let p2_etag = p2
        .copy_part_result()
        .and_then(|r| r.e_tag())
        .expect("CopyPartResult has an ETag")
        .to_owned();
    assert_eq!(p2_etag, etag_of(&src[..100]));

    // Two more uploads in flight, one of them for the same key.
    let other = create(&s3, &bucket, "other/key").await;
    let second_for_copied = create(&s3, &bucket, "copied").await;
    assert_ne!(second_for_copied, upload_id);
    let uploads = s3
        .list_multipart_uploads()
        .bucket(&bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("ListMultipartUploads: {}", describe_err(&e)));
    let mut listed: Vec<(String, String)> = uploads
        .uploads()
        .iter()
        .map(|u| {
            (
                u.key().unwrap_or_default().to_owned(),
                u.upload_id().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    listed.sort();
    let mut expected = vec![
        ("copied".to_owned(), upload_id.clone()),
        ("copied".to_owned(), second_for_copied.clone()),
        ("other/key".to_owned(), other.clone()),
    ];
    expected.sort();
    assert_eq!(listed, expected, "{uploads:#?}");

    // ListParts of the copy upload.
    let parts = s3
        .list_parts()
        .bucket(&bucket)
        .key("copied")
        .upload_id(&upload_id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("ListParts: {}", describe_err(&e)));
    let listed: Vec<(i32, i64)> = parts
        .parts()
        .iter()
        .map(|p| {
            (
                p.part_number().unwrap_or_default(),
                p.size().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(listed, [(1, 6 * MIB as i64), (2, 100)]);

    let out = complete(
        &s3,
        &bucket,
        "copied",
        &upload_id,
        &[(1, &p1_etag), (2, &p2_etag)],
    )
    .await
    .unwrap_or_else(|e| {
        panic!(
            "CompleteMultipartUpload of copied parts: {}",
            describe_err(&e)
        )
    });
    assert_eq!(
        out.e_tag(),
        Some(multipart_etag(&[md5(&src), md5(&src[..100])]).as_str())
    );
    let got = s3
        .get_object()
        .bucket(&bucket)
        .key("copied")
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetObject copied: {}", describe_err(&e)));
    let got = collect(got.body).await;
    assert_eq!(got.len(), src.len() + 100);
    assert!(
        got[..src.len()] == src[..] && got[src.len()..] == src[..100],
        "the copied parts' bytes differ"
    );

    // Abort: the upload is gone for every operation that names it, and from the listing.
    upload_part(&s3, &bucket, "other/key", &other, 1, b"part".to_vec()).await;
    s3.abort_multipart_upload()
        .bucket(&bucket)
        .key("other/key")
        .upload_id(&other)
        .send()
        .await
        .unwrap_or_else(|e| panic!("AbortMultipartUpload: {}", describe_err(&e)));
    let r = s3
        .list_parts()
        .bucket(&bucket)
        .key("other/key")
        .upload_id(&other)
        .send()
        .await;
    expect_error(r, "NoSuchUpload", 404);
    let r = s3
        .upload_part()
        .bucket(&bucket)
        .key("other/key")
        .upload_id(&other)
        .part_number(2)
        .body(ByteStream::from_static(b"late"))
        .send()
        .await;
    expect_error(r, "NoSuchUpload", 404);
    let r = complete(&s3, &bucket, "other/key", &other, &[(1, &etag_of(b"part"))]).await;
    expect_error(r, "NoSuchUpload", 404);
    let r = s3
        .abort_multipart_upload()
        .bucket(&bucket)
        .key("other/key")
        .upload_id(&other)
        .send()
        .await;
    expect_error(r, "NoSuchUpload", 404);
    // An aborted upload leaves no object behind.
    let r = s3
        .head_object()
        .bucket(&bucket)
        .key("other/key")
        .send()
        .await;
    expect_status(r, 404);

    let uploads = s3
        .list_multipart_uploads()
        .bucket(&bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("ListMultipartUploads: {}", describe_err(&e)));
    let ids: Vec<&str> = uploads
        .uploads()
        .iter()
        .filter_map(|u| u.upload_id())
        .collect();
    assert_eq!(ids, [second_for_copied.as_str()], "{uploads:#?}");

    // An upload id nobody created.
    let r = s3
        .list_parts()
        .bucket(&bucket)
        .key("copied")
        .upload_id("no-such-upload-id")
        .send()
        .await;
    expect_error(r, "NoSuchUpload", 404);
}

/// Complete refuses a small non-last part (EntityTooSmall), a wrong ETag or unknown part
/// (InvalidPart), parts out of order (InvalidPartOrder) — and the upload survives each refusal,
/// so a correct Complete still succeeds afterwards.
pub(crate) async fn complete_refusals(t: &Target<'_>) {
    let s3 = t.client();
    let bucket = t.fresh_bucket("mp-refuse").await;

    // EntityTooSmall: part 1 (1 MiB) is not the last part.
    let small = create(&s3, &bucket, "small").await;
    let e1 = upload_part(&s3, &bucket, "small", &small, 1, Prng::bytes(21, MIB)).await;
    let e2 = upload_part(&s3, &bucket, "small", &small, 2, b"tail".to_vec()).await;
    let r = complete(&s3, &bucket, "small", &small, &[(1, &e1), (2, &e2)]).await;
    expect_error(r, "EntityTooSmall", 400);
    // A small part alone is the last part: allowed.
    let out = complete(&s3, &bucket, "small", &small, &[(1, &e1)])
        .await
        .unwrap_or_else(|e| panic!("Complete with one small part: {}", describe_err(&e)));
    assert_eq!(
        out.e_tag(),
        Some(multipart_etag(&[md5(&Prng::bytes(21, MIB))]).as_str()),
        "one part still gets a -1 ETag"
    );

    let upload = create(&s3, &bucket, "ordered").await;
    let first = Prng::bytes(22, 5 * MIB);
    let first_md5 = md5(&first);
    let e1 = upload_part(&s3, &bucket, "ordered", &upload, 1, first).await;
    let e2 = upload_part(&s3, &bucket, "ordered", &upload, 2, b"last".to_vec()).await;

    // InvalidPart: a wrong ETag, then a part that was never uploaded.
    let wrong = etag_of(b"not the part");
    let r = complete(&s3, &bucket, "ordered", &upload, &[(1, &wrong), (2, &e2)]).await;
    expect_error(r, "InvalidPart", 400);
    let r = complete(&s3, &bucket, "ordered", &upload, &[(1, &e1), (3, &e2)]).await;
    expect_error(r, "InvalidPart", 400);
    // InvalidPartOrder.
    let r = complete(&s3, &bucket, "ordered", &upload, &[(2, &e2), (1, &e1)]).await;
    expect_error(r, "InvalidPartOrder", 400);
    let r = s3.head_object().bucket(&bucket).key("ordered").send().await;
    expect_status(r, 404);

    // ETags are compared without their quotes.
    let unquoted = e1.trim_matches('"').to_owned();
    let out = complete(
        &s3,
        &bucket,
        "ordered",
        &upload,
        &[(1, &unquoted), (2, &e2)],
    )
    .await
    .unwrap_or_else(|e| panic!("Complete after the refusals: {}", describe_err(&e)));
    assert_eq!(
        out.e_tag(),
        Some(multipart_etag(&[first_md5, md5(b"last")]).as_str())
    );
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("ordered")
        .send()
        .await
        .unwrap_or_else(|e| panic!("HeadObject: {}", describe_err(&e)));
    assert_eq!(head.content_length(), Some(5 * MIB as i64 + 4));
}
