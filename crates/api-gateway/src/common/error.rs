//! The refusals every surface shares (so that their codes and messages live in one place), and the
//! XML error response the S3 and S3 Control surfaces both build on. Each surface renders its own
//! error document (`s3::error`, `s3control::error`, `access_analyzer::error`).

use axum::{
    body::Body,
    http::{HeaderValue, StatusCode, header},
    response::Response,
};
use mrap_model::{ApiError, ErrorCode};
use percent_encoding::percent_decode_str;

/// The response for `err` with `xml` (`None` for HEAD, which has no body) as its body.
pub(crate) fn xml_error_response(
    err: &ApiError,
    xml: Option<Result<String, ApiError>>,
) -> Response {
    let status =
        StatusCode::from_u16(err.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    match xml {
        None => {}
        Some(Ok(xml)) => {
            *response.body_mut() = Body::from(xml);
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/xml"),
            );
        }
        // Cannot happen for these plain structs; the status alone still tells the client.
        Some(Err(e)) => tracing::error!(error = %e, "could not render an error body"),
    }
    response
}

/// A path label, percent-decoded (invalid UTF-8 is replaced, so it names nothing that exists).
pub(crate) fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

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

/// An MRAP alias that names nothing usable: unknown, deleted, or not `READY`.
pub(crate) fn no_such_access_point(alias: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NoSuchAccessPoint,
        format!("The specified accesspoint does not exist: {alias}"),
    )
}

pub(crate) fn no_such_public_access_block() -> ApiError {
    ApiError::new(
        ErrorCode::NoSuchPublicAccessBlockConfiguration,
        "The public access block configuration was not found",
    )
}
