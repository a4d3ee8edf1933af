//! Bucket operations: ListBuckets, CreateBucket, HeadBucket, GetBucketLocation, DeleteBucket.
//!
//! The policy-store owns the bucket records; the gateway keeps each bucket in its Region's store
//! (`mrap_storage`) in step with them.

use axum::{
    body::Body,
    http::{HeaderValue, StatusCode, header},
    response::Response,
};
use mrap_model::{ApiError, BucketName, BucketRecord, ErrorCode, RegionSpec, RegionsConfig};
use mrap_proto::store::{CreateBucket, DeleteBucket, GetBucket, ListBuckets};

use crate::{
    common::{
        error::{malformed_xml, no_such_bucket},
        xml::{from_xml, xml_response},
    },
    s3::{
        S3Request,
        storage_error::to_api,
        xml::{
            CREATE_BUCKET_ROOT, CreateBucketConfiguration, ListAllMyBucketsResult,
            LocationConstraint,
        },
    },
    server::AppState,
};

/// The Region a bucket lands in when no `LocationConstraint` is given.
const DEFAULT_REGION: &str = "us-east-1";

pub(crate) async fn list(req: S3Request<'_>) -> Result<Response, ApiError> {
    let (state, grant) = (req.state, &req.grant);
    let mut buckets = state
        .store(&ListBuckets {
            owner: grant.account.clone(),
        })
        .await?;
    buckets.sort_by(|a, b| a.name.cmp(&b.name));
    xml_response(&ListAllMyBucketsResult::new(&grant.account, &buckets))
}

pub(crate) async fn create(req: S3Request<'_>) -> Result<Response, ApiError> {
    let (state, grant, bucket) = (req.state, &req.grant, req.bucket()?.clone());
    let spec = requested_region(&req.body, &state.regions)?;
    state
        .store(&CreateBucket {
            name: bucket.clone(),
            region: spec.name.clone(),
            owner: grant.account.clone(),
        })
        .await?;
    // After the record: a bucket the store knows but no record names is never reachable,
    // while the reverse would answer NoSuchBucket from the store.
    state
        .region_store(spec.name.as_str())?
        .create_bucket(bucket.as_str())
        .await
        .map_err(|e| to_api(e, bucket.as_str()))?;
    let mut response = Response::new(Body::empty());
    if let Ok(location) = HeaderValue::from_str(&format!("/{bucket}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

pub(crate) async fn head(req: S3Request<'_>) -> Result<Response, ApiError> {
    let record = existing(req.state, req.bucket()?).await?;
    let mut response = Response::new(Body::empty());
    if let Ok(region) = HeaderValue::from_str(record.region.as_str()) {
        response.headers_mut().insert("x-amz-bucket-region", region);
    }
    Ok(response)
}

pub(crate) async fn location(req: S3Request<'_>) -> Result<Response, ApiError> {
    let record = existing(req.state, req.bucket()?).await?;
    xml_response(&LocationConstraint::new(record.region.as_str()))
}

/// The store refuses a bucket that holds objects or multipart uploads (`BucketNotEmpty`) in the
/// same transaction that deletes it, so no PUT can slip in; then the record goes. Should the
/// policy-store refuse (an MRAP still names the bucket), the store's bucket is made again.
pub(crate) async fn delete(req: S3Request<'_>) -> Result<Response, ApiError> {
    let (state, bucket) = (req.state, req.bucket()?.clone());
    let record = existing(state, &bucket).await?;
    let store = state.region_store(record.region.as_str())?;
    store
        .delete_bucket(bucket.as_str())
        .await
        .map_err(|e| to_api(e, bucket.as_str()))?;
    if let Err(refused) = state
        .store(&DeleteBucket {
            name: bucket.clone(),
        })
        .await
    {
        store
            .create_bucket(bucket.as_str())
            .await
            .map_err(|e| to_api(e, bucket.as_str()))?;
        return Err(refused);
    }
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    Ok(response)
}

/// The bucket's record, or `NoSuchBucket`.
pub(crate) async fn existing(
    state: &AppState,
    bucket: &BucketName,
) -> Result<BucketRecord, ApiError> {
    state
        .store(&GetBucket {
            name: bucket.clone(),
        })
        .await?
        .ok_or_else(|| no_such_bucket(bucket.as_str()))
}

/// The Region named by an optional `CreateBucketConfiguration`: none or empty → us-east-1, the
/// legacy `EU` → eu-west-1; it must be one of the deployment's Regions.
pub(crate) fn requested_region<'r>(
    body: &[u8],
    regions: &'r RegionsConfig,
) -> Result<&'r RegionSpec, ApiError> {
    let name = if body.trim_ascii().is_empty() {
        DEFAULT_REGION.to_owned()
    } else {
        let config: CreateBucketConfiguration =
            from_xml(body, CREATE_BUCKET_ROOT).map_err(|_| malformed_xml())?;
        match config.location_constraint.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_REGION.to_owned(),
            Some("EU") => "eu-west-1".to_owned(),
            Some(region) => region.to_owned(),
        }
    };
    regions.get(&name).ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidLocationConstraint,
            format!("The specified location-constraint is not valid: {name}"),
        )
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn region_of(body: &str) -> Result<String, ErrorCode> {
        let regions = RegionsConfig::load(None).unwrap();
        requested_region(body.as_bytes(), &regions)
            .map(|s| s.name.to_string())
            .map_err(|e| e.code)
    }

    #[test]
    fn location_constraints() {
        let cfg = |lc: &str| {
            format!(
                r#"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{lc}</CreateBucketConfiguration>"#
            )
        };
        assert_eq!(region_of(""), Ok("us-east-1".into()));
        assert_eq!(region_of("  \n"), Ok("us-east-1".into()));
        assert_eq!(region_of(&cfg("")), Ok("us-east-1".into()));
        assert_eq!(
            region_of(&cfg("<LocationConstraint></LocationConstraint>")),
            Ok("us-east-1".into())
        );
        assert_eq!(
            region_of(&cfg("<LocationConstraint>eu-west-1</LocationConstraint>")),
            Ok("eu-west-1".into())
        );
        assert_eq!(
            region_of(&cfg("<LocationConstraint>EU</LocationConstraint>")),
            Ok("eu-west-1".into())
        );
        assert_eq!(
            region_of(&cfg(
                "<LocationConstraint>ap-southeast-2</LocationConstraint>"
            )),
            Ok("ap-southeast-2".into())
        );
        assert_eq!(
            region_of(&cfg(
                "<LocationConstraint>mars-north-1</LocationConstraint>"
            )),
            Err(ErrorCode::InvalidLocationConstraint)
        );
        assert_eq!(
            region_of("<CreateBucketConfiguration>"),
            Err(ErrorCode::MalformedXML)
        );
        assert_eq!(region_of("not xml"), Err(ErrorCode::MalformedXML));
        assert_eq!(region_of("<Other/>"), Err(ErrorCode::MalformedXML));
    }
}
