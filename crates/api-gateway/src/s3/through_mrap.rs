//! Requests through an MRAP: the operations AWS serves through one, routed to the nearest Region
//! whose route is active and which is up, authorized by the authorizer on that Region's bucket
//! (identity ∩ MRAP policy ∩ bucket policy ∩ Block Public Access), then served by the same
//! handlers as direct bucket requests. A request without a body that finds its Region's store
//! not answering is retried on the next Region; one whose body has started streaming cannot be.
//! The response names the Region that served it in `x-mrap-region` (stamped with the request
//! ids, so error responses carry it too).

use axum::{body::Body, http::request::Parts, response::Response};
use mrap_model::{Alias, ApiError, ErrorCode};
use mrap_proto::authz::Resource;
use tracing::Span;

use crate::{
    common::{request_id::RequestIds, table::ResourceKind},
    routing,
    s3::{RequestBody, Routed, S3Op},
    server::AppState,
};

/// The operations AWS serves through an MRAP (of those this gateway serves). Not `CopyObject`
/// nor `UploadPartCopy` (neither side of a copy may be an MRAP), nor bucket operations.
const THROUGH_MRAP: [S3Op; 16] = [
    S3Op::AbortMultipartUpload,
    S3Op::CompleteMultipartUpload,
    S3Op::CreateMultipartUpload,
    S3Op::DeleteObject,
    S3Op::DeleteObjectTagging,
    S3Op::GetObject,
    S3Op::GetObjectAcl,
    S3Op::GetObjectTagging,
    S3Op::HeadObject,
    S3Op::ListMultipartUploads,
    S3Op::ListObjectsV2,
    S3Op::ListParts,
    S3Op::PutObject,
    S3Op::PutObjectAcl,
    S3Op::PutObjectTagging,
    S3Op::UploadPart,
];

pub(crate) async fn serve(
    state: &AppState,
    ids: &RequestIds,
    parts: &Parts,
    routed: Routed,
    alias: Alias,
    request_body: Body,
) -> Result<Response, ApiError> {
    let op = routed.op;
    if !THROUGH_MRAP.contains(&op) {
        return Err(not_through_mrap(op));
    }
    let key = (op.resource() == ResourceKind::Object).then(|| routed.key.clone());
    let mrap = state.routing.mrap(alias.as_str()).await?;
    let candidates = state.routing.candidates(&mrap, &state.regions)?;
    let mut body = RequestBody::read(op, request_body, &parts.headers).await?;
    let span = Span::current();
    for (attempt, route) in candidates.iter().enumerate() {
        let region = route.region.as_str();
        span.record("mrap.routed_region", region);
        ids.set_routed_region(region);
        tracing::debug!(
            %alias, region, bucket = %route.bucket, attempt = attempt + 1,
            candidates = candidates.len(), "routed through MRAP"
        );
        let resource = Resource::ThroughMrap {
            alias: alias.clone(),
            bucket: route.bucket.clone(),
            key: key.clone(),
        };
        let grant = body
            .checks(state, ids, parts)
            .authorize(op.action(), resource)
            .await?;
        let retryable = !body.is_stream();
        let request = body.request(
            state,
            ids,
            parts,
            grant,
            Some(route.bucket.clone()),
            routed.key.clone(),
        );
        match op.call(request).await {
            Ok(response) => return Ok(response),
            Err(e) if retryable && store_failed(&e) && !confirm_up(state, region).await => {
                tracing::warn!(region, error = %e.message, "Region failed a request; failing over");
            }
            Err(e) => return Err(e),
        }
    }
    // Every Region's store failed this request.
    Err(routing::no_region_available())
}

/// A failure that may be the Region's store not answering (as opposed to an S3 answer).
fn store_failed(e: &ApiError) -> bool {
    matches!(
        e.code,
        ErrorCode::InternalError | ErrorCode::ServiceUnavailable
    )
}

/// Probes the Region's store after a failed request: true when it answers after all.
async fn confirm_up(state: &AppState, region: &str) -> bool {
    match state.stores.get(region) {
        Some(store) => state.routing.health.confirm(region, store.as_ref()).await,
        None => false,
    }
}

/// GUESSES.md: AWS documents which operations an MRAP serves but not the answer to the others.
fn not_through_mrap(op: S3Op) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidRequest,
        format!(
            "{} is not supported through a Multi-Region Access Point.",
            op.name()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_and_bucket_operations_are_refused_through_an_mrap() {
        for op in [
            S3Op::CopyObject,
            S3Op::UploadPartCopy,
            S3Op::DeleteObjects,
            S3Op::ListObjects,
            S3Op::GetBucketPolicy,
            S3Op::DeleteBucket,
        ] {
            assert!(!THROUGH_MRAP.contains(&op), "{op:?}");
            let e = not_through_mrap(op);
            assert_eq!(e.code, ErrorCode::InvalidRequest);
            assert!(e.message.starts_with(op.name()), "{}", e.message);
        }
        for op in THROUGH_MRAP {
            assert_ne!(op.resource(), ResourceKind::EachObject, "{op:?}");
            assert_ne!(op.resource(), ResourceKind::CallerAccount, "{op:?}");
        }
    }
}
