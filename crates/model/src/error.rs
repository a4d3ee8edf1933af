//! Every S3 / S3 Control error code this system can return, with its HTTP status.
//!
//! One enum for both APIs (they share most codes); the gateway chooses the body layout (flat
//! `<Error>` for S3, wrapped `<ErrorResponse><Error>` for S3 Control). Asynchronous codes (those
//! only ever found in `ErrorDetails` of a described operation) live here too so the provisioner and
//! the store name them with the same type.

use serde::{Deserialize, Serialize};

macro_rules! error_codes {
    ($($variant:ident => $status:literal),+ $(,)?) => {
        /// An AWS error code. `aws_code()` is the exact wire string, `http_status()` its status.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum ErrorCode { $($variant),+ }

        impl ErrorCode {
            pub fn aws_code(self) -> &'static str {
                match self { $(ErrorCode::$variant => stringify!($variant)),+ }
            }
            pub fn http_status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status),+ }
            }
            /// Looks a wire code up (used when reading error replies back).
            pub fn from_aws_code(code: &str) -> Option<Self> {
                match code { $(stringify!($variant) => Some(ErrorCode::$variant),)+ _ => None }
            }
        }
    };
}

error_codes! {
    // generic S3
    AccessDenied => 403,
    BadDigest => 400,
    BucketAlreadyExists => 409,
    BucketAlreadyOwnedByYou => 409,
    BucketNotEmpty => 409,
    EntityTooLarge => 400,
    IllegalLocationConstraintException => 400,
    IncompleteBody => 400,
    InternalError => 500,
    InvalidAccessKeyId => 403,
    InvalidArgument => 400,
    InvalidBucketName => 400,
    InvalidBucketState => 409,
    InvalidDigest => 400,
    InvalidLocationConstraint => 400,
    InvalidRequest => 400,
    InvalidURI => 400,
    MalformedXML => 400,
    MethodNotAllowed => 405,
    MissingSecurityHeader => 400,
    NoSuchBucket => 404,
    NoSuchBucketPolicy => 404,
    NoSuchPublicAccessBlockConfiguration => 404,
    NotImplemented => 501,
    OperationAborted => 409,
    RequestHeaderSectionTooLarge => 400,
    RequestTimeTooSkewed => 403,
    ServiceUnavailable => 503,
    SignatureDoesNotMatch => 403,
    SlowDown => 503,
    XAmzContentSHA256Mismatch => 400,
    AuthorizationHeaderMalformed => 400,
    // S3 objects
    AccessControlListNotSupported => 400,
    EntityTooSmall => 400,
    InvalidPart => 400,
    InvalidPartOrder => 400,
    InvalidRange => 416,
    InvalidTag => 400,
    KeyTooLongError => 400,
    MetadataTooLarge => 400,
    MissingContentLength => 411,
    NoSuchKey => 404,
    NoSuchUpload => 404,
    NoSuchAccessPoint => 404,
    PreconditionFailed => 412,
    // S3 Control, synchronous
    ClientTokenConflict => 409,
    NoSuchAsyncRequest => 404,
    NoSuchMultiRegionAccessPoint => 404,
    TooManyMultiRegionAccessPoints => 400,
    TooManyMultiRegionAccessPointregionsError => 400,
    // S3 Control, asynchronous (only inside ErrorDetails; status 200 on Describe)
    InternalErrors => 500,
    MalformedPolicy => 400,
    MultiRegionAccessPointAlreadyOwnedByYou => 409,
    MultiRegionAccessPointModifiedByAnotherRequest => 409,
    MultiRegionAccessPointNotReady => 409,
    MultiRegionAccessPointSameBucketRegion => 400,
    MultiRegionAccessPointUnsupportedRegion => 400,
    // IAM and STS (query protocol)
    DeleteConflict => 409,
    EntityAlreadyExists => 409,
    IncompleteSignature => 400,
    InvalidAction => 400,
    InvalidClientTokenId => 403,
    InvalidInput => 400,
    LimitExceeded => 409,
    MalformedPolicyDocument => 400,
    MissingAuthenticationToken => 403,
    MissingParameter => 400,
    NoSuchEntity => 404,
    ServiceFailure => 500,
    ValidationError => 400,
}

/// An error with a code and a human-readable message: what crosses NATS in an error reply and
/// what the gateway renders as XML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InternalError, message)
    }

    /// `NoSuchMultiRegionAccessPoint`, in the same words wherever the MRAP was found missing
    /// (by the gateway or by the store).
    pub fn no_such_mrap(name: &str) -> Self {
        Self::new(
            ErrorCode::NoSuchMultiRegionAccessPoint,
            format!("The specified Multi-Region Access Point does not exist: {name}"),
        )
    }

    /// `NoSuchBucket` as the store words it (the resource, where one is given, names the bucket).
    pub fn no_such_bucket() -> Self {
        Self::new(
            ErrorCode::NoSuchBucket,
            "The specified bucket does not exist",
        )
    }

    /// A backend call that did not complete (NATS down or slow, a stream leader being elected):
    /// nothing is known to have happened, so the client is told to retry (503, which SDKs retry
    /// on their own). The detail goes to the log, never to the client.
    pub fn unavailable() -> Self {
        Self::new(
            ErrorCode::ServiceUnavailable,
            "Please reduce your request rate or try again later.",
        )
    }

    /// Whether the error says nothing about the request itself (something failed on the way),
    /// so the same request may succeed later; every other code is a final refusal.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.code,
            ErrorCode::InternalError | ErrorCode::ServiceUnavailable
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_keep_the_odd_spelling() {
        let c = ErrorCode::TooManyMultiRegionAccessPointregionsError;
        assert_eq!(c.aws_code(), "TooManyMultiRegionAccessPointregionsError");
        assert_eq!(ErrorCode::from_aws_code(c.aws_code()), Some(c));
        assert_eq!(ErrorCode::from_aws_code("Nope"), None);
    }

    #[test]
    fn statuses_match_the_documentation() {
        assert_eq!(ErrorCode::NoSuchAsyncRequest.http_status(), 404);
        assert_eq!(ErrorCode::ClientTokenConflict.http_status(), 409);
        assert_eq!(ErrorCode::SignatureDoesNotMatch.http_status(), 403);
        assert_eq!(ErrorCode::MalformedXML.http_status(), 400);
    }
}
