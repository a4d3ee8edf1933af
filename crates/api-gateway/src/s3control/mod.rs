//! The S3 Control surface (`/v20180820/…`): Multi-Region Access Points and the account's Block
//! Public Access configuration. Every request names its account in `x-amz-account-id`, errors are
//! the wrapped `<ErrorResponse>` document, and bodies are small documents.

mod account_pab;
mod error;
mod mrap_create;
mod mrap_delete;
mod mrap_describe;
mod mrap_get;
mod mrap_policy;
mod mrap_routes;
mod mrap_submit;
pub(crate) mod operations;
pub(crate) mod records;
pub(crate) mod router;
pub(crate) mod xml;

use axum::{body::Body, http::request::Parts, response::Response};
use bytes::Bytes;
use mrap_model::{AccountId, ApiError};
use mrap_proto::authz::Resource;

pub(crate) use error::render;

use crate::{
    common::{auth, body, request_id::RequestIds},
    server::AppState,
};

/// The path prefix (API version 2018-08-20).
pub const CONTROL_PREFIX: &str = "/v20180820/";

/// What a handler gets.
pub(crate) struct ControlRequest<'a> {
    pub state: &'a AppState,
    pub ids: &'a RequestIds,
    /// The `x-amz-account-id` account.
    pub account: AccountId,
    /// The path label, percent-decoded: the MRAP name or the request-token ARN ("" when none).
    pub label: String,
    pub body: Bytes,
}

operation_table! {
    /// Every S3 Control operation served.
    pub(crate) enum ControlOp for ControlRequest<'_> {
        CreateMultiRegionAccessPoint {
            action: "s3:CreateMultiRegionAccessPoint",
            route: "/v20180820/async-requests/mrap/create",
            resource: Account, body: Buffered, handler: mrap_create::handle,
        },
        DeleteMultiRegionAccessPoint {
            action: "s3:DeleteMultiRegionAccessPoint",
            route: "/v20180820/async-requests/mrap/delete",
            resource: Account, body: Buffered, handler: mrap_delete::handle,
        },
        PutMultiRegionAccessPointPolicy {
            action: "s3:PutMultiRegionAccessPointPolicy",
            route: "/v20180820/async-requests/mrap/put-policy",
            resource: Account, body: Buffered, handler: mrap_policy::put,
        },
        DescribeMultiRegionAccessPointOperation {
            action: "s3:DescribeMultiRegionAccessPointOperation",
            route: "/v20180820/async-requests/mrap/{request_token+}",
            resource: Account, body: Buffered, handler: mrap_describe::handle,
        },
        GetMultiRegionAccessPoint {
            action: "s3:GetMultiRegionAccessPoint",
            route: "/v20180820/mrap/instances/{name+}",
            resource: Account, body: Buffered, handler: mrap_get::get,
        },
        ListMultiRegionAccessPoints {
            action: "s3:ListMultiRegionAccessPoints",
            route: "/v20180820/mrap/instances",
            resource: Account, body: Buffered, handler: mrap_get::list,
        },
        GetMultiRegionAccessPointPolicy {
            action: "s3:GetMultiRegionAccessPointPolicy",
            route: "/v20180820/mrap/instances/{name+}/policy",
            resource: Account, body: Buffered, handler: mrap_policy::get,
        },
        GetMultiRegionAccessPointPolicyStatus {
            action: "s3:GetMultiRegionAccessPointPolicyStatus",
            route: "/v20180820/mrap/instances/{name+}/policystatus",
            resource: Account, body: Buffered, handler: mrap_policy::status,
        },
        GetMultiRegionAccessPointRoutes {
            action: "s3:GetMultiRegionAccessPointRoutes",
            route: "/v20180820/mrap/instances/{mrap+}/routes",
            resource: Account, body: Buffered, handler: mrap_routes::get,
        },
        SubmitMultiRegionAccessPointRoutes {
            action: "s3:SubmitMultiRegionAccessPointRoutes",
            route: "/v20180820/mrap/instances/{mrap+}/routes",
            resource: Account, body: Buffered, handler: mrap_routes::submit,
        },
        PutPublicAccessBlock {
            action: "s3:PutAccountPublicAccessBlock",
            route: "/v20180820/configuration/publicAccessBlock",
            resource: Account, body: Buffered, handler: account_pab::put,
        },
        GetPublicAccessBlock {
            action: "s3:GetAccountPublicAccessBlock",
            route: "/v20180820/configuration/publicAccessBlock",
            resource: Account, body: Buffered, handler: account_pab::get,
        },
        // Deleting is authorised as putting (AWS documents no separate Delete action).
        DeletePublicAccessBlock {
            action: "s3:PutAccountPublicAccessBlock",
            route: "/v20180820/configuration/publicAccessBlock",
            resource: Account, body: Buffered, handler: account_pab::delete,
        },
    }
}

/// The ARN an operation is authorised on (policy-eval.md §1.4): the request-token ARN for
/// Describe, the MRAP ARN the request names for routes, `*` for listing and the account's Block
/// Public Access. Operations that name an MRAP by its name are authorised on
/// `arn:aws:s3::{account}:accesspoint/{name}` (GUESSES.md: AWS's ARN holds the alias, which a
/// name-addressed request does not carry, and reading it first would answer before
/// authorising). Create, delete and put-policy carry the name in their body, read leniently
/// here: the handler parses the body strictly after authorisation.
fn resource_arn(op: ControlOp, account: &AccountId, label: &str, body: &[u8]) -> String {
    let by_name = |name: &str| format!("arn:aws:s3::{account}:accesspoint/{name}");
    match op {
        ControlOp::DescribeMultiRegionAccessPointOperation
        | ControlOp::GetMultiRegionAccessPointRoutes
        | ControlOp::SubmitMultiRegionAccessPointRoutes => label.to_owned(),
        ControlOp::GetMultiRegionAccessPoint
        | ControlOp::GetMultiRegionAccessPointPolicy
        | ControlOp::GetMultiRegionAccessPointPolicyStatus => by_name(label),
        ControlOp::CreateMultiRegionAccessPoint
        | ControlOp::DeleteMultiRegionAccessPoint
        | ControlOp::PutMultiRegionAccessPointPolicy => by_name(name_in_body(body).unwrap_or("")),
        ControlOp::ListMultiRegionAccessPoints
        | ControlOp::PutPublicAccessBlock
        | ControlOp::GetPublicAccessBlock
        | ControlOp::DeletePublicAccessBlock => "*".to_owned(),
    }
}

/// The MRAP name of a request document (`…<Details><Name>n</Name>…`), if it has a well-formed one.
fn name_in_body(body: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(body).ok()?;
    let details = &text[text.find("<Details>")?..];
    let start = details.find("<Name>")? + "<Name>".len();
    let len = details[start..].find("</Name>")?;
    let name = &details[start..start + len];
    mrap_model::MrapName::parse(name).ok().map(|_| name)
}

/// A classified request: the operation and its path label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Routed {
    pub op: ControlOp,
    pub label: String,
}

/// The pipeline after classification: account header, body, authorizer, handler.
pub(crate) async fn serve(
    state: &AppState,
    ids: &RequestIds,
    parts: &Parts,
    routed: Routed,
    request_body: Body,
) -> Result<Response, ApiError> {
    let account = router::account_from(&parts.headers)?;
    let (bytes, payload_hash) = body::read_checked(request_body, &parts.headers).await?;
    auth::Checks {
        state,
        ids,
        parts,
        payload_hash: &payload_hash,
        signing_service: None,
        s3_control: true,
    }
    .authorize(
        routed.op.action(),
        Resource::Arn {
            arn: resource_arn(routed.op, &account, &routed.label, &bytes),
            owner: Some(account.clone()),
        },
    )
    .await?;
    routed
        .op
        .call(ControlRequest {
            state,
            ids,
            account,
            label: routed.label,
            body: bytes,
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_operation_is_authorised_on_its_own_arn() {
        let account = AccountId::parse("111122223333").expect("account");
        let create = b"<CreateMultiRegionAccessPointRequest><ClientToken>t</ClientToken><Details><Name>my-mrap</Name></Details></CreateMultiRegionAccessPointRequest>";
        let arn = |op, label: &str, body: &[u8]| resource_arn(op, &account, label, body);
        assert_eq!(
            arn(ControlOp::CreateMultiRegionAccessPoint, "", create),
            "arn:aws:s3::111122223333:accesspoint/my-mrap"
        );
        assert_eq!(
            arn(ControlOp::GetMultiRegionAccessPointPolicy, "my-mrap", b""),
            "arn:aws:s3::111122223333:accesspoint/my-mrap"
        );
        let token = "arn:aws:s3:us-west-2:111122223333:async-request/mrap/create/abc";
        assert_eq!(
            arn(
                ControlOp::DescribeMultiRegionAccessPointOperation,
                token,
                b""
            ),
            token
        );
        assert_eq!(arn(ControlOp::ListMultiRegionAccessPoints, "", b""), "*");
        // a malformed or hostile name is not taken into the ARN
        assert_eq!(
            arn(
                ControlOp::DeleteMultiRegionAccessPoint,
                "",
                b"<Details><Name>*</Name></Details>"
            ),
            "arn:aws:s3::111122223333:accesspoint/"
        );
        assert_eq!(name_in_body(b"<Name>x</Name>"), None);
    }
}
