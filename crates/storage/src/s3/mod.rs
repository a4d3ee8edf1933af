//! A Region kept on an S3-compatible endpoint (MinIO, Ceph RGW, AWS S3).
//!
//! Each mrap bucket `B` is the backend bucket `{bucket_prefix}B`; keys are the same keys. Request
//! bodies are [staged](crate::RegionStore::stage) to local temporary files exactly as in the
//! local backend (so the gateway checks digests before anything is sent), then streamed to the
//! backend from the file. The backend provides the atomicity: a write into a deleted bucket
//! fails `NoSuchBucket`, DeleteBucket refuses a bucket holding objects.
//!
//! What is kept where:
//! - Object metadata (Content-* headers, Expires, user metadata in order) and the checksum
//!   computed while staging live in one reserved user-metadata entry, `x-amz-meta-mrap` (JSON,
//!   percent-encoded to visible ASCII), stripped on read. S3 hands user metadata back as an
//!   unordered header map, RFC 2047-encodes non-ASCII values and invents a Content-Type; and
//!   backends differ in which checksums they keep. User metadata is sent only there (sending it
//!   twice would halve S3's 2 KB metadata budget); the Content-* headers are also sent as real
//!   headers when they are plain ASCII. An object without the entry (written to the backend
//!   directly) reads with the backend's headers, user metadata sorted by name.
//! - Tags are the backend's tag set (`x-amz-tagging`, PutObjectTagging, GetObjectTagging).
//! - Multipart uploads are the backend's; the upload's checksum algorithm and type are passed to
//!   it, every part is sent with its checksum of that algorithm, and the completed object's
//!   checksum is what the backend reports (HeadObject with checksum mode).
//!
//! Emulated here because S3-compatible servers differ (each check costs a request, and the
//! check and the write are two requests, so a concurrent writer can slip in between):
//! - Complete's rules (part order, part existence and ETags, part checksums, sizes:
//!   [`select_parts`](crate::multipart)) are checked against ListParts before Complete is sent;
//!   `If-None-Match`/`If-Match` on Complete are checked with a HEAD first and also passed to the
//!   backend (which makes them atomic where it implements them).
//! - An upload id must belong to the key it is used with (checked with ListMultipartUploads:
//!   moto and others ignore the key of UploadPart/ListParts).
//! - DeleteBucket refuses while multipart uploads exist (checked with ListMultipartUploads
//!   first; an upload created in between is not seen).
//! - ListParts paging and ListMultipartUploads (prefix, delimiter, markers, page size, order by
//!   key then initiation) are computed here from the backend's full lists.
//! - HEAD answers 404 without saying whether the bucket or the key is missing: a HeadBucket
//!   tells.
//!
//! Not possible with this backend: keys consisting only of whitespace (e.g. `" "`), which
//! aws-sdk-s3 refuses to send (it checks keys before building the request); such requests fail
//! with `Error::Backend`.
//!
//! Known limitations of particular backends (found with moto 5.2, the test peer):
//! - moto names the root element of ListParts and CompleteMultipartUpload answers
//!   `…Response` where S3 has `…Result`; the SDK refuses those documents, so they are read here
//!   by a minimal parser (only for a 200 answer with that root).
//! - moto reads ListParts' part-number-marker as an index (parts are fetched whole and filtered
//!   here), and reports one fixed initiation time for every upload (uploads of one key keep the
//!   backend's order, which is creation order in moto).
//! - moto keeps no part checksums (ListParts omits them, Complete ignores them), so a Complete
//!   listing part checksums is refused `InvalidPart`, and a composite checksum cannot be
//!   checked; without the optional `awscrt`/`crc32c` Python packages it computes CRC32 where
//!   CRC32C or CRC64NVME was asked; it computes no checksum for an upload created without an
//!   algorithm (S3 gives such objects a full-object CRC64NVME).
//! - moto echoes StartAfter unencoded in a URL-encoded listing, so a marker holding a character
//!   XML cannot carry (NUL, most control characters) is sent cut before it, and the entries up
//!   to the marker are dropped here.
//! - moto fails (500) on an empty PutObjectTagging: an empty tag set is a DeleteObjectTagging.
//! - moto answers 404 for keys holding a newline (its router does not match them).
//! - moto needs bucket names of 3 characters or more: give short mrap names a `bucket_prefix`.
//!
//! Listing entries carry key, size, ETag and last-modified time only (no metadata or checksum:
//! ListObjectsV2 has none). `ObjectInfo::last_modified` of a single object comes from HEAD, which
//! has second precision; `PartInfo::last_modified` of an `upload_part` answer is the local clock.
//! `UploadInfo::meta` is empty (S3 has no way to read an upload's metadata before Complete).

pub(crate) mod convert;
mod objects;
mod uploads;

use crate::{
    ByteStream, ChecksumAlgorithm, ChecksumType, CompletedPart, Error, GetOutput, ListPage,
    ListParams, ListUploadsParams, ObjectInfo, ObjectMeta, PartInfo, PartsPage, RangeRequest,
    RegionStore, Staged, UploadsPage, Wanted, WriteCondition,
};
use std::path::PathBuf;

/// Where and how to reach the backend.
#[derive(Debug, Clone)]
pub struct S3Config {
    /// `http(s)://host:port` of the S3 API.
    pub endpoint: String,
    /// The signing Region of the backend (also the LocationConstraint of created buckets).
    pub region: String,
    /// Prepended to every mrap bucket name to make the backend bucket name.
    pub bucket_prefix: String,
    /// Bucket in the path (MinIO, moto, most self-hosted servers) rather than in the host name.
    pub force_path_style: bool,
    pub credentials: S3Credentials,
    /// Where request bodies are staged (created if missing).
    pub stage_dir: PathBuf,
}

/// An access key pair. `Debug` shows the access key id only.
#[derive(Clone)]
pub struct S3Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

impl S3Credentials {
    /// Reads the key pair (and optional session token) from the named environment variables.
    /// The error names the variable, never a value.
    pub fn from_env(
        access_key_var: &str,
        secret_key_var: &str,
        session_token_var: &str,
    ) -> Result<Self, Error> {
        let read = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let missing = |name: &str| {
            Error::Backend(format!(
                "the S3 backend's credentials: environment variable {name} is not set"
            ))
        };
        Ok(S3Credentials {
            access_key_id: read(access_key_var).ok_or_else(|| missing(access_key_var))?,
            secret_access_key: read(secret_key_var).ok_or_else(|| missing(secret_key_var))?,
            session_token: read(session_token_var),
        })
    }
}

/// A Region on an S3-compatible endpoint.
pub struct S3Store {
    client: aws_sdk_s3::Client,
    prefix: String,
    region: String,
    stage_dir: PathBuf,
}

impl S3Store {
    /// Builds the client (no request is made: an unreachable backend shows on first use).
    pub fn new(config: S3Config) -> Result<Self, Error> {
        use aws_sdk_s3::config::{
            BehaviorVersion, Region, RequestChecksumCalculation, ResponseChecksumValidation,
        };
        use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
        std::fs::create_dir_all(&config.stage_dir).map_err(Error::Io)?;
        let credentials = aws_credential_types::Credentials::new(
            config.credentials.access_key_id,
            config.credentials.secret_access_key,
            config.credentials.session_token,
            None,
            "mrap-regions",
        );
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let sdk = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(config.region.clone()))
            .endpoint_url(config.endpoint)
            .force_path_style(config.force_path_style)
            .credentials_provider(credentials)
            .http_client(http)
            // Bodies go out with Content-MD5 and our own x-amz-checksum-* values; the SDK's
            // default CRC32 would switch them to aws-chunked encoding, which not every
            // S3-compatible server decodes.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            // A backend that does not accept connections fails a request within 2 s (then the
            // gateway's health probe takes the Region out), not after the SDK's default wait.
            // No read timeout: a 5 GiB body may rightly take minutes.
            .timeout_config(
                aws_sdk_s3::config::timeout::TimeoutConfig::builder()
                    .connect_timeout(std::time::Duration::from_secs(2))
                    .build(),
            )
            .build();
        Ok(S3Store {
            client: aws_sdk_s3::Client::from_conf(sdk),
            prefix: config.bucket_prefix,
            region: config.region,
            stage_dir: config.stage_dir,
        })
    }

    /// The backend bucket of mrap bucket `bucket`.
    fn backend_bucket(&self, bucket: &str) -> String {
        format!("{}{bucket}", self.prefix)
    }
}

#[async_trait::async_trait]
impl RegionStore for S3Store {
    async fn create_bucket(&self, bucket: &str) -> Result<(), Error> {
        self.create_bucket_impl(bucket).await
    }

    async fn delete_bucket(&self, bucket: &str) -> Result<(), Error> {
        self.delete_bucket_impl(bucket).await
    }

    async fn check_bucket(&self, bucket: &str) -> Result<(), Error> {
        self.require_bucket(bucket).await
    }

    async fn probe(&self) -> Result<(), Error> {
        self.client
            .list_buckets()
            .max_buckets(1)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| convert::backend_error("ListBuckets", e))
    }

    async fn bucket_is_empty(&self, bucket: &str) -> Result<bool, Error> {
        self.bucket_is_empty_impl(bucket).await
    }

    async fn stage(
        &self,
        bucket: &str,
        body: ByteStream,
        wanted: Wanted,
        max_size: u64,
    ) -> Result<Staged, Error> {
        self.require_bucket(bucket).await?;
        crate::stage::stage(&self.stage_dir, body, wanted, max_size).await
    }

    async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        staged: Staged,
        meta: ObjectMeta,
        cond: WriteCondition,
    ) -> Result<ObjectInfo, Error> {
        self.put_object_impl(bucket, key, staged, meta, cond).await
    }

    async fn head_object(&self, bucket: &str, key: &str) -> Result<ObjectInfo, Error> {
        self.head_object_impl(bucket, key).await
    }

    async fn get_object(
        &self,
        bucket: &str,
        key: &str,
        range: Option<RangeRequest>,
    ) -> Result<GetOutput, Error> {
        self.get_object_impl(bucket, key, range).await
    }

    async fn delete_object(&self, bucket: &str, key: &str) -> Result<(), Error> {
        self.delete_object_impl(bucket, key).await
    }

    async fn list_objects(&self, bucket: &str, params: &ListParams) -> Result<ListPage, Error> {
        self.list_objects_impl(bucket, params).await
    }

    async fn set_tags(
        &self,
        bucket: &str,
        key: &str,
        tags: Vec<(String, String)>,
    ) -> Result<(), Error> {
        self.set_tags_impl(bucket, key, tags).await
    }

    async fn create_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        meta: ObjectMeta,
        checksum: Option<(ChecksumAlgorithm, ChecksumType)>,
    ) -> Result<String, Error> {
        self.create_multipart_upload_impl(bucket, key, meta, checksum)
            .await
    }

    async fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        staged: Staged,
    ) -> Result<PartInfo, Error> {
        self.upload_part_impl(bucket, key, upload_id, part_number, staged)
            .await
    }

    async fn list_parts(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        marker: u32,
        max_parts: usize,
    ) -> Result<PartsPage, Error> {
        self.list_parts_impl(bucket, key, upload_id, marker, max_parts)
            .await
    }

    async fn complete_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
        cond: WriteCondition,
    ) -> Result<ObjectInfo, Error> {
        self.complete_multipart_upload_impl(bucket, key, upload_id, parts, cond)
            .await
    }

    async fn abort_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<(), Error> {
        self.abort_multipart_upload_impl(bucket, key, upload_id)
            .await
    }

    async fn list_multipart_uploads(
        &self,
        bucket: &str,
        params: &ListUploadsParams,
    ) -> Result<UploadsPage, Error> {
        self.list_multipart_uploads_impl(bucket, params).await
    }
}
