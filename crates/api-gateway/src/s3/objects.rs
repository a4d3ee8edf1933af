//! PutObject, GetObject, HeadObject, DeleteObject and CopyObject.

use axum::{
    body::Body,
    http::{HeaderMap, StatusCode, header},
    response::Response,
};
use mrap_model::{ApiError, BucketName, ErrorCode};
use mrap_proto::authz::Resource;
use mrap_storage::{ChecksumAlgorithm, GetOutput, ObjectInfo, RegionStore, Wanted};

use crate::{
    common::{error::decode, xml::xml_response},
    s3::{
        S3Request,
        ingest::{MAX_OBJECT_SIZE, ingest},
        object_headers::{
            apply_response_overrides, check_acl_headers, check_key, describe,
            evaluate_read_conditions, insert, meta_from_headers, not_modified, parse_range, quoted,
            write_condition,
        },
        object_xml::CopyObjectResult,
        storage_error::to_api,
    },
};

/// `ETag` and, when one was computed, the checksum of what was written.
fn written(info: &ObjectInfo) -> Response {
    let mut response = Response::new(Body::empty());
    insert(response.headers_mut(), "etag", &quoted(&info.etag));
    if let Some(checksum) = &info.checksum {
        insert(
            response.headers_mut(),
            checksum.algorithm.header(),
            &checksum.to_header_value(),
        );
        insert(
            response.headers_mut(),
            "x-amz-checksum-type",
            checksum.kind.name(),
        );
    }
    response
}

fn checksum_mode(headers: &HeaderMap) -> bool {
    headers
        .get("x-amz-checksum-mode")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"ENABLED"))
}

pub(crate) async fn put(req: S3Request<'_>) -> Result<Response, ApiError> {
    let bucket = req.bucket()?.clone();
    check_key(&req.key)?;
    let headers = &req.parts.headers;
    check_acl_headers(headers)?;
    let meta = meta_from_headers(headers)?;
    let condition = write_condition(headers);
    let store = req.store()?;
    let staged = ingest(&req, &*store, MAX_OBJECT_SIZE).await?;
    let info = store
        .put_object(bucket.as_str(), &req.key, staged, meta, condition)
        .await
        .map_err(|e| to_api(e, bucket.as_str()))?;
    Ok(written(&info))
}

pub(crate) async fn get(req: S3Request<'_>) -> Result<Response, ApiError> {
    read(req, false).await
}

pub(crate) async fn head(req: S3Request<'_>) -> Result<Response, ApiError> {
    read(req, true).await
}

/// GET and HEAD: preconditions, then the (ranged) object. The store opens the object and reads
/// its metadata at once, so the bytes sent are those the validators describe.
async fn read(req: S3Request<'_>, head: bool) -> Result<Response, ApiError> {
    let bucket = req.bucket()?;
    let store = req.store()?;
    let headers = &req.parts.headers;
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_range);
    let output = match store.get_object(bucket.as_str(), &req.key, range).await {
        Ok(output) => output,
        Err(mrap_storage::Error::InvalidRange { .. }) => {
            // Preconditions are judged before the range.
            let info = store
                .head_object(bucket.as_str(), &req.key)
                .await
                .map_err(|e| to_api(e, bucket.as_str()))?;
            if evaluate_read_conditions(headers, &info, "")? {
                return Ok(not_modified(&info));
            }
            return Err(to_api(
                mrap_storage::Error::InvalidRange { size: info.size },
                bucket.as_str(),
            ));
        }
        Err(e) => return Err(to_api(e, bucket.as_str())),
    };
    let GetOutput { info, range, body } = output;
    if evaluate_read_conditions(headers, &info, "")? {
        return Ok(not_modified(&info));
    }
    let mut response = if head {
        Response::new(Body::empty())
    } else {
        Response::new(Body::from_stream(body))
    };
    // A part of an object has no checksum of its own to show.
    describe(
        response.headers_mut(),
        &info,
        checksum_mode(headers) && range.is_none(),
    );
    apply_response_overrides(response.headers_mut(), req.query());
    let length = match range {
        Some((first, last)) => {
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            insert(
                response.headers_mut(),
                "content-range",
                &format!("bytes {first}-{last}/{}", info.size),
            );
            last - first + 1
        }
        None => info.size,
    };
    insert(
        response.headers_mut(),
        "content-length",
        &length.to_string(),
    );
    Ok(response)
}

/// 204 whether or not the key existed, as S3 answers.
pub(crate) async fn delete(req: S3Request<'_>) -> Result<Response, ApiError> {
    let bucket = req.bucket()?;
    let store = req.store()?;
    store
        .delete_object(bucket.as_str(), &req.key)
        .await
        .map_err(|e| to_api(e, bucket.as_str()))?;
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    Ok(response)
}

/// `x-amz-copy-source`: `[/]bucket/key[?versionId=…]`, URL-encoded. Only the current version
/// exists here (`versionId=null` names it).
pub(crate) fn copy_source(headers: &HeaderMap) -> Result<(BucketName, String), ApiError> {
    let invalid = || {
        ApiError::new(
            ErrorCode::InvalidArgument,
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
        )
    };
    let raw = headers
        .get("x-amz-copy-source")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(invalid)?;
    let (path, version) = match raw.split_once("?versionId=") {
        Some((path, version)) => (path, Some(version)),
        None => (raw, None),
    };
    if version.is_some_and(|v| v != "null") {
        return Err(ApiError::new(
            ErrorCode::InvalidArgument,
            "Invalid version id specified",
        ));
    }
    let path = path.strip_prefix('/').unwrap_or(path);
    let (bucket, key) = path.split_once('/').ok_or_else(invalid)?;
    let (bucket, key) = (decode(bucket), decode(key));
    if key.is_empty() {
        return Err(invalid());
    }
    let bucket =
        BucketName::parse(&bucket).map_err(|_| crate::common::error::no_such_bucket(&bucket))?;
    Ok((bucket, key))
}

/// The source of a copy, authorised (`s3:GetObject` on it) and opened, with its preconditions
/// (`x-amz-copy-source-if-*`) checked.
pub(crate) async fn open_source(
    req: &S3Request<'_>,
    range: Option<mrap_storage::RangeRequest>,
) -> Result<(BucketName, String, GetOutput), ApiError> {
    let (bucket, key) = copy_source(&req.parts.headers)?;
    let grant = req
        .authorize_also(
            "s3:GetObject",
            Resource::Object {
                bucket: bucket.clone(),
                key: key.clone(),
            },
        )
        .await?;
    let region = grant
        .bucket
        .ok_or_else(|| crate::common::error::no_such_bucket(bucket.as_str()))?
        .region;
    let store = req.state.region_store(region.as_str())?;
    let output = store
        .get_object(bucket.as_str(), &key, range)
        .await
        .map_err(|e| to_api(e, bucket.as_str()))?;
    evaluate_read_conditions(&req.parts.headers, &output.info, "x-amz-copy-source-")?;
    Ok((bucket, key, output))
}

/// The checksum a copy computes: the one the request names, else the source's.
pub(crate) fn copy_checksum(
    headers: &HeaderMap,
    source: &ObjectInfo,
) -> Result<Option<ChecksumAlgorithm>, ApiError> {
    match headers.get("x-amz-checksum-algorithm") {
        Some(v) => v
            .to_str()
            .ok()
            .and_then(ChecksumAlgorithm::parse)
            .map(Some)
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::InvalidRequest,
                    "Checksum algorithm provided is unsupported.",
                )
            }),
        None => Ok(source.checksum.as_ref().map(|c| c.algorithm)),
    }
}

/// `COPY` (the default) or `REPLACE`, for `x-amz-metadata-directive` and
/// `x-amz-tagging-directive`.
fn replaces(headers: &HeaderMap, name: &str) -> Result<bool, ApiError> {
    match headers.get(name).map(|v| v.as_bytes()) {
        None | Some(b"COPY") => Ok(false),
        Some(b"REPLACE") => Ok(true),
        Some(_) => Err(ApiError::new(
            ErrorCode::InvalidArgument,
            format!("Unknown {name}."),
        )),
    }
}

pub(crate) async fn copy(req: S3Request<'_>) -> Result<Response, ApiError> {
    let bucket = req.bucket()?.clone();
    check_key(&req.key)?;
    let headers = &req.parts.headers;
    check_acl_headers(headers)?;
    let replace_meta = replaces(headers, "x-amz-metadata-directive")?;
    let replace_tags = replaces(headers, "x-amz-tagging-directive")?;
    let (src_bucket, src_key, source) = open_source(&req, None).await?;
    if src_bucket == bucket && src_key == req.key && !replace_meta {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        ));
    }
    let requested = meta_from_headers(headers)?;
    let mut meta = if replace_meta {
        requested.clone()
    } else {
        source.info.meta.clone()
    };
    meta.tags = if replace_tags {
        requested.tags
    } else {
        source.info.meta.tags.clone()
    };
    let wanted = Wanted {
        sha256: false,
        checksum: copy_checksum(headers, &source.info)?,
    };
    let store = req.store()?;
    let staged = stage(&*store, bucket.as_str(), source.body, wanted).await?;
    let info = store
        .put_object(
            bucket.as_str(),
            &req.key,
            staged,
            meta,
            write_condition(headers),
        )
        .await
        .map_err(|e| to_api(e, bucket.as_str()))?;
    xml_response(&CopyObjectResult::new(&info))
}

/// Stages a copy's source bytes in the destination's Region.
pub(crate) async fn stage(
    store: &dyn RegionStore,
    bucket: &str,
    body: mrap_storage::ByteStream,
    wanted: Wanted,
) -> Result<mrap_storage::Staged, ApiError> {
    store
        .stage(bucket, body, wanted, MAX_OBJECT_SIZE)
        .await
        .map_err(|e| to_api(e, bucket))
}
