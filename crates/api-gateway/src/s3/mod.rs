//! The S3 surface: buckets and objects, path style (`/{bucket}/{key}`) and virtual-host style
//! (`{bucket}.{domain}/{key}`). Errors are the flat `<Error>` document.

mod bucket_policy;
mod buckets;
mod error;
mod public_access_block;
pub(crate) mod router;
pub(crate) mod xml;

use axum::{body::Body, http::request::Parts, response::Response};
use bytes::Bytes;
use mrap_model::{ApiError, BucketName, ErrorCode};
use mrap_proto::authz::{Grant, Resource};

pub(crate) use error::render;

use crate::{
    common::{
        auth, body,
        error::no_such_bucket,
        request_id::RequestIds,
        table::{BodyKind, ResourceKind},
    },
    server::AppState,
};

/// What a handler gets.
pub(crate) struct S3Request<'a> {
    pub state: &'a AppState,
    pub ids: &'a RequestIds,
    pub parts: &'a Parts,
    pub grant: Grant,
    /// `None` only for `ListBuckets`.
    pub bucket: Option<BucketName>,
    /// The object key, percent-decoded ("" for bucket operations).
    pub key: String,
    /// The whole body for [`BodyKind::Buffered`] operations; empty for streamed ones, whose
    /// handlers read [`S3Request::stream`].
    pub body: Bytes,
    pub stream: Option<Body>,
}

impl S3Request<'_> {
    /// The bucket of a bucket or object operation (the router never routes one without it).
    pub fn bucket(&self) -> Result<&BucketName, ApiError> {
        self.bucket
            .as_ref()
            .ok_or_else(|| ApiError::internal("a bucket operation without a bucket"))
    }
}

operation_table! {
    /// Every S3 operation served.
    pub(crate) enum S3Op for S3Request<'_> {
        ListBuckets {
            action: "s3:ListAllMyBuckets", route: "/",
            resource: CallerAccount, body: Buffered, handler: buckets::list,
        },
        CreateBucket {
            action: "s3:CreateBucket", route: "/{bucket}",
            resource: CallerAccount, body: Buffered, handler: buckets::create,
        },
        HeadBucket {
            action: "s3:ListBucket", route: "/{bucket}",
            resource: Bucket, body: Buffered, handler: buckets::head,
        },
        GetBucketLocation {
            action: "s3:GetBucketLocation", route: "/{bucket}?location",
            resource: Bucket, body: Buffered, handler: buckets::location,
        },
        DeleteBucket {
            action: "s3:DeleteBucket", route: "/{bucket}",
            resource: Bucket, body: Buffered, handler: buckets::delete,
        },
        PutBucketPolicy {
            action: "s3:PutBucketPolicy", route: "/{bucket}?policy",
            resource: Bucket, body: Buffered, handler: bucket_policy::put,
        },
        GetBucketPolicy {
            action: "s3:GetBucketPolicy", route: "/{bucket}?policy",
            resource: Bucket, body: Buffered, handler: bucket_policy::get,
        },
        DeleteBucketPolicy {
            action: "s3:DeleteBucketPolicy", route: "/{bucket}?policy",
            resource: Bucket, body: Buffered, handler: bucket_policy::delete,
        },
        GetBucketPolicyStatus {
            action: "s3:GetBucketPolicyStatus", route: "/{bucket}?policyStatus",
            resource: Bucket, body: Buffered, handler: bucket_policy::status,
        },
        PutPublicAccessBlock {
            action: "s3:PutBucketPublicAccessBlock", route: "/{bucket}?publicAccessBlock",
            resource: Bucket, body: Buffered, handler: public_access_block::put,
        },
        GetPublicAccessBlock {
            action: "s3:GetBucketPublicAccessBlock", route: "/{bucket}?publicAccessBlock",
            resource: Bucket, body: Buffered, handler: public_access_block::get,
        },
        // Deleting is authorised as putting (AWS documents no separate Delete action).
        DeletePublicAccessBlock {
            action: "s3:PutBucketPublicAccessBlock", route: "/{bucket}?publicAccessBlock",
            resource: Bucket, body: Buffered, handler: public_access_block::delete,
        },
    }
}

/// A classified request: the operation, the bucket as named (not yet checked) and the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Routed {
    pub op: S3Op,
    pub bucket: Option<String>,
    pub key: String,
}

/// The pipeline after classification: bucket name, body (read first, or streamed later),
/// authorizer, handler.
pub(crate) async fn serve(
    state: &AppState,
    ids: &RequestIds,
    parts: &Parts,
    routed: Routed,
    request_body: Body,
) -> Result<Response, ApiError> {
    let op = routed.op;
    let bucket = match (&routed.bucket, op) {
        (None, _) => None,
        (Some(name), S3Op::CreateBucket) => Some(
            BucketName::parse(name).map_err(|m| ApiError::new(ErrorCode::InvalidBucketName, m))?,
        ),
        // A name that breaks the rules cannot name an existing bucket.
        (Some(name), _) => Some(BucketName::parse(name).map_err(|_| no_such_bucket(name))?),
    };
    let resource = match (op.resource(), &bucket) {
        (ResourceKind::Bucket | ResourceKind::Object, Some(b)) => Resource::Bucket(b.clone()),
        _ => Resource::CallerAccount,
    };
    let (bytes, stream, payload_hash) = match op.body() {
        BodyKind::Buffered => {
            let (bytes, hash) = body::read_checked(request_body, &parts.headers).await?;
            (bytes, None, hash)
        }
        BodyKind::Streamed => (
            Bytes::new(),
            Some(request_body),
            body::declared_payload_hash(&parts.headers)?,
        ),
    };
    let authz = auth::authz_request(
        auth::SignedParts::new(ids, parts, payload_hash),
        op.action(),
        resource,
        None,
        false,
    );
    let grant = auth::authorize(state, &authz).await?;
    op.call(S3Request {
        state,
        ids,
        parts,
        grant,
        bucket,
        key: routed.key,
        body: bytes,
        stream,
    })
    .await
}
