//! A bucket's Block Public Access configuration (`?publicAccessBlock`): Put and Get 200, Delete 204.

use axum::{http::StatusCode, response::Response};
use mrap_model::ApiError;
use mrap_proto::store::SetBucketPublicAccessBlock;

use crate::{
    common::{
        error::no_such_public_access_block,
        public_access_block::{empty, parse},
        public_access_block_xml::PublicAccessBlockConfiguration,
        xml::xml_response,
    },
    s3::{S3Request, buckets::existing},
};

pub(crate) async fn put(req: S3Request<'_>) -> Result<Response, ApiError> {
    let bucket = req.bucket()?.clone();
    existing(req.state, &bucket).await?;
    let config = parse(&req.body)?;
    req.state
        .store(&SetBucketPublicAccessBlock {
            name: bucket,
            config: Some(config),
        })
        .await?;
    Ok(empty(StatusCode::OK))
}

pub(crate) async fn get(req: S3Request<'_>) -> Result<Response, ApiError> {
    let record = existing(req.state, req.bucket()?).await?;
    let config = record
        .public_access_block
        .ok_or_else(no_such_public_access_block)?;
    xml_response(&PublicAccessBlockConfiguration::s3(&config))
}

pub(crate) async fn delete(req: S3Request<'_>) -> Result<Response, ApiError> {
    let bucket = req.bucket()?.clone();
    existing(req.state, &bucket).await?;
    req.state
        .store(&SetBucketPublicAccessBlock {
            name: bucket,
            config: None,
        })
        .await?;
    Ok(empty(StatusCode::NO_CONTENT))
}
