//! The object API through boto3, the other official client: `tests/python/objects_boto3.py`
//! (put/get/head/delete, list v2 with a delimiter and `EncodingType=url`, paginators, list v1,
//! multipart with 5 MiB parts and through s3transfer, copy, tagging, checksums, DeleteObjects)
//! in path style and virtual-host style against an in-process stack.

use aws_sdk_s3::types::EncodingType;

use crate::{
    common::{objects::*, *},
    objects_basic::LOCAL_REGION,
};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/objects_boto3.py");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_object_flows_pass() -> TestResult {
    let stack = Stack::start().await?;
    let stdout = crate::common::python::run_boto3(
        &[SCRIPT, &stack.endpoint, LOCAL_REGION],
        &[
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ],
    )
    .await;
    assert!(stdout.contains("boto3 objects (path): OK"), "{stdout}");
    assert!(stdout.contains("boto3 objects (virtual): OK"), "{stdout}");
    assert!(stdout.contains("boto3 objects: OK"), "{stdout}");

    // What boto3 stored is what the Rust SDK reads: its buckets and their keys.
    let s3 = s3_client_path_style(&stack, LOCAL_REGION);
    let buckets = s3.list_buckets().send().await?;
    let list_bucket = buckets
        .buckets()
        .iter()
        .filter_map(|b| b.name())
        .find(|n| n.starts_with("boto-list-"))
        .expect("the script's listing bucket exists")
        .to_owned();
    let out = s3
        .list_objects_v2()
        .bucket(&list_bucket)
        .encoding_type(EncodingType::Url)
        .send()
        .await?;
    let keys: Vec<String> = out
        .contents()
        .iter()
        .filter_map(|o| o.key())
        .map(url_decode)
        .collect();
    assert_eq!(keys, ["a b/1", "a+b/2", "plain/4", "top", "x=y&z", "é/3"]);

    stack.stop().await?;
    Ok(())
}
