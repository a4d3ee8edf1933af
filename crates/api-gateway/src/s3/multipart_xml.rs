//! Multipart upload documents: `InitiateMultipartUploadResult`, `CopyPartResult`,
//! `CompleteMultipartUpload` (request) and its result, `ListPartsResult`,
//! `ListMultipartUploadsResult`. ETags are written with their quotes, times as
//! `2023-11-15T12:02:40.000Z`.

use mrap_model::time::format_iso8601;
use mrap_storage::{ChecksumAlgorithm, ObjectInfo, PartInfo, UploadInfo};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{
    common::xml::S3_NS,
    s3::{
        acl_xml::CanonicalUser,
        object_headers::{millis, quoted},
        object_xml::{ChecksumValue, Encoding},
    },
};

/// Every object here is `STANDARD` (there is no other storage class).
const STORAGE_CLASS: &str = "STANDARD";

fn iso8601(t: OffsetDateTime) -> String {
    format_iso8601(millis(t))
}

/// `InitiateMultipartUploadResult` (CreateMultipartUpload).
#[derive(Debug, Serialize)]
#[serde(rename = "InitiateMultipartUploadResult")]
pub(crate) struct InitiateMultipartUploadResult {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "Bucket")]
    bucket: String,
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "UploadId")]
    upload_id: String,
}

impl InitiateMultipartUploadResult {
    pub fn new(bucket: &str, key: &str, upload_id: &str) -> Self {
        Self {
            xmlns: S3_NS,
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            upload_id: upload_id.to_owned(),
        }
    }
}

/// `CopyPartResult` (UploadPartCopy).
#[derive(Debug, Serialize)]
#[serde(rename = "CopyPartResult")]
pub(crate) struct CopyPartResult {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "ETag")]
    etag: String,
    #[serde(rename = "LastModified")]
    last_modified: String,
    #[serde(rename = "$value", skip_serializing_if = "Option::is_none")]
    checksum: Option<ChecksumValue>,
}

impl CopyPartResult {
    pub fn new(part: &PartInfo) -> Self {
        Self {
            xmlns: S3_NS,
            etag: quoted(&part.etag),
            last_modified: iso8601(part.last_modified),
            checksum: part.checksum.as_ref().map(ChecksumValue::new),
        }
    }
}

/// `CompleteMultipartUpload` (the request body). Every field is optional here so that a
/// missing one is refused with S3's words by the handler rather than as a serde message.
#[derive(Debug, Deserialize)]
pub(crate) struct CompleteMultipartUpload {
    #[serde(rename = "Part", default)]
    pub parts: Vec<CompletedPartXml>,
}

pub(crate) const COMPLETE_ROOT: &str = "CompleteMultipartUpload";

/// One `<Part>` as sent.
#[derive(Debug, Deserialize)]
pub(crate) struct CompletedPartXml {
    #[serde(rename = "PartNumber")]
    pub part_number: Option<String>,
    #[serde(rename = "ETag")]
    pub etag: Option<String>,
    #[serde(rename = "ChecksumCRC32")]
    pub crc32: Option<String>,
    #[serde(rename = "ChecksumCRC32C")]
    pub crc32c: Option<String>,
    #[serde(rename = "ChecksumCRC64NVME")]
    pub crc64nvme: Option<String>,
    #[serde(rename = "ChecksumSHA1")]
    pub sha1: Option<String>,
    #[serde(rename = "ChecksumSHA256")]
    pub sha256: Option<String>,
}

impl CompletedPartXml {
    /// The part checksums sent, by algorithm.
    pub fn checksums(&self) -> impl Iterator<Item = (ChecksumAlgorithm, &str)> {
        [
            (ChecksumAlgorithm::Crc32, &self.crc32),
            (ChecksumAlgorithm::Crc32c, &self.crc32c),
            (ChecksumAlgorithm::Crc64Nvme, &self.crc64nvme),
            (ChecksumAlgorithm::Sha1, &self.sha1),
            (ChecksumAlgorithm::Sha256, &self.sha256),
        ]
        .into_iter()
        .filter_map(|(a, v)| v.as_deref().map(|v| (a, v)))
    }
}

/// `CompleteMultipartUploadResult`.
#[derive(Debug, Serialize)]
#[serde(rename = "CompleteMultipartUploadResult")]
pub(crate) struct CompleteMultipartUploadResult {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "Location")]
    location: String,
    #[serde(rename = "Bucket")]
    bucket: String,
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "ETag")]
    etag: String,
    #[serde(rename = "$value", skip_serializing_if = "Option::is_none")]
    checksum: Option<ChecksumValue>,
    #[serde(rename = "ChecksumType", skip_serializing_if = "Option::is_none")]
    checksum_type: Option<&'static str>,
}

impl CompleteMultipartUploadResult {
    pub fn new(location: String, bucket: &str, info: &ObjectInfo) -> Self {
        Self {
            xmlns: S3_NS,
            location,
            bucket: bucket.to_owned(),
            key: info.key.clone(),
            etag: quoted(&info.etag),
            checksum: info.checksum.as_ref().map(ChecksumValue::new),
            checksum_type: info.checksum.as_ref().map(|c| c.kind.name()),
        }
    }
}

/// `ListPartsResult`.
#[derive(Debug, Serialize)]
#[serde(rename = "ListPartsResult")]
pub(crate) struct ListPartsResult {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "Bucket")]
    bucket: String,
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "UploadId")]
    upload_id: String,
    #[serde(rename = "PartNumberMarker")]
    part_number_marker: u32,
    #[serde(rename = "NextPartNumberMarker")]
    next_part_number_marker: u32,
    #[serde(rename = "MaxParts")]
    max_parts: usize,
    #[serde(rename = "IsTruncated")]
    is_truncated: bool,
    #[serde(rename = "Part")]
    parts: Vec<Part>,
    #[serde(rename = "Initiator")]
    initiator: CanonicalUser,
    #[serde(rename = "Owner")]
    owner: CanonicalUser,
    #[serde(rename = "StorageClass")]
    storage_class: &'static str,
    #[serde(rename = "ChecksumAlgorithm", skip_serializing_if = "Option::is_none")]
    checksum_algorithm: Option<&'static str>,
    #[serde(rename = "ChecksumType", skip_serializing_if = "Option::is_none")]
    checksum_type: Option<&'static str>,
}

#[derive(Debug, Serialize)]
struct Part {
    #[serde(rename = "PartNumber")]
    part_number: u32,
    #[serde(rename = "LastModified")]
    last_modified: String,
    #[serde(rename = "ETag")]
    etag: String,
    #[serde(rename = "Size")]
    size: u64,
    #[serde(rename = "$value", skip_serializing_if = "Option::is_none")]
    checksum: Option<ChecksumValue>,
}

/// What a ListParts page shows besides the parts.
pub(crate) struct PartsListing<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    /// The bucket owner: owner and initiator of every upload (Object Ownership
    /// `BucketOwnerEnforced`).
    pub owner: &'a str,
    pub marker: u32,
    pub max_parts: usize,
}

impl ListPartsResult {
    pub fn new(listing: &PartsListing<'_>, page: &mrap_storage::PartsPage) -> Self {
        let upload = &page.upload;
        Self {
            xmlns: S3_NS,
            bucket: listing.bucket.to_owned(),
            key: listing.key.to_owned(),
            upload_id: upload.upload_id.clone(),
            part_number_marker: listing.marker,
            // Where the next page starts: after the last part shown, or where this one did.
            next_part_number_marker: page.next_part_number_marker.unwrap_or(listing.marker),
            max_parts: listing.max_parts,
            is_truncated: page.is_truncated,
            parts: page
                .parts
                .iter()
                .map(|p| Part {
                    part_number: p.part_number,
                    last_modified: iso8601(p.last_modified),
                    etag: quoted(&p.etag),
                    size: p.size,
                    checksum: p.checksum.as_ref().map(ChecksumValue::new),
                })
                .collect(),
            initiator: CanonicalUser::new(listing.owner),
            owner: CanonicalUser::new(listing.owner),
            storage_class: STORAGE_CLASS,
            checksum_algorithm: upload.checksum.map(|(a, _)| a.name()),
            checksum_type: upload.checksum.map(|(_, t)| t.name()),
        }
    }
}

/// `ListMultipartUploadsResult`.
#[derive(Debug, Serialize)]
#[serde(rename = "ListMultipartUploadsResult")]
pub(crate) struct ListMultipartUploadsResult {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "Bucket")]
    bucket: String,
    #[serde(rename = "KeyMarker")]
    key_marker: String,
    #[serde(rename = "UploadIdMarker")]
    upload_id_marker: String,
    #[serde(rename = "NextKeyMarker")]
    next_key_marker: String,
    #[serde(rename = "NextUploadIdMarker")]
    next_upload_id_marker: String,
    #[serde(rename = "Prefix")]
    prefix: String,
    #[serde(rename = "Delimiter", skip_serializing_if = "Option::is_none")]
    delimiter: Option<String>,
    #[serde(rename = "MaxUploads")]
    max_uploads: usize,
    #[serde(rename = "IsTruncated")]
    is_truncated: bool,
    #[serde(rename = "Upload")]
    uploads: Vec<Upload>,
    #[serde(rename = "CommonPrefixes")]
    common_prefixes: Vec<CommonPrefix>,
    #[serde(rename = "EncodingType", skip_serializing_if = "Option::is_none")]
    encoding_type: Option<&'static str>,
}

#[derive(Debug, Serialize)]
struct Upload {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "UploadId")]
    upload_id: String,
    #[serde(rename = "Initiator")]
    initiator: CanonicalUser,
    #[serde(rename = "Owner")]
    owner: CanonicalUser,
    #[serde(rename = "StorageClass")]
    storage_class: &'static str,
    #[serde(rename = "Initiated")]
    initiated: String,
    #[serde(rename = "ChecksumAlgorithm", skip_serializing_if = "Option::is_none")]
    checksum_algorithm: Option<&'static str>,
    #[serde(rename = "ChecksumType", skip_serializing_if = "Option::is_none")]
    checksum_type: Option<&'static str>,
}

#[derive(Debug, Serialize)]
struct CommonPrefix {
    #[serde(rename = "Prefix")]
    prefix: String,
}

/// The request of a ListMultipartUploads page, as echoed.
pub(crate) struct UploadsListing<'a> {
    pub bucket: &'a str,
    pub owner: &'a str,
    pub prefix: &'a str,
    pub delimiter: Option<&'a str>,
    pub key_marker: Option<&'a str>,
    pub upload_id_marker: Option<&'a str>,
    pub max_uploads: usize,
    /// `encoding-type=url`: keys, prefixes, markers and the delimiter are URL-encoded.
    pub encoding: Encoding,
}

impl ListMultipartUploadsResult {
    pub fn new(listing: &UploadsListing<'_>, page: &mrap_storage::UploadsPage) -> Self {
        let enc = |s: &str| listing.encoding.apply(s);
        let upload = |u: &UploadInfo| Upload {
            key: enc(&u.key),
            upload_id: u.upload_id.clone(),
            initiator: CanonicalUser::new(listing.owner),
            owner: CanonicalUser::new(listing.owner),
            storage_class: STORAGE_CLASS,
            initiated: iso8601(u.initiated),
            checksum_algorithm: u.checksum.map(|(a, _)| a.name()),
            checksum_type: u.checksum.map(|(_, t)| t.name()),
        };
        Self {
            xmlns: S3_NS,
            bucket: listing.bucket.to_owned(),
            key_marker: enc(listing.key_marker.unwrap_or_default()),
            upload_id_marker: listing.upload_id_marker.unwrap_or_default().to_owned(),
            next_key_marker: enc(page.next_key_marker.as_deref().unwrap_or_default()),
            next_upload_id_marker: page.next_upload_id_marker.clone().unwrap_or_default(),
            prefix: enc(listing.prefix),
            delimiter: listing.delimiter.map(enc),
            max_uploads: listing.max_uploads,
            is_truncated: page.is_truncated,
            uploads: page.uploads.iter().map(upload).collect(),
            common_prefixes: page
                .common_prefixes
                .iter()
                .map(|p| CommonPrefix { prefix: enc(p) })
                .collect(),
            encoding_type: listing.encoding.name(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use mrap_storage::{ChecksumType, ObjectMeta, PartsPage, UploadsPage};

    use super::*;
    use crate::common::xml::{from_xml, to_xml_with_header};
    use mrap_storage::Checksum;

    const DECL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;
    const NS: &str = r#"xmlns="http://s3.amazonaws.com/doc/2006-03-01/""#;

    fn at(ms: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap()
    }

    fn crc32(value: &[u8], parts: Option<u32>) -> Checksum {
        Checksum {
            algorithm: ChecksumAlgorithm::Crc32,
            value: value.to_vec(),
            kind: if parts.is_some() {
                ChecksumType::Composite
            } else {
                ChecksumType::FullObject
            },
            parts,
        }
    }

    fn upload(
        key: &str,
        id: &str,
        checksum: Option<(ChecksumAlgorithm, ChecksumType)>,
    ) -> UploadInfo {
        UploadInfo {
            upload_id: id.into(),
            key: key.into(),
            initiated: at(1_700_000_000_123),
            meta: ObjectMeta::default(),
            checksum,
        }
    }

    #[test]
    fn initiate() {
        assert_eq!(
            to_xml_with_header(&InitiateMultipartUploadResult::new("bkt", "a&b", "u-1")).unwrap(),
            format!(
                r#"{DECL}<InitiateMultipartUploadResult {NS}><Bucket>bkt</Bucket><Key>a&amp;b</Key><UploadId>u-1</UploadId></InitiateMultipartUploadResult>"#
            )
        );
    }

    #[test]
    fn copy_part_result() {
        let mut part = PartInfo {
            part_number: 2,
            etag: "c4c753e69bb853187f5854c46cf801c6".into(),
            size: 10,
            last_modified: at(1_630_606_893_123),
            checksum: None,
        };
        assert_eq!(
            to_xml_with_header(&CopyPartResult::new(&part)).unwrap(),
            format!(
                r#"{DECL}<CopyPartResult {NS}><ETag>"c4c753e69bb853187f5854c46cf801c6"</ETag><LastModified>2021-09-02T18:21:33.123Z</LastModified></CopyPartResult>"#
            )
        );
        part.checksum = Some(crc32(&[0x0d, 0x4a, 0x11, 0x85], None));
        assert_eq!(
            to_xml_with_header(&CopyPartResult::new(&part)).unwrap(),
            format!(
                r#"{DECL}<CopyPartResult {NS}><ETag>"c4c753e69bb853187f5854c46cf801c6"</ETag><LastModified>2021-09-02T18:21:33.123Z</LastModified><ChecksumCRC32>DUoRhQ==</ChecksumCRC32></CopyPartResult>"#
            )
        );
    }

    #[test]
    fn complete_result() {
        let mut info = ObjectInfo {
            key: "dir/obj".into(),
            size: 1,
            etag: "4d45984fc3feb2ac9b22683c49674b56-3".into(),
            last_modified: at(0),
            meta: ObjectMeta::default(),
            checksum: None,
            parts_count: Some(3),
        };
        assert_eq!(
            to_xml_with_header(&CompleteMultipartUploadResult::new(
                "/bkt/dir/obj".into(),
                "bkt",
                &info
            ))
            .unwrap(),
            format!(
                r#"{DECL}<CompleteMultipartUploadResult {NS}><Location>/bkt/dir/obj</Location><Bucket>bkt</Bucket><Key>dir/obj</Key><ETag>"4d45984fc3feb2ac9b22683c49674b56-3"</ETag></CompleteMultipartUploadResult>"#
            )
        );
        info.checksum = Some(crc32(&[0xe4, 0x54, 0x54, 0x8b], Some(3)));
        assert_eq!(
            to_xml_with_header(&CompleteMultipartUploadResult::new(
                "/bkt/dir/obj".into(),
                "bkt",
                &info
            ))
            .unwrap(),
            format!(
                r#"{DECL}<CompleteMultipartUploadResult {NS}><Location>/bkt/dir/obj</Location><Bucket>bkt</Bucket><Key>dir/obj</Key><ETag>"4d45984fc3feb2ac9b22683c49674b56-3"</ETag><ChecksumCRC32>5FRUiw==-3</ChecksumCRC32><ChecksumType>COMPOSITE</ChecksumType></CompleteMultipartUploadResult>"#
            )
        );
        info.checksum = Some(Checksum {
            algorithm: ChecksumAlgorithm::Crc64Nvme,
            value: vec![0; 8],
            kind: ChecksumType::FullObject,
            parts: None,
        });
        assert_eq!(
            to_xml_with_header(&CompleteMultipartUploadResult::new(
                "/bkt/dir/obj".into(),
                "bkt",
                &info
            ))
            .unwrap(),
            format!(
                r#"{DECL}<CompleteMultipartUploadResult {NS}><Location>/bkt/dir/obj</Location><Bucket>bkt</Bucket><Key>dir/obj</Key><ETag>"4d45984fc3feb2ac9b22683c49674b56-3"</ETag><ChecksumCRC64NVME>AAAAAAAAAAA=</ChecksumCRC64NVME><ChecksumType>FULL_OBJECT</ChecksumType></CompleteMultipartUploadResult>"#
            )
        );
    }

    #[test]
    fn complete_request() {
        // botocore's order (PartNumber first), quoted ETags, a part checksum
        let c: CompleteMultipartUpload = from_xml(
            br#"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><PartNumber>1</PartNumber><ETag>"a"</ETag><ChecksumCRC32>NRU+Sw==</ChecksumCRC32></Part><Part><ETag>&quot;b&quot;</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>"#,
            COMPLETE_ROOT,
        )
        .unwrap();
        assert_eq!(c.parts.len(), 2);
        assert_eq!(c.parts[0].part_number.as_deref(), Some("1"));
        assert_eq!(c.parts[0].etag.as_deref(), Some("\"a\""));
        assert_eq!(
            c.parts[0].checksums().collect::<Vec<_>>(),
            [(ChecksumAlgorithm::Crc32, "NRU+Sw==")]
        );
        assert_eq!(c.parts[1].part_number.as_deref(), Some("2"));
        assert_eq!(c.parts[1].etag.as_deref(), Some("\"b\""));
        assert_eq!(c.parts[1].checksums().count(), 0);
        let empty: CompleteMultipartUpload =
            from_xml(b"<CompleteMultipartUpload/>", COMPLETE_ROOT).unwrap();
        assert!(empty.parts.is_empty());
        assert!(from_xml::<CompleteMultipartUpload>(b"<Other/>", COMPLETE_ROOT).is_err());
        assert!(from_xml::<CompleteMultipartUpload>(b"", COMPLETE_ROOT).is_err());
        assert!(
            from_xml::<CompleteMultipartUpload>(b"<CompleteMultipartUpload><Part>", COMPLETE_ROOT)
                .is_err()
        );
    }

    #[test]
    fn list_parts() {
        let listing = PartsListing {
            bucket: "bkt",
            key: "k",
            owner: "123456789012",
            marker: 0,
            max_parts: 1000,
        };
        let page = PartsPage {
            upload: upload("k", "u-1", None),
            parts: Vec::new(),
            is_truncated: false,
            next_part_number_marker: None,
        };
        let owner = "<ID>123456789012</ID><DisplayName>123456789012</DisplayName>";
        assert_eq!(
            to_xml_with_header(&ListPartsResult::new(&listing, &page)).unwrap(),
            format!(
                r#"{DECL}<ListPartsResult {NS}><Bucket>bkt</Bucket><Key>k</Key><UploadId>u-1</UploadId><PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>0</NextPartNumberMarker><MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated><Initiator>{owner}</Initiator><Owner>{owner}</Owner><StorageClass>STANDARD</StorageClass></ListPartsResult>"#
            )
        );
        let listing = PartsListing {
            marker: 1,
            max_parts: 2,
            ..listing
        };
        let part = |n: u32, checksum: Option<Checksum>| PartInfo {
            part_number: n,
            etag: format!("e{n}"),
            size: 5,
            last_modified: at(1_630_606_893_000),
            checksum,
        };
        let page = PartsPage {
            upload: upload(
                "k",
                "u-1",
                Some((ChecksumAlgorithm::Crc32, ChecksumType::Composite)),
            ),
            parts: vec![
                part(2, Some(crc32(&[0x0d, 0x4a, 0x11, 0x85], None))),
                part(3, None),
            ],
            is_truncated: true,
            next_part_number_marker: Some(3),
        };
        assert_eq!(
            to_xml_with_header(&ListPartsResult::new(&listing, &page)).unwrap(),
            format!(
                r#"{DECL}<ListPartsResult {NS}><Bucket>bkt</Bucket><Key>k</Key><UploadId>u-1</UploadId><PartNumberMarker>1</PartNumberMarker><NextPartNumberMarker>3</NextPartNumberMarker><MaxParts>2</MaxParts><IsTruncated>true</IsTruncated><Part><PartNumber>2</PartNumber><LastModified>2021-09-02T18:21:33.000Z</LastModified><ETag>"e2"</ETag><Size>5</Size><ChecksumCRC32>DUoRhQ==</ChecksumCRC32></Part><Part><PartNumber>3</PartNumber><LastModified>2021-09-02T18:21:33.000Z</LastModified><ETag>"e3"</ETag><Size>5</Size></Part><Initiator>{owner}</Initiator><Owner>{owner}</Owner><StorageClass>STANDARD</StorageClass><ChecksumAlgorithm>CRC32</ChecksumAlgorithm><ChecksumType>COMPOSITE</ChecksumType></ListPartsResult>"#
            )
        );
    }

    #[test]
    fn list_uploads() {
        let owner = "<ID>123456789012</ID><DisplayName>123456789012</DisplayName>";
        let listing = UploadsListing {
            bucket: "bkt",
            owner: "123456789012",
            prefix: "",
            delimiter: None,
            key_marker: None,
            upload_id_marker: None,
            max_uploads: 1000,
            encoding: Encoding::Plain,
        };
        let empty = UploadsPage {
            uploads: Vec::new(),
            common_prefixes: Vec::new(),
            is_truncated: false,
            next_key_marker: None,
            next_upload_id_marker: None,
        };
        assert_eq!(
            to_xml_with_header(&ListMultipartUploadsResult::new(&listing, &empty)).unwrap(),
            format!(
                r#"{DECL}<ListMultipartUploadsResult {NS}><Bucket>bkt</Bucket><KeyMarker/><UploadIdMarker/><NextKeyMarker/><NextUploadIdMarker/><Prefix/><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>"#
            )
        );
        let page = UploadsPage {
            uploads: vec![
                upload("a b", "u-1", None),
                upload(
                    "a c",
                    "u-2",
                    Some((ChecksumAlgorithm::Crc64Nvme, ChecksumType::FullObject)),
                ),
            ],
            common_prefixes: vec!["d x/".into()],
            is_truncated: true,
            next_key_marker: Some("d x/".into()),
            next_upload_id_marker: None,
        };
        let listing = UploadsListing {
            prefix: "",
            delimiter: Some("/"),
            key_marker: Some("0 0"),
            upload_id_marker: Some("u-0"),
            max_uploads: 3,
            encoding: Encoding::Url,
            ..listing
        };
        let upload_xml = |key: &str, id: &str, checksum: &str| {
            format!(
                "<Upload><Key>{key}</Key><UploadId>{id}</UploadId><Initiator>{owner}</Initiator><Owner>{owner}</Owner><StorageClass>STANDARD</StorageClass><Initiated>2023-11-14T22:13:20.123Z</Initiated>{checksum}</Upload>"
            )
        };
        assert_eq!(
            to_xml_with_header(&ListMultipartUploadsResult::new(&listing, &page)).unwrap(),
            format!(
                r#"{DECL}<ListMultipartUploadsResult {NS}><Bucket>bkt</Bucket><KeyMarker>0%200</KeyMarker><UploadIdMarker>u-0</UploadIdMarker><NextKeyMarker>d%20x/</NextKeyMarker><NextUploadIdMarker/><Prefix/><Delimiter>/</Delimiter><MaxUploads>3</MaxUploads><IsTruncated>true</IsTruncated>{}{}<CommonPrefixes><Prefix>d%20x/</Prefix></CommonPrefixes><EncodingType>url</EncodingType></ListMultipartUploadsResult>"#,
                upload_xml("a%20b", "u-1", ""),
                upload_xml(
                    "a%20c",
                    "u-2",
                    "<ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType>"
                ),
            )
        );
    }
}
