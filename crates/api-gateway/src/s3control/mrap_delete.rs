//! `DeleteMultiRegionAccessPoint`: only the request's own syntax is checked here; deleting an MRAP
//! that does not exist is not a synchronous error (the operation ends `FAILED` with
//! `NoSuchMultiRegionAccessPoint`).

use axum::response::Response;
use mrap_model::{ApiError, MrapName, RequestParams};

use crate::{
    common::{
        error::{invalid_request, malformed_xml},
        xml::{from_xml, xml_response},
    },
    s3control::{
        ControlRequest,
        mrap_submit::{check_client_token, submit},
        xml::{
            requests::{DELETE_ROOT, DeleteRequest},
            responses::DeleteResult,
        },
    },
};

pub(crate) async fn handle(req: ControlRequest<'_>) -> Result<Response, ApiError> {
    let (client_token, params) = parse(&req.body)?;
    let arn = submit(req.state, req.ids, req.account, client_token, params).await?;
    xml_response(&DeleteResult::new(arn))
}

/// Shape (`MalformedXML`), then ClientToken, then Name (`InvalidRequest`).
pub(crate) fn parse(body: &[u8]) -> Result<(String, RequestParams), ApiError> {
    let request: DeleteRequest = from_xml(body, DELETE_ROOT).map_err(|_| malformed_xml())?;
    let client_token = request.client_token.ok_or_else(malformed_xml)?;
    let name = request
        .details
        .ok_or_else(malformed_xml)?
        .name
        .ok_or_else(malformed_xml)?;
    check_client_token(&client_token)?;
    let name = MrapName::parse(&name).map_err(invalid_request)?;
    Ok((client_token, RequestParams::Delete { name }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use mrap_model::ErrorCode;

    use super::*;

    fn code(xml: &str) -> Option<ErrorCode> {
        parse(xml.as_bytes()).err().map(|e| e.code)
    }

    #[test]
    fn validation_table() {
        use ErrorCode::*;
        let wrap = |inner: &str| {
            format!(
                r#"<DeleteMultiRegionAccessPointRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/">{inner}</DeleteMultiRegionAccessPointRequest>"#
            )
        };
        let cases = [
            (wrap("<ClientToken>t</ClientToken><Details><Name>my-mrap</Name></Details>"), None),
            (wrap("<Details><Name>my-mrap</Name></Details><ClientToken>t</ClientToken>"), None),
            (String::new(), Some(MalformedXML)),
            (wrap("<Details><Name>my-mrap</Name></Details>"), Some(MalformedXML)),
            (wrap("<ClientToken>t</ClientToken>"), Some(MalformedXML)),
            (wrap("<ClientToken>t</ClientToken><Details/>"), Some(MalformedXML)),
            (
                "<CreateMultiRegionAccessPointRequest><ClientToken>t</ClientToken><Details><Name>my-mrap</Name></Details></CreateMultiRegionAccessPointRequest>".into(),
                Some(MalformedXML),
            ),
            (wrap("<ClientToken>a b</ClientToken><Details><Name>my-mrap</Name></Details>"), Some(InvalidRequest)),
            (wrap("<ClientToken>t</ClientToken><Details><Name>Bad_Name</Name></Details>"), Some(InvalidRequest)),
        ];
        for (xml, want) in cases {
            assert_eq!(code(&xml), want, "{xml}");
        }
        let (token, params) = parse(
            wrap("<ClientToken>t</ClientToken><Details><Name>my-mrap</Name></Details>").as_bytes(),
        )
        .unwrap();
        assert_eq!(token, "t");
        assert_eq!(
            params,
            RequestParams::Delete {
                name: MrapName::parse("my-mrap").unwrap()
            }
        );
    }
}
