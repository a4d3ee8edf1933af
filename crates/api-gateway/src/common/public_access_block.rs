//! The Block Public Access document both surfaces read: the account's (S3 Control) and each
//! bucket's (S3). Statuses are those the SDKs declare (aws-sdk-s3control 1.138 / aws-sdk-s3 1.157
//! `operation/*_public_access_block.rs`, `if !success && status != N`).

use axum::{body::Body, http::StatusCode, response::Response};
use mrap_model::{ApiError, PublicAccessBlock};

use crate::{
    common::{
        error::malformed_xml, public_access_block_xml::PUBLIC_ACCESS_BLOCK_ROOT, xml::from_xml,
    },
    s3control::xml::requests,
};

/// The four flags as sent: `true`/`false` (any case, surrounding blanks ignored), `absent` for a
/// flag not sent, anything else `MalformedXML`.
pub(crate) fn flags(
    sent: requests::PublicAccessBlock,
    absent: bool,
) -> Result<PublicAccessBlock, ApiError> {
    let flag = |v: Option<String>| match v.as_deref().map(str::trim) {
        None => Ok(absent),
        Some(t) if t.eq_ignore_ascii_case("true") => Ok(true),
        Some(t) if t.eq_ignore_ascii_case("false") => Ok(false),
        Some(_) => Err(malformed_xml()),
    };
    Ok(PublicAccessBlock {
        block_public_acls: flag(sent.block_public_acls)?,
        ignore_public_acls: flag(sent.ignore_public_acls)?,
        block_public_policy: flag(sent.block_public_policy)?,
        restrict_public_buckets: flag(sent.restrict_public_buckets)?,
    })
}

/// A `PutPublicAccessBlock` body: a flag left out is off, as in S3's API.
pub(crate) fn parse(body: &[u8]) -> Result<PublicAccessBlock, ApiError> {
    let sent = from_xml(body, PUBLIC_ACCESS_BLOCK_ROOT).map_err(|_| malformed_xml())?;
    flags(sent, false)
}

pub(crate) fn empty(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use mrap_model::ErrorCode;

    use super::*;

    fn doc(inner: &str) -> String {
        format!(
            r#"<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{inner}</PublicAccessBlockConfiguration>"#
        )
    }

    #[test]
    fn absent_flags_are_off() {
        assert_eq!(
            parse(doc("<BlockPublicPolicy>true</BlockPublicPolicy>").as_bytes()).unwrap(),
            PublicAccessBlock {
                block_public_acls: false,
                ignore_public_acls: false,
                block_public_policy: true,
                restrict_public_buckets: false,
            }
        );
        assert_eq!(
            parse(doc("").as_bytes()).unwrap(),
            PublicAccessBlock {
                block_public_acls: false,
                ignore_public_acls: false,
                block_public_policy: false,
                restrict_public_buckets: false,
            }
        );
        assert_eq!(
            parse(
                doc("<BlockPublicAcls>TRUE</BlockPublicAcls><IgnorePublicAcls> true </IgnorePublicAcls><BlockPublicPolicy>True</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets>")
                    .as_bytes()
            )
            .unwrap(),
            PublicAccessBlock::ALL_ON
        );
    }

    #[test]
    fn bad_documents_are_malformed_xml() {
        for bad in [
            String::new(),
            "not xml".into(),
            "<PublicAccessBlock/>".into(),
            doc("<BlockPublicAcls>yes</BlockPublicAcls>"),
            doc("<BlockPublicAcls/>"),
            doc("<BlockPublicAcls>true</BlockPublicAcls><BlockPublicAcls>false</BlockPublicAcls>"),
        ] {
            assert_eq!(
                parse(bad.as_bytes()).unwrap_err().code,
                ErrorCode::MalformedXML,
                "{bad}"
            );
        }
    }
}
