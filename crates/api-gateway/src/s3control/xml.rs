//! S3 Control documents: request bodies (shape only; handlers validate values) and `…Result`
//! responses.

pub(crate) mod requests;
pub(crate) mod responses;
