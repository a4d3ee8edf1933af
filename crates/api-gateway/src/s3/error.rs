//! S3 errors: the flat `<Error>` document with the `Resource` the request named, and the
//! refusals only this surface makes.

use axum::response::Response;
use mrap_model::{ApiError, ErrorCode};

use crate::common::{
    error::xml_error_response, error_docs::FlatError, request_id::RequestIds,
    xml::to_xml_with_header,
};

/// The response for `err`: its documented status and, except for HEAD, the flat document.
pub(crate) fn render(err: &ApiError, ids: &RequestIds, resource: &str, head: bool) -> Response {
    let xml = (!head).then(|| {
        to_xml_with_header(&FlatError::new(
            err.code.aws_code(),
            &err.message,
            resource,
            &ids.request_id,
            &ids.host_id,
        ))
    });
    xml_error_response(err, xml)
}

pub(crate) fn no_such_bucket_policy(bucket: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NoSuchBucketPolicy,
        format!("The bucket policy does not exist: {bucket}"),
    )
}

pub(crate) fn malformed_policy(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::MalformedPolicy, message)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use axum::http::{StatusCode, header};
    use http_body_util::BodyExt;

    use super::*;
    use crate::common::{error::no_such_bucket, test_support::fixed_ids};

    #[tokio::test]
    async fn s3_errors_are_flat_with_the_resource() {
        let r = render(
            &no_such_bucket("nope-bucket"),
            &fixed_ids(),
            "/nope-bucket",
            false,
        );
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let body = r.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist: nope-bucket</Message><Resource>/nope-bucket</Resource><RequestId>0123456789ABCDEF</RequestId><HostId>aG9zdA==</HostId></Error>"#
        );
    }

    #[tokio::test]
    async fn head_errors_have_no_body() {
        let r = render(&no_such_bucket("b"), &fixed_ids(), "/b", true);
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert!(r.headers().get(header::CONTENT_TYPE).is_none());
        let body = r.into_body().collect().await.unwrap().to_bytes();
        assert!(body.is_empty());
    }

    #[test]
    fn statuses_follow_the_codes() {
        for (err, status) in [
            (no_such_bucket_policy("x"), 404),
            (malformed_policy("x"), 400),
        ] {
            assert_eq!(
                render(&err, &fixed_ids(), "/", false).status().as_u16(),
                status
            );
        }
    }
}
