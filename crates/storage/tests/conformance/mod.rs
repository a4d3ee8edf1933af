//! The RegionStore conformance suite: S3 object semantics every backend must show. Each test is
//! an async fn over `&dyn RegionStore` holding a fresh, empty store; a backend's test file runs
//! them all through `conformance_tests!`.

#![allow(clippy::unwrap_used, dead_code)]

pub mod buckets;
pub mod listing;
pub mod multipart;
pub mod objects;

use bytes::Bytes;
use futures::StreamExt as _;
use mrap_storage::{
    ByteStream, GetOutput, ListPage, ListParams, ObjectInfo, ObjectMeta, RegionStore, Staged,
    Wanted, WriteCondition,
};

/// Generates one `#[tokio::test]` per conformance test. `$open` is an async fn returning
/// `(guard, store)`: a fresh store, and whatever must live as long as it (a temp dir).
#[macro_export]
macro_rules! conformance_tests {
    ($open:path) => {
        $crate::conformance_tests!(@each $open;
            objects::round_trip, objects::metadata_and_tags, objects::digests_while_staging,
            objects::ranges, objects::conditional_writes, objects::body_errors,
            objects::large_object_streams, objects::hostile_keys,
            listing::byte_order, listing::delimiters_and_markers, listing::paging_thousands,
            multipart::complete_and_etag, multipart::complete_refusals,
            multipart::composite_checksums, multipart::full_object_checksums,
            multipart::parts_listing, multipart::uploads_listing,
            buckets::lifecycle, buckets::not_empty, buckets::delete_races_puts,
        );
    };
    (@each $open:path; $($module:ident :: $name:ident),* $(,)?) => {
        mod conformance_suite {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let (_guard, store) = $open().await;
                    conformance::$module::$name(&store).await;
                }
            )*
        }
    };
}

/// A body of the given chunks.
pub fn body(chunks: Vec<Vec<u8>>) -> ByteStream {
    futures::stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from(c)))).boxed()
}

pub const MAX: u64 = 5 * 1024 * 1024 * 1024;

pub async fn stage(s: &dyn RegionStore, bucket: &str, data: &[u8], wanted: Wanted) -> Staged {
    let chunks = data.chunks(7000).map(<[u8]>::to_vec).collect();
    s.stage(bucket, body(chunks), wanted, MAX).await.unwrap()
}

pub async fn put(s: &dyn RegionStore, bucket: &str, key: &str, data: &[u8]) -> ObjectInfo {
    put_with(s, bucket, key, data, ObjectMeta::default()).await
}

pub async fn put_with(
    s: &dyn RegionStore,
    bucket: &str,
    key: &str,
    data: &[u8],
    meta: ObjectMeta,
) -> ObjectInfo {
    let staged = stage(s, bucket, data, Wanted::default()).await;
    s.put_object(bucket, key, staged, meta, WriteCondition::Always)
        .await
        .unwrap()
}

pub async fn read_all(out: GetOutput) -> Vec<u8> {
    let mut body = out.body;
    let mut data = Vec::new();
    while let Some(chunk) = body.next().await {
        data.extend_from_slice(&chunk.unwrap());
    }
    data
}

pub async fn get(s: &dyn RegionStore, bucket: &str, key: &str) -> Vec<u8> {
    read_all(s.get_object(bucket, key, None).await.unwrap()).await
}

pub fn md5_hex(data: &[u8]) -> String {
    use md5::Digest as _;
    hex::encode(md5::Md5::digest(data))
}

pub fn params(
    prefix: &str,
    delimiter: Option<&str>,
    after: Option<&str>,
    max: usize,
) -> ListParams {
    ListParams {
        prefix: prefix.into(),
        delimiter: delimiter.map(Into::into),
        after: after.map(Into::into),
        max_keys: max,
    }
}

/// A page as entries in order: keys as themselves, common prefixes as "P:" + prefix.
pub fn entries(page: &ListPage) -> Vec<String> {
    assert!(
        page.objects
            .is_sorted_by(|a, b| a.key.as_bytes() < b.key.as_bytes())
    );
    assert!(
        page.common_prefixes
            .is_sorted_by(|a, b| a.as_bytes() < b.as_bytes())
    );
    let mut all: Vec<String> = page.objects.iter().map(|o| o.key.clone()).collect();
    all.extend(page.common_prefixes.iter().map(|p| format!("P:{p}")));
    all.sort_by(|a, b| strip(a).as_bytes().cmp(strip(b).as_bytes()));
    all
}

fn strip(entry: &str) -> &str {
    entry.strip_prefix("P:").unwrap_or(entry)
}

/// Every key and common prefix `s` lists, paging `max` at a time from `last`.
pub async fn list_all(
    s: &dyn RegionStore,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
    max: usize,
) -> Vec<String> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = s
            .list_objects(bucket, &params(prefix, delimiter, after.as_deref(), max))
            .await
            .unwrap();
        assert!(page.objects.len() + page.common_prefixes.len() <= max);
        all.extend(entries(&page));
        if !page.is_truncated {
            return all;
        }
        after = page.last.clone();
        assert!(after.is_some(), "a truncated page names its last entry");
    }
}
