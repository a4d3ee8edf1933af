//! The one authorizer round trip per request: authentication (SigV4 over the request exactly as
//! received) and authorization of the operation's action on its resource.

use std::net::SocketAddr;

use axum::{
    extract::ConnectInfo,
    http::{HeaderMap, Method, request::Parts},
};
use mrap_model::ApiError;
use mrap_proto::authz::{AuthzRequest, Grant, Resource};

use crate::{
    common::{grants::Lookup, request_id::RequestIds},
    server::AppState,
};

/// The request as the signature saw it.
pub(crate) struct SignedParts<'a> {
    pub request_id: &'a str,
    pub method: &'a Method,
    /// Raw wire path (percent-encoded), never a decoded one: the canonical request uses it.
    pub path: &'a str,
    /// Raw query string without `?`.
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    /// `x-amz-content-sha256` as sent (already checked against the body) or the body's SHA-256.
    pub payload_hash: String,
    /// The TCP peer's address (`aws:SourceIp`); forwarding headers are not trusted.
    pub source_ip: Option<String>,
    /// Arrived over TLS (a proxy-mode tunnel): `aws:SecureTransport`.
    pub secure_transport: bool,
}

impl<'a> SignedParts<'a> {
    pub fn new(ids: &'a RequestIds, parts: &'a Parts, payload_hash: String) -> Self {
        SignedParts {
            request_id: &ids.request_id,
            method: &parts.method,
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers: &parts.headers,
            payload_hash,
            source_ip: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(peer)| peer.ip().to_string()),
            secure_transport: parts.extensions.get::<crate::proxy::Tunnelled>().is_some(),
        }
    }
}

/// Builds the authorizer request for `action` on `resource`. `signing_service`: `None` means
/// `s3` (S3 and S3 Control); `s3_control`: a double-encoded canonical URI is accepted too.
pub(crate) fn authz_request(
    parts: SignedParts<'_>,
    action: &str,
    resource: Resource,
    signing_service: Option<&str>,
    s3_control: bool,
) -> AuthzRequest {
    AuthzRequest {
        request_id: parts.request_id.to_owned(),
        method: parts.method.as_str().to_owned(),
        path: parts.path.to_owned(),
        query: parts.query.to_owned(),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        payload_hash: parts.payload_hash,
        s3_control,
        action: action.to_owned(),
        resource,
        signing_service: signing_service.map(str::to_owned),
        source_ip: parts.source_ip,
        secure_transport: parts.secure_transport,
    }
}

/// The authorizer calls of one signed request: the one that decides its operation, and any a
/// handler needs about further resources of the same request (a copy's source, each key of a
/// DeleteObjects).
#[derive(Clone, Copy)]
pub(crate) struct Checks<'a> {
    pub state: &'a AppState,
    pub ids: &'a RequestIds,
    pub parts: &'a Parts,
    pub payload_hash: &'a str,
    /// `None`: `s3` (S3 and S3 Control).
    pub signing_service: Option<&'static str>,
    pub s3_control: bool,
}

impl Checks<'_> {
    /// May this request perform `action` on `resource`? The grant says who asked.
    pub async fn authorize(&self, action: &str, resource: Resource) -> Result<Grant, ApiError> {
        let authz = authz_request(
            SignedParts::new(self.ids, self.parts, self.payload_hash.to_owned()),
            action,
            resource,
            self.signing_service,
            self.s3_control,
        );
        authorize(self.state, &authz).await
    }
}

/// Reuses a decision the authorizer said may be reused (`common::grants`), or asks it; a
/// refusal (`AccessDenied`, `SignatureDoesNotMatch`, …) comes back as the error to render, an
/// unreachable authorizer as `ServiceUnavailable`.
async fn authorize(state: &AppState, request: &AuthzRequest) -> Result<Grant, ApiError> {
    let now_unix = mrap_model::time::now_millis() / 1000;
    let asked = match state.grants.lookup(request, now_unix) {
        Lookup::Reused(grant) => {
            tracing::Span::current().record("mrap.authz.reused", true);
            return Ok(grant);
        }
        Lookup::Ask(asked) => asked,
    };
    let grant = mrap_proto::call(&state.nats, &state.namespace.authz_check(), request)
        .await
        .map_err(mrap_proto::RpcError::into_api)?;
    Ok(state.grants.remember(asked, grant))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use axum::http::HeaderValue;
    use mrap_model::AccountId;
    use mrap_proto::authz::Resource;

    use super::*;

    #[test]
    fn the_request_is_passed_on_exactly_as_received() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "host",
            HeaderValue::from_static("123456789012.localhost:4566"),
        );
        headers.insert("x-amz-account-id", HeaderValue::from_static("123456789012"));
        headers.append("x-multi", HeaderValue::from_static("a"));
        headers.append("x-multi", HeaderValue::from_static("b"));
        let path = "/v20180820/async-requests/mrap/arn%3Aaws%3As3%3Aus-west-2%3A123456789012%3Aasync-request/mrap/create/abc";
        let req = authz_request(
            SignedParts {
                request_id: "0123456789ABCDEF",
                method: &Method::GET,
                path,
                query: "x-id=DescribeMultiRegionAccessPointOperation",
                headers: &headers,
                payload_hash: "UNSIGNED-PAYLOAD".into(),
                source_ip: Some("127.0.0.1".into()),
                secure_transport: true,
            },
            "s3:DescribeMultiRegionAccessPointOperation",
            Resource::Arn {
                owner: Some(AccountId::parse("123456789012").unwrap()),
                arn: "arn:aws:s3:us-west-2:123456789012:async-request/mrap/create/abc".into(),
            },
            None,
            true,
        );
        assert_eq!(req.path, path);
        assert_eq!(req.query, "x-id=DescribeMultiRegionAccessPointOperation");
        assert_eq!(req.method, "GET");
        assert!(req.s3_control);
        assert_eq!(req.action, "s3:DescribeMultiRegionAccessPointOperation");
        assert_eq!(
            req.resource,
            Resource::Arn {
                owner: Some(AccountId::parse("123456789012").unwrap()),
                arn: "arn:aws:s3:us-west-2:123456789012:async-request/mrap/create/abc".into(),
            }
        );
        assert_eq!(
            req.headers,
            vec![
                ("host".to_owned(), "123456789012.localhost:4566".to_owned()),
                ("x-amz-account-id".to_owned(), "123456789012".to_owned()),
                ("x-multi".to_owned(), "a".to_owned()),
                ("x-multi".to_owned(), "b".to_owned()),
            ]
        );
        assert_eq!(req.payload_hash, "UNSIGNED-PAYLOAD");
        assert_eq!(req.source_ip.as_deref(), Some("127.0.0.1"));
        assert!(req.secure_transport);

        let bucket_req = authz_request(
            SignedParts {
                request_id: "0123456789ABCDEF",
                method: &Method::PUT,
                path: "/my-bucket",
                query: "",
                headers: &headers,
                payload_hash: "e3b0".into(),
                source_ip: None,
                secure_transport: false,
            },
            "s3:ListAllMyBuckets",
            Resource::CallerAccount,
            None,
            false,
        );
        assert!(!bucket_req.s3_control);
        assert!(!bucket_req.secure_transport);
        assert_eq!(bucket_req.signing_service, None);

        let aa = authz_request(
            SignedParts {
                request_id: "0123456789ABCDEF",
                method: &Method::POST,
                path: "/policy/validation",
                query: "maxResults=1",
                headers: &headers,
                payload_hash: "e3b0".into(),
                source_ip: None,
                secure_transport: false,
            },
            "access-analyzer:ValidatePolicy",
            Resource::CallerAccount,
            Some("access-analyzer"),
            false,
        );
        assert_eq!(aa.signing_service.as_deref(), Some("access-analyzer"));
        assert_eq!(aa.action, "access-analyzer:ValidatePolicy");
        assert_eq!(aa.resource, Resource::CallerAccount);
        assert!(!aa.s3_control);
    }
}
