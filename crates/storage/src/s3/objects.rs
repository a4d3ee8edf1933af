//! Buckets and single objects on the S3 backend.

use super::S3Store;
use super::convert::{
    Fields, RESERVED_META, Stored, backend_checksum, backend_error, is_not_found, listed_key, now,
    parts_count, tagging_header, to_time, unquote,
};
use crate::{
    Error, GetOutput, ListPage, ListParams, ObjectInfo, ObjectMeta, RangeRequest, Staged,
    WriteCondition,
};
use aws_sdk_s3::error::ProvideErrorMetadata as _;
use aws_sdk_s3::types::{
    BucketLocationConstraint, ChecksumMode, CreateBucketConfiguration, EncodingType, Tag, Tagging,
};
use base64::Engine as _;
use futures::StreamExt as _;
use std::collections::HashMap;

/// Most keys ListObjectsV2 returns per request.
const PAGE: usize = 1000;

/// The ObjectInfo of a HeadObject or GetObject answer (same accessors, no common trait). Tags
/// are not in these answers; the caller adds them.
macro_rules! object_info {
    ($out:expr, $key:expr, $size:expr) => {{
        let out = &$out;
        let etag = unquote(out.e_tag());
        let parts = parts_count(&etag);
        let stored = out
            .metadata()
            .and_then(|m| m.get(RESERVED_META))
            .and_then(|v| Stored::decode(v));
        let backend = || {
            backend_checksum(Fields {
                crc32: out.checksum_crc32(),
                crc32c: out.checksum_crc32_c(),
                crc64nvme: out.checksum_crc64_nvme(),
                sha1: out.checksum_sha1(),
                sha256: out.checksum_sha256(),
                kind: out.checksum_type(),
            })
        };
        let (meta, checksum) = match stored {
            // ours: a single PUT's checksum is the one computed while staging (none when none
            // was asked, whatever the backend adds); a multipart object's is the backend's
            Some(s) => {
                let (meta, checksum) = s.into_parts();
                (meta, if parts.is_some() { backend() } else { checksum })
            }
            None => (
                foreign_meta(
                    out.metadata(),
                    [
                        out.content_type(),
                        out.content_encoding(),
                        out.content_disposition(),
                        out.content_language(),
                        out.cache_control(),
                        out.expires_string(),
                    ],
                ),
                backend(),
            ),
        };
        ObjectInfo {
            key: $key.to_owned(),
            size: $size,
            etag,
            last_modified: to_time(out.last_modified()),
            meta,
            checksum,
            parts_count: parts,
        }
    }};
}

/// Sets the Content-* headers a request can carry verbatim (the reserved entry keeps them all).
macro_rules! content_headers {
    ($req:expr, $meta:expr) => {{
        let meta: &ObjectMeta = $meta;
        let safe = |v: &Option<String>| v.clone().filter(|v| $crate::s3::convert::header_safe(v));
        $req.set_content_type(safe(&meta.content_type))
            .set_content_encoding(safe(&meta.content_encoding))
            .set_content_disposition(safe(&meta.content_disposition))
            .set_content_language(safe(&meta.content_language))
            .set_cache_control(safe(&meta.cache_control))
    }};
}
pub(super) use content_headers;

/// Metadata of an object without our reserved entry: the backend's headers, user metadata sorted
/// by name (S3 does not keep their order).
fn foreign_meta(user: Option<&HashMap<String, String>>, headers: [Option<&str>; 6]) -> ObjectMeta {
    let [ct, ce, cd, cl, cc, ex] = headers.map(|h| h.map(str::to_owned));
    let mut user: Vec<(String, String)> = user
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.to_lowercase(), v.clone()))
        .collect();
    user.sort();
    ObjectMeta {
        content_type: ct,
        content_encoding: ce,
        content_disposition: cd,
        content_language: cl,
        cache_control: cc,
        expires: ex,
        user,
        tags: Vec::new(),
    }
}

pub(super) fn content_md5(staged: &Staged) -> String {
    base64::engine::general_purpose::STANDARD.encode(staged.digests().md5)
}

pub(super) fn to_i64(n: u64) -> Result<i64, Error> {
    i64::try_from(n).map_err(|_| Error::Backend(format!("size {n} out of range")))
}

pub(super) async fn file_body(
    staged: &Staged,
) -> Result<aws_sdk_s3::primitives::ByteStream, Error> {
    aws_sdk_s3::primitives::ByteStream::from_path(staged.path())
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e)))
}

/// `If-Match` as sent: quoted.
pub(super) fn quoted(etag: &str) -> String {
    format!("\"{etag}\"")
}

impl S3Store {
    pub(super) async fn create_bucket_impl(&self, bucket: &str) -> Result<(), Error> {
        let mut req = self
            .client
            .create_bucket()
            .bucket(self.backend_bucket(bucket));
        // us-east-1 is S3's default Region and refuses to be named as a constraint
        if self.region != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(self.region.as_str()))
                    .build(),
            );
        }
        match req.send().await {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.code() == Some("BucketAlreadyOwnedByYou")) =>
            {
                Ok(())
            }
            Err(e) => Err(backend_error("CreateBucket", e)),
        }
    }

    pub(super) async fn delete_bucket_impl(&self, bucket: &str) -> Result<(), Error> {
        // The backend refuses a bucket with objects, atomically; uploads in progress are checked
        // here first (S3 would delete the bucket and them with it).
        if self.any_upload(bucket).await? {
            return Err(Error::BucketNotEmpty);
        }
        self.client
            .delete_bucket()
            .bucket(self.backend_bucket(bucket))
            .send()
            .await
            .map_err(|e| backend_error("DeleteBucket", e))?;
        Ok(())
    }

    pub(super) async fn bucket_is_empty_impl(&self, bucket: &str) -> Result<bool, Error> {
        let page = self
            .client
            .list_objects_v2()
            .bucket(self.backend_bucket(bucket))
            .max_keys(1)
            .send()
            .await
            .map_err(|e| backend_error("ListObjectsV2", e))?;
        if !page.contents().is_empty() {
            return Ok(false);
        }
        Ok(!self.any_upload(bucket).await?)
    }

    async fn any_upload(&self, bucket: &str) -> Result<bool, Error> {
        let page = self
            .client
            .list_multipart_uploads()
            .bucket(self.backend_bucket(bucket))
            .max_uploads(1)
            .send()
            .await
            .map_err(|e| backend_error("ListMultipartUploads", e))?;
        Ok(!page.uploads().is_empty())
    }

    /// `NoSuchBucket` unless the bucket exists.
    pub(super) async fn require_bucket(&self, bucket: &str) -> Result<(), Error> {
        match self
            .client
            .head_bucket()
            .bucket(self.backend_bucket(bucket))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => Err(Error::NoSuchBucket),
            Err(e) => Err(backend_error("HeadBucket", e)),
        }
    }

    pub(super) async fn put_object_impl(
        &self,
        bucket: &str,
        key: &str,
        staged: Staged,
        meta: ObjectMeta,
        cond: WriteCondition,
    ) -> Result<ObjectInfo, Error> {
        // Checked here too for backends that ignore the conditional headers; where they are
        // implemented (AWS, MinIO, moto) the backend's check is the atomic one.
        self.check_condition(bucket, key, &cond).await?;
        let d = staged.digests().clone();
        let mut req = self
            .client
            .put_object()
            .bucket(self.backend_bucket(bucket))
            .key(key)
            .body(file_body(&staged).await?)
            .content_length(to_i64(d.size)?)
            .content_md5(content_md5(&staged))
            .metadata(
                RESERVED_META,
                Stored::new(&meta, d.checksum.as_ref()).encode()?,
            )
            .set_tagging(tagging_header(&meta.tags));
        req = content_headers!(req, &meta);
        req = match &cond {
            WriteCondition::Always => req,
            WriteCondition::IfNoneMatchAny => req.if_none_match("*"),
            WriteCondition::IfMatch(etag) => req.if_match(quoted(etag)),
        };
        let out = req
            .send()
            .await
            .map_err(|e| backend_error("PutObject", e))?;
        drop(staged);
        let etag = match out.e_tag() {
            Some(e) => unquote(Some(e)),
            None => hex::encode(d.md5),
        };
        // PutObject does not answer Last-Modified: read it back (unless another write won)
        let last_modified = match self.head_raw(bucket, key).await {
            Ok(h) if h.etag == etag => h.last_modified,
            _ => now(),
        };
        Ok(ObjectInfo {
            key: key.to_owned(),
            size: d.size,
            etag,
            last_modified,
            meta,
            checksum: d.checksum,
            parts_count: None,
        })
    }

    /// HeadObject without the tags; 404 tells `NoSuchBucket` from `NoSuchKey` with a HeadBucket.
    pub(super) async fn head_raw(&self, bucket: &str, key: &str) -> Result<ObjectInfo, Error> {
        let out = match self
            .client
            .head_object()
            .bucket(self.backend_bucket(bucket))
            .key(key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if is_not_found(&e) => {
                self.require_bucket(bucket).await?;
                return Err(Error::NoSuchKey);
            }
            Err(e) => return Err(backend_error("HeadObject", e)),
        };
        let size = u64::try_from(out.content_length().unwrap_or(0)).unwrap_or(0);
        Ok(object_info!(out, key, size))
    }

    pub(super) async fn head_object_impl(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<ObjectInfo, Error> {
        let mut info = self.head_raw(bucket, key).await?;
        info.meta.tags = self.tags(bucket, key).await?;
        Ok(info)
    }

    /// The object's tag set; `NoSuchKey` when it is gone.
    async fn tags(&self, bucket: &str, key: &str) -> Result<Vec<(String, String)>, Error> {
        let out = self
            .client
            .get_object_tagging()
            .bucket(self.backend_bucket(bucket))
            .key(key)
            .send()
            .await
            .map_err(|e| backend_error("GetObjectTagging", e))?;
        Ok(out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect())
    }

    /// `InvalidRange` with the object's size (which a 416 does not carry).
    async fn invalid_range(&self, bucket: &str, key: &str) -> Error {
        match self.head_raw(bucket, key).await {
            Ok(info) => Error::InvalidRange { size: info.size },
            Err(e) => e,
        }
    }

    pub(super) async fn get_object_impl(
        &self,
        bucket: &str,
        key: &str,
        range: Option<RangeRequest>,
    ) -> Result<GetOutput, Error> {
        let header = match range {
            None => None,
            // unsatisfiable whatever the size; S3 would ignore the first and refuse the second
            Some(RangeRequest::From {
                first,
                last: Some(last),
            }) if last < first => return Err(self.invalid_range(bucket, key).await),
            Some(RangeRequest::Suffix(0)) => return Err(self.invalid_range(bucket, key).await),
            Some(RangeRequest::From { first, last }) => Some(match last {
                Some(last) => format!("bytes={first}-{last}"),
                None => format!("bytes={first}-"),
            }),
            Some(RangeRequest::Suffix(n)) => Some(format!("bytes=-{n}")),
        };
        let out = match self
            .client
            .get_object()
            .bucket(self.backend_bucket(bucket))
            .key(key)
            .set_range(header)
            .send()
            .await
            .map_err(|e| backend_error("GetObject", e))
        {
            Ok(out) => out,
            Err(Error::InvalidRange { .. }) => return Err(self.invalid_range(bucket, key).await),
            Err(e) => return Err(e),
        };
        let length = u64::try_from(out.content_length().unwrap_or(0)).unwrap_or(0);
        // "bytes first-last/size" when the backend applied the range
        let applied = out.content_range().and_then(parse_content_range);
        let size = applied.map_or(length, |(_, _, size)| size);
        let resolved = match range {
            None => None,
            Some(r) => {
                let want = r.resolve(size)?;
                match applied {
                    Some((first, last, _)) if (first, last) == want => Some(want),
                    // the whole object came back, and it is the range asked for
                    None if want == (0, size.saturating_sub(1)) => Some(want),
                    _ => {
                        return Err(Error::Backend(format!(
                            "GetObject: the backend answered {:?} for the range {want:?}",
                            out.content_range()
                        )));
                    }
                }
            }
        };
        let mut info = object_info!(out, key, size);
        if out.tag_count().is_none_or(|n| n > 0) {
            info.meta.tags = match self.tags(bucket, key).await {
                Ok(tags) => tags,
                // deleted since: the body we hold is still the object's
                Err(Error::NoSuchKey) => Vec::new(),
                Err(e) => return Err(e),
            };
        }
        let body = futures::stream::unfold(out.body, |mut body| async move {
            body.next()
                .await
                .map(|chunk| (chunk.map_err(std::io::Error::other), body))
        })
        .boxed();
        Ok(GetOutput {
            info,
            range: resolved,
            body,
        })
    }

    pub(super) async fn delete_object_impl(&self, bucket: &str, key: &str) -> Result<(), Error> {
        self.client
            .delete_object()
            .bucket(self.backend_bucket(bucket))
            .key(key)
            .send()
            .await
            .map_err(|e| backend_error("DeleteObject", e))?;
        Ok(())
    }

    pub(super) async fn set_tags_impl(
        &self,
        bucket: &str,
        key: &str,
        tags: Vec<(String, String)>,
    ) -> Result<(), Error> {
        if tags.is_empty() {
            // DeleteObjectTagging: moto fails (500) on an empty PutObjectTagging, and on a
            // DeleteObjectTagging of a missing key, hence the HEAD for NoSuchKey/NoSuchBucket
            self.head_raw(bucket, key).await?;
            self.client
                .delete_object_tagging()
                .bucket(self.backend_bucket(bucket))
                .key(key)
                .send()
                .await
                .map_err(|e| backend_error("DeleteObjectTagging", e))?;
            return Ok(());
        }
        let tag_set = tags
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::Backend(format!("PutObjectTagging: {e}")))?;
        let tagging = Tagging::builder()
            .set_tag_set(Some(tag_set))
            .build()
            .map_err(|e| Error::Backend(format!("PutObjectTagging: {e}")))?;
        self.client
            .put_object_tagging()
            .bucket(self.backend_bucket(bucket))
            .key(key)
            .tagging(tagging)
            .send()
            .await
            .map_err(|e| backend_error("PutObjectTagging", e))?;
        Ok(())
    }

    /// Evaluates a write condition against the current object (a HEAD).
    pub(super) async fn check_condition(
        &self,
        bucket: &str,
        key: &str,
        cond: &WriteCondition,
    ) -> Result<(), Error> {
        if *cond == WriteCondition::Always {
            return Ok(());
        }
        let current = match self.head_raw(bucket, key).await {
            Ok(info) => Some(info.etag),
            Err(Error::NoSuchKey) => None,
            Err(e) => return Err(e),
        };
        match (cond, current) {
            (WriteCondition::Always, _) | (WriteCondition::IfNoneMatchAny, None) => Ok(()),
            (WriteCondition::IfNoneMatchAny, Some(_)) => Err(Error::PreconditionFailed),
            (WriteCondition::IfMatch(_), None) => Err(Error::NoSuchKey),
            (WriteCondition::IfMatch(want), Some(have)) if *want == have => Ok(()),
            (WriteCondition::IfMatch(_), Some(_)) => Err(Error::PreconditionFailed),
        }
    }

    pub(super) async fn list_objects_impl(
        &self,
        bucket: &str,
        params: &ListParams,
    ) -> Result<ListPage, Error> {
        let max = params.max_keys;
        if max == 0 {
            self.require_bucket(bucket).await?;
            return Ok(ListPage {
                objects: Vec::new(),
                common_prefixes: Vec::new(),
                is_truncated: false,
                last: None,
            });
        }
        let delimiter = params.delimiter.clone().filter(|d| !d.is_empty());
        let after = params.after.as_deref();
        // Entries in byte order; one more than the page is fetched to learn whether more follow.
        let mut entries: Vec<Entry> = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let want = (max + 1 - entries.len()).min(PAGE);
            let mut req = self
                .client
                .list_objects_v2()
                .bucket(self.backend_bucket(bucket))
                .encoding_type(EncodingType::Url)
                .max_keys(i32::try_from(want).unwrap_or(1000))
                .set_delimiter(delimiter.clone());
            if !params.prefix.is_empty() {
                req = req.prefix(&params.prefix);
            }
            req = match (&token, after) {
                (Some(t), _) => req.continuation_token(t),
                (None, Some(a)) => req.start_after(xml_safe_prefix(a)),
                (None, None) => req,
            };
            let out = req
                .send()
                .await
                .map_err(|e| backend_error("ListObjectsV2", e))?;
            let encoded = out.encoding_type() == Some(&EncodingType::Url);
            let decode = |s: &str| {
                if encoded {
                    listed_key(s)
                } else {
                    Ok(s.to_owned())
                }
            };
            let mut page: Vec<Entry> = Vec::new();
            for o in out.contents() {
                let key = decode(o.key().unwrap_or_default())?;
                let etag = unquote(o.e_tag());
                page.push(Entry::Object(Box::new(ObjectInfo {
                    size: u64::try_from(o.size().unwrap_or(0)).unwrap_or(0),
                    parts_count: parts_count(&etag),
                    etag,
                    last_modified: to_time(o.last_modified()),
                    meta: ObjectMeta::default(),
                    checksum: None,
                    key,
                })));
            }
            for p in out.common_prefixes() {
                let prefix = decode(p.prefix().unwrap_or_default())?;
                // StartAfter inside a group makes S3 return that group again: it was on the
                // previous page (or is before the marker), so it does not count
                if after.is_some_and(|a| prefix.as_str() <= a) {
                    continue;
                }
                page.push(Entry::Prefix(prefix));
            }
            page.sort_by(|a, b| a.name().as_bytes().cmp(b.name().as_bytes()));
            for e in page {
                // defensive: a backend that ignored start-after, or repeated an entry
                let fresh = entries
                    .last()
                    .map_or(after.is_none_or(|a| e.name() > a), |l| e.name() > l.name());
                if fresh {
                    entries.push(e);
                }
            }
            if entries.len() > max || !out.is_truncated().unwrap_or(false) {
                break;
            }
            match out.next_continuation_token() {
                Some(t) if Some(t) != token.as_deref() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        let is_truncated = entries.len() > max;
        entries.truncate(max);
        let mut page = ListPage {
            objects: Vec::new(),
            common_prefixes: Vec::new(),
            is_truncated,
            last: entries.last().map(|e| e.name().to_owned()),
        };
        for e in entries {
            match e {
                Entry::Object(o) => page.objects.push(*o),
                Entry::Prefix(p) => page.common_prefixes.push(p),
            }
        }
        Ok(page)
    }
}

enum Entry {
    Object(Box<ObjectInfo>),
    Prefix(String),
}

impl Entry {
    fn name(&self) -> &str {
        match self {
            Entry::Object(o) => &o.key,
            Entry::Prefix(p) => p,
        }
    }
}

/// `after` cut before its first character XML 1.0 cannot carry: moto echoes StartAfter in the
/// answer without URL-encoding it, making the document unreadable. Starting earlier is safe:
/// the entries up to `after` are dropped here.
fn xml_safe_prefix(after: &str) -> &str {
    let cut = after
        .char_indices()
        .find(|&(_, c)| {
            (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{fffe}' || c == '\u{ffff}'
        })
        .map_or(after.len(), |(i, _)| i);
    &after[..cut]
}

/// `bytes first-last/size` → (first, last, size).
fn parse_content_range(v: &str) -> Option<(u64, u64, u64)> {
    let rest = v.trim().strip_prefix("bytes ")?;
    let (range, size) = rest.split_once('/')?;
    let (first, last) = range.split_once('-')?;
    Some((
        first.trim().parse().ok()?,
        last.trim().parse().ok()?,
        size.trim().parse().ok()?,
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn content_ranges() {
        assert_eq!(super::parse_content_range("bytes 0-8/10"), Some((0, 8, 10)));
        assert_eq!(super::parse_content_range("bytes */10"), None);
        assert_eq!(super::parse_content_range("items 0-1/2"), None);
        assert_eq!(super::xml_safe_prefix("nul\0byte"), "nul");
        assert_eq!(super::xml_safe_prefix("tab\there é"), "tab\there é");
    }
}
