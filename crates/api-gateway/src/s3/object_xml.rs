//! Object documents: `CopyObjectResult`, the listings (`ListBucketResult` v1 and v2) and
//! DeleteObjects' request and `DeleteResult`.

use mrap_model::{AccountId, ApiError, ErrorCode, time::format_iso8601};
use mrap_storage::{Checksum, ChecksumAlgorithm, ObjectInfo};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};

use crate::{
    common::xml::S3_NS,
    s3::object_headers::{millis, quoted},
};

/// One `Checksum<ALG>` element: serialised as `$value`, the variant names the element, so a
/// document carries at most one without five optional fields each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) enum ChecksumValue {
    #[serde(rename = "ChecksumCRC32")]
    Crc32(String),
    #[serde(rename = "ChecksumCRC32C")]
    Crc32c(String),
    #[serde(rename = "ChecksumCRC64NVME")]
    Crc64Nvme(String),
    #[serde(rename = "ChecksumSHA1")]
    Sha1(String),
    #[serde(rename = "ChecksumSHA256")]
    Sha256(String),
}

impl ChecksumValue {
    pub fn new(checksum: &Checksum) -> Self {
        let value = checksum.to_header_value();
        match checksum.algorithm {
            ChecksumAlgorithm::Crc32 => Self::Crc32(value),
            ChecksumAlgorithm::Crc32c => Self::Crc32c(value),
            ChecksumAlgorithm::Crc64Nvme => Self::Crc64Nvme(value),
            ChecksumAlgorithm::Sha1 => Self::Sha1(value),
            ChecksumAlgorithm::Sha256 => Self::Sha256(value),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename = "CopyObjectResult")]
pub(crate) struct CopyObjectResult {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "ETag")]
    etag: String,
    #[serde(rename = "LastModified")]
    last_modified: String,
    #[serde(rename = "$value", skip_serializing_if = "Option::is_none")]
    checksum: Option<ChecksumValue>,
    #[serde(rename = "ChecksumType", skip_serializing_if = "Option::is_none")]
    checksum_type: Option<&'static str>,
}

impl CopyObjectResult {
    pub fn new(info: &ObjectInfo) -> Self {
        CopyObjectResult {
            xmlns: S3_NS,
            etag: quoted(&info.etag),
            last_modified: format_iso8601(millis(info.last_modified)),
            checksum: info.checksum.as_ref().map(ChecksumValue::new),
            checksum_type: info.checksum.as_ref().map(|c| c.kind.name()),
        }
    }
}

/// `encoding-type=url`: what S3 leaves unencoded in keys and prefixes.
const URL_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// How names appear in a listing: as stored, or URL-encoded (`encoding-type=url`, which lets
/// keys with characters XML 1.0 cannot carry be listed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Plain,
    Url,
}

impl Encoding {
    pub fn apply(self, name: &str) -> String {
        match self {
            Encoding::Plain => name.to_owned(),
            Encoding::Url => utf8_percent_encode(name, URL_ENCODE).to_string(),
        }
    }
    /// The `EncodingType` element: `url`, or absent.
    pub fn name(self) -> Option<&'static str> {
        (self == Encoding::Url).then_some("url")
    }

    /// The `encoding-type` query parameter of a listing: absent or `url`.
    pub fn from_query(value: Option<&str>) -> Result<Encoding, ApiError> {
        match value {
            None => Ok(Encoding::Plain),
            Some("url") => Ok(Encoding::Url),
            Some(_) => Err(ApiError::new(
                ErrorCode::InvalidArgument,
                "Invalid Encoding Method specified in Request",
            )),
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct Owner {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "DisplayName")]
    display_name: String,
}

impl Owner {
    /// Owners are shown by account id, as ListBuckets shows them.
    pub fn new(account: &AccountId) -> Self {
        Owner {
            id: account.to_string(),
            display_name: account.to_string(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Contents {
    key: String,
    last_modified: String,
    #[serde(rename = "ETag")]
    etag: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    checksum_algorithm: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    checksum_type: Option<&'static str>,
    size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<Owner>,
    storage_class: &'static str,
}

impl Contents {
    pub fn new(info: &ObjectInfo, encoding: Encoding, owner: Option<&AccountId>) -> Self {
        Contents {
            key: encoding.apply(&info.key),
            last_modified: format_iso8601(millis(info.last_modified)),
            etag: quoted(&info.etag),
            checksum_algorithm: info.checksum.as_ref().map(|c| c.algorithm.name()),
            checksum_type: info.checksum.as_ref().map(|c| c.kind.name()),
            size: info.size,
            owner: owner.map(Owner::new),
            storage_class: "STANDARD",
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct CommonPrefix {
    #[serde(rename = "Prefix")]
    prefix: String,
}

impl CommonPrefix {
    pub fn new(prefix: &str, encoding: Encoding) -> Self {
        CommonPrefix {
            prefix: encoding.apply(prefix),
        }
    }
}

/// `ListObjectsV2`'s `ListBucketResult`.
#[derive(Debug, Serialize)]
#[serde(rename = "ListBucketResult", rename_all = "PascalCase")]
pub(crate) struct ListV2Result {
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    pub name: String,
    pub prefix: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    pub max_keys: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding_type: Option<&'static str>,
    pub key_count: usize,
    pub is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continuation_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_continuation_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_after: Option<String>,
    pub contents: Vec<Contents>,
    pub common_prefixes: Vec<CommonPrefix>,
}

/// `ListObjects`' (v1) `ListBucketResult`.
#[derive(Debug, Serialize)]
#[serde(rename = "ListBucketResult", rename_all = "PascalCase")]
pub(crate) struct ListV1Result {
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    pub name: String,
    pub prefix: String,
    pub marker: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    pub max_keys: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding_type: Option<&'static str>,
    pub is_truncated: bool,
    pub contents: Vec<Contents>,
    pub common_prefixes: Vec<CommonPrefix>,
}

/// DeleteObjects' request body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Delete {
    #[serde(default)]
    pub quiet: Option<String>,
    #[serde(rename = "Object", default)]
    pub objects: Vec<ObjectIdentifier>,
}

pub(crate) const DELETE_ROOT: &str = "Delete";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ObjectIdentifier {
    pub key: Option<String>,
    pub version_id: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename = "DeleteResult")]
pub(crate) struct DeleteResult {
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    #[serde(rename = "$value")]
    pub entries: Vec<DeleteEntry>,
}

/// One outcome, in request order.
#[derive(Debug, Serialize)]
pub(crate) enum DeleteEntry {
    Deleted {
        #[serde(rename = "Key")]
        key: String,
    },
    Error {
        #[serde(rename = "Key")]
        key: String,
        #[serde(rename = "Code")]
        code: &'static str,
        #[serde(rename = "Message")]
        message: String,
    },
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use mrap_storage::{ChecksumType, ObjectMeta};
    use time::OffsetDateTime;

    use super::*;
    use crate::common::xml::{from_xml, to_xml_with_header};

    const DECL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

    fn info(key: &str) -> ObjectInfo {
        ObjectInfo {
            key: key.into(),
            size: 5,
            etag: "5d41402abc4b2a76b9719d911017c592".into(),
            last_modified: OffsetDateTime::from_unix_timestamp(1_630_606_893).unwrap(),
            meta: ObjectMeta::default(),
            checksum: None,
            parts_count: None,
        }
    }

    #[test]
    fn url_encoding_of_listed_names() {
        assert_eq!(
            Encoding::Url.apply("a b+c=d/é~_.-"),
            "a%20b%2Bc%3Dd/%C3%A9~_.-"
        );
        assert_eq!(Encoding::Url.apply("%2F"), "%252F");
        assert_eq!(Encoding::Plain.apply("a b"), "a b");
        assert_eq!(
            Encoding::from_query(Some("gzip")).map_err(|e| e.code),
            Err(ErrorCode::InvalidArgument)
        );
    }

    #[test]
    fn copy_result() {
        let mut i = info("k");
        i.checksum = Some(Checksum {
            algorithm: ChecksumAlgorithm::Crc32,
            value: vec![0x0d, 0x4a, 0x11, 0x85],
            kind: ChecksumType::FullObject,
            parts: None,
        });
        assert_eq!(
            to_xml_with_header(&CopyObjectResult::new(&i)).unwrap(),
            format!(
                r#"{DECL}<CopyObjectResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ETag>"5d41402abc4b2a76b9719d911017c592"</ETag><LastModified>2021-09-02T18:21:33.000Z</LastModified><ChecksumCRC32>DUoRhQ==</ChecksumCRC32><ChecksumType>FULL_OBJECT</ChecksumType></CopyObjectResult>"#
            )
        );
        assert_eq!(
            to_xml_with_header(&CopyObjectResult::new(&info("k"))).unwrap(),
            format!(
                r#"{DECL}<CopyObjectResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ETag>"5d41402abc4b2a76b9719d911017c592"</ETag><LastModified>2021-09-02T18:21:33.000Z</LastModified></CopyObjectResult>"#
            )
        );
    }

    #[test]
    fn list_v2_result() {
        let owner = AccountId::parse("123456789012").unwrap();
        let doc = ListV2Result {
            xmlns: S3_NS,
            name: "b".into(),
            prefix: "a b/".into(),
            delimiter: Some("/".into()),
            max_keys: 2,
            encoding_type: Encoding::Url.name(),
            key_count: 2,
            is_truncated: true,
            continuation_token: None,
            next_continuation_token: Some("tok".into()),
            start_after: None,
            contents: vec![Contents::new(&info("a b/c&d"), Encoding::Url, Some(&owner))],
            common_prefixes: vec![CommonPrefix::new("a b/e/", Encoding::Url)],
        };
        assert_eq!(
            to_xml_with_header(&doc).unwrap(),
            format!(
                r#"{DECL}<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>a b/</Prefix><Delimiter>/</Delimiter><MaxKeys>2</MaxKeys><EncodingType>url</EncodingType><KeyCount>2</KeyCount><IsTruncated>true</IsTruncated><NextContinuationToken>tok</NextContinuationToken><Contents><Key>a%20b/c%26d</Key><LastModified>2021-09-02T18:21:33.000Z</LastModified><ETag>"5d41402abc4b2a76b9719d911017c592"</ETag><Size>5</Size><Owner><ID>123456789012</ID><DisplayName>123456789012</DisplayName></Owner><StorageClass>STANDARD</StorageClass></Contents><CommonPrefixes><Prefix>a%20b/e/</Prefix></CommonPrefixes></ListBucketResult>"#
            )
        );
    }

    #[test]
    fn empty_v1_result() {
        let doc = ListV1Result {
            xmlns: S3_NS,
            name: "b".into(),
            prefix: String::new(),
            marker: String::new(),
            next_marker: None,
            max_keys: 1000,
            delimiter: None,
            encoding_type: None,
            is_truncated: false,
            contents: vec![],
            common_prefixes: vec![],
        };
        assert_eq!(
            to_xml_with_header(&doc).unwrap(),
            format!(
                r#"{DECL}<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix/><Marker/><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>"#
            )
        );
    }

    #[test]
    fn delete_request_and_result() {
        let d: Delete = from_xml(
            br#"<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a</Key></Object><Object><Key>b &amp; c</Key><VersionId>null</VersionId></Object><Quiet>true</Quiet></Delete>"#,
            DELETE_ROOT,
        )
        .unwrap();
        assert_eq!(d.quiet.as_deref(), Some("true"));
        assert_eq!(d.objects.len(), 2);
        assert_eq!(d.objects[1].key.as_deref(), Some("b & c"));
        let r = DeleteResult {
            xmlns: S3_NS,
            entries: vec![
                DeleteEntry::Deleted { key: "a".into() },
                DeleteEntry::Error {
                    key: "b".into(),
                    code: "AccessDenied",
                    message: "Access Denied".into(),
                },
            ],
        };
        assert_eq!(
            to_xml_with_header(&r).unwrap(),
            format!(
                r#"{DECL}<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Deleted><Key>a</Key></Deleted><Error><Key>b</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>"#
            )
        );
    }
}
