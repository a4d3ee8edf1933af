//! `x-amz-checksum-<algorithm>` request headers (S3 flexible checksums): when a request carries one
//! for an algorithm S3 defines, the body must match it. botocore sends `x-amz-checksum-crc32` with
//! every S3 Control request (`httpChecksumRequired`); the Rust SDK sends `Content-MD5` instead
//! (checked in `body.rs`). Headers for algorithms S3 does not define are let through unchecked.
//!
//! Errors, as S3 words them: a value that is not the base64 of a digest of the algorithm's size →
//! `InvalidRequest` "Value for x-amz-checksum-crc32 header is invalid."; two algorithms at once →
//! `InvalidRequest`; a digest of another body → `BadDigest` "The CRC32 you specified did not match
//! the calculated checksum.".

use base64::Engine;
use http::HeaderMap;
use mrap_model::{ApiError, ErrorCode};
use mrap_storage::ChecksumAlgorithm;

/// The checksum a request declares: its algorithm and, when sent in a header, its value (raw
/// digest bytes). `x-amz-trailer: x-amz-checksum-<alg>` and `x-amz-sdk-checksum-algorithm` name
/// an algorithm whose value comes later (in the trailer) or never.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Declared {
    pub algorithm: ChecksumAlgorithm,
    pub value: Option<Vec<u8>>,
}

/// The algorithm named by a trailer or header name `x-amz-checksum-<alg>`.
pub(crate) fn algorithm_of_header(name: &str) -> Option<ChecksumAlgorithm> {
    ChecksumAlgorithm::ALL
        .into_iter()
        .find(|a| a.header().eq_ignore_ascii_case(name.trim()))
}

/// Decodes a sent checksum value: base64 of a digest of the algorithm's size.
pub(crate) fn decode_value(
    algorithm: ChecksumAlgorithm,
    value: &[u8],
) -> Result<Vec<u8>, ApiError> {
    base64::engine::general_purpose::STANDARD
        .decode(value.trim_ascii())
        .ok()
        .filter(|d| d.len() == algorithm.digest_len())
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidRequest,
                format!("Value for {} header is invalid.", algorithm.header()),
            )
        })
}

/// The refusal for a body whose digest is not the one declared.
pub(crate) fn mismatch(algorithm: ChecksumAlgorithm) -> ApiError {
    ApiError::new(
        ErrorCode::BadDigest,
        format!(
            "The {} you specified did not match the calculated checksum.",
            algorithm.name()
        ),
    )
}

/// The request's declared checksum, if any.
pub(crate) fn declared(headers: &HeaderMap) -> Result<Option<Declared>, ApiError> {
    let mut sent = ChecksumAlgorithm::ALL
        .into_iter()
        .filter_map(|a| headers.get(a.header()).map(|v| (a, v.as_bytes())));
    if let Some((algorithm, value)) = sent.next() {
        if sent.next().is_some() {
            return Err(ApiError::new(
                ErrorCode::InvalidRequest,
                "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
            ));
        }
        return Ok(Some(Declared {
            algorithm,
            value: Some(decode_value(algorithm, value)?),
        }));
    }
    let named = headers
        .get("x-amz-trailer")
        .and_then(|v| v.to_str().ok())
        .and_then(algorithm_of_header)
        .or_else(|| {
            headers
                .get("x-amz-sdk-checksum-algorithm")
                .and_then(|v| v.to_str().ok())
                .and_then(ChecksumAlgorithm::parse)
        });
    Ok(named.map(|algorithm| Declared {
        algorithm,
        value: None,
    }))
}

/// Checks the request's `x-amz-checksum-*` header, if it has one, against `body`.
pub(crate) fn check(headers: &HeaderMap, body: &[u8]) -> Result<(), ApiError> {
    match declared(headers)? {
        Some(Declared {
            algorithm,
            value: Some(value),
        }) if algorithm.digest(body) != value => Err(mismatch(algorithm)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::common::test_support::headers;

    fn code(r: Result<(), ApiError>) -> Option<ErrorCode> {
        r.err().map(|e| e.code)
    }

    /// Digests of "hello world", base64 as the SDKs send them (checked against Python's
    /// zlib.crc32, hashlib.sha1/sha256, and the crc32c/CRC-64/NVME check values).
    const HELLO: &[(&str, &str)] = &[
        ("x-amz-checksum-crc32", "DUoRhQ=="),
        ("x-amz-checksum-crc32c", "yZRlqg=="),
        ("x-amz-checksum-crc64nvme", "jSnVw/bqjr4="),
        ("x-amz-checksum-sha1", "Kq5sNclPz7QV2+lfQIuc6R7oRu0="),
        (
            "x-amz-checksum-sha256",
            "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=",
        ),
    ];

    #[test]
    fn each_algorithm_is_checked() {
        for (header, value) in HELLO {
            let h = headers(&[(header, value)]);
            assert!(check(&h, b"hello world").is_ok(), "{header}");
            assert_eq!(
                code(check(&h, b"hello world!")),
                Some(ErrorCode::BadDigest),
                "{header}"
            );
        }
    }

    #[test]
    fn the_empty_body_crc32_botocore_sends_matches() {
        assert!(check(&headers(&[("x-amz-checksum-crc32", "AAAAAA==")]), b"").is_ok());
    }

    #[test]
    fn malformed_values_and_several_algorithms_are_invalid_requests() {
        for bad in ["not base64!", "AAAA", "AAAAAAAAAAA="] {
            let h = headers(&[("x-amz-checksum-crc32", bad)]);
            assert_eq!(
                code(check(&h, b"")),
                Some(ErrorCode::InvalidRequest),
                "{bad}"
            );
        }
        let h = headers(&[HELLO[0], HELLO[1]]);
        assert_eq!(
            code(check(&h, b"hello world")),
            Some(ErrorCode::InvalidRequest)
        );
    }

    #[test]
    fn other_checksum_headers_are_let_through() {
        let h = headers(&[
            ("x-amz-checksum-md5", "whatever"),
            ("x-amz-checksum-type", "FULL_OBJECT"),
            ("x-amz-sdk-checksum-algorithm", "CRC32"),
        ]);
        assert!(check(&h, b"body").is_ok());
    }
}
