//! DeleteObjects (`POST /{bucket}?delete`): up to 1,000 keys, each authorised and deleted on its
//! own (`s3:DeleteObject` on that object, as S3 evaluates it), outcomes in request order.
//! A key that does not exist counts as deleted, as in S3.

use axum::response::Response;
use futures::{StreamExt, stream};
use mrap_model::{ApiError, ErrorCode};
use mrap_proto::authz::Resource;

use crate::{
    common::{
        error::malformed_xml,
        xml::{S3_NS, from_xml, xml_response},
    },
    s3::{
        S3Request,
        object_xml::{DELETE_ROOT, Delete, DeleteEntry, DeleteResult},
        storage_error::to_api,
    },
};

/// S3's limit per request.
const MAX_KEYS: usize = 1000;
/// Keys worked on at once (each is an authorizer round trip and a store call).
const CONCURRENCY: usize = 16;

pub(crate) async fn handle(req: S3Request<'_>) -> Result<Response, ApiError> {
    let request: Delete = from_xml(&req.body, DELETE_ROOT).map_err(|_| malformed_xml())?;
    if request.objects.is_empty() || request.objects.len() > MAX_KEYS {
        return Err(malformed_xml());
    }
    let quiet = request
        .quiet
        .as_deref()
        .is_some_and(|q| q.trim().eq_ignore_ascii_case("true"));
    let keys = request
        .objects
        .into_iter()
        .map(|o| Ok((o.key.ok_or_else(malformed_xml)?, o.version_id)))
        .collect::<Result<Vec<(String, Option<String>)>, ApiError>>()?;
    let bucket = req.bucket()?.clone();
    let store = req.store()?;
    let checks = req.further_checks();
    let outcomes: Vec<DeleteEntry> = stream::iter(keys)
        .map(|(key, version)| {
            let (bucket, store) = (bucket.clone(), store.clone());
            async move {
                let done = async {
                    // Only the current version exists ("null" names it).
                    if version.is_some_and(|v| v != "null") {
                        return Err(ApiError::new(
                            ErrorCode::InvalidArgument,
                            "Invalid version id specified",
                        ));
                    }
                    checks
                        .authorize(
                            "s3:DeleteObject",
                            Resource::Object {
                                bucket: bucket.clone(),
                                key: key.clone(),
                            },
                        )
                        .await?;
                    store
                        .delete_object(bucket.as_str(), &key)
                        .await
                        .map_err(|e| to_api(e, bucket.as_str()))
                }
                .await;
                match done {
                    Ok(()) => DeleteEntry::Deleted { key },
                    Err(e) => DeleteEntry::Error {
                        key,
                        code: e.code.aws_code(),
                        message: e.message,
                    },
                }
            }
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let entries = outcomes
        .into_iter()
        .filter(|e| !(quiet && matches!(e, DeleteEntry::Deleted { .. })))
        .collect();
    xml_response(&DeleteResult {
        xmlns: S3_NS,
        entries,
    })
}
