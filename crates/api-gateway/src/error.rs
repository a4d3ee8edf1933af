//! Rendering an [`ApiError`] as the HTTP response each API expects, and the gateway's own
//! refusals (so that their codes and messages live in one place). Access Analyzer's REST-JSON
//! errors are rendered by [`crate::json_error`].

use axum::{
    body::Body,
    http::{HeaderValue, StatusCode, header},
    response::Response,
};
use mrap_model::{ApiError, ErrorCode};

use crate::{
    request_id::RequestIds,
    xml::{
        errors::{FlatError, WrappedError},
        to_xml_with_header,
    },
};

/// Which error document a request gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ErrorStyle {
    /// S3 Control (`/v20180820/…`): `<ErrorResponse><Error>…</Error>…</ErrorResponse>`.
    Wrapped,
    /// S3: flat `<Error>` with the resource the request named (e.g. `/my-bucket`).
    Flat { resource: String },
    /// Access Analyzer (REST-JSON): `{"message":…}` with `x-amzn-ErrorType`.
    Json,
}

/// The response for `err`: its documented status and, except for HEAD, an XML body.
pub(crate) fn render(err: &ApiError, style: &ErrorStyle, ids: &RequestIds, head: bool) -> Response {
    if *style == ErrorStyle::Json {
        return crate::json_error::render(err, head);
    }
    let status =
        StatusCode::from_u16(err.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    if head {
        return response;
    }
    let code = err.code.aws_code();
    let xml = match style {
        ErrorStyle::Wrapped => to_xml_with_header(&WrappedError::new(
            code,
            &err.message,
            &ids.request_id,
            &ids.host_id,
        )),
        ErrorStyle::Flat { resource } => to_xml_with_header(&FlatError::new(
            code,
            &err.message,
            resource,
            &ids.request_id,
            &ids.host_id,
        )),
        ErrorStyle::Json => return crate::json_error::render(err, head),
    };
    match xml {
        Ok(xml) => {
            *response.body_mut() = Body::from(xml);
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/xml"),
            );
        }
        // Cannot happen for these plain structs; the status alone still tells the client.
        Err(e) => tracing::error!(error = %e, "could not render an error body"),
    }
    response
}

// ---------- the gateway's own refusals ----------

pub(crate) fn not_implemented() -> ApiError {
    ApiError::new(
        ErrorCode::NotImplemented,
        "A header or query you provided implies functionality that is not implemented.",
    )
}

pub(crate) fn method_not_allowed(method: &str) -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("The specified method {method} is not allowed against this resource."),
    )
}

pub(crate) fn malformed_xml() -> ApiError {
    ApiError::new(
        ErrorCode::MalformedXML,
        "The XML you provided was not well-formed or did not validate against our published schema.",
    )
}

pub(crate) fn invalid_request(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidRequest, message)
}

pub(crate) fn no_such_bucket(bucket: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NoSuchBucket,
        format!("The specified bucket does not exist: {bucket}"),
    )
}

pub(crate) fn no_such_mrap(name: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NoSuchMultiRegionAccessPoint,
        format!("The specified Multi-Region Access Point does not exist: {name}"),
    )
}

pub(crate) fn no_such_bucket_policy(bucket: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NoSuchBucketPolicy,
        format!("The bucket policy does not exist: {bucket}"),
    )
}

pub(crate) fn no_such_public_access_block() -> ApiError {
    ApiError::new(
        ErrorCode::NoSuchPublicAccessBlockConfiguration,
        "The public access block configuration was not found",
    )
}

pub(crate) fn malformed_policy(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::MalformedPolicy, message)
}

/// A request signed for Access Analyzer that is not `ValidatePolicy`.
pub(crate) fn unknown_operation() -> ApiError {
    ApiError::new(
        ErrorCode::NotImplemented,
        "This endpoint serves only the ValidatePolicy operation of IAM Access Analyzer.",
    )
}

pub(crate) fn no_such_async_request() -> ApiError {
    ApiError::new(
        ErrorCode::NoSuchAsyncRequest,
        "The specified asynchronous request does not exist.",
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use http_body_util::BodyExt;

    use super::*;

    fn ids() -> RequestIds {
        RequestIds {
            request_id: "0123456789ABCDEF".into(),
            host_id: "aG9zdA==".into(),
        }
    }

    async fn body_of(r: Response) -> String {
        let bytes = r.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn control_errors_are_wrapped() {
        let r = render(
            &no_such_async_request(),
            &ErrorStyle::Wrapped,
            &ids(),
            false,
        );
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/xml");
        assert_eq!(
            body_of(r).await,
            r#"<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Code>NoSuchAsyncRequest</Code><Message>The specified asynchronous request does not exist.</Message></Error><RequestId>0123456789ABCDEF</RequestId><HostId>aG9zdA==</HostId></ErrorResponse>"#
        );
    }

    #[tokio::test]
    async fn s3_errors_are_flat_with_the_resource() {
        let style = ErrorStyle::Flat {
            resource: "/nope-bucket".into(),
        };
        let r = render(&no_such_bucket("nope-bucket"), &style, &ids(), false);
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            body_of(r).await,
            r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist: nope-bucket</Message><Resource>/nope-bucket</Resource><RequestId>0123456789ABCDEF</RequestId><HostId>aG9zdA==</HostId></Error>"#
        );
    }

    #[tokio::test]
    async fn head_errors_have_no_body() {
        let style = ErrorStyle::Flat {
            resource: "/b".into(),
        };
        let r = render(&no_such_bucket("b"), &style, &ids(), true);
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert!(r.headers().get(header::CONTENT_TYPE).is_none());
        assert_eq!(body_of(r).await, "");
    }

    #[tokio::test]
    async fn statuses_follow_the_codes() {
        for (err, status) in [
            (not_implemented(), 501),
            (method_not_allowed("PATCH"), 405),
            (malformed_xml(), 400),
            (invalid_request("x"), 400),
            (no_such_mrap("x"), 404),
            (no_such_bucket_policy("x"), 404),
            (no_such_public_access_block(), 404),
            (malformed_policy("x"), 400),
            (ApiError::new(ErrorCode::ClientTokenConflict, "x"), 409),
            (ApiError::new(ErrorCode::AccessDenied, "x"), 403),
            (ApiError::new(ErrorCode::ServiceUnavailable, "x"), 503),
        ] {
            let r = render(&err, &ErrorStyle::Wrapped, &ids(), false);
            assert_eq!(r.status().as_u16(), status, "{err:?}");
        }
    }
}
