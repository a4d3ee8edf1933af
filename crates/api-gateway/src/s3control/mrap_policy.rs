//! MRAP policies: `PutMultiRegionAccessPointPolicy` (asynchronous, like Create/Delete),
//! `GetMultiRegionAccessPointPolicy` and `GetMultiRegionAccessPointPolicyStatus`.
//!
//! Only the request's shape, ClientToken and Name are checked here. The policy text is passed on
//! as sent, even when empty: validating it is the asynchronous operation's first step, which
//! ends `FAILED` with `MalformedPolicy` (or `AccessDenied` under `BlockPublicPolicy`), as on AWS.

use axum::response::Response;
use mrap_model::{AccountId, ApiError, MrapName, RequestParams};
use mrap_proto::store::GetMrap;

use crate::{
    common::{
        error::{invalid_request, malformed_xml},
        xml::{from_xml, xml_response},
    },
    s3control::{
        ControlRequest,
        mrap_submit::{check_client_token, submit},
        xml::{
            requests::{PUT_POLICY_ROOT, PutPolicyRequest},
            responses::{GetPolicyResult, PolicyStatusResult, PutPolicyResult},
        },
    },
    server::AppState,
};

pub(crate) async fn put(req: ControlRequest<'_>) -> Result<Response, ApiError> {
    let (client_token, params) = parse(&req.body)?;
    let arn = submit(req.state, req.ids, req.account, client_token, params).await?;
    xml_response(&PutPolicyResult::new(arn))
}

/// Shape (`MalformedXML`: ClientToken, Details, Name and Policy are required), then ClientToken,
/// then Name (`InvalidRequest`).
pub(crate) fn parse(body: &[u8]) -> Result<(String, RequestParams), ApiError> {
    let request: PutPolicyRequest = from_xml(body, PUT_POLICY_ROOT).map_err(|_| malformed_xml())?;
    let client_token = request.client_token.ok_or_else(malformed_xml)?;
    let details = request.details.ok_or_else(malformed_xml)?;
    let name = details.name.ok_or_else(malformed_xml)?;
    let policy = details.policy.ok_or_else(malformed_xml)?;
    check_client_token(&client_token)?;
    let name = MrapName::parse(&name).map_err(invalid_request)?;
    Ok((client_token, RequestParams::PutPolicy { name, policy }))
}

async fn record(
    state: &AppState,
    account: AccountId,
    name: &str,
) -> Result<mrap_model::MrapRecord, ApiError> {
    // As for GetMultiRegionAccessPoint, a name that breaks the rules names nothing.
    let name = MrapName::parse(name).map_err(|_| ApiError::no_such_mrap(name))?;
    state.store(&GetMrap { account, name }).await
}

pub(crate) async fn get(req: ControlRequest<'_>) -> Result<Response, ApiError> {
    let record = record(req.state, req.account, &req.label).await?;
    xml_response(&GetPolicyResult::new(&record.policy))
}

pub(crate) async fn status(req: ControlRequest<'_>) -> Result<Response, ApiError> {
    let record = record(req.state, req.account, &req.label).await?;
    xml_response(&PolicyStatusResult::new(&record.policy))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use mrap_model::ErrorCode;

    use super::*;

    fn code(xml: &str) -> Option<ErrorCode> {
        parse(xml.as_bytes()).err().map(|e| e.code)
    }

    fn wrap(inner: &str) -> String {
        format!(
            r#"<PutMultiRegionAccessPointPolicyRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/">{inner}</PutMultiRegionAccessPointPolicyRequest>"#
        )
    }

    #[test]
    fn a_valid_request_becomes_put_policy_params() {
        let (token, params) = parse(
            wrap("<Details><Name>my-mrap</Name><Policy>{&quot;Version&quot;:&quot;2012-10-17&quot;}</Policy></Details><ClientToken>t-1</ClientToken>")
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(token, "t-1");
        assert_eq!(
            params,
            RequestParams::PutPolicy {
                name: MrapName::parse("my-mrap").unwrap(),
                policy: r#"{"Version":"2012-10-17"}"#.into(),
            }
        );
        // an empty policy is passed on (the operation fails with MalformedPolicy later)
        let (_, params) = parse(
            wrap("<ClientToken>t</ClientToken><Details><Name>my-mrap</Name><Policy></Policy></Details>")
                .as_bytes(),
        )
        .unwrap();
        assert!(matches!(params, RequestParams::PutPolicy { policy, .. } if policy.is_empty()));
    }

    #[test]
    fn validation_table() {
        use ErrorCode::*;
        let ok_details = "<Details><Name>my-mrap</Name><Policy>{}</Policy></Details>";
        let cases = [
            (String::new(), Some(MalformedXML)),
            ("<nope".into(), Some(MalformedXML)),
            (wrap(ok_details), Some(MalformedXML)),
            (wrap("<ClientToken>t</ClientToken>"), Some(MalformedXML)),
            (
                wrap("<ClientToken>t</ClientToken><Details><Policy>{}</Policy></Details>"),
                Some(MalformedXML),
            ),
            (
                wrap("<ClientToken>t</ClientToken><Details><Name>my-mrap</Name></Details>"),
                Some(MalformedXML),
            ),
            (
                format!(
                    "<DeleteMultiRegionAccessPointRequest><ClientToken>t</ClientToken>{ok_details}</DeleteMultiRegionAccessPointRequest>"
                ),
                Some(MalformedXML),
            ),
            (
                wrap(&format!("<ClientToken></ClientToken>{ok_details}")),
                Some(InvalidRequest),
            ),
            (
                wrap(&format!(
                    "<ClientToken>{}</ClientToken>{ok_details}",
                    "x".repeat(65)
                )),
                Some(InvalidRequest),
            ),
            (
                wrap(
                    "<ClientToken>t</ClientToken><Details><Name>Bad_Name</Name><Policy>{}</Policy></Details>",
                ),
                Some(InvalidRequest),
            ),
            (
                wrap(&format!("<ClientToken>t</ClientToken>{ok_details}")),
                None,
            ),
        ];
        for (xml, want) in cases {
            assert_eq!(code(&xml), want, "{xml}");
        }
    }
}
