//! [`Timed`]: a [`RegionStore`] that records how long each call to another one takes, as
//! `mrap_storage_request_duration_seconds{region,operation}` (the gateway's stores). A call is
//! timed until its future completes: for `get_object` that is until the body starts streaming,
//! not until it has been read.

use std::{future::Future, sync::Arc, time::Instant};

use metrics::Histogram;

use crate::{
    ByteStream, ChecksumAlgorithm, ChecksumType, CompletedPart, Error, GetOutput, ListPage,
    ListParams, ListUploadsParams, ObjectInfo, ObjectMeta, PartInfo, PartsPage, RangeRequest,
    RegionStore, Staged, UploadsPage, Wanted, WriteCondition,
};

macro_rules! histograms {
    ($($op:ident),+ $(,)?) => {
        /// One histogram per operation, labels built once.
        struct Histograms { $($op: Histogram),+ }

        impl Histograms {
            fn new(region: &str) -> Self {
                Self { $($op: metrics::histogram!(
                    "mrap_storage_request_duration_seconds",
                    "region" => region.to_owned(),
                    "operation" => stringify!($op),
                )),+ }
            }
        }

        /// The operation labels, in declaration order (documentation and tests).
        pub const OPERATIONS: &[&str] = &[$(stringify!($op)),+];
    };
}

histograms!(
    create_bucket,
    delete_bucket,
    check_bucket,
    probe,
    bucket_is_empty,
    stage,
    put_object,
    head_object,
    get_object,
    delete_object,
    list_objects,
    set_tags,
    create_multipart_upload,
    upload_part,
    list_parts,
    complete_multipart_upload,
    abort_multipart_upload,
    list_multipart_uploads,
);

/// Times every call to `inner`.
pub struct Timed {
    inner: Arc<dyn RegionStore>,
    h: Histograms,
}

impl Timed {
    pub fn new(region: &str, inner: Arc<dyn RegionStore>) -> Self {
        Self {
            inner,
            h: Histograms::new(region),
        }
    }
}

async fn timed<T>(h: &Histogram, call: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let out = call.await;
    h.record(started.elapsed().as_secs_f64());
    out
}

#[async_trait::async_trait]
impl RegionStore for Timed {
    async fn create_bucket(&self, bucket: &str) -> Result<(), Error> {
        timed(&self.h.create_bucket, self.inner.create_bucket(bucket)).await
    }
    async fn delete_bucket(&self, bucket: &str) -> Result<(), Error> {
        timed(&self.h.delete_bucket, self.inner.delete_bucket(bucket)).await
    }
    async fn check_bucket(&self, bucket: &str) -> Result<(), Error> {
        timed(&self.h.check_bucket, self.inner.check_bucket(bucket)).await
    }
    async fn probe(&self) -> Result<(), Error> {
        timed(&self.h.probe, self.inner.probe()).await
    }
    async fn bucket_is_empty(&self, bucket: &str) -> Result<bool, Error> {
        timed(&self.h.bucket_is_empty, self.inner.bucket_is_empty(bucket)).await
    }
    async fn stage(
        &self,
        bucket: &str,
        body: ByteStream,
        wanted: Wanted,
        max_size: u64,
    ) -> Result<Staged, Error> {
        timed(
            &self.h.stage,
            self.inner.stage(bucket, body, wanted, max_size),
        )
        .await
    }
    async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        staged: Staged,
        meta: ObjectMeta,
        cond: WriteCondition,
    ) -> Result<ObjectInfo, Error> {
        timed(
            &self.h.put_object,
            self.inner.put_object(bucket, key, staged, meta, cond),
        )
        .await
    }
    async fn head_object(&self, bucket: &str, key: &str) -> Result<ObjectInfo, Error> {
        timed(&self.h.head_object, self.inner.head_object(bucket, key)).await
    }
    async fn get_object(
        &self,
        bucket: &str,
        key: &str,
        range: Option<RangeRequest>,
    ) -> Result<GetOutput, Error> {
        timed(
            &self.h.get_object,
            self.inner.get_object(bucket, key, range),
        )
        .await
    }
    async fn delete_object(&self, bucket: &str, key: &str) -> Result<(), Error> {
        timed(&self.h.delete_object, self.inner.delete_object(bucket, key)).await
    }
    async fn list_objects(&self, bucket: &str, params: &ListParams) -> Result<ListPage, Error> {
        timed(
            &self.h.list_objects,
            self.inner.list_objects(bucket, params),
        )
        .await
    }
    async fn set_tags(
        &self,
        bucket: &str,
        key: &str,
        tags: Vec<(String, String)>,
    ) -> Result<(), Error> {
        timed(&self.h.set_tags, self.inner.set_tags(bucket, key, tags)).await
    }
    async fn create_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        meta: ObjectMeta,
        checksum: Option<(ChecksumAlgorithm, ChecksumType)>,
    ) -> Result<String, Error> {
        timed(
            &self.h.create_multipart_upload,
            self.inner
                .create_multipart_upload(bucket, key, meta, checksum),
        )
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
        timed(
            &self.h.upload_part,
            self.inner
                .upload_part(bucket, key, upload_id, part_number, staged),
        )
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
        timed(
            &self.h.list_parts,
            self.inner
                .list_parts(bucket, key, upload_id, marker, max_parts),
        )
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
        timed(
            &self.h.complete_multipart_upload,
            self.inner
                .complete_multipart_upload(bucket, key, upload_id, parts, cond),
        )
        .await
    }
    async fn abort_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<(), Error> {
        timed(
            &self.h.abort_multipart_upload,
            self.inner.abort_multipart_upload(bucket, key, upload_id),
        )
        .await
    }
    async fn list_multipart_uploads(
        &self,
        bucket: &str,
        params: &ListUploadsParams,
    ) -> Result<UploadsPage, Error> {
        timed(
            &self.h.list_multipart_uploads,
            self.inner.list_multipart_uploads(bucket, params),
        )
        .await
    }
}
