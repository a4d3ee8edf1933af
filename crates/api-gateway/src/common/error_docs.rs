//! Error documents. S3 Control wraps (`<ErrorResponse><Error>…</Error><RequestId/>…`): with a flat
//! `<Error>` aws-sdk-s3control reports no error code at all. S3 uses the flat form with
//! `Resource`.

use serde::Serialize;

/// S3 Control: `<ErrorResponse><Error><Code/><Message/></Error><RequestId/><HostId/></ErrorResponse>`.
#[derive(Debug, Serialize)]
#[serde(rename = "ErrorResponse")]
pub(crate) struct WrappedError<'a> {
    #[serde(rename = "Error")]
    error: CodeAndMessage<'a>,
    #[serde(rename = "RequestId")]
    request_id: &'a str,
    #[serde(rename = "HostId")]
    host_id: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct CodeAndMessage<'a> {
    code: &'a str,
    message: &'a str,
}

impl<'a> WrappedError<'a> {
    pub fn new(code: &'a str, message: &'a str, request_id: &'a str, host_id: &'a str) -> Self {
        Self {
            error: CodeAndMessage { code, message },
            request_id,
            host_id,
        }
    }
}

/// S3: `<Error><Code/><Message/><Resource/><RequestId/><HostId/></Error>`.
#[derive(Debug, Serialize)]
#[serde(rename = "Error", rename_all = "PascalCase")]
pub(crate) struct FlatError<'a> {
    code: &'a str,
    message: &'a str,
    resource: &'a str,
    request_id: &'a str,
    host_id: &'a str,
}

impl<'a> FlatError<'a> {
    pub fn new(
        code: &'a str,
        message: &'a str,
        resource: &'a str,
        request_id: &'a str,
        host_id: &'a str,
    ) -> Self {
        Self {
            code,
            message,
            resource,
            request_id,
            host_id,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::common::xml::to_xml_with_header;

    #[test]
    fn wrapped_error() {
        let e = WrappedError::new(
            "NoSuchMultiRegionAccessPoint",
            "The specified Multi-Region Access Point does not exist: <x> & \"y\"",
            "4442587FB7D0A2F9",
            "aGlkZGVu",
        );
        assert_eq!(
            to_xml_with_header(&e).unwrap(),
            r#"<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Code>NoSuchMultiRegionAccessPoint</Code><Message>The specified Multi-Region Access Point does not exist: &lt;x&gt; &amp; "y"</Message></Error><RequestId>4442587FB7D0A2F9</RequestId><HostId>aGlkZGVu</HostId></ErrorResponse>"#
        );
    }

    #[test]
    fn flat_error() {
        let e = FlatError::new(
            "NoSuchBucket",
            "The specified bucket does not exist",
            "/missing-bucket",
            "4442587FB7D0A2F9",
            "aGlkZGVu",
        );
        assert_eq!(
            to_xml_with_header(&e).unwrap(),
            r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><Resource>/missing-bucket</Resource><RequestId>4442587FB7D0A2F9</RequestId><HostId>aGlkZGVu</HostId></Error>"#
        );
    }
}
