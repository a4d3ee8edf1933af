//! Request bodies: a size limit, and the integrity headers checked against what actually arrived.
//!
//! The checks run before the authorizer, which signs over `x-amz-content-sha256`: once that value
//! is known to match the body, a valid signature covers the body too.

use axum::{
    body::Body,
    http::{HeaderMap, HeaderValue},
};
use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use md5::{Digest as _, Md5};
use mrap_model::{ApiError, ErrorCode};
use sha2::Sha256;

/// Largest document body accepted (everything but object data). The largest S3 documents are a
/// CompleteMultipartUpload listing 10,000 parts with their checksums (~1.3 MB) and a
/// DeleteObjects of 1,000 keys of 1,024 bytes (~1.1 MB); policies are far below this.
pub(crate) const MAX_BODY: usize = 2 * 1024 * 1024;

/// Reads the whole body, refusing more than `limit` bytes with `EntityTooLarge`.
pub(crate) async fn read(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(ApiError::new(
            ErrorCode::EntityTooLarge,
            format!("Your request body exceeds the maximum allowed size of {limit} bytes."),
        )),
        Err(_) => Err(ApiError::new(
            ErrorCode::IncompleteBody,
            "You did not provide the number of bytes specified by the Content-Length HTTP header.",
        )),
    }
}

/// A small document body (≤ [`MAX_BODY`]) read and checked against `x-amz-content-sha256`,
/// `Content-MD5` and `x-amz-checksum-*`; returns it with the payload hash to verify the
/// signature with.
pub(crate) async fn read_checked(
    body: Body,
    headers: &HeaderMap,
) -> Result<(Bytes, String), ApiError> {
    let bytes = read(body, MAX_BODY).await?;
    let payload_hash = payload_hash(
        headers
            .get("x-amz-content-sha256")
            .map(HeaderValue::as_bytes),
        &bytes,
    )?;
    check_content_md5(
        headers.get("content-md5").map(HeaderValue::as_bytes),
        &bytes,
    )?;
    crate::common::checksum::check(headers, &bytes)?;
    Ok((bytes, payload_hash))
}

/// The payload hash a streamed body is signed with: `x-amz-content-sha256` as sent (the handler
/// checks the body against it as it streams), or `UNSIGNED-PAYLOAD` for a request without an
/// `Authorization` header (presigned: S3 signs those so; anonymous: the authorizer refuses it).
/// A header-signed request must declare it: its hash cannot be computed before the body is read.
pub(crate) fn declared_payload_hash(headers: &HeaderMap) -> Result<String, ApiError> {
    if let Some(value) = headers.get("x-amz-content-sha256") {
        return value.to_str().map(str::to_owned).map_err(|_| {
            ApiError::new(
                ErrorCode::XAmzContentSHA256Mismatch,
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            )
        });
    }
    if headers.contains_key(axum::http::header::AUTHORIZATION) {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "Missing required header for this request: x-amz-content-sha256",
        ));
    }
    Ok("UNSIGNED-PAYLOAD".to_owned())
}

/// Hex SHA-256 of `body`.
pub(crate) fn sha256_hex(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// `x-amz-content-sha256` values that do not claim a hash of the whole body.
fn is_unhashed_marker(value: &str) -> bool {
    value == "UNSIGNED-PAYLOAD" || value.starts_with("STREAMING-")
}

/// Checks `x-amz-content-sha256` (when sent) against `body` and returns the payload hash the
/// signature is computed with: the header as sent, or the body's SHA-256 when absent.
pub(crate) fn payload_hash(header: Option<&[u8]>, body: &[u8]) -> Result<String, ApiError> {
    let actual = sha256_hex(body);
    let Some(raw) = header else {
        return Ok(actual);
    };
    let mismatch = || {
        ApiError::new(
            ErrorCode::XAmzContentSHA256Mismatch,
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        )
    };
    let value = std::str::from_utf8(raw).map_err(|_| mismatch())?;
    if is_unhashed_marker(value) {
        return Ok(value.to_owned());
    }
    if value.eq_ignore_ascii_case(&actual) {
        Ok(value.to_owned())
    } else {
        Err(mismatch())
    }
}

/// Checks `Content-MD5` (when sent): base64 of 16 bytes (`InvalidDigest` otherwise) equal to the
/// body's MD5 (`BadDigest` otherwise).
pub(crate) fn check_content_md5(header: Option<&[u8]>, body: &[u8]) -> Result<(), ApiError> {
    let Some(raw) = header else {
        return Ok(());
    };
    let invalid = || {
        ApiError::new(
            ErrorCode::InvalidDigest,
            "The Content-MD5 you specified is not valid.",
        )
    };
    let sent = base64::engine::general_purpose::STANDARD
        .decode(raw.trim_ascii())
        .map_err(|_| invalid())?;
    if sent.len() != 16 {
        return Err(invalid());
    }
    if sent.as_slice() == Md5::digest(body).as_slice() {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::BadDigest,
            "The Content-MD5 you specified did not match what we received.",
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const EMPTY_MD5: &str = "1B2M2Y8AsgTpgAmY7PhCfg==";

    fn code<T>(r: Result<T, ApiError>) -> Option<ErrorCode> {
        r.err().map(|e| e.code)
    }

    #[test]
    fn the_payload_hash_is_checked_or_computed() {
        assert_eq!(payload_hash(None, b"").unwrap(), EMPTY_SHA256);
        assert_eq!(
            payload_hash(Some(EMPTY_SHA256.as_bytes()), b"").unwrap(),
            EMPTY_SHA256
        );
        // sent in upper case: accepted and passed on as sent (the signature covers it as sent)
        let upper = EMPTY_SHA256.to_ascii_uppercase();
        assert_eq!(payload_hash(Some(upper.as_bytes()), b"").unwrap(), upper);
        assert_eq!(
            code(payload_hash(Some(EMPTY_SHA256.as_bytes()), b"x")),
            Some(ErrorCode::XAmzContentSHA256Mismatch)
        );
        assert_eq!(
            code(payload_hash(Some(b"not-a-hash"), b"")),
            Some(ErrorCode::XAmzContentSHA256Mismatch)
        );
        assert_eq!(
            code(payload_hash(Some(b"\xff"), b"")),
            Some(ErrorCode::XAmzContentSHA256Mismatch)
        );
        for marker in [
            "UNSIGNED-PAYLOAD",
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        ] {
            assert_eq!(
                payload_hash(Some(marker.as_bytes()), b"body").unwrap(),
                marker
            );
        }
    }

    #[test]
    fn content_md5_is_checked() {
        assert!(check_content_md5(None, b"anything").is_ok());
        assert!(check_content_md5(Some(EMPTY_MD5.as_bytes()), b"").is_ok());
        assert!(check_content_md5(Some(b" 1B2M2Y8AsgTpgAmY7PhCfg== "), b"").is_ok());
        assert_eq!(
            code(check_content_md5(Some(EMPTY_MD5.as_bytes()), b"x")),
            Some(ErrorCode::BadDigest)
        );
        assert_eq!(
            code(check_content_md5(Some(b"not base64!"), b"")),
            Some(ErrorCode::InvalidDigest)
        );
        // valid base64, wrong length (8 bytes)
        assert_eq!(
            code(check_content_md5(Some(b"AAAAAAAAAAA="), b"")),
            Some(ErrorCode::InvalidDigest)
        );
    }

    #[test]
    fn a_streamed_body_needs_its_hash_declared_when_header_signed() {
        let mut h = HeaderMap::new();
        // presigned or anonymous: signed (or refused) as UNSIGNED-PAYLOAD
        assert_eq!(declared_payload_hash(&h).unwrap(), "UNSIGNED-PAYLOAD");
        h.insert(
            "authorization",
            HeaderValue::from_static("AWS4-HMAC-SHA256 Credential=x"),
        );
        assert_eq!(
            code(declared_payload_hash(&h)),
            Some(ErrorCode::InvalidRequest)
        );
        h.insert(
            "x-amz-content-sha256",
            HeaderValue::from_static("STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        );
        assert_eq!(
            declared_payload_hash(&h).unwrap(),
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
        );
    }

    #[tokio::test]
    async fn bodies_over_the_limit_are_refused() {
        let ok = read(Body::from(vec![b'a'; 10]), 10).await.unwrap();
        assert_eq!(ok.len(), 10);
        assert_eq!(
            code(read(Body::from(vec![b'a'; 11]), 10).await),
            Some(ErrorCode::EntityTooLarge)
        );
    }
}
