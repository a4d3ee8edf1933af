//! Bucket policies: PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy, GetBucketPolicyStatus.
//!
//! The policy-store validates a put (`MalformedPolicy` with the first ERROR finding's text,
//! `AccessDenied` for a public policy under `BlockPublicPolicy` at bucket or account level) and
//! works out whether it is public. Statuses: Put and Delete 204 (AWS's documented responses;
//! aws-sdk-s3 accepts any 2xx), Get and GetPolicyStatus 200.

use axum::{
    body::Body,
    http::{HeaderValue, StatusCode, header},
    response::Response,
};
use mrap_model::ApiError;
use mrap_proto::store::{DeleteBucketPolicy, PutBucketPolicy};

use crate::{
    common::xml::xml_response,
    s3::{
        S3Request,
        buckets::existing,
        error::{malformed_policy, no_such_bucket_policy},
        xml::PolicyStatus,
    },
};

fn no_content() -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// The body is the policy JSON itself.
pub(crate) async fn put(req: S3Request<'_>) -> Result<Response, ApiError> {
    let bucket = req.bucket()?.clone();
    // An unknown bucket is NoSuchBucket even when the policy is bad too.
    existing(req.state, &bucket).await?;
    let policy = std::str::from_utf8(&req.body)
        .map_err(|_| malformed_policy("Policies must be valid JSON (UTF-8 text)."))?;
    req.state
        .store(&PutBucketPolicy {
            name: bucket,
            policy: policy.to_owned(),
        })
        .await?;
    Ok(no_content())
}

/// The stored text exactly as put, as `application/json`.
pub(crate) async fn get(req: S3Request<'_>) -> Result<Response, ApiError> {
    let bucket = req.bucket()?;
    let record = existing(req.state, bucket).await?;
    let policy = record
        .policy
        .ok_or_else(|| no_such_bucket_policy(bucket.as_str()))?;
    let mut response = Response::new(Body::from(policy.text));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// 204 whether or not there was a policy (S3 answers the same).
pub(crate) async fn delete(req: S3Request<'_>) -> Result<Response, ApiError> {
    let bucket = req.bucket()?.clone();
    existing(req.state, &bucket).await?;
    req.state
        .store(&DeleteBucketPolicy { name: bucket })
        .await?;
    Ok(no_content())
}

pub(crate) async fn status(req: S3Request<'_>) -> Result<Response, ApiError> {
    let bucket = req.bucket()?;
    let record = existing(req.state, bucket).await?;
    let policy = record
        .policy
        .ok_or_else(|| no_such_bucket_policy(bucket.as_str()))?;
    xml_response(&PolicyStatus::new(policy.is_public))
}
