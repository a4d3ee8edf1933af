//! The account's Block Public Access configuration (`/v20180820/configuration/publicAccessBlock`).
//! S3 Control's model gives Put, Get and Delete status 200 and no other.

use axum::{http::StatusCode, response::Response};
use mrap_model::ApiError;
use mrap_proto::store::{GetAccount, SetAccountPublicAccessBlock};

use crate::{
    common::{
        error::no_such_public_access_block,
        public_access_block::{empty, parse},
        public_access_block_xml::PublicAccessBlockConfiguration,
        xml::xml_response,
    },
    s3control::ControlRequest,
};

pub(crate) async fn put(req: ControlRequest<'_>) -> Result<Response, ApiError> {
    let config = parse(&req.body)?;
    req.state
        .store(&SetAccountPublicAccessBlock {
            account: req.account,
            config: Some(config),
        })
        .await?;
    Ok(empty(StatusCode::OK))
}

pub(crate) async fn get(req: ControlRequest<'_>) -> Result<Response, ApiError> {
    let record = req
        .state
        .store(&GetAccount {
            account: req.account,
        })
        .await?;
    let config = record
        .public_access_block
        .ok_or_else(no_such_public_access_block)?;
    xml_response(&PublicAccessBlockConfiguration::control(&config))
}

pub(crate) async fn delete(req: ControlRequest<'_>) -> Result<Response, ApiError> {
    req.state
        .store(&SetAccountPublicAccessBlock {
            account: req.account,
            config: None,
        })
        .await?;
    Ok(empty(StatusCode::OK))
}
