//! The same object suite against a Region backed by an S3-compatible server (moto_server on a
//! free loopback port) instead of the local backend: every family of `objects_*.rs`, through
//! the gateway, in both addressing styles.

use mrap_testkit::MotoServer;

use crate::{
    common::{objects::*, *},
    objects_basic, objects_checksums, objects_copy_tags_acl, objects_hostile_keys, objects_list,
    objects_multipart,
};

/// Every object family against one target (the 65 MiB upload included, path style only).
/// `backed_by_moto`: skip what moto itself cannot do (see below).
pub(crate) async fn whole_suite(stack: &Stack, region: &str, backed_by_moto: bool) {
    for style in [Style::Path, Style::VirtualHost] {
        let t = Target::new(stack, region, style);
        objects_basic::round_trip(&t).await;
        objects_basic::ranges(&t).await;
        objects_basic::delete_objects(&t).await;
        objects_basic::other_account(&t).await;
        objects_list::paging(&t).await;
        objects_list::prefix_and_delimiter(&t).await;
        objects_multipart::small_flows(&t).await;
        objects_checksums::algorithms(&t).await;
        // Skipped for this backend: moto answers 404 for a key holding a newline (its URL router
        // does not match it), and the family includes "cr\rlf\n". The other hostile keys are
        // covered on the s3 backend by mrap-storage's `hostile_keys_without_newlines`.
        if !backed_by_moto {
            objects_hostile_keys::hostile_keys(&t).await;
        }
        objects_copy_tags_acl::copy(&t).await;
    }
    let t = Target::new(stack, region, Style::Path);
    objects_basic::conditional_reads(&t).await;
    objects_basic::bucket_not_empty(&t).await;
    objects_list::list_v1(&t).await;
    objects_list::url_encoding(&t).await;
    objects_multipart::large_upload(&t).await;
    objects_multipart::complete_refusals(&t).await;
    objects_checksums::wrong_checksums(&t).await;
    objects_checksums::unsigned_trailer(&t).await;
    objects_checksums::signed_chunks(&t).await;
    objects_hostile_keys::key_limits(&t).await;
    objects_copy_tags_acl::tagging(&t).await;
    objects_copy_tags_acl::acls(&t).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_backed_region_passes_the_object_suite() -> TestResult {
    let moto = tokio::task::spawn_blocking(MotoServer::start).await??;
    let stack = stack_with_s3_backed_region(&moto).await?;
    whole_suite(&stack, S3_BACKED_REGION, true).await;
    stack.stop().await?;
    Ok(())
}

/// The peer the suite above needs is there and speaks S3 to the official client: the ignored
/// test can only fail for the gateway's reasons once it is enabled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_server_starts_and_serves_s3() -> TestResult {
    let moto = tokio::task::spawn_blocking(MotoServer::start).await??;
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "test", "test", None, None, "moto",
        ))
        .endpoint_url(moto.endpoint())
        .force_path_style(true)
        .http_client(http_client())
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(config);
    s3.create_bucket().bucket("peer-check").send().await?;
    s3.put_object()
        .bucket("peer-check")
        .key("k")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"peer"))
        .send()
        .await?;
    let got = s3.get_object().bucket("peer-check").key("k").send().await?;
    assert_eq!(collect(got.body).await, b"peer");
    Ok(())
}
