//! The S3 surface: buckets and objects, path style (`/{bucket}/{key}`) and virtual-host style
//! (`{bucket}.{domain}/{key}`). Errors are the flat `<Error>` document.

mod acl;
mod acl_xml;
mod bucket_policy;
mod buckets;
mod delete_objects;
mod error;
mod ingest;
mod list;
mod multipart;
mod multipart_xml;
mod object_headers;
mod object_xml;
mod objects;
mod public_access_block;
pub(crate) mod router;
mod storage_error;
mod tagging;
mod tagging_xml;
mod through_mrap;
pub(crate) mod xml;

use std::sync::{Arc, Mutex};

use axum::{body::Body, http::request::Parts, response::Response};
use bytes::Bytes;
use mrap_model::{Alias, ApiError, BucketName, ErrorCode};
use mrap_proto::authz::{Grant, Resource};
use mrap_storage::RegionStore;

pub(crate) use error::render;

use crate::{
    common::{
        auth, body,
        error::{decode, no_such_bucket},
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
    /// handlers take it with [`S3Request::take_stream`].
    pub body: Bytes,
    /// Behind a lock only so that the request is `Sync` (a body is not) and handlers may hold
    /// `&S3Request` across awaits.
    stream: Mutex<Option<Body>>,
    /// The payload hash the request was authorized with (for further authorizer calls on the
    /// same request, such as a copy's source).
    pub payload_hash: String,
}

impl S3Request<'_> {
    /// The bucket of a bucket or object operation (the router never routes one without it).
    pub fn bucket(&self) -> Result<&BucketName, ApiError> {
        self.bucket
            .as_ref()
            .ok_or_else(|| ApiError::internal("a bucket operation without a bucket"))
    }

    /// The store of the bucket's Region, as the authorizer found the bucket (`NoSuchBucket`
    /// when it did not).
    pub fn store(&self) -> Result<Arc<dyn RegionStore>, ApiError> {
        let bucket = self.bucket()?;
        let granted = self
            .grant
            .bucket
            .as_ref()
            .ok_or_else(|| no_such_bucket(bucket.as_str()))?;
        self.state.region_store(granted.region.as_str())
    }

    /// Asks the authorizer whether this same request may also perform `action` on `resource`
    /// (a copy's source, each key of a DeleteObjects); the grant names the bucket's Region.
    pub async fn authorize_also(
        &self,
        action: &str,
        resource: Resource,
    ) -> Result<Grant, ApiError> {
        self.further_checks().authorize(action, resource).await
    }

    /// Further authorizer calls on this request (`Copy`, unlike the request with its body).
    pub fn further_checks(&self) -> auth::Checks<'_> {
        auth::Checks {
            state: self.state,
            ids: self.ids,
            parts: self.parts,
            payload_hash: &self.payload_hash,
            signing_service: None,
            s3_control: false,
        }
    }

    /// The unread body of a [`BodyKind::Streamed`] operation (empty the second time).
    pub fn take_stream(&self) -> Body {
        self.stream
            .lock()
            .ok()
            .and_then(|mut s| s.take())
            .unwrap_or_default()
    }

    /// The bucket owner's account id, as the authorizer found the bucket (`NoSuchBucket` when it
    /// did not). With Object Ownership `BucketOwnerEnforced` the owner owns every object and
    /// initiates every upload.
    pub fn owner(&self) -> Result<String, ApiError> {
        let bucket = self.bucket()?;
        self.grant
            .bucket
            .as_ref()
            .map(|b| b.owner.to_string())
            .ok_or_else(|| no_such_bucket(bucket.as_str()))
    }

    /// The raw query string.
    pub fn query(&self) -> &str {
        self.parts.uri.query().unwrap_or("")
    }

    /// The decoded value of query parameter `name`.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query().split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k) == name).then(|| decode(v))
        })
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
        PutObject {
            action: "s3:PutObject", route: "/{bucket}/{*key}",
            resource: Object, body: Streamed, handler: objects::put,
        },
        GetObject {
            action: "s3:GetObject", route: "/{bucket}/{*key}",
            resource: Object, body: Buffered, handler: objects::get,
        },
        HeadObject {
            action: "s3:GetObject", route: "/{bucket}/{*key}",
            resource: Object, body: Buffered, handler: objects::head,
        },
        DeleteObject {
            action: "s3:DeleteObject", route: "/{bucket}/{*key}",
            resource: Object, body: Buffered, handler: objects::delete,
        },
        // The source is authorised by the handler (s3:GetObject on it).
        CopyObject {
            action: "s3:PutObject", route: "/{bucket}/{*key}",
            resource: Object, body: Buffered, handler: objects::copy,
        },
        ListObjectsV2 {
            action: "s3:ListBucket", route: "/{bucket}?list-type=2",
            resource: Bucket, body: Buffered, handler: list::list_v2,
        },
        ListObjects {
            action: "s3:ListBucket", route: "/{bucket}",
            resource: Bucket, body: Buffered, handler: list::list_v1,
        },
        DeleteObjects {
            action: "s3:DeleteObject", route: "/{bucket}?delete",
            resource: EachObject, body: Buffered, handler: delete_objects::handle,
        },
        CreateMultipartUpload {
            action: "s3:PutObject", route: "/{bucket}/{*key}?uploads",
            resource: Object, body: Buffered, handler: multipart::create,
        },
        UploadPart {
            action: "s3:PutObject", route: "/{bucket}/{*key}?partNumber&uploadId",
            resource: Object, body: Streamed, handler: multipart::upload_part,
        },
        // The source is authorised by the handler (s3:GetObject on it).
        UploadPartCopy {
            action: "s3:PutObject", route: "/{bucket}/{*key}?partNumber&uploadId",
            resource: Object, body: Buffered, handler: multipart::upload_part_copy,
        },
        CompleteMultipartUpload {
            action: "s3:PutObject", route: "/{bucket}/{*key}?uploadId",
            resource: Object, body: Buffered, handler: multipart::complete,
        },
        AbortMultipartUpload {
            action: "s3:AbortMultipartUpload", route: "/{bucket}/{*key}?uploadId",
            resource: Object, body: Buffered, handler: multipart::abort,
        },
        ListParts {
            action: "s3:ListMultipartUploadParts", route: "/{bucket}/{*key}?uploadId",
            resource: Object, body: Buffered, handler: multipart::list_parts,
        },
        ListMultipartUploads {
            action: "s3:ListBucketMultipartUploads", route: "/{bucket}?uploads",
            resource: Bucket, body: Buffered, handler: multipart::list_uploads,
        },
        PutObjectTagging {
            action: "s3:PutObjectTagging", route: "/{bucket}/{*key}?tagging",
            resource: Object, body: Buffered, handler: tagging::put_object_tagging,
        },
        GetObjectTagging {
            action: "s3:GetObjectTagging", route: "/{bucket}/{*key}?tagging",
            resource: Object, body: Buffered, handler: tagging::get_object_tagging,
        },
        DeleteObjectTagging {
            action: "s3:DeleteObjectTagging", route: "/{bucket}/{*key}?tagging",
            resource: Object, body: Buffered, handler: tagging::delete_object_tagging,
        },
        GetBucketAcl {
            action: "s3:GetBucketAcl", route: "/{bucket}?acl",
            resource: Bucket, body: Buffered, handler: acl::get_bucket_acl,
        },
        PutBucketAcl {
            action: "s3:PutBucketAcl", route: "/{bucket}?acl",
            resource: Bucket, body: Buffered, handler: acl::put_bucket_acl,
        },
        GetObjectAcl {
            action: "s3:GetObjectAcl", route: "/{bucket}/{*key}?acl",
            resource: Object, body: Buffered, handler: acl::get_object_acl,
        },
        PutObjectAcl {
            action: "s3:PutObjectAcl", route: "/{bucket}/{*key}?acl",
            resource: Object, body: Buffered, handler: acl::put_object_acl,
        },
    }
}

/// A classified request: the operation, the bucket as named (not yet checked) or the MRAP it
/// goes through, and the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Routed {
    pub op: S3Op,
    pub bucket: Option<String>,
    /// Set for a request through an MRAP (then `bucket` is `None` until it is routed).
    pub mrap: Option<Alias>,
    pub key: String,
}

/// The pipeline after classification: bucket name, body (read first, or streamed later),
/// authorizer, handler. Requests through an MRAP take [`through_mrap::serve`].
pub(crate) async fn serve(
    state: &AppState,
    ids: &RequestIds,
    parts: &Parts,
    routed: Routed,
    request_body: Body,
) -> Result<Response, ApiError> {
    if let Some(alias) = routed.mrap.clone() {
        return through_mrap::serve(state, ids, parts, routed, alias, request_body).await;
    }
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
        (ResourceKind::Bucket, Some(b)) => Resource::Bucket(b.clone()),
        (ResourceKind::Object, Some(b)) => Resource::Object {
            bucket: b.clone(),
            key: routed.key.clone(),
        },
        (ResourceKind::EachObject, Some(b)) => Resource::EachObjectOf(b.clone()),
        // CreateBucket: the bucket the caller will own.
        (ResourceKind::CallerAccount, Some(b)) => Resource::Arn {
            owner: None,
            arn: format!("arn:aws:s3:::{b}"),
        },
        _ => Resource::CallerAccount,
    };
    let mut body = RequestBody::read(op, request_body, &parts.headers).await?;
    let grant = body
        .checks(state, ids, parts)
        .authorize(op.action(), resource)
        .await?;
    op.call(body.request(state, ids, parts, grant, bucket, routed.key))
        .await
}

/// A request's body as its operation takes it: read and checked before the authorizer
/// ([`BodyKind::Buffered`]) or left to stream to the handler ([`BodyKind::Streamed`]).
pub(crate) struct RequestBody {
    bytes: Bytes,
    stream: Option<Body>,
    /// The payload hash to authorize with.
    payload_hash: String,
}

impl RequestBody {
    pub async fn read(
        op: S3Op,
        request_body: Body,
        headers: &axum::http::HeaderMap,
    ) -> Result<Self, ApiError> {
        Ok(match op.body() {
            BodyKind::Buffered => {
                let (bytes, payload_hash) = body::read_checked(request_body, headers).await?;
                RequestBody {
                    bytes,
                    stream: None,
                    payload_hash,
                }
            }
            BodyKind::Streamed => RequestBody {
                bytes: Bytes::new(),
                stream: Some(request_body),
                payload_hash: body::declared_payload_hash(headers)?,
            },
        })
    }

    /// Whether the body is still unread (a streamed operation that has not run yet).
    pub fn is_stream(&self) -> bool {
        self.stream.is_some()
    }

    pub fn checks<'a>(
        &'a self,
        state: &'a AppState,
        ids: &'a RequestIds,
        parts: &'a Parts,
    ) -> auth::Checks<'a> {
        auth::Checks {
            state,
            ids,
            parts,
            payload_hash: &self.payload_hash,
            signing_service: None,
            s3_control: false,
        }
    }

    /// The handler's request; a streamed body goes with it (and is gone from `self`).
    pub fn request<'a>(
        &mut self,
        state: &'a AppState,
        ids: &'a RequestIds,
        parts: &'a Parts,
        grant: Grant,
        bucket: Option<BucketName>,
        key: String,
    ) -> S3Request<'a> {
        S3Request {
            state,
            ids,
            parts,
            grant,
            bucket,
            key,
            body: self.bytes.clone(),
            stream: Mutex::new(self.stream.take()),
            payload_hash: self.payload_hash.clone(),
        }
    }
}
