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

/// The algorithms S3 defines: header suffix, name in messages, digest size in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Algorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

impl Algorithm {
    const ALL: [Algorithm; 5] = [
        Algorithm::Crc32,
        Algorithm::Crc32c,
        Algorithm::Crc64Nvme,
        Algorithm::Sha1,
        Algorithm::Sha256,
    ];

    fn header(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "x-amz-checksum-crc32",
            Algorithm::Crc32c => "x-amz-checksum-crc32c",
            Algorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
            Algorithm::Sha1 => "x-amz-checksum-sha1",
            Algorithm::Sha256 => "x-amz-checksum-sha256",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "CRC32",
            Algorithm::Crc32c => "CRC32C",
            Algorithm::Crc64Nvme => "CRC64NVME",
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
        }
    }

    /// The digest of `body`, big-endian for the CRCs (as the header carries it).
    fn digest(self, body: &[u8]) -> Vec<u8> {
        use crc_fast::CrcAlgorithm;
        let crc32 = |a| (crc_fast::checksum(a, body) as u32).to_be_bytes().to_vec();
        match self {
            Algorithm::Crc32 => crc32(CrcAlgorithm::Crc32IsoHdlc),
            Algorithm::Crc32c => crc32(CrcAlgorithm::Crc32Iscsi),
            Algorithm::Crc64Nvme => crc_fast::checksum(CrcAlgorithm::Crc64Nvme, body)
                .to_be_bytes()
                .to_vec(),
            Algorithm::Sha1 => <sha1::Sha1 as sha1::Digest>::digest(body).to_vec(),
            Algorithm::Sha256 => <sha2::Sha256 as sha2::Digest>::digest(body).to_vec(),
        }
    }
}

/// Checks the request's `x-amz-checksum-*` header, if it has one, against `body`.
pub(crate) fn check(headers: &HeaderMap, body: &[u8]) -> Result<(), ApiError> {
    let mut sent = Algorithm::ALL
        .into_iter()
        .filter_map(|a| headers.get(a.header()).map(|v| (a, v.as_bytes())));
    let Some((algorithm, value)) = sent.next() else {
        return Ok(());
    };
    if sent.next().is_some() {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
        ));
    }
    let expected = algorithm.digest(body);
    let claimed = base64::engine::general_purpose::STANDARD
        .decode(value.trim_ascii())
        .ok()
        .filter(|d| d.len() == expected.len())
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidRequest,
                format!("Value for {} header is invalid.", algorithm.header()),
            )
        })?;
    if claimed == expected {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::BadDigest,
            format!(
                "The {} you specified did not match the calculated checksum.",
                algorithm.name()
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

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
