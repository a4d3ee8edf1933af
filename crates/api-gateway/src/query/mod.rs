//! The AWS query protocol (`Action=…&Version=…`, XML replies) shared by the IAM and STS surfaces:
//! which requests are theirs, parameters, the envelopes, the error document, and the pipeline up
//! to the operation's handler. The operations live in [`crate::iam`] and [`crate::sts`].
//!
//! Routing (reference §1.3): a request whose SigV4 credential scope names `iam` or `sts` is that
//! service's, on any method, path and Host (the authorizer insists on the same service, so the
//! choice cannot dodge a check). An unsigned request is claimed only on `/` of the bare endpoint:
//! a GET whose query names `Action` and a known `Version`, or a form-encoded POST without
//! `x-amz-content-sha256` — no S3 operation looks like either. Its `Version` (read from the body)
//! picks the service, and the authorizer then refuses it (`MissingAuthenticationToken`).
//!
//! Pipeline: body read and hashed (these SDKs send no `x-amz-content-sha256`) → parameters (POST
//! body, else the query) → the operation named by `Action` (`InvalidAction` when unknown) → the
//! service's pipeline, which authenticates before anything else.

pub(crate) mod params;
pub(crate) mod xml;

use axum::{
    body::Body,
    http::{HeaderMap, Method, header, request::Parts},
    response::Response,
};
use mrap_model::{ApiError, ErrorCode};
use mrap_proto::authz::{Grant, Resource};
use tracing::Span;

pub(crate) use params::Params;

use crate::{
    common::{auth, body, host::HostStyle, request_id::RequestIds},
    server::AppState,
};

/// The two query-protocol services on this listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueryService {
    Iam,
    Sts,
}

impl QueryService {
    /// The SigV4 signing name.
    pub fn signing_name(self) -> &'static str {
        match self {
            QueryService::Iam => "iam",
            QueryService::Sts => "sts",
        }
    }

    /// The API `Version` parameter.
    pub fn version(self) -> &'static str {
        match self {
            QueryService::Iam => "2010-05-08",
            QueryService::Sts => "2011-06-15",
        }
    }

    /// The namespace of every reply document.
    pub fn namespace(self) -> &'static str {
        match self {
            QueryService::Iam => "https://iam.amazonaws.com/doc/2010-05-08/",
            QueryService::Sts => "https://sts.amazonaws.com/doc/2011-06-15/",
        }
    }

    fn from_signing_name(name: &str) -> Option<Self> {
        match name {
            "iam" => Some(QueryService::Iam),
            "sts" => Some(QueryService::Sts),
            _ => None,
        }
    }

    fn from_version(version: &str) -> Option<Self> {
        match version {
            "2010-05-08" => Some(QueryService::Iam),
            "2011-06-15" => Some(QueryService::Sts),
            _ => None,
        }
    }
}

/// A request the query surface took. `service: None`: an unsigned form POST, whose service its
/// body's `Version` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pending {
    pub service: Option<QueryService>,
}

impl Pending {
    /// The service errors are rendered for until the body says otherwise (IAM for an unsigned
    /// POST whose body names no known version).
    pub fn service_or_default(self) -> QueryService {
        self.service.unwrap_or(QueryService::Iam)
    }

    /// The span's operation until the `Action` is read.
    pub fn name(self) -> &'static str {
        match self.service {
            Some(QueryService::Iam) => "IAM",
            Some(QueryService::Sts) => "STS",
            None => "Query",
        }
    }
}

/// Whether a request is IAM's or STS's (see the module doc).
pub(crate) fn claims(
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    signing_service: Option<&str>,
    style: &HostStyle,
) -> Option<Pending> {
    if let Some(name) = signing_service {
        return QueryService::from_signing_name(name).map(|s| Pending { service: Some(s) });
    }
    if path != "/" || *style != HostStyle::Path {
        return None;
    }
    let in_query = Params::parse(query.as_bytes());
    if matches!(*method, Method::GET | Method::POST)
        && in_query.get("Action").is_some()
        && let Some(service) = in_query.get("Version").and_then(QueryService::from_version)
    {
        return Some(Pending {
            service: Some(service),
        });
    }
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    (*method == Method::POST
        && query.is_empty()
        && form
        && !headers.contains_key("x-amz-content-sha256"))
    .then_some(Pending { service: None })
}

/// What every operation handler of both services gets.
pub(crate) struct QueryCtx<'a> {
    pub state: &'a AppState,
    pub ids: &'a RequestIds,
    parts: &'a Parts,
    payload_hash: String,
    pub service: QueryService,
    pub params: Params,
}

impl QueryCtx<'_> {
    /// One authorizer round trip for `action` on `resource`, signed for this service; refusals
    /// come back in the query services' codes.
    pub async fn authorize(&self, action: &str, resource: Resource) -> Result<Grant, ApiError> {
        auth::Checks {
            state: self.state,
            ids: self.ids,
            parts: self.parts,
            payload_hash: &self.payload_hash,
            signing_service: Some(self.service.signing_name()),
            s3_control: false,
        }
        .authorize(action, resource)
        .await
        .map_err(|e| auth_error(e, credentials_sent(self.parts)))
    }

    /// The 200 reply of `action`; `result` writes the children of its `…Result` element, `None`
    /// for an operation without output.
    pub fn reply(&self, action: &str, result: Option<&dyn Fn(&mut xml::Xml)>) -> Response {
        xml::success(
            self.service.namespace(),
            action,
            &self.ids.request_id,
            result,
        )
    }
}

/// The pipeline after classification; returns the service the request turned out to be for (the
/// error document's namespace) with the outcome.
pub(crate) async fn serve(
    state: &AppState,
    ids: &RequestIds,
    parts: &Parts,
    pending: Pending,
    request_body: Body,
) -> (QueryService, Result<Response, ApiError>) {
    let (bytes, payload_hash) = match body::read_checked(request_body, &parts.headers).await {
        Ok(read) => read,
        Err(e) => return (pending.service_or_default(), Err(e)),
    };
    let query = parts.uri.query().unwrap_or("");
    let params = if parts.method == Method::POST && !bytes.is_empty() {
        Params::parse(&bytes)
    } else {
        Params::parse(query.as_bytes())
    };
    let service = pending
        .service
        .or_else(|| params.get("Version").and_then(QueryService::from_version))
        .unwrap_or(QueryService::Iam);
    let ctx = QueryCtx {
        state,
        ids,
        parts,
        payload_hash,
        service,
        params,
    };
    let outcome = match service {
        QueryService::Iam => crate::iam::serve(&ctx).await,
        QueryService::Sts => crate::sts::serve(&ctx).await,
    };
    (service, outcome.map_err(server_fault))
}

/// The operation `Action` names among `all` (a surface's operation table); records it on the
/// request span.
pub(crate) fn operation<Op: Copy>(
    ctx: &QueryCtx<'_>,
    all: &[Op],
    name: impl Fn(Op) -> &'static str,
) -> Result<Op, ApiError> {
    let Some(action) = ctx.params.get("Action") else {
        return Err(ApiError::new(
            ErrorCode::MissingParameter,
            "The request must contain the parameter Action.",
        ));
    };
    let op = all
        .iter()
        .copied()
        .find(|op| name(*op) == action)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidAction,
                format!(
                    "Could not find operation {action} for version {}",
                    ctx.service.version()
                ),
            )
        })?;
    Span::current().record("aws.s3.operation", name(op));
    Ok(op)
}

/// Whether the request carries credentials at all (an `Authorization` header or a presigned
/// query); an anonymous one is refused as `MissingAuthenticationToken`.
fn credentials_sent(parts: &Parts) -> bool {
    parts.headers.contains_key(header::AUTHORIZATION)
        || parts.uri.query().unwrap_or("").split('&').any(|pair| {
            let name = pair.split('=').next().unwrap_or("");
            name.eq_ignore_ascii_case("X-Amz-Signature")
                || name.eq_ignore_ascii_case("X-Amz-Credential")
        })
}

/// The authorizer's refusals as IAM and STS word them (reference §2.3).
fn auth_error(err: ApiError, credentials_sent: bool) -> ApiError {
    match err.code {
        ErrorCode::AccessDenied if !credentials_sent => ApiError::new(
            ErrorCode::MissingAuthenticationToken,
            "Request is missing Authentication Token",
        ),
        ErrorCode::InvalidAccessKeyId => ApiError::new(
            ErrorCode::InvalidClientTokenId,
            "The security token included in the request is invalid.",
        ),
        // IAM and STS report a skewed clock as a signature failure ("Signature expired: …").
        ErrorCode::RequestTimeTooSkewed => {
            ApiError::new(ErrorCode::SignatureDoesNotMatch, err.message)
        }
        ErrorCode::AuthorizationHeaderMalformed => {
            ApiError::new(ErrorCode::IncompleteSignature, err.message)
        }
        _ => err,
    }
}

/// A server-side failure in the query services' code (`ServiceFailure`, 500).
fn server_fault(err: ApiError) -> ApiError {
    match err.code {
        ErrorCode::InternalError => ApiError::new(ErrorCode::ServiceFailure, err.message),
        _ => err,
    }
}

/// The error response for `err` in `service`'s namespace.
pub(crate) fn render(
    service: QueryService,
    err: &ApiError,
    ids: &RequestIds,
    head: bool,
) -> Response {
    xml::error(service.namespace(), err, &ids.request_id, head)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::common::test_support::headers;

    const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

    fn claim(
        method: Method,
        path: &str,
        query: &str,
        h: &[(&str, &str)],
        signed: Option<&str>,
    ) -> Option<Option<QueryService>> {
        claims(&method, path, query, &headers(h), signed, &HostStyle::Path).map(|p| p.service)
    }

    #[test]
    fn the_signing_service_decides() {
        use QueryService::*;
        assert_eq!(
            claim(Method::POST, "/", "", &[], Some("iam")),
            Some(Some(Iam))
        );
        assert_eq!(
            claim(Method::GET, "/x", "", &[], Some("sts")),
            Some(Some(Sts))
        );
        // signed for S3: never these surfaces, whatever the body looks like
        assert_eq!(
            claim(Method::POST, "/", "", &[("content-type", FORM)], Some("s3")),
            None
        );
    }

    #[test]
    fn unsigned_requests_are_claimed_by_action_and_version() {
        use QueryService::*;
        assert_eq!(
            claim(
                Method::GET,
                "/",
                "Action=GetCallerIdentity&Version=2011-06-15",
                &[],
                None
            ),
            Some(Some(Sts))
        );
        assert_eq!(
            claim(
                Method::GET,
                "/",
                "Action=ListUsers&Version=2010-05-08",
                &[],
                None
            ),
            Some(Some(Iam))
        );
        // decided by the body later
        assert_eq!(
            claim(Method::POST, "/", "", &[("content-type", FORM)], None),
            Some(None)
        );
        // S3 shapes stay S3's
        assert_eq!(claim(Method::GET, "/", "", &[], None), None);
        assert_eq!(
            claim(Method::GET, "/", "Action=X&Version=1", &[], None),
            None
        );
        assert_eq!(
            claim(Method::POST, "/bucket", "", &[("content-type", FORM)], None),
            None
        );
        assert_eq!(
            claim(
                Method::POST,
                "/",
                "",
                &[
                    ("content-type", FORM),
                    ("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
                ],
                None
            ),
            None
        );
        assert_eq!(
            claims(
                &Method::POST,
                "/",
                "",
                &headers(&[("content-type", FORM)]),
                None,
                &HostStyle::VirtualHost { bucket: "b".into() }
            ),
            None
        );
    }

    #[test]
    fn authorizer_refusals_in_query_words() {
        let denied = ApiError::new(ErrorCode::AccessDenied, "Anonymous access is forbidden");
        assert_eq!(
            auth_error(denied.clone(), false).code,
            ErrorCode::MissingAuthenticationToken
        );
        assert_eq!(auth_error(denied, true).code, ErrorCode::AccessDenied);
        let unknown = auth_error(ApiError::new(ErrorCode::InvalidAccessKeyId, "x"), true);
        assert_eq!(unknown.code, ErrorCode::InvalidClientTokenId);
        assert_eq!(
            unknown.message,
            "The security token included in the request is invalid."
        );
        let bad = ApiError::new(ErrorCode::SignatureDoesNotMatch, "sig");
        assert_eq!(auth_error(bad.clone(), true), bad);
        let skewed = ApiError::new(ErrorCode::RequestTimeTooSkewed, "skew");
        assert_eq!(
            auth_error(skewed, true).code,
            ErrorCode::SignatureDoesNotMatch
        );
        assert_eq!(
            server_fault(ApiError::internal("boom")).code,
            ErrorCode::ServiceFailure
        );
    }
}
