//! Tests against the official AWS signing test suite and S3-specific cases.

mod fuzz;
mod http_text;
mod s3;
mod vectors;
mod vectors_v4a;
