//! S3 Control errors: the wrapped document (`<ErrorResponse><Error>…</Error><RequestId/>…`) —
//! with a flat `<Error>` aws-sdk-s3control reports no error code at all — and the refusals only
//! this surface makes.

use axum::response::Response;
use mrap_model::{ApiError, ErrorCode};

use crate::common::{
    error::xml_error_response, error_docs::WrappedError, request_id::RequestIds,
    xml::to_xml_with_header,
};

/// The response for `err`: its documented status and, except for HEAD, the wrapped document.
pub(crate) fn render(err: &ApiError, ids: &RequestIds, head: bool) -> Response {
    let xml = (!head).then(|| {
        to_xml_with_header(&WrappedError::new(
            err.code.aws_code(),
            &err.message,
            &ids.request_id,
            &ids.host_id,
        ))
    });
    xml_error_response(err, xml)
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

    use axum::http::{StatusCode, header};
    use http_body_util::BodyExt;

    use super::*;
    use crate::common::{
        error::{
            invalid_request, malformed_xml, method_not_allowed, no_such_public_access_block,
            not_implemented,
        },
        test_support::fixed_ids,
    };

    #[tokio::test]
    async fn control_errors_are_wrapped() {
        let r = render(&no_such_async_request(), &fixed_ids(), false);
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/xml");
        let body = r.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            r#"<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Code>NoSuchAsyncRequest</Code><Message>The specified asynchronous request does not exist.</Message></Error><RequestId>0123456789ABCDEF</RequestId><HostId>aG9zdA==</HostId></ErrorResponse>"#
        );
    }

    #[test]
    fn statuses_follow_the_codes() {
        for (err, status) in [
            (not_implemented(), 501),
            (method_not_allowed("PATCH"), 405),
            (malformed_xml(), 400),
            (invalid_request("x"), 400),
            (ApiError::no_such_mrap("x"), 404),
            (no_such_public_access_block(), 404),
            (ApiError::new(ErrorCode::ClientTokenConflict, "x"), 409),
            (ApiError::new(ErrorCode::AccessDenied, "x"), 403),
            (ApiError::new(ErrorCode::ServiceUnavailable, "x"), 503),
        ] {
            let r = render(&err, &fixed_ids(), false);
            assert_eq!(r.status().as_u16(), status, "{err:?}");
        }
    }
}
