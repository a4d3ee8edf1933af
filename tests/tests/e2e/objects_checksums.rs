//! Object checksums: PutObject with each `ChecksumAlgorithm`, both as a header over an in-memory
//! body and as aws-chunked with a trailing checksum over a streaming (file) body — which is how
//! aws-sdk-s3 sends a body it cannot hash up front (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`
//! over plain HTTP); the stored value comes back from HeadObject/GetObject with checksum mode
//! and equals a value computed here; wrong checksums and a wrong Content-MD5 are BadDigest.
//! Raw requests cover `STREAMING-UNSIGNED-PAYLOAD-TRAILER` and the signed-chunk form
//! `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, which no SDK sends by default.

use crate::{
    common::{
        objects::*,
        raw::{self, Signer},
        *,
    },
    objects_basic::local_object_tests,
};
use aws_sdk_s3::{
    primitives::ByteStream,
    types::{ChecksumAlgorithm, ChecksumMode},
};

local_object_tests! {
    checksum_algorithms_path_style: algorithms, Style::Path;
    checksum_algorithms_virtual_host: algorithms, Style::VirtualHost;
    wrong_checksums_are_bad_digest: wrong_checksums, Style::Path;
    raw_unsigned_trailer: unsigned_trailer, Style::Path;
    raw_signed_chunks: signed_chunks, Style::Path;
}

const ALGORITHMS: [ChecksumAlgorithm; 5] = [
    ChecksumAlgorithm::Crc32,
    ChecksumAlgorithm::Crc32C,
    ChecksumAlgorithm::Crc64Nvme,
    ChecksumAlgorithm::Sha1,
    ChecksumAlgorithm::Sha256,
];

/// The value this test computes itself (None for SHA-1: no SHA-1 crate in the test build; its
/// value is checked for consistency between the put, head and get answers instead).
fn independent(algorithm: &ChecksumAlgorithm, data: &[u8]) -> Option<String> {
    match algorithm {
        ChecksumAlgorithm::Crc32 => Some(crc32_b64(data)),
        ChecksumAlgorithm::Crc32C => Some(crc32c_b64(data)),
        ChecksumAlgorithm::Crc64Nvme => Some(crc64nvme_b64(data)),
        ChecksumAlgorithm::Sha256 => Some(sha256_b64(data)),
        _ => None,
    }
}

macro_rules! checksum_of {
    ($out:expr, $algorithm:expr) => {
        match $algorithm {
            ChecksumAlgorithm::Crc32 => $out.checksum_crc32(),
            ChecksumAlgorithm::Crc32C => $out.checksum_crc32_c(),
            ChecksumAlgorithm::Crc64Nvme => $out.checksum_crc64_nvme(),
            ChecksumAlgorithm::Sha1 => $out.checksum_sha1(),
            ChecksumAlgorithm::Sha256 => $out.checksum_sha256(),
            other => panic!("no checksum field for {other}"),
        }
        .map(str::to_owned)
    };
}

/// Each algorithm, in-memory (header) and streaming (aws-chunked + trailer): the value the put
/// answers, HEAD and GET with checksum mode return the same, and it is the right one.
pub(crate) async fn algorithms(t: &Target<'_>) {
    let s3 = t.client();
    let bucket = t.fresh_bucket("cksum").await;
    for (i, algorithm) in ALGORITHMS.iter().enumerate() {
        // More than one 64 KiB aws-chunked chunk, not a multiple of it.
        let data = Prng::bytes(300 + i as u64, 150_001);
        for streaming in [false, true] {
            let key = format!(
                "{algorithm}/{}",
                if streaming { "streamed" } else { "inline" }
            );
            let what = format!(
                "{algorithm} {}",
                if streaming { "aws-chunked" } else { "header" }
            );
            let (body, _file) = if streaming {
                let (body, file) = file_body(&data, "cksum").await;
                (body, Some(file))
            } else {
                (ByteStream::from(data.clone()), None)
            };
            let put = s3
                .put_object()
                .bucket(&bucket)
                .key(&key)
                .checksum_algorithm(algorithm.clone())
                .body(body)
                .send()
                .await
                .unwrap_or_else(|e| panic!("PutObject {what}: {}", describe_err(&e)));
            assert_eq!(put.e_tag(), Some(etag_of(&data).as_str()), "{what}");
            let put_value = checksum_of!(put, algorithm)
                .unwrap_or_else(|| panic!("PutObject {what} answers no checksum: {put:#?}"));
            if let Some(expected) = independent(algorithm, &data) {
                assert_eq!(put_value, expected, "{what}");
            }

            let head = s3
                .head_object()
                .bucket(&bucket)
                .key(&key)
                .checksum_mode(ChecksumMode::Enabled)
                .send()
                .await
                .unwrap_or_else(|e| panic!("HeadObject {what}: {}", describe_err(&e)));
            assert_eq!(
                checksum_of!(head, algorithm).as_deref(),
                Some(put_value.as_str()),
                "HeadObject {what}: {head:#?}"
            );
            // The aws-chunked framing is not part of the object.
            assert_eq!(head.content_length(), Some(data.len() as i64), "{what}");
            assert!(
                !head
                    .content_encoding()
                    .is_some_and(|e| e.contains("aws-chunked")),
                "aws-chunked stored as Content-Encoding: {head:#?}"
            );

            // The SDK validates the body against the returned checksum as it reads it.
            let get = s3
                .get_object()
                .bucket(&bucket)
                .key(&key)
                .checksum_mode(ChecksumMode::Enabled)
                .send()
                .await
                .unwrap_or_else(|e| panic!("GetObject {what}: {}", describe_err(&e)));
            assert_eq!(
                checksum_of!(get, algorithm).as_deref(),
                Some(put_value.as_str()),
                "GetObject {what}"
            );
            assert!(
                collect(get.body).await == data,
                "GetObject {what}: other bytes"
            );
        }
    }

    // Without checksum mode, no checksum header is returned.
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("CRC32/inline")
        .send()
        .await
        .unwrap_or_else(|e| panic!("HeadObject: {}", describe_err(&e)));
    assert_eq!(head.checksum_crc32(), None, "{head:#?}");
}

/// A checksum or Content-MD5 that does not match the body → 400 BadDigest, nothing stored.
pub(crate) async fn wrong_checksums(t: &Target<'_>) {
    let s3 = t.client();
    let bucket = t.fresh_bucket("baddigest").await;
    let data = b"the body the checksum is about".to_vec();
    let put = || {
        s3.put_object()
            .bucket(&bucket)
            .key("k")
            .body(ByteStream::from(data.clone()))
    };

    // CRC32 of the empty body, for a non-empty one.
    let r = put().checksum_crc32("AAAAAA==").send().await;
    expect_error(r, "BadDigest", 400);
    let r = put().checksum_crc32_c(crc32c_b64(b"other")).send().await;
    expect_error(r, "BadDigest", 400);
    let r = put()
        .checksum_crc64_nvme(crc64nvme_b64(b"other"))
        .send()
        .await;
    expect_error(r, "BadDigest", 400);
    let r = put().checksum_sha256(sha256_b64(b"other")).send().await;
    expect_error(r, "BadDigest", 400);
    let r = put().content_md5(b64(&md5(b"other"))).send().await;
    expect_error(r, "BadDigest", 400);
    expect_status(s3.head_object().bucket(&bucket).key("k").send().await, 404);

    // A malformed Content-MD5 (not 16 bytes) is InvalidDigest.
    let r = put().content_md5(b64(b"short")).send().await;
    expect_error(r, "InvalidDigest", 400);

    // The right ones are accepted.
    let out = put()
        .content_md5(b64(&md5(&data)))
        .checksum_crc32(crc32_b64(&data))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutObject with the right digests: {}", describe_err(&e)));
    assert_eq!(out.e_tag(), Some(etag_of(&data).as_str()));
    assert_eq!(out.checksum_crc32(), Some(crc32_b64(&data).as_str()));
}

/// `STREAMING-UNSIGNED-PAYLOAD-TRAILER` (what SDKs send over HTTPS), as botocore frames it.
pub(crate) async fn unsigned_trailer(t: &Target<'_>) {
    let s3 = t.client();
    let bucket = t.fresh_bucket("trailer").await;

    let send = |key: &'static str, trailer_value: &'static str| {
        let bucket = bucket.clone();
        async move {
            let path = format!("/{bucket}/{key}");
            let body =
                format!("b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:{trailer_value}\r\n\r\n");
            let length = body.len().to_string();
            let headers = raw::s3_headers(
                t.stack,
                t.region,
                "PUT",
                &path,
                "",
                &[
                    ("content-encoding", "aws-chunked"),
                    ("content-length", &length),
                    ("x-amz-decoded-content-length", "11"),
                    ("x-amz-trailer", "x-amz-checksum-crc32"),
                    ("x-amz-sdk-checksum-algorithm", "CRC32"),
                ],
                "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                Some(Signer::now(ACCESS_KEY, SECRET_KEY)),
            );
            raw::send(t.stack, "PUT", &path, "", &headers, body.as_bytes()).await
        }
    };

    let r = send("good", "DUoRhQ==").await;
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(r.header("etag"), Some(etag_of(b"hello world").as_str()));
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("good")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap_or_else(|e| panic!("HeadObject: {}", describe_err(&e)));
    assert_eq!(head.checksum_crc32(), Some("DUoRhQ=="));
    assert_eq!(head.content_length(), Some(11));
    assert_eq!(head.content_encoding(), None, "aws-chunked is not stored");
    let get = s3
        .get_object()
        .bucket(&bucket)
        .key("good")
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetObject: {}", describe_err(&e)));
    assert_eq!(collect(get.body).await, b"hello world");

    // A trailer that does not match the data.
    let r = send("bad", "AAAAAA==").await;
    r.assert_s3_error(400, "BadDigest");
    expect_status(
        s3.head_object().bucket(&bucket).key("bad").send().await,
        404,
    );
}

/// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: chunk signatures chained from the seed signature,
/// computed here (the signer is checked against AWS's example in `common::raw`); a tampered
/// chunk is refused and stores nothing.
pub(crate) async fn signed_chunks(t: &Target<'_>) {
    let s3 = t.client();
    let bucket = t.fresh_bucket("sigchunks").await;
    let data = Prng::bytes(77, 3 * 65_536 + 1_000);

    let put = |key: &'static str, tamper: bool| {
        let bucket = bucket.clone();
        let data = data.clone();
        async move {
            let path = format!("/{bucket}/{key}");
            let signer = Signer::now(ACCESS_KEY, SECRET_KEY);
            // The encoded length is known before signing: sizes are fixed, signatures 64 hex.
            let probe = raw::encode_signed_chunks(&data, 65_536, &[0; 32], "d", "s", "x");
            let length = probe.len().to_string();
            let decoded = data.len().to_string();
            let headers = raw::s3_headers(
                t.stack,
                t.region,
                "PUT",
                &path,
                "",
                &[
                    ("content-encoding", "aws-chunked"),
                    ("content-length", &length),
                    ("x-amz-decoded-content-length", &decoded),
                ],
                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                Some(signer),
            );
            let amz_date = headers
                .iter()
                .find(|(n, _)| n == "x-amz-date")
                .map(|(_, v)| v.clone())
                .expect("signed headers carry x-amz-date");
            let date = &amz_date[..8];
            let key_bytes = mrap_sigv4::signing_key(SECRET_KEY, date, t.region, "s3");
            let scope = format!("{date}/{}/s3/aws4_request", t.region);
            let seed = raw::seed_signature(&headers);
            let mut body =
                raw::encode_signed_chunks(&data, 65_536, &key_bytes, &amz_date, &scope, &seed);
            assert_eq!(body.len(), probe.len());
            if tamper {
                // Flip one data byte of the second chunk: its signature no longer matches.
                let offset = body.len() / 2;
                body[offset] ^= 0xFF;
            }
            raw::send(t.stack, "PUT", &path, "", &headers, &body).await
        }
    };

    let r = put("signed", false).await;
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(r.header("etag"), Some(etag_of(&data).as_str()));
    let get = s3
        .get_object()
        .bucket(&bucket)
        .key("signed")
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetObject: {}", describe_err(&e)));
    assert_eq!(get.content_length(), Some(data.len() as i64));
    assert!(collect(get.body).await == data, "other bytes came back");

    let r = put("tampered", true).await;
    r.assert_s3_error(403, "SignatureDoesNotMatch");
    expect_status(
        s3.head_object()
            .bucket(&bucket)
            .key("tampered")
            .send()
            .await,
        404,
    );
}
