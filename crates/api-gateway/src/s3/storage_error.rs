//! A Region store's refusal as the S3 error a client expects.

use mrap_model::{ApiError, ErrorCode};
use mrap_storage::Error;

use crate::common::error::no_such_bucket;

pub(crate) fn no_such_key() -> ApiError {
    ApiError::new(ErrorCode::NoSuchKey, "The specified key does not exist.")
}

pub(crate) fn precondition_failed() -> ApiError {
    ApiError::new(
        ErrorCode::PreconditionFailed,
        "At least one of the pre-conditions you specified did not hold",
    )
}

pub(crate) fn entity_too_large(max: u64) -> ApiError {
    ApiError::new(
        ErrorCode::EntityTooLarge,
        format!("Your proposed upload exceeds the maximum allowed size of {max} bytes."),
    )
}

/// `bucket` names the bucket in `NoSuchBucket`.
pub(crate) fn to_api(err: Error, bucket: &str) -> ApiError {
    match err {
        Error::NoSuchBucket => no_such_bucket(bucket),
        Error::NoSuchKey => no_such_key(),
        Error::NoSuchUpload => ApiError::new(
            ErrorCode::NoSuchUpload,
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
        ),
        Error::BucketNotEmpty => ApiError::new(
            ErrorCode::BucketNotEmpty,
            "The bucket you tried to delete is not empty.",
        ),
        Error::InvalidRange { .. } => ApiError::new(
            ErrorCode::InvalidRange,
            "The requested range is not satisfiable",
        ),
        Error::PreconditionFailed => precondition_failed(),
        Error::InvalidPart(why) => ApiError::new(
            ErrorCode::InvalidPart,
            format!(
                "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag. ({why})"
            ),
        ),
        Error::InvalidPartOrder => ApiError::new(
            ErrorCode::InvalidPartOrder,
            "The list of parts was not in ascending order. The parts list must be specified in order by part number.",
        ),
        Error::EntityTooSmall => ApiError::new(
            ErrorCode::EntityTooSmall,
            "Your proposed upload is smaller than the minimum allowed object size.",
        ),
        Error::EntityTooLarge { max } => entity_too_large(max),
        // The body stream's own error: ours (a refused chunk, a digest) comes back as it was
        // raised; anything else means the client's body broke off.
        Error::Body(e) => match e.into_inner().map(|inner| inner.downcast::<ApiError>()) {
            Some(Ok(api)) => *api,
            _ => ApiError::new(
                ErrorCode::IncompleteBody,
                "You did not provide the number of bytes specified by the Content-Length HTTP header.",
            ),
        },
        Error::Io(e) => internal(&e),
        Error::Db(e) | Error::Backend(e) => internal(&e),
    }
}

fn internal(e: &dyn std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "storage failure");
    ApiError::internal("We encountered an internal error. Please try again.")
}
