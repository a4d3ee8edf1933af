//! PutObjectTagging, GetObjectTagging, DeleteObjectTagging: an object's tag set, replaced whole
//! (the object's data and other metadata stay as they are).

use axum::{body::Body, http::StatusCode, response::Response};
use mrap_model::ApiError;

use crate::{
    common::{
        error::malformed_xml,
        xml::{from_xml, xml_response},
    },
    s3::{
        S3Request,
        object_headers::check_tags,
        storage_error::to_api,
        tagging_xml::{TAGGING_ROOT, Tagging},
    },
};

pub(crate) async fn put_object_tagging(req: S3Request<'_>) -> Result<Response, ApiError> {
    let bucket = req.bucket()?;
    let tags = from_xml::<Tagging>(&req.body, TAGGING_ROOT)
        .map_err(|_| malformed_xml())?
        .into_tags();
    check_tags(&tags)?;
    req.store()?
        .set_tags(bucket.as_str(), &req.key, tags)
        .await
        .map_err(|e| to_api(e, bucket.as_str()))?;
    Ok(Response::new(Body::empty()))
}

pub(crate) async fn get_object_tagging(req: S3Request<'_>) -> Result<Response, ApiError> {
    let bucket = req.bucket()?;
    let info = req
        .store()?
        .head_object(bucket.as_str(), &req.key)
        .await
        .map_err(|e| to_api(e, bucket.as_str()))?;
    xml_response(&Tagging::new(&info.meta.tags))
}

/// 204, as S3 answers; the object must exist (`NoSuchKey`).
pub(crate) async fn delete_object_tagging(req: S3Request<'_>) -> Result<Response, ApiError> {
    let bucket = req.bucket()?;
    req.store()?
        .set_tags(bucket.as_str(), &req.key, Vec::new())
        .await
        .map_err(|e| to_api(e, bucket.as_str()))?;
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    Ok(response)
}
