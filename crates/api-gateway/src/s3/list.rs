//! ListObjectsV2 (`GET /{bucket}?list-type=2`) and ListObjects (v1, `GET /{bucket}`).
//!
//! Keys come back in UTF-8 byte order, common prefixes interleaved and counted toward
//! `max-keys` once each. The V2 continuation token is opaque to clients: here the URL-safe
//! base64 of the last key or common prefix returned, so a page resumes strictly after it.

use axum::response::Response;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use mrap_model::{ApiError, ErrorCode};
use mrap_storage::{ListPage, ListParams};

use crate::{
    common::xml::{S3_NS, xml_response},
    s3::{
        S3Request,
        object_xml::{CommonPrefix, Contents, Encoding, ListV1Result, ListV2Result},
        storage_error::to_api,
    },
};

/// S3's page size limit and default.
const MAX_KEYS: usize = 1000;

fn invalid_argument(message: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidArgument, message)
}

/// What both versions read from the query.
struct Common {
    prefix: String,
    delimiter: Option<String>,
    max_keys: usize,
    encoding: Encoding,
}

fn common(req: &S3Request<'_>) -> Result<Common, ApiError> {
    let max_keys = match req.query_param("max-keys") {
        None => MAX_KEYS,
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| {
                invalid_argument("Provided max-keys not an integer or within integer range")
            })?
            .min(MAX_KEYS),
    };
    let encoding = Encoding::from_query(req.query_param("encoding-type").as_deref())?;
    Ok(Common {
        prefix: req.query_param("prefix").unwrap_or_default(),
        delimiter: req.query_param("delimiter").filter(|d| !d.is_empty()),
        max_keys,
        encoding,
    })
}

async fn page(
    req: &S3Request<'_>,
    c: &Common,
    after: Option<String>,
) -> Result<ListPage, ApiError> {
    let bucket = req.bucket()?;
    req.store()?
        .list_objects(
            bucket.as_str(),
            &ListParams {
                prefix: c.prefix.clone(),
                delimiter: c.delimiter.clone(),
                after,
                max_keys: c.max_keys,
            },
        )
        .await
        .map_err(|e| to_api(e, bucket.as_str()))
}

fn entries(
    page: &ListPage,
    c: &Common,
    owner: Option<&mrap_model::AccountId>,
) -> (Vec<Contents>, Vec<CommonPrefix>) {
    (
        page.objects
            .iter()
            .map(|o| Contents::new(o, c.encoding, owner))
            .collect(),
        page.common_prefixes
            .iter()
            .map(|p| CommonPrefix::new(p, c.encoding))
            .collect(),
    )
}

pub(crate) async fn list_v2(req: S3Request<'_>) -> Result<Response, ApiError> {
    let c = common(&req)?;
    let token = req.query_param("continuation-token");
    let start_after = req.query_param("start-after").filter(|s| !s.is_empty());
    let after = match &token {
        Some(t) => Some(
            URL_SAFE_NO_PAD
                .decode(t)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| invalid_argument("The continuation token provided is incorrect"))?,
        ),
        None => start_after.clone(),
    };
    let page = page(&req, &c, after).await?;
    let owner = req.grant.bucket.as_ref().map(|b| b.owner.clone());
    let fetch_owner = req.query_param("fetch-owner").is_some_and(|v| v == "true");
    let (contents, common_prefixes) = entries(&page, &c, owner.as_ref().filter(|_| fetch_owner));
    xml_response(&ListV2Result {
        xmlns: S3_NS,
        name: req.bucket()?.to_string(),
        prefix: c.encoding.apply(&c.prefix),
        delimiter: c.delimiter.as_deref().map(|d| c.encoding.apply(d)),
        max_keys: c.max_keys,
        encoding_type: c.encoding.name(),
        key_count: contents.len() + common_prefixes.len(),
        is_truncated: page.is_truncated,
        continuation_token: token,
        next_continuation_token: page
            .is_truncated
            .then(|| page.last.as_ref().map(|l| URL_SAFE_NO_PAD.encode(l)))
            .flatten(),
        start_after: start_after.map(|s| c.encoding.apply(&s)),
        contents,
        common_prefixes,
    })
}

pub(crate) async fn list_v1(req: S3Request<'_>) -> Result<Response, ApiError> {
    let c = common(&req)?;
    let marker = req.query_param("marker").unwrap_or_default();
    let page = page(&req, &c, (!marker.is_empty()).then(|| marker.clone())).await?;
    let owner = req.grant.bucket.as_ref().map(|b| b.owner.clone());
    let (contents, common_prefixes) = entries(&page, &c, owner.as_ref());
    // S3 sends NextMarker only with a delimiter; without one, clients resume after the last key.
    let next_marker = (page.is_truncated && c.delimiter.is_some())
        .then(|| page.last.as_ref().map(|l| c.encoding.apply(l)))
        .flatten();
    xml_response(&ListV1Result {
        xmlns: S3_NS,
        name: req.bucket()?.to_string(),
        prefix: c.encoding.apply(&c.prefix),
        marker: c.encoding.apply(&marker),
        next_marker,
        max_keys: c.max_keys,
        delimiter: c.delimiter.as_deref().map(|d| c.encoding.apply(d)),
        encoding_type: c.encoding.name(),
        is_truncated: page.is_truncated,
        contents,
        common_prefixes,
    })
}
