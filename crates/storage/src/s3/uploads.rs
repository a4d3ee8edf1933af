//! Multipart uploads on the S3 backend: the backend's own uploads, with Complete's rules, the
//! upload/key binding and the upload listing computed here (see the module docs for why).

use super::S3Store;
use super::convert::{
    Fields, RESERVED_META, Stored, backend_checksum, backend_error, listed_key, now, our_algorithm,
    our_type, sdk_algorithm, sdk_type, tagging_header, to_time, unquote,
};
use super::objects::{content_headers, content_md5, file_body, quoted, to_i64};
use crate::listing::{self, Entry, From};
use crate::multipart::{StoredPart, select_parts};
use crate::{
    ChecksumAlgorithm, ChecksumType, CompletedPart, Error, ListUploadsParams, ObjectInfo,
    ObjectMeta, PartInfo, PartsPage, Staged, UploadInfo, UploadsPage, WriteCondition,
};
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::operation::list_parts::ListPartsOutput;
use aws_sdk_s3::primitives::{DateTime, DateTimeFormat};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart as SdkPart, EncodingType, Part};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use std::collections::HashMap;

/// Bounds the paging loops against a backend whose markers do not advance.
const MAX_PAGES: usize = 10_000;

/// Sets the one `checksum_<algorithm>` field of a request or part builder.
macro_rules! with_checksum {
    ($builder:expr, $algorithm:expr, $b64:expr) => {{
        let v: String = $b64;
        match $algorithm {
            ChecksumAlgorithm::Crc32 => $builder.checksum_crc32(v),
            ChecksumAlgorithm::Crc32c => $builder.checksum_crc32_c(v),
            ChecksumAlgorithm::Crc64Nvme => $builder.checksum_crc64_nvme(v),
            ChecksumAlgorithm::Sha1 => $builder.checksum_sha1(v),
            ChecksumAlgorithm::Sha256 => $builder.checksum_sha256(v),
        }
    }};
}

impl S3Store {
    pub(super) async fn create_multipart_upload_impl(
        &self,
        bucket: &str,
        key: &str,
        meta: ObjectMeta,
        checksum: Option<(ChecksumAlgorithm, ChecksumType)>,
    ) -> Result<String, Error> {
        crate::multipart::check_combination(checksum)?;
        let mut req = self
            .client
            .create_multipart_upload()
            .bucket(self.backend_bucket(bucket))
            .key(key)
            .metadata(RESERVED_META, Stored::new(&meta, None).encode()?)
            .set_tagging(tagging_header(&meta.tags));
        req = content_headers!(req, &meta);
        if let Some((algorithm, kind)) = checksum {
            req = req
                .checksum_algorithm(sdk_algorithm(algorithm))
                .checksum_type(sdk_type(kind));
        }
        let out = req
            .send()
            .await
            .map_err(|e| backend_error("CreateMultipartUpload", e))?;
        out.upload_id()
            .map(str::to_owned)
            .ok_or_else(|| Error::Backend("CreateMultipartUpload: no upload id".into()))
    }

    /// Every upload whose key starts with `prefix`, by key then initiation time (the backend's
    /// order kept among equals: moto reports one fixed initiation time for all).
    async fn all_uploads(&self, bucket: &str, prefix: &str) -> Result<Vec<UploadInfo>, Error> {
        let mut all = Vec::new();
        let (mut key_marker, mut id_marker): (Option<String>, Option<String>) = (None, None);
        for _ in 0..MAX_PAGES {
            let mut req = self
                .client
                .list_multipart_uploads()
                .bucket(self.backend_bucket(bucket))
                .encoding_type(EncodingType::Url)
                .set_key_marker(key_marker.clone())
                .set_upload_id_marker(id_marker.clone());
            if !prefix.is_empty() {
                req = req.prefix(prefix);
            }
            let out = req
                .send()
                .await
                .map_err(|e| backend_error("ListMultipartUploads", e))?;
            let encoded = out.encoding_type() == Some(&EncodingType::Url);
            let decode = |s: &str| {
                if encoded {
                    listed_key(s)
                } else {
                    Ok(s.to_owned())
                }
            };
            for u in out.uploads() {
                let checksum = u
                    .checksum_algorithm()
                    .and_then(our_algorithm)
                    .map(|a| (a, our_type(a, u.checksum_type())));
                all.push(UploadInfo {
                    upload_id: u.upload_id().unwrap_or_default().to_owned(),
                    key: decode(u.key().unwrap_or_default())?,
                    initiated: to_time(u.initiated()),
                    meta: ObjectMeta::default(),
                    checksum,
                });
            }
            if !out.is_truncated().unwrap_or(false) {
                break;
            }
            let next_key = out.next_key_marker().map(decode).transpose()?;
            let next_id = out.next_upload_id_marker().map(str::to_owned);
            if next_key.is_none() || (next_key == key_marker && next_id == id_marker) {
                break;
            }
            (key_marker, id_marker) = (next_key, next_id);
        }
        all.retain(|u| u.key.starts_with(prefix));
        all.sort_by(|a, b| (a.key.as_bytes(), a.initiated).cmp(&(b.key.as_bytes(), b.initiated)));
        all.dedup_by(|a, b| a.upload_id == b.upload_id && a.key == b.key);
        Ok(all)
    }

    /// The upload `upload_id` of exactly `key`; `NoSuchUpload` (or `NoSuchBucket`) otherwise.
    async fn find_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<UploadInfo, Error> {
        self.all_uploads(bucket, key)
            .await?
            .into_iter()
            .find(|u| u.key == key && u.upload_id == upload_id)
            .ok_or(Error::NoSuchUpload)
    }

    /// Every part of the upload, by part number.
    async fn all_parts(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<Vec<PartInfo>, Error> {
        let mut all: Vec<PartInfo> = Vec::new();
        let mut marker: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let sent = self
                .client
                .list_parts()
                .bucket(self.backend_bucket(bucket))
                .key(key)
                .upload_id(upload_id)
                .set_part_number_marker(marker.clone())
                .send()
                .await;
            let out = match sent {
                Ok(out) => out,
                Err(e) => match e.raw_response().and_then(moto_list_parts) {
                    Some(out) => out,
                    None => return Err(backend_error("ListParts", e)),
                },
            };
            for p in out.parts() {
                let Some(number) = p.part_number().and_then(|n| u32::try_from(n).ok()) else {
                    continue;
                };
                all.push(PartInfo {
                    part_number: number,
                    etag: unquote(p.e_tag()),
                    size: u64::try_from(p.size().unwrap_or(0)).unwrap_or(0),
                    last_modified: to_time(p.last_modified()),
                    checksum: backend_checksum(Fields {
                        crc32: p.checksum_crc32(),
                        crc32c: p.checksum_crc32_c(),
                        crc64nvme: p.checksum_crc64_nvme(),
                        sha1: p.checksum_sha1(),
                        sha256: p.checksum_sha256(),
                        kind: None,
                    }),
                });
            }
            let next = out.next_part_number_marker().map(str::to_owned);
            if !out.is_truncated().unwrap_or(false) || next.is_none() || next == marker {
                break;
            }
            marker = next;
        }
        all.sort_by_key(|p| p.part_number);
        all.dedup_by_key(|p| p.part_number);
        Ok(all)
    }

    pub(super) async fn upload_part_impl(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        mut staged: Staged,
    ) -> Result<PartInfo, Error> {
        let upload = self.find_upload(bucket, key, upload_id).await?;
        // An upload with an algorithm needs every part's checksum of it (S3 refuses parts
        // without; Complete combines them)
        if let Some((algorithm, _)) = upload.checksum {
            staged = tokio::task::spawn_blocking(move || {
                staged.ensure_checksum(algorithm).map(|()| staged)
            })
            .await
            .map_err(|e| Error::Backend(format!("checksum task: {e}")))?
            .map_err(Error::Io)?;
        }
        let d = staged.digests().clone();
        let number = i32::try_from(part_number)
            .map_err(|_| Error::Backend(format!("part number {part_number} out of range")))?;
        let mut req = self
            .client
            .upload_part()
            .bucket(self.backend_bucket(bucket))
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .body(file_body(&staged).await?)
            .content_length(to_i64(d.size)?)
            .content_md5(content_md5(&staged));
        if let (Some((algorithm, _)), Some(c)) = (upload.checksum, &d.checksum)
            && c.algorithm == algorithm
        {
            req = with_checksum!(req, algorithm, BASE64.encode(&c.value));
        }
        let out = req
            .send()
            .await
            .map_err(|e| backend_error("UploadPart", e))?;
        drop(staged);
        Ok(PartInfo {
            part_number,
            etag: match out.e_tag() {
                Some(e) => unquote(Some(e)),
                None => hex::encode(d.md5),
            },
            size: d.size,
            last_modified: now(),
            checksum: d.checksum,
        })
    }

    pub(super) async fn list_parts_impl(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        marker: u32,
        max_parts: usize,
    ) -> Result<PartsPage, Error> {
        let upload = self.find_upload(bucket, key, upload_id).await?;
        // filtered here: moto reads part-number-marker as an index into its part list
        let mut parts: Vec<PartInfo> = self
            .all_parts(bucket, key, upload_id)
            .await?
            .into_iter()
            .filter(|p| p.part_number > marker)
            .collect();
        let is_truncated = parts.len() > max_parts;
        parts.truncate(max_parts);
        Ok(PartsPage {
            next_part_number_marker: parts.last().map(|p| p.part_number),
            upload,
            parts,
            is_truncated,
        })
    }

    pub(super) async fn complete_multipart_upload_impl(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
        cond: WriteCondition,
    ) -> Result<ObjectInfo, Error> {
        let upload = self.find_upload(bucket, key, upload_id).await?;
        let listed = self.all_parts(bucket, key, upload_id).await?;
        // a part whose ETag is not an MD5 (some backends under encryption) cannot be named
        let stored: HashMap<u32, StoredPart> = listed
            .iter()
            .filter_map(|p| {
                let md5: [u8; 16] = hex::decode(&p.etag).ok()?.try_into().ok()?;
                Some((
                    p.part_number,
                    StoredPart {
                        number: p.part_number,
                        md5,
                        size: p.size,
                        checksum: p.checksum.clone(),
                    },
                ))
            })
            .collect();
        let chosen = select_parts(&upload, parts, |n| stored.get(&n))?;
        let size: u64 = chosen.iter().map(|p| p.size).sum();
        self.check_condition(bucket, key, &cond).await?;
        let algorithm = upload.checksum.map(|(a, _)| a);
        let completed: Vec<SdkPart> = parts
            .iter()
            .map(|p| {
                let part = SdkPart::builder()
                    .part_number(i32::try_from(p.part_number).unwrap_or(i32::MAX))
                    .e_tag(quoted(&p.etag.to_ascii_lowercase()));
                // the part checksum sent, else the one the backend keeps
                let value = p.checksum.clone().or_else(|| {
                    stored
                        .get(&p.part_number)
                        .and_then(|s| s.checksum.as_ref())
                        .filter(|c| Some(c.algorithm) == algorithm)
                        .map(|c| c.value.clone())
                });
                match (algorithm, value) {
                    (Some(a), Some(v)) => with_checksum!(part, a, BASE64.encode(v)).build(),
                    _ => part.build(),
                }
            })
            .collect();
        let mut req = self
            .client
            .complete_multipart_upload()
            .bucket(self.backend_bucket(bucket))
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(completed))
                    .build(),
            );
        req = match &cond {
            WriteCondition::Always => req,
            WriteCondition::IfNoneMatchAny => req.if_none_match("*"),
            WriteCondition::IfMatch(etag) => req.if_match(quoted(etag)),
        };
        let etag = match req.send().await {
            Ok(out) => unquote(out.e_tag()),
            // moto's root element is CompleteMultipartUploadResponse, which the SDK refuses
            Err(e) => match e
                .raw_response()
                .and_then(|r| moto_document(r, "CompleteMultipartUploadResponse"))
                .and_then(|body| element(&body, "ETag"))
            {
                Some(etag) => unquote(Some(&etag)),
                None => return Err(backend_error("CompleteMultipartUpload", e)),
            },
        };
        match self.head_object_impl(bucket, key).await {
            Ok(info) if info.etag == etag => Ok(info),
            // replaced or deleted right after: answer what was completed
            Ok(_) | Err(Error::NoSuchKey) => Ok(ObjectInfo {
                key: key.to_owned(),
                size,
                parts_count: u32::try_from(chosen.len()).ok(),
                etag,
                last_modified: now(),
                meta: ObjectMeta::default(),
                checksum: None,
            }),
            Err(e) => Err(e),
        }
    }

    pub(super) async fn abort_multipart_upload_impl(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<(), Error> {
        self.find_upload(bucket, key, upload_id).await?;
        self.client
            .abort_multipart_upload()
            .bucket(self.backend_bucket(bucket))
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
            .map_err(|e| backend_error("AbortMultipartUpload", e))?;
        Ok(())
    }

    pub(super) async fn list_multipart_uploads_impl(
        &self,
        bucket: &str,
        params: &ListUploadsParams,
    ) -> Result<UploadsPage, Error> {
        let all = self.all_uploads(bucket, &params.prefix).await?;
        let prefix = params.prefix.as_str();
        let delimiter = params.delimiter.clone().unwrap_or_default();
        let key_marker = params.key_marker.as_deref();
        let start = match (key_marker, params.upload_id_marker.as_deref()) {
            // that key's uploads initiated after the marker's, then later keys
            (Some(km), Some(id)) if km >= prefix => {
                match all.iter().position(|u| u.key == km && u.upload_id == id) {
                    Some(i) => From::After(i),
                    None => listing::start(prefix, Some(km)),
                }
            }
            _ => listing::start(prefix, key_marker),
        };
        let req = listing::Request {
            prefix,
            delimiter: &delimiter,
            marker: key_marker,
            start,
            max: params.max_uploads,
        };
        let fetch = |from: &From<usize>, upper: Option<&[u8]>, limit: usize| {
            let begin = match from {
                From::Key(k) => all.partition_point(|u| u.key.as_bytes() < k.as_slice()),
                From::After(i) => i + 1,
            };
            Ok::<_, Error>(
                all.get(begin..)
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                    .take_while(|(_, u)| upper.is_none_or(|up| u.key.as_bytes() < up))
                    .take(limit)
                    .map(|(j, u)| (begin + j, u))
                    .collect::<Vec<_>>(),
            )
        };
        let (entries, is_truncated) =
            listing::list(req, fetch, |(_, u)| u.key.as_str(), |(i, _)| *i)?;
        let mut page = UploadsPage {
            uploads: Vec::new(),
            common_prefixes: Vec::new(),
            is_truncated,
            next_key_marker: None,
            next_upload_id_marker: None,
        };
        for entry in entries {
            match entry {
                Entry::Item((_, u)) => {
                    page.next_key_marker = Some(u.key.clone());
                    page.next_upload_id_marker = Some(u.upload_id.clone());
                    page.uploads.push(u.clone());
                }
                Entry::Prefix(p) => {
                    page.next_key_marker = Some(p.clone());
                    page.next_upload_id_marker = None;
                    page.common_prefixes.push(p);
                }
            }
        }
        Ok(page)
    }
}

/// moto answers ListParts with a `ListPartsResponse` root element where S3 has `ListPartsResult`;
/// the SDK refuses that document. This reads such an answer (a 200 whose body has that root)
/// with a minimal parser: the part fields, `IsTruncated`, `NextPartNumberMarker`.
fn moto_list_parts(response: &HttpResponse) -> Option<ListPartsOutput> {
    let body = moto_document(response, "ListPartsResponse")?;
    let body = body.as_str();
    let mut parts = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("<Part>") {
        let end = rest[start..].find("</Part>")? + start;
        let part = &rest[start..end];
        let field = |name: &str| element(part, name);
        parts.push(
            Part::builder()
                .part_number(field("PartNumber")?.parse().ok()?)
                .e_tag(field("ETag")?)
                .size(field("Size")?.parse().ok()?)
                .set_last_modified(
                    field("LastModified")
                        .and_then(|t| DateTime::from_str(&t, DateTimeFormat::DateTime).ok()),
                )
                .build(),
        );
        rest = &rest[end..];
    }
    Some(
        ListPartsOutput::builder()
            .set_parts(Some(parts))
            .is_truncated(element(body, "IsTruncated").as_deref() == Some("true"))
            .set_next_part_number_marker(element(body, "NextPartNumberMarker"))
            .build(),
    )
}

/// The body of a 200 answer whose root element is `root` (moto's `{Operation}Response` where S3
/// has `{Operation}Result`).
fn moto_document(response: &HttpResponse, root: &str) -> Option<String> {
    if response.status().as_u16() != 200 {
        return None;
    }
    let body = std::str::from_utf8(response.body().bytes()?).ok()?;
    body.contains(&format!("<{root}")).then(|| body.to_owned())
}

/// The unescaped text of the first `<name>` element in `xml`.
fn element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(
        xml[start..end]
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}
