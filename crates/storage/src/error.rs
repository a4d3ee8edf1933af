/// What a store operation can fail with. The gateway maps each variant to its S3 error code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the specified bucket does not exist")]
    NoSuchBucket,
    #[error("the specified key does not exist")]
    NoSuchKey,
    #[error("the specified multipart upload does not exist")]
    NoSuchUpload,
    #[error("the bucket you tried to delete is not empty")]
    BucketNotEmpty,
    #[error("the requested range is not satisfiable (object size {size})")]
    InvalidRange { size: u64 },
    /// A conditional write (`If-None-Match: *`, `If-Match`) lost.
    #[error("at least one of the preconditions you specified did not hold")]
    PreconditionFailed,
    /// Which part, and why (not found, ETag or checksum mismatch).
    #[error("invalid part: {0}")]
    InvalidPart(String),
    #[error("the list of parts was not in ascending order")]
    InvalidPartOrder,
    #[error("a part other than the last is smaller than 5 MiB")]
    EntityTooSmall,
    #[error("the body exceeds the maximum allowed size of {max} bytes")]
    EntityTooLarge { max: u64 },
    /// Reading the request body failed. Carries the body stream's error unchanged, so the gateway
    /// gets back its own typed error (e.g. a chunk-signature mismatch) with `into_inner()`.
    #[error("reading the request body failed: {0}")]
    Body(std::io::Error),
    #[error("storage I/O error: {0}")]
    Io(std::io::Error),
    #[error("metadata database error: {0}")]
    Db(String),
    #[error("storage backend error: {0}")]
    Backend(String),
}
