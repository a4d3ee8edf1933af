//! S3 bucket documents.

use mrap_model::{AccountId, BucketRecord, time::format_iso8601};
use serde::{Deserialize, Serialize};

use crate::common::xml::S3_NS;

/// `CreateBucketConfiguration` (optional body of `CreateBucket`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateBucketConfiguration {
    pub location_constraint: Option<String>,
}

pub(crate) const CREATE_BUCKET_ROOT: &str = "CreateBucketConfiguration";

/// `ListAllMyBucketsResult`.
#[derive(Debug, Serialize)]
#[serde(rename = "ListAllMyBucketsResult")]
pub(crate) struct ListAllMyBucketsResult {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "Owner")]
    owner: Owner,
    #[serde(rename = "Buckets")]
    buckets: Buckets,
}

#[derive(Debug, Serialize)]
struct Owner {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "DisplayName")]
    display_name: String,
}

#[derive(Debug, Serialize)]
struct Buckets {
    #[serde(rename = "Bucket")]
    bucket: Vec<Bucket>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Bucket {
    name: String,
    creation_date: String,
    bucket_region: String,
}

impl ListAllMyBucketsResult {
    /// The owner is shown by account id (there are no canonical user ids or display names here).
    pub fn new(owner: &AccountId, buckets: &[BucketRecord]) -> Self {
        Self {
            xmlns: S3_NS,
            owner: Owner {
                id: owner.to_string(),
                display_name: owner.to_string(),
            },
            buckets: Buckets {
                bucket: buckets
                    .iter()
                    .map(|b| Bucket {
                        name: b.name.to_string(),
                        creation_date: format_iso8601(b.created_at),
                        bucket_region: b.region.to_string(),
                    })
                    .collect(),
            },
        }
    }
}

/// `LocationConstraint`: empty for us-east-1 (S3's historical "US Standard" answer).
#[derive(Debug, Serialize)]
#[serde(rename = "LocationConstraint")]
pub(crate) struct LocationConstraint {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "$text")]
    region: String,
}

impl LocationConstraint {
    pub fn new(region: &str) -> Self {
        let region = if region == "us-east-1" { "" } else { region };
        Self {
            xmlns: S3_NS,
            region: region.to_owned(),
        }
    }
}

/// `PolicyStatus` (`GetBucketPolicyStatus`'s payload).
#[derive(Debug, Serialize)]
#[serde(rename = "PolicyStatus")]
pub(crate) struct PolicyStatus {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "IsPublic")]
    is_public: bool,
}

impl PolicyStatus {
    pub fn new(is_public: bool) -> Self {
        Self {
            xmlns: S3_NS,
            is_public,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::common::xml::{from_xml, to_xml_with_header};

    const DECL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

    #[test]
    fn list_buckets() {
        let owner = AccountId::parse("123456789012").unwrap();
        // through serde, so that fields added to the record later do not break this test
        let b = |name: &str, region: &str| -> BucketRecord {
            serde_json::from_value(serde_json::json!({
                "name": name,
                "region": region,
                "owner": "123456789012",
                "created_at": 1_630_606_893_123_i64,
            }))
            .unwrap()
        };
        assert_eq!(
            to_xml_with_header(&ListAllMyBucketsResult::new(&owner, &[])).unwrap(),
            format!(
                r#"{DECL}<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>123456789012</ID><DisplayName>123456789012</DisplayName></Owner><Buckets/></ListAllMyBucketsResult>"#
            )
        );
        assert_eq!(
            to_xml_with_header(&ListAllMyBucketsResult::new(
                &owner,
                &[b("bucket-a", "us-east-1"), b("bucket-b", "eu-west-1")]
            ))
            .unwrap(),
            format!(
                r#"{DECL}<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>123456789012</ID><DisplayName>123456789012</DisplayName></Owner><Buckets><Bucket><Name>bucket-a</Name><CreationDate>2021-09-02T18:21:33.123Z</CreationDate><BucketRegion>us-east-1</BucketRegion></Bucket><Bucket><Name>bucket-b</Name><CreationDate>2021-09-02T18:21:33.123Z</CreationDate><BucketRegion>eu-west-1</BucketRegion></Bucket></Buckets></ListAllMyBucketsResult>"#
            )
        );
    }

    #[test]
    fn location_constraint() {
        assert_eq!(
            to_xml_with_header(&LocationConstraint::new("eu-west-1")).unwrap(),
            format!(
                r#"{DECL}<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">eu-west-1</LocationConstraint>"#
            )
        );
        assert_eq!(
            to_xml_with_header(&LocationConstraint::new("us-east-1")).unwrap(),
            format!(
                r#"{DECL}<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>"#
            )
        );
    }

    #[test]
    fn policy_status() {
        for public in [true, false] {
            assert_eq!(
                to_xml_with_header(&PolicyStatus::new(public)).unwrap(),
                format!(
                    r#"{DECL}<PolicyStatus xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsPublic>{public}</IsPublic></PolicyStatus>"#
                )
            );
        }
    }

    #[test]
    fn create_bucket_configuration() {
        let c: CreateBucketConfiguration = from_xml(
            br#"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"#,
            CREATE_BUCKET_ROOT,
        )
        .unwrap();
        assert_eq!(c.location_constraint.as_deref(), Some("eu-west-1"));
        let c: CreateBucketConfiguration =
            from_xml(b"<CreateBucketConfiguration/>", CREATE_BUCKET_ROOT).unwrap();
        assert_eq!(c.location_constraint, None);
        let c: CreateBucketConfiguration = from_xml(
            b"<CreateBucketConfiguration><Location><Name>x</Name></Location></CreateBucketConfiguration>",
            CREATE_BUCKET_ROOT,
        )
        .unwrap();
        assert_eq!(c.location_constraint, None);
        assert!(from_xml::<CreateBucketConfiguration>(b"<Nope/>", CREATE_BUCKET_ROOT).is_err());
    }
}
