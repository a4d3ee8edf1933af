//! Multipart uploads: CreateMultipartUpload, UploadPart, UploadPartCopy,
//! CompleteMultipartUpload, AbortMultipartUpload, ListParts, ListMultipartUploads.
//!
//! The Region store keeps uploads and parts and applies Complete's rules (part order, ETags,
//! part checksums, part sizes, the combined ETag and checksum); this module reads and checks the
//! request, and refuses in S3's words what the store cannot tell apart (a missing part checksum,
//! a checksum type the upload does not combine, a malformed copy range).

use axum::{
    body::Body,
    http::{HeaderMap, StatusCode},
    response::Response,
};
use base64::Engine as _;
use mrap_model::{ApiError, ErrorCode};
use mrap_storage::{
    ChecksumAlgorithm, ChecksumType, CompletedPart, ListUploadsParams, RangeRequest, RegionStore,
    UploadInfo, Wanted,
};

use crate::{
    common::{
        checksum,
        error::{invalid_request, malformed_xml},
        xml::{from_xml, xml_response},
    },
    s3::{
        S3Request,
        ingest::ingest,
        multipart_xml::{
            COMPLETE_ROOT, CompleteMultipartUpload, CompleteMultipartUploadResult,
            CompletedPartXml, CopyPartResult, InitiateMultipartUploadResult,
            ListMultipartUploadsResult, ListPartsResult, PartsListing, UploadsListing,
        },
        object_headers::{
            check_acl_headers, check_key, insert, meta_from_headers, quoted, text, write_condition,
        },
        object_xml::Encoding,
        objects::open_source,
        storage_error::to_api,
    },
};

/// The largest part S3 accepts (UploadPart and UploadPartCopy).
const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;
/// Part numbers run from 1 to this.
const MAX_PART_NUMBER: u32 = 10_000;
/// Default and ceiling of `max-parts` and `max-uploads`.
const MAX_LISTED: usize = 1000;

fn no_such_upload() -> ApiError {
    to_api(mrap_storage::Error::NoSuchUpload, "")
}

/// `uploadId`: an absent or empty one names no upload.
fn upload_id(req: &S3Request<'_>) -> Result<String, ApiError> {
    req.query_param("uploadId")
        .filter(|id| !id.is_empty())
        .ok_or_else(no_such_upload)
}

/// `partNumber`: 1..=10000.
fn part_number(req: &S3Request<'_>) -> Result<u32, ApiError> {
    req.query_param("partNumber")
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| (1..=MAX_PART_NUMBER).contains(n))
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidArgument,
                "Part number must be an integer between 1 and 10000, inclusive",
            )
        })
}

/// A non-negative integer query parameter (`max-parts`, `max-uploads`, `part-number-marker`),
/// `default` when absent.
fn count_param(req: &S3Request<'_>, name: &str, default: u64) -> Result<u64, ApiError> {
    match req.query_param(name) {
        None => Ok(default),
        Some(v) => v.parse::<u64>().map_err(|_| {
            ApiError::new(
                ErrorCode::InvalidArgument,
                format!("Provided {name} not an integer or within integer range"),
            )
        }),
    }
}

fn max_listed(req: &S3Request<'_>, name: &str) -> Result<usize, ApiError> {
    let n = count_param(req, name, MAX_LISTED as u64)?;
    Ok(usize::try_from(n).unwrap_or(MAX_LISTED).min(MAX_LISTED))
}

/// The upload named by the request, read before any body so that a finished or unknown upload
/// is refused at once (a page of no parts is the cheapest read that returns it).
async fn find_upload(
    store: &dyn RegionStore,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<UploadInfo, ApiError> {
    store
        .list_parts(bucket, key, upload_id, MAX_PART_NUMBER, 0)
        .await
        .map(|page| page.upload)
        .map_err(|e| to_api(e, bucket))
}

/// `x-amz-checksum-algorithm` and `x-amz-checksum-type` of CreateMultipartUpload, with S3's
/// defaults (FULL_OBJECT for CRC64NVME, COMPOSITE otherwise) and combinations (table in
/// s3-objects.md §7.3).
fn requested_checksum(
    headers: &HeaderMap,
) -> Result<Option<(ChecksumAlgorithm, ChecksumType)>, ApiError> {
    let kind = match text(headers, "x-amz-checksum-type") {
        None => None,
        Some(v) if v.eq_ignore_ascii_case("COMPOSITE") => Some(ChecksumType::Composite),
        Some(v) if v.eq_ignore_ascii_case("FULL_OBJECT") => Some(ChecksumType::FullObject),
        Some(_) => {
            return Err(invalid_request(
                "Value for x-amz-checksum-type header is invalid.",
            ));
        }
    };
    let Some(name) = text(headers, "x-amz-checksum-algorithm") else {
        return match kind {
            None => Ok(None),
            Some(_) => Err(invalid_request(
                "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.",
            )),
        };
    };
    let algorithm = ChecksumAlgorithm::parse(name).ok_or_else(|| {
        invalid_request(
            "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
        )
    })?;
    let kind = kind.unwrap_or(if algorithm == ChecksumAlgorithm::Crc64Nvme {
        ChecksumType::FullObject
    } else {
        ChecksumType::Composite
    });
    if !kind.combines(algorithm) {
        return Err(invalid_request(format!(
            "The {} checksum type cannot be used with the {} checksum algorithm.",
            kind.name(),
            algorithm.name().to_lowercase()
        )));
    }
    Ok(Some((algorithm, kind)))
}

/// `POST /{bucket}/{key}?uploads`.
pub(crate) async fn create(req: S3Request<'_>) -> Result<Response, ApiError> {
    let bucket = req.bucket()?;
    check_key(&req.key)?;
    let headers = &req.parts.headers;
    check_acl_headers(headers)?;
    let meta = meta_from_headers(headers)?;
    let checksum = requested_checksum(headers)?;
    let upload_id = req
        .store()?
        .create_multipart_upload(bucket.as_str(), &req.key, meta, checksum)
        .await
        .map_err(|e| to_api(e, bucket.as_str()))?;
    let mut response = xml_response(&InitiateMultipartUploadResult::new(
        bucket.as_str(),
        &req.key,
        &upload_id,
    ))?;
    if let Some((algorithm, kind)) = checksum {
        insert(
            response.headers_mut(),
            "x-amz-checksum-algorithm",
            algorithm.name(),
        );
        insert(response.headers_mut(), "x-amz-checksum-type", kind.name());
    }
    Ok(response)
}

/// A part must carry the upload's checksum algorithm if it carries one at all (the store
/// computes the upload's own when the part declares none).
fn check_part_algorithm(
    upload: &UploadInfo,
    declared: Option<ChecksumAlgorithm>,
) -> Result<(), ApiError> {
    match (upload.checksum, declared) {
        (Some((expected, _)), Some(actual)) if expected != actual => Err(invalid_request(format!(
            "Checksum Type mismatch occurred, expected checksum Type: {}, actual checksum Type: {}",
            expected.name().to_lowercase(),
            actual.name().to_lowercase()
        ))),
        _ => Ok(()),
    }
}

/// `PUT /{bucket}/{key}?partNumber=N&uploadId=U` (streamed body).
pub(crate) async fn upload_part(req: S3Request<'_>) -> Result<Response, ApiError> {
    let bucket = req.bucket()?.clone();
    let part_number = part_number(&req)?;
    let upload_id = upload_id(&req)?;
    let store = req.store()?;
    let upload = find_upload(&*store, bucket.as_str(), &req.key, &upload_id).await?;
    let headers = &req.parts.headers;
    check_part_algorithm(&upload, checksum::declared(headers)?.map(|d| d.algorithm))?;
    let staged = ingest(&req, &*store, MAX_PART_SIZE).await?;
    let part = store
        .upload_part(bucket.as_str(), &req.key, &upload_id, part_number, staged)
        .await
        .map_err(|e| to_api(e, bucket.as_str()))?;
    let mut response = Response::new(Body::empty());
    insert(response.headers_mut(), "etag", &quoted(&part.etag));
    // s3transfer copies this into Complete's part list.
    if let Some(checksum) = &part.checksum {
        insert(
            response.headers_mut(),
            checksum.algorithm.header(),
            &checksum.to_header_value(),
        );
    }
    Ok(response)
}

fn invalid_copy_range() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidArgument,
        "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
    )
}

/// `x-amz-copy-source-range: bytes=first-last`, both offsets required (unlike `Range`, nothing
/// malformed is ignored).
fn copy_range(headers: &HeaderMap) -> Result<Option<(u64, u64)>, ApiError> {
    let Some(value) = headers.get("x-amz-copy-source-range") else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| invalid_copy_range())?.trim();
    let (first, last) = value
        .strip_prefix("bytes=")
        .and_then(|spec| spec.split_once('-'))
        .ok_or_else(invalid_copy_range)?;
    let digits = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    match (digits(first), digits(last)) {
        (Some(first), Some(last)) if first <= last => Ok(Some((first, last))),
        _ => Err(invalid_copy_range()),
    }
}

/// `PUT /{bucket}/{key}?partNumber=N&uploadId=U` with `x-amz-copy-source`: the part is the
/// source object (or `x-amz-copy-source-range` of it), read from the source's Region.
pub(crate) async fn upload_part_copy(req: S3Request<'_>) -> Result<Response, ApiError> {
    let bucket = req.bucket()?;
    let part_number = part_number(&req)?;
    let upload_id = upload_id(&req)?;
    let store = req.store()?;
    let upload = find_upload(&*store, bucket.as_str(), &req.key, &upload_id).await?;
    let range = copy_range(&req.parts.headers)?;
    let request = range.map(|(first, last)| RangeRequest::From {
        first,
        last: Some(last),
    });
    let (_, _, source) = open_source(&req, request).await.map_err(|e| {
        if e.code == ErrorCode::InvalidRange {
            // A range starting past the source's end, in S3's words for a copy.
            invalid_request("The specified copy range is invalid for the source object size")
        } else {
            e
        }
    })?;
    // The store clamps a range's end to the object; a copy refuses it instead.
    if let Some((_, last)) = range
        && last >= source.info.size
    {
        return Err(ApiError::new(
            ErrorCode::InvalidArgument,
            format!(
                "Range specified is not valid for source object of size: {}",
                source.info.size
            ),
        ));
    }
    // Staging computes the upload's checksum in the same pass as the copy.
    let wanted = Wanted {
        sha256: false,
        checksum: upload.checksum.map(|(a, _)| a),
    };
    let staged = store
        .stage(bucket.as_str(), source.body, wanted, MAX_PART_SIZE)
        .await
        .map_err(|e| to_api(e, bucket.as_str()))?;
    let part = store
        .upload_part(bucket.as_str(), &req.key, &upload_id, part_number, staged)
        .await
        .map_err(|e| to_api(e, bucket.as_str()))?;
    xml_response(&CopyPartResult::new(&part))
}

/// A `<Part>` of Complete as the store takes it: the ETag without quotes, the checksum decoded.
fn completed_part(part: &CompletedPartXml) -> Result<CompletedPart, ApiError> {
    let part_number = part
        .part_number
        .as_deref()
        .and_then(|n| n.trim().parse::<u32>().ok())
        .ok_or_else(malformed_xml)?;
    let etag = part.etag.as_deref().ok_or_else(malformed_xml)?;
    let etag = etag.trim();
    let etag = etag.strip_prefix("W/").unwrap_or(etag).trim_matches('"');
    let mut sent = part.checksums();
    let checksum = match (sent.next(), sent.next()) {
        (None, _) => None,
        (Some((algorithm, value)), None) => Some(
            base64::engine::general_purpose::STANDARD
                .decode(value.trim())
                .ok()
                .filter(|d| d.len() == algorithm.digest_len())
                .ok_or_else(|| {
                    invalid_request(format!(
                        "The Checksum{} you specified for part {part_number} is invalid.",
                        algorithm.name()
                    ))
                })?,
        ),
        (Some(_), Some(_)) => {
            return Err(invalid_request(format!(
                "Expecting a single checksum for part {part_number}. Multiple checksum Types are not allowed."
            )));
        }
    };
    Ok(CompletedPart {
        part_number,
        etag: etag.to_owned(),
        checksum,
    })
}

/// What Complete must agree on with the upload: the checksum mode (`x-amz-checksum-type`), and a
/// checksum for every listed part of a COMPOSITE upload (its checksum is computed from them).
fn check_complete_checksums(
    headers: &HeaderMap,
    upload: &UploadInfo,
    parts: &[CompletedPart],
) -> Result<(), ApiError> {
    if let Some(sent) = text(headers, "x-amz-checksum-type") {
        let created = upload.checksum.map_or("null", |(_, kind)| kind.name());
        if !sent.eq_ignore_ascii_case(created) {
            return Err(invalid_request(format!(
                "The upload was created using the {created} checksum mode. The complete request must use the same checksum mode."
            )));
        }
    }
    if let Some((algorithm, ChecksumType::Composite)) = upload.checksum
        && let Some(missing) = parts.iter().find(|p| p.checksum.is_none())
    {
        return Err(invalid_request(format!(
            "The upload was created using a {} checksum. The complete request must include the checksum for each part. It was missing for part {} in the request.",
            algorithm.name().to_lowercase(),
            missing.part_number
        )));
    }
    Ok(())
}

/// `POST /{bucket}/{key}?uploadId=U` with the `CompleteMultipartUpload` part list.
pub(crate) async fn complete(req: S3Request<'_>) -> Result<Response, ApiError> {
    let bucket = req.bucket()?;
    let upload_id = upload_id(&req)?;
    let headers = &req.parts.headers;
    let document: CompleteMultipartUpload =
        from_xml(&req.body, COMPLETE_ROOT).map_err(|_| malformed_xml())?;
    if document.parts.is_empty() {
        return Err(malformed_xml());
    }
    let parts = document
        .parts
        .iter()
        .map(completed_part)
        .collect::<Result<Vec<_>, _>>()?;
    let store = req.store()?;
    let upload = find_upload(&*store, bucket.as_str(), &req.key, &upload_id).await?;
    check_complete_checksums(headers, &upload, &parts)?;
    let info = store
        .complete_multipart_upload(
            bucket.as_str(),
            &req.key,
            &upload_id,
            &parts,
            write_condition(headers),
        )
        .await
        .map_err(|e| to_api(e, bucket.as_str()))?;
    let location = format!("/{}/{}", bucket.as_str(), Encoding::Url.apply(&req.key));
    xml_response(&CompleteMultipartUploadResult::new(
        location,
        bucket.as_str(),
        &info,
    ))
}

/// `DELETE /{bucket}/{key}?uploadId=U` → 204.
pub(crate) async fn abort(req: S3Request<'_>) -> Result<Response, ApiError> {
    let bucket = req.bucket()?;
    let upload_id = upload_id(&req)?;
    req.store()?
        .abort_multipart_upload(bucket.as_str(), &req.key, &upload_id)
        .await
        .map_err(|e| to_api(e, bucket.as_str()))?;
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    Ok(response)
}

/// `GET /{bucket}/{key}?uploadId=U[&part-number-marker=M][&max-parts=N]`.
pub(crate) async fn list_parts(req: S3Request<'_>) -> Result<Response, ApiError> {
    let bucket = req.bucket()?;
    let upload_id = upload_id(&req)?;
    // A marker past the last possible part lists nothing, as any larger one would.
    let marker = count_param(&req, "part-number-marker", 0)?;
    let marker = u32::try_from(marker).unwrap_or(u32::MAX);
    let max_parts = max_listed(&req, "max-parts")?;
    let owner = req.owner()?;
    let page = req
        .store()?
        .list_parts(bucket.as_str(), &req.key, &upload_id, marker, max_parts)
        .await
        .map_err(|e| to_api(e, bucket.as_str()))?;
    let listing = PartsListing {
        bucket: bucket.as_str(),
        key: &req.key,
        owner: &owner,
        marker,
        max_parts,
    };
    xml_response(&ListPartsResult::new(&listing, &page))
}

/// `GET /{bucket}?uploads`: uploads in progress, by key then initiation.
pub(crate) async fn list_uploads(req: S3Request<'_>) -> Result<Response, ApiError> {
    let bucket = req.bucket()?;
    let encoding = Encoding::from_query(req.query_param("encoding-type").as_deref())?;
    let prefix = req.query_param("prefix").unwrap_or_default();
    // An empty delimiter groups nothing and is not echoed.
    let delimiter = req.query_param("delimiter").filter(|d| !d.is_empty());
    let key_marker = req.query_param("key-marker").filter(|m| !m.is_empty());
    // Without a key marker S3 ignores the upload-id marker.
    let upload_id_marker = key_marker
        .as_ref()
        .and_then(|_| req.query_param("upload-id-marker"))
        .filter(|m| !m.is_empty());
    let max_uploads = max_listed(&req, "max-uploads")?;
    let owner = req.owner()?;
    let params = ListUploadsParams {
        prefix: prefix.clone(),
        delimiter: delimiter.clone(),
        key_marker: key_marker.clone(),
        upload_id_marker: upload_id_marker.clone(),
        max_uploads,
    };
    let page = req
        .store()?
        .list_multipart_uploads(bucket.as_str(), &params)
        .await
        .map_err(|e| to_api(e, bucket.as_str()))?;
    let listing = UploadsListing {
        bucket: bucket.as_str(),
        owner: &owner,
        prefix: &prefix,
        delimiter: delimiter.as_deref(),
        key_marker: key_marker.as_deref(),
        upload_id_marker: upload_id_marker.as_deref(),
        max_uploads,
        encoding,
    };
    xml_response(&ListMultipartUploadsResult::new(&listing, &page))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use mrap_storage::ObjectMeta;

    use super::*;
    use crate::common::test_support::headers;

    fn upload(checksum: Option<(ChecksumAlgorithm, ChecksumType)>) -> UploadInfo {
        UploadInfo {
            upload_id: "u".into(),
            key: "k".into(),
            initiated: time::OffsetDateTime::UNIX_EPOCH,
            meta: ObjectMeta::default(),
            checksum,
        }
    }

    #[test]
    fn checksum_of_create() {
        use ChecksumAlgorithm::*;
        use ChecksumType::*;
        let ask = |pairs: &[(&str, &str)]| {
            requested_checksum(&headers(pairs)).map_err(|e| (e.code, e.message))
        };
        assert_eq!(ask(&[]), Ok(None));
        assert_eq!(
            ask(&[("x-amz-checksum-algorithm", "CRC32")]),
            Ok(Some((Crc32, Composite)))
        );
        assert_eq!(
            ask(&[("x-amz-checksum-algorithm", "crc32c")]),
            Ok(Some((Crc32c, Composite)))
        );
        assert_eq!(
            ask(&[("x-amz-checksum-algorithm", "CRC64NVME")]),
            Ok(Some((Crc64Nvme, FullObject)))
        );
        assert_eq!(
            ask(&[
                ("x-amz-checksum-algorithm", "CRC32"),
                ("x-amz-checksum-type", "FULL_OBJECT")
            ]),
            Ok(Some((Crc32, FullObject)))
        );
        assert_eq!(
            ask(&[
                ("x-amz-checksum-algorithm", "SHA256"),
                ("x-amz-checksum-type", "COMPOSITE")
            ]),
            Ok(Some((Sha256, Composite)))
        );
        let refused = |pairs: &[(&str, &str)], message: &str| {
            assert_eq!(
                ask(pairs),
                Err((ErrorCode::InvalidRequest, message.to_owned())),
                "{pairs:?}"
            );
        };
        refused(
            &[
                ("x-amz-checksum-algorithm", "SHA256"),
                ("x-amz-checksum-type", "FULL_OBJECT"),
            ],
            "The FULL_OBJECT checksum type cannot be used with the sha256 checksum algorithm.",
        );
        refused(
            &[
                ("x-amz-checksum-algorithm", "SHA1"),
                ("x-amz-checksum-type", "FULL_OBJECT"),
            ],
            "The FULL_OBJECT checksum type cannot be used with the sha1 checksum algorithm.",
        );
        refused(
            &[
                ("x-amz-checksum-algorithm", "CRC64NVME"),
                ("x-amz-checksum-type", "COMPOSITE"),
            ],
            "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.",
        );
        refused(
            &[("x-amz-checksum-type", "COMPOSITE")],
            "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.",
        );
        refused(
            &[("x-amz-checksum-algorithm", "MD5")],
            "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
        );
        refused(
            &[
                ("x-amz-checksum-algorithm", "CRC32"),
                ("x-amz-checksum-type", "PARTIAL"),
            ],
            "Value for x-amz-checksum-type header is invalid.",
        );
    }

    #[test]
    fn part_checksum_must_be_the_uploads() {
        let crc32 = upload(Some((ChecksumAlgorithm::Crc32, ChecksumType::Composite)));
        assert!(check_part_algorithm(&crc32, None).is_ok());
        assert!(check_part_algorithm(&crc32, Some(ChecksumAlgorithm::Crc32)).is_ok());
        let e = check_part_algorithm(&crc32, Some(ChecksumAlgorithm::Crc32c)).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert_eq!(
            e.message,
            "Checksum Type mismatch occurred, expected checksum Type: crc32, actual checksum Type: crc32c"
        );
        // an upload without an algorithm takes any part checksum
        assert!(check_part_algorithm(&upload(None), Some(ChecksumAlgorithm::Sha1)).is_ok());
    }

    #[test]
    fn copy_ranges_are_strict() {
        let range = |v: &str| copy_range(&headers(&[("x-amz-copy-source-range", v)]));
        assert_eq!(copy_range(&headers(&[])), Ok(None));
        assert_eq!(range("bytes=0-9"), Ok(Some((0, 9))));
        assert_eq!(range("bytes=5-5"), Ok(Some((5, 5))));
        // recorded against S3 as malformed
        for bad in [
            "0-8",
            "bytes=1-",
            "bytes=-2",
            "bytes=1-0",
            "bytes=0--1",
            "bytes=0-1,3-4",
            "bytes=-",
            "bytes=+1-2",
            "items=0-1",
            "bytes=a-b",
        ] {
            assert_eq!(
                range(bad).map_err(|e| e.code),
                Err(ErrorCode::InvalidArgument),
                "{bad}"
            );
        }
    }

    fn part_xml(
        number: Option<&str>,
        etag: Option<&str>,
        sums: &[(&str, &str)],
    ) -> CompletedPartXml {
        let sum = |name: &str| {
            sums.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        };
        CompletedPartXml {
            part_number: number.map(str::to_owned),
            etag: etag.map(str::to_owned),
            crc32: sum("CRC32"),
            crc32c: sum("CRC32C"),
            crc64nvme: sum("CRC64NVME"),
            sha1: sum("SHA1"),
            sha256: sum("SHA256"),
        }
    }

    #[test]
    fn completed_parts() {
        let p = completed_part(&part_xml(Some("1"), Some("\"abc\""), &[])).unwrap();
        assert_eq!(
            p,
            CompletedPart {
                part_number: 1,
                etag: "abc".into(),
                checksum: None
            }
        );
        assert_eq!(
            completed_part(&part_xml(Some(" 2 "), Some("abc"), &[]))
                .unwrap()
                .etag,
            "abc"
        );
        let p =
            completed_part(&part_xml(Some("3"), Some("abc"), &[("CRC32", "NRU+Sw==")])).unwrap();
        assert_eq!(p.checksum, Some(vec![0x35, 0x15, 0x3e, 0x4b]));
        let code = |p: CompletedPartXml| completed_part(&p).map_err(|e| e.code);
        assert_eq!(
            code(part_xml(None, Some("abc"), &[])),
            Err(ErrorCode::MalformedXML)
        );
        assert_eq!(
            code(part_xml(Some("x"), Some("abc"), &[])),
            Err(ErrorCode::MalformedXML)
        );
        assert_eq!(
            code(part_xml(Some("-1"), Some("abc"), &[])),
            Err(ErrorCode::MalformedXML)
        );
        assert_eq!(
            code(part_xml(Some("1"), None, &[])),
            Err(ErrorCode::MalformedXML)
        );
        assert_eq!(
            code(part_xml(Some("1"), Some("a"), &[("CRC32", "not base64!")])),
            Err(ErrorCode::InvalidRequest)
        );
        // a SHA256-sized value is not a CRC32
        assert_eq!(
            code(part_xml(
                Some("1"),
                Some("a"),
                &[("CRC32", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")]
            )),
            Err(ErrorCode::InvalidRequest)
        );
        assert_eq!(
            code(part_xml(
                Some("1"),
                Some("a"),
                &[("CRC32", "NRU+Sw=="), ("CRC32C", "NRU+Sw==")]
            )),
            Err(ErrorCode::InvalidRequest)
        );
    }

    #[test]
    fn complete_checksum_rules() {
        let part = |n: u32, checksum: Option<Vec<u8>>| CompletedPart {
            part_number: n,
            etag: "e".into(),
            checksum,
        };
        let with = vec![part(1, Some(vec![0; 4])), part(2, Some(vec![0; 4]))];
        let missing_2 = vec![part(1, Some(vec![0; 4])), part(2, None)];
        let none = vec![part(1, None)];
        let composite = upload(Some((ChecksumAlgorithm::Crc32, ChecksumType::Composite)));
        let full = upload(Some((ChecksumAlgorithm::Crc32, ChecksumType::FullObject)));
        let check = |h: &[(&str, &str)], u: &UploadInfo, p: &[CompletedPart]| {
            check_complete_checksums(&headers(h), u, p).map_err(|e| e.message)
        };
        assert_eq!(check(&[], &composite, &with), Ok(()));
        assert_eq!(
            check(&[], &composite, &missing_2),
            Err("The upload was created using a crc32 checksum. The complete request must include the checksum for each part. It was missing for part 2 in the request.".into())
        );
        // a full-object checksum is combined from the stored parts: listing them is optional
        assert_eq!(check(&[], &full, &none), Ok(()));
        assert_eq!(check(&[], &upload(None), &none), Ok(()));
        assert_eq!(
            check(&[("x-amz-checksum-type", "COMPOSITE")], &composite, &with),
            Ok(())
        );
        assert_eq!(
            check(&[("x-amz-checksum-type", "FULL_OBJECT")], &composite, &with),
            Err("The upload was created using the COMPOSITE checksum mode. The complete request must use the same checksum mode.".into())
        );
        assert_eq!(
            check(&[("x-amz-checksum-type", "COMPOSITE")], &upload(None), &none),
            Err("The upload was created using the null checksum mode. The complete request must use the same checksum mode.".into())
        );
    }
}
