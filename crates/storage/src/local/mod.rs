//! The embedded backend: a Region is a directory holding `region.sqlite3` (metadata, WAL mode),
//! `objects/` (object and part bytes in files named by generated ids) and `tmp/` (bodies being
//! staged or assembled). Several processes may open the same directory.
//!
//! Not done yet: removing orphans a crash can leave (files in `tmp/`, or data files whose
//! removal after a commit failed); they take space but are never read.

mod db;
mod files;
mod objects;
mod uploads;

use crate::{
    ByteStream, ChecksumAlgorithm, ChecksumType, CompletedPart, Error, GetOutput, ListPage,
    ListParams, ListUploadsParams, ObjectInfo, ObjectMeta, PartInfo, PartsPage, RangeRequest,
    RegionStore, Staged, UploadsPage, Wanted, WriteCondition,
};
use db::{Db, require_bucket};
use files::Layout;
use std::path::Path;

/// A Region kept in a local directory.
pub struct LocalStore {
    db: Db,
    layout: Layout,
}

impl LocalStore {
    /// Opens (creating if needed) the Region kept in `dir`.
    pub fn open(dir: &Path) -> Result<Self, Error> {
        let layout = Layout::create(dir)?;
        let db = Db::open(&layout.db_path())?;
        Ok(LocalStore { db, layout })
    }
}

#[async_trait::async_trait]
impl RegionStore for LocalStore {
    async fn create_bucket(&self, bucket: &str) -> Result<(), Error> {
        self.create_bucket_impl(bucket).await
    }

    async fn delete_bucket(&self, bucket: &str) -> Result<(), Error> {
        self.delete_bucket_impl(bucket).await
    }

    async fn check_bucket(&self, bucket: &str) -> Result<(), Error> {
        let b = bucket.to_owned();
        self.db.call(move |c| require_bucket(c, &b)).await
    }

    async fn probe(&self) -> Result<(), Error> {
        // The database answers a read and the staging directory is still there.
        self.db
            .call(|c| {
                c.query_row("SELECT 1", [], |_| Ok(()))
                    .map_err(|e| Error::Backend(format!("metadata database: {e}")))
            })
            .await?;
        tokio::fs::metadata(self.layout.tmp_dir())
            .await
            .map(|_| ())
            .map_err(|e| Error::Backend(format!("staging directory: {e}")))
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
        let b = bucket.to_owned();
        self.db.call(move |c| require_bucket(c, &b)).await?;
        crate::stage::stage(&self.layout.tmp_dir(), body, wanted, max_size).await
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
