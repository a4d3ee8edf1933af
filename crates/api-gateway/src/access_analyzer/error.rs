//! Access Analyzer's REST-JSON errors: status, `x-amzn-ErrorType` (what aws-sdk-rust's
//! `aws-smithy-json` and botocore read first for the code) and a JSON body with `message` (read by
//! both) and, for `ValidationException`, its required `reason`.
//!
//! The gateway's errors are [`ApiError`]s with S3 codes; this module maps them onto the error
//! shapes Access Analyzer declares (`ValidationException` 400, `AccessDeniedException` 403,
//! `InternalServerException` 500, `ThrottlingException` 429) and the AWS-wide authentication
//! errors JSON services answer with:
//!
//! | ApiError code | status | `x-amzn-ErrorType` | `reason` |
//! |---|---|---|---|
//! | `MalformedXML` (body is not a JSON object / a member has the wrong JSON type) | 400 | `ValidationException` | `cannotParse` |
//! | `InvalidRequest` (missing member, value outside its enum, bad `maxResults`/`nextToken`) | 400 | `ValidationException` | `fieldValidationFailed` |
//! | `InvalidArgument` (a valid value this emulator does not support) | 400 | `ValidationException` | `notSupported` |
//! | any other 4xx from the gateway's checks (size, digests) | 400 | `ValidationException` | `other` |
//! | `AccessDenied` | 403 | `AccessDeniedException` | |
//! | `InvalidAccessKeyId` | 403 | `UnrecognizedClientException` | |
//! | `SignatureDoesNotMatch`, `RequestTimeTooSkewed` | 403 | `InvalidSignatureException` | |
//! | `AuthorizationHeaderMalformed` | 400 | `IncompleteSignatureException` | |
//! | `NotImplemented` (another Access Analyzer operation) | 404 | `UnknownOperationException` | |
//! | `ServiceUnavailable` | 503 | `ServiceUnavailableException` | |
//! | anything else (5xx) | 500 | `InternalServerException` | |

use axum::{
    body::Body,
    http::{HeaderValue, StatusCode, header},
    response::Response,
};
use mrap_model::{ApiError, ErrorCode};
use serde::Serialize;

/// The header the SDKs read the error code from.
pub(crate) const ERROR_TYPE_HEADER: &str = "x-amzn-errortype";

/// How an error code looks in REST-JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JsonErrorKind {
    pub status: u16,
    pub error_type: &'static str,
    /// `ValidationException.reason`.
    pub reason: Option<&'static str>,
}

pub(crate) fn kind(code: ErrorCode) -> JsonErrorKind {
    let k = |status, error_type, reason| JsonErrorKind {
        status,
        error_type,
        reason,
    };
    let validation = |reason| k(400, "ValidationException", Some(reason));
    match code {
        ErrorCode::MalformedXML => validation("cannotParse"),
        ErrorCode::InvalidRequest => validation("fieldValidationFailed"),
        ErrorCode::InvalidArgument => validation("notSupported"),
        ErrorCode::AccessDenied => k(403, "AccessDeniedException", None),
        ErrorCode::InvalidAccessKeyId => k(403, "UnrecognizedClientException", None),
        ErrorCode::SignatureDoesNotMatch | ErrorCode::RequestTimeTooSkewed => {
            k(403, "InvalidSignatureException", None)
        }
        ErrorCode::AuthorizationHeaderMalformed => k(400, "IncompleteSignatureException", None),
        ErrorCode::NotImplemented => k(404, "UnknownOperationException", None),
        ErrorCode::ServiceUnavailable => k(503, "ServiceUnavailableException", None),
        other if other.http_status() < 500 => validation("other"),
        _ => k(500, "InternalServerException", None),
    }
}

#[derive(Debug, Serialize)]
struct ErrorBody<'a> {
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

/// The body of an error response (exact-string tests below).
pub(crate) fn body(err: &ApiError) -> String {
    let reason = kind(err.code).reason;
    // Serialising two strings cannot fail; the fallback keeps the status meaningful anyway.
    serde_json::to_string(&ErrorBody {
        message: &err.message,
        reason,
    })
    .unwrap_or_else(|_| "{}".to_owned())
}

/// The response for `err`; HEAD gets no body.
pub(crate) fn render(err: &ApiError, head: bool) -> Response {
    let kind = kind(err.code);
    let mut response = Response::new(if head {
        Body::empty()
    } else {
        Body::from(body(err))
    });
    *response.status_mut() =
        StatusCode::from_u16(kind.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(ERROR_TYPE_HEADER, HeaderValue::from_static(kind.error_type));
    if !head {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use http_body_util::BodyExt;

    use super::*;

    #[tokio::test]
    async fn validation_errors_carry_a_reason() {
        let err = ApiError::new(
            ErrorCode::InvalidRequest,
            "Invalid value \"X\" for policyType",
        );
        let r = render(&err, false);
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(r.headers()["x-amzn-ErrorType"], "ValidationException");
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
        let bytes = r.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            r#"{"message":"Invalid value \"X\" for policyType","reason":"fieldValidationFailed"}"#
        );
    }

    #[test]
    fn other_errors_have_only_a_message() {
        let err = ApiError::new(ErrorCode::AccessDenied, "Access Denied");
        assert_eq!(body(&err), r#"{"message":"Access Denied"}"#);
    }

    #[test]
    fn the_mapping() {
        use ErrorCode::*;
        for (code, status, error_type, reason) in [
            (
                MalformedXML,
                400,
                "ValidationException",
                Some("cannotParse"),
            ),
            (
                InvalidRequest,
                400,
                "ValidationException",
                Some("fieldValidationFailed"),
            ),
            (
                InvalidArgument,
                400,
                "ValidationException",
                Some("notSupported"),
            ),
            (EntityTooLarge, 400, "ValidationException", Some("other")),
            (
                XAmzContentSHA256Mismatch,
                400,
                "ValidationException",
                Some("other"),
            ),
            (AccessDenied, 403, "AccessDeniedException", None),
            (InvalidAccessKeyId, 403, "UnrecognizedClientException", None),
            (
                SignatureDoesNotMatch,
                403,
                "InvalidSignatureException",
                None,
            ),
            (RequestTimeTooSkewed, 403, "InvalidSignatureException", None),
            (
                AuthorizationHeaderMalformed,
                400,
                "IncompleteSignatureException",
                None,
            ),
            (NotImplemented, 404, "UnknownOperationException", None),
            (ServiceUnavailable, 503, "ServiceUnavailableException", None),
            (InternalError, 500, "InternalServerException", None),
        ] {
            assert_eq!(
                kind(code),
                JsonErrorKind {
                    status,
                    error_type,
                    reason
                },
                "{code:?}"
            );
        }
    }

    #[tokio::test]
    async fn head_gets_no_body() {
        let r = render(&ApiError::new(ErrorCode::AccessDenied, "x"), true);
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(r.headers().get(header::CONTENT_TYPE).is_none());
        let bytes = r.into_body().collect().await.unwrap().to_bytes();
        assert!(bytes.is_empty());
    }
}
