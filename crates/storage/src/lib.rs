//! mrap-storage: the per-Region object store behind the S3 object API.
//!
//! [`RegionStore`] is the contract the gateway is written against: S3 object semantics (keys are
//! opaque UTF-8 byte strings ordered bytewise, ETags, checksums, multipart uploads, conditional
//! writes) over some backend. [`local::LocalStore`] is the embedded backend: object bytes in files
//! named by generated ids, metadata in one SQLite database per Region directory.
//! [`s3::S3Store`] keeps a Region on an S3-compatible endpoint (MinIO, Ceph RGW, AWS); its module
//! docs list what it emulates and what particular backends cannot do.
//!
//! A request body is first [`staged`](RegionStore::stage) — streamed to a temporary file while its
//! size and digests are computed — so the gateway can check `Content-MD5`, `x-amz-checksum-*` and
//! `x-amz-content-sha256` before anything becomes visible, and only then commits it with
//! [`put_object`](RegionStore::put_object) or [`upload_part`](RegionStore::upload_part).
//!
//! Additions to the agreed API (nothing agreed was renamed or changed):
//! - [`ChecksumAlgorithm::digest`] computes a checksum of a byte slice; [`ChecksumType::name`]
//!   gives `FULL_OBJECT` / `COMPOSITE`;
//! - [`Staged::len`] / [`Staged::is_empty`] (the staged size, same as `digests().size`);
//! - `Debug` on the page and info types, `PartialEq` on [`UploadInfo`], [`PartInfo`] and
//!   [`CompletedPart`].
//!
//! Behaviour worth knowing at the call site:
//! - Complete with no parts is `InvalidPart` (S3 answers `InvalidRequest`/`MalformedXML`: check
//!   emptiness before calling). A part checksum missing from Complete is not checked (S3 answers
//!   `InvalidRequest`); a wrong one is `InvalidPart`, and so is any part checksum listed for an
//!   upload created without an algorithm. Such an upload ends with a full-object CRC64NVME, as
//!   in S3.
//! - `create_multipart_upload` refuses (`Backend`) the combinations S3 refuses (CRC64NVME
//!   composite, SHA full-object); the gateway should answer `InvalidRequest` before that.
//! - A part's stored checksum is of the upload's algorithm, computed from the file when staging
//!   was not asked for it.
//! - [`RangeRequest::resolve`] treats `last < first` as unsatisfiable; S3 ignores such a header,
//!   so the gateway's parser should drop it.
//! - Complete's `If-Match` is checked against the current object only (no 409
//!   `ConditionalRequestConflict` for an object changed since the upload began).

mod checksum;
mod error;
mod listing;
pub mod local;
mod multipart;
mod object;
mod range;
pub mod s3;
mod stage;
mod stores;
pub mod timed;

pub use checksum::{Checksum, ChecksumAlgorithm, ChecksumType};
pub use error::Error;
pub use multipart::{
    CompletedPart, ListUploadsParams, PartInfo, PartsPage, UploadInfo, UploadsPage,
};
pub use object::{GetOutput, ListPage, ListParams, ObjectInfo, ObjectMeta, WriteCondition};
pub use range::RangeRequest;
pub use stage::{Digests, Staged, Wanted};
pub use stores::Stores;

/// A request or response body: chunks of bytes, or the error that ended the stream.
pub type ByteStream =
    std::pin::Pin<Box<dyn futures::Stream<Item = std::io::Result<bytes::Bytes>> + Send>>;

/// One Region's objects. Every method is safe to call concurrently, also from several processes
/// sharing one backend.
#[async_trait::async_trait]
pub trait RegionStore: Send + Sync + 'static {
    /// Idempotent.
    async fn create_bucket(&self, bucket: &str) -> Result<(), Error>;
    /// Refuses with `BucketNotEmpty` while any object or multipart upload exists. Atomic with
    /// respect to writes: once it has succeeded, no object or upload can appear in the bucket
    /// (they fail `NoSuchBucket`).
    async fn delete_bucket(&self, bucket: &str) -> Result<(), Error>;
    /// Succeeds when the backend answers and holds `bucket` (`NoSuchBucket` when it answers
    /// without it): what the provisioner checks before it wires a Region into an MRAP.
    async fn check_bucket(&self, bucket: &str) -> Result<(), Error>;
    /// Succeeds when the backend answers at all: the gateway's health probe for failover.
    async fn probe(&self) -> Result<(), Error>;
    /// True when the bucket holds no object and no multipart upload.
    async fn bucket_is_empty(&self, bucket: &str) -> Result<bool, Error>;
    /// Streams `body` to a temporary file, computing its size, MD5 and what `wanted` asks for.
    /// `EntityTooLarge` past `max_size` bytes, `Body` when the stream fails, `NoSuchBucket`.
    async fn stage(
        &self,
        bucket: &str,
        body: ByteStream,
        wanted: Wanted,
        max_size: u64,
    ) -> Result<Staged, Error>;
    /// Makes `staged` the object `key`, replacing data and all metadata of any previous one.
    async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        staged: Staged,
        meta: ObjectMeta,
        cond: WriteCondition,
    ) -> Result<ObjectInfo, Error>;
    async fn head_object(&self, bucket: &str, key: &str) -> Result<ObjectInfo, Error>;
    async fn get_object(
        &self,
        bucket: &str,
        key: &str,
        range: Option<RangeRequest>,
    ) -> Result<GetOutput, Error>;
    /// Ok when the key is absent.
    async fn delete_object(&self, bucket: &str, key: &str) -> Result<(), Error>;
    async fn list_objects(&self, bucket: &str, params: &ListParams) -> Result<ListPage, Error>;
    /// Replaces the object's tag set. `NoSuchKey`.
    async fn set_tags(
        &self,
        bucket: &str,
        key: &str,
        tags: Vec<(String, String)>,
    ) -> Result<(), Error>;
    /// Returns the new upload id.
    async fn create_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        meta: ObjectMeta,
        checksum: Option<(ChecksumAlgorithm, ChecksumType)>,
    ) -> Result<String, Error>;
    /// Stores `staged` as part `part_number`, replacing a part of the same number.
    async fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        staged: Staged,
    ) -> Result<PartInfo, Error>;
    /// Parts numbered after `marker`, ascending, at most `max_parts`.
    async fn list_parts(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        marker: u32,
        max_parts: usize,
    ) -> Result<PartsPage, Error>;
    async fn complete_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
        cond: WriteCondition,
    ) -> Result<ObjectInfo, Error>;
    async fn abort_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<(), Error>;
    async fn list_multipart_uploads(
        &self,
        bucket: &str,
        params: &ListUploadsParams,
    ) -> Result<UploadsPage, Error>;
}
