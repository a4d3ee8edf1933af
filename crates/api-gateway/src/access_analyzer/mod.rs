//! The IAM Access Analyzer surface (REST-JSON, signed for `access-analyzer`): `ValidatePolicy`.
//!
//! It shares the listener with S3, and its one path (`POST /policy/validation`) is also a valid S3
//! object URL (key `validation` in bucket `policy`, or key `policy/validation` on a virtual host).
//! What tells them apart is what the client signed for: a request whose SigV4 credential scope
//! names the service `access-analyzer` is an Access Analyzer request on any Host. (The authorizer
//! then insists on that same service, so the choice cannot be used to dodge a check.)

mod error;
mod validate_policy;

use axum::{
    body::Body,
    http::{Method, request::Parts},
    response::Response,
};
use bytes::Bytes;
use mrap_model::{ApiError, ErrorCode};
use mrap_proto::authz::Resource;

pub(crate) use error::render;

use crate::{
    common::{auth, body, request_id::RequestIds},
    server::AppState,
};

/// The SigV4 signing name of IAM Access Analyzer.
pub const SERVICE: &str = "access-analyzer";
/// `ValidatePolicy`'s path.
const VALIDATE_POLICY_PATH: &str = "/policy/validation";

/// What a handler gets.
pub(crate) struct AaRequest {
    /// The raw query (`maxResults`, `nextToken`), read after authentication like the body.
    pub query: String,
    pub body: Bytes,
}

operation_table! {
    pub(crate) enum AaOp for AaRequest {
        ValidatePolicy {
            action: "access-analyzer:ValidatePolicy",
            route: VALIDATE_POLICY_PATH,
            resource: CallerAccount, body: Buffered, handler: validate_policy::handle,
        },
    }
}

/// Whether a request is Access Analyzer's: signed for it, or an unsigned
/// `POST /policy/validation` — no S3 operation (POST on an object key needs a sub-resource), so
/// the authorizer then refuses it with 403.
pub(crate) fn claims(method: &Method, path: &str, query: &str, service: Option<&str>) -> bool {
    service == Some(SERVICE)
        || (service.is_none()
            && *method == Method::POST
            && path == VALIDATE_POLICY_PATH
            && query.is_empty())
}

/// The operation of a request [`claims`] took.
pub(crate) fn classify(method: &Method, path: &str) -> Result<AaOp, ApiError> {
    if *method == Method::POST && path == VALIDATE_POLICY_PATH {
        Ok(AaOp::ValidatePolicy)
    } else {
        Err(unknown_operation())
    }
}

/// The pipeline after classification: body, authorizer, handler.
pub(crate) async fn serve(
    state: &AppState,
    ids: &RequestIds,
    parts: &Parts,
    op: AaOp,
    request_body: Body,
) -> Result<Response, ApiError> {
    let (bytes, payload_hash) = body::read_checked(request_body, &parts.headers).await?;
    auth::Checks {
        state,
        ids,
        parts,
        payload_hash: &payload_hash,
        signing_service: Some(SERVICE),
        s3_control: false,
    }
    .authorize(op.action(), Resource::CallerAccount)
    .await?;
    op.call(AaRequest {
        query: parts.uri.query().unwrap_or("").to_owned(),
        body: bytes,
    })
    .await
}

/// A request signed for Access Analyzer that is not `ValidatePolicy`.
fn unknown_operation() -> ApiError {
    ApiError::new(
        ErrorCode::NotImplemented,
        "This endpoint serves only the ValidatePolicy operation of IAM Access Analyzer.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_analyzer_is_chosen_by_the_signing_service() {
        let post = Method::POST;
        assert!(claims(&post, VALIDATE_POLICY_PATH, "", Some(SERVICE)));
        assert!(claims(&Method::GET, "/anything", "", Some(SERVICE)));
        // unsigned ValidatePolicy URL: Access Analyzer's (refused by the authorizer)
        assert!(claims(&post, VALIDATE_POLICY_PATH, "", None));
        // the same URL signed for S3 is an S3 object request
        assert!(!claims(&post, VALIDATE_POLICY_PATH, "", Some("s3")));
        assert!(!claims(&post, VALIDATE_POLICY_PATH, "uploads", None));
        assert_eq!(
            classify(&post, VALIDATE_POLICY_PATH).ok(),
            Some(AaOp::ValidatePolicy)
        );
        for (method, path) in [
            (Method::GET, "/policy/validation"),
            (Method::POST, "/policy/validation/"),
            (Method::PUT, "/analyzer"),
        ] {
            assert_eq!(
                classify(&method, path).map_err(|e| e.code),
                Err(ErrorCode::NotImplemented),
                "{method} {path}"
            );
        }
        assert_eq!(AaOp::ValidatePolicy.name(), "ValidatePolicy");
        assert_eq!(AaOp::ValidatePolicy.route(), "/policy/validation");
    }
}
