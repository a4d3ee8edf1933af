//! `PublicAccessBlockConfiguration`, the document of the account-level (S3 Control) and the
//! bucket-level (S3) Block Public Access calls: the same four flags, the root element of the same
//! name, and each API's own namespace (aws-sdk-s3control and aws-sdk-s3 both check the root's local
//! name: `PublicAccessBlockConfiguration`).
//!
//! Request bodies are read with [`super::mrap_requests::PublicAccessBlock`] (each flag as sent).

use mrap_model::PublicAccessBlock as Pab;
use serde::Serialize;

use crate::common::xml::{S3_NS, S3CONTROL_NS};

pub(crate) const PUBLIC_ACCESS_BLOCK_ROOT: &str = "PublicAccessBlockConfiguration";

/// `GetPublicAccessBlock`'s payload.
#[derive(Debug, Serialize)]
#[serde(rename = "PublicAccessBlockConfiguration", rename_all = "PascalCase")]
pub(crate) struct PublicAccessBlockConfiguration {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    block_public_acls: bool,
    ignore_public_acls: bool,
    block_public_policy: bool,
    restrict_public_buckets: bool,
}

impl PublicAccessBlockConfiguration {
    /// The account's configuration (S3 Control namespace).
    pub fn control(p: &Pab) -> Self {
        Self::with_ns(S3CONTROL_NS, p)
    }

    /// A bucket's configuration (S3 namespace).
    pub fn s3(p: &Pab) -> Self {
        Self::with_ns(S3_NS, p)
    }

    fn with_ns(xmlns: &'static str, p: &Pab) -> Self {
        Self {
            xmlns,
            block_public_acls: p.block_public_acls,
            ignore_public_acls: p.ignore_public_acls,
            block_public_policy: p.block_public_policy,
            restrict_public_buckets: p.restrict_public_buckets,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::{
        common::xml::{from_xml, to_xml_with_header},
        s3control::xml::requests::PublicAccessBlock,
    };

    const DECL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

    const MIXED: Pab = Pab {
        block_public_acls: true,
        ignore_public_acls: false,
        block_public_policy: true,
        restrict_public_buckets: false,
    };

    #[test]
    fn the_account_document_is_in_the_s3_control_namespace() {
        assert_eq!(
            to_xml_with_header(&PublicAccessBlockConfiguration::control(&MIXED)).unwrap(),
            format!(
                r#"{DECL}<PublicAccessBlockConfiguration xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>"#
            )
        );
    }

    #[test]
    fn the_bucket_document_is_in_the_s3_namespace() {
        assert_eq!(
            to_xml_with_header(&PublicAccessBlockConfiguration::s3(&Pab::ALL_ON)).unwrap(),
            format!(
                r#"{DECL}<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>"#
            )
        );
    }

    #[test]
    fn requests_parse_as_sent_by_the_sdks() {
        // aws-sdk-s3 / aws-sdk-s3control: namespaced root, only the flags that were set.
        for ns in [S3_NS, S3CONTROL_NS] {
            let xml = format!(
                r#"<PublicAccessBlockConfiguration xmlns="{ns}"><BlockPublicAcls>true</BlockPublicAcls><RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>"#
            );
            let p: PublicAccessBlock = from_xml(xml.as_bytes(), PUBLIC_ACCESS_BLOCK_ROOT).unwrap();
            assert_eq!(p.block_public_acls.as_deref(), Some("true"));
            assert_eq!(p.ignore_public_acls, None);
            assert_eq!(p.block_public_policy, None);
            assert_eq!(p.restrict_public_buckets.as_deref(), Some("false"));
        }
        let p: PublicAccessBlock = from_xml(
            b"<PublicAccessBlockConfiguration/>",
            PUBLIC_ACCESS_BLOCK_ROOT,
        )
        .unwrap();
        assert!(p.block_public_acls.is_none() && p.restrict_public_buckets.is_none());
        assert!(
            from_xml::<PublicAccessBlock>(b"<PublicAccessBlock/>", PUBLIC_ACCESS_BLOCK_ROOT)
                .is_err()
        );
    }
}
