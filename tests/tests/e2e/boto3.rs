//! The most used AWS client, unmodified apart from the endpoint: `shared/clients/boto3_smoke.py`
//! (buckets, create → describe → get → list → delete) against an in-process stack.

use crate::common::*;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/clients/boto3_smoke.py"
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_smoke_script_passes() -> TestResult {
    let script = std::path::Path::new(SCRIPT);
    assert!(
        script.is_file(),
        "{SCRIPT} is missing: CI places shared/ beside the repository"
    );
    let stack = Stack::start().await?;
    let stdout = crate::common::python::run_boto3(
        &[SCRIPT, &stack.endpoint],
        &[
            ("MRAP_ACCOUNT", ACCOUNT),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ],
    )
    .await;
    assert!(stdout.contains("boto3 smoke: OK"), "{stdout}");

    // What boto3 did is visible to the Rust SDK too: its buckets exist, its MRAP is gone.
    let buckets = s3(&stack, "us-east-1").list_buckets().send().await?;
    assert_eq!(buckets.buckets().len(), 2, "{buckets:#?}");
    let list = control(&stack)
        .list_multi_region_access_points()
        .account_id(ACCOUNT)
        .send()
        .await?;
    assert!(list.access_points().is_empty(), "{list:#?}");

    stack.stop().await?;
    Ok(())
}
