//! The most used AWS client, unmodified apart from the endpoint: `shared/clients/boto3_smoke.py`
//! (buckets, create → describe → get → list → delete) against an in-process stack.

mod common;

use std::process::Stdio;

use common::*;

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
    let probe = tokio::process::Command::new("python3")
        .args(["-c", "import boto3"])
        .stdin(Stdio::null())
        .output()
        .await;
    match probe {
        Err(e) => panic!("python3 is required for this test and could not be run: {e}"),
        Ok(out) if !out.status.success() => panic!(
            "boto3 is required for this test (`pip install boto3`): {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Ok(_) => {}
    }

    let stack = Stack::start().await?;
    let run = tokio::process::Command::new("python3")
        .arg(script)
        .arg(&stack.endpoint)
        .env("MRAP_ACCOUNT", ACCOUNT)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        // Keep the user's AWS config and proxies out of it.
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("NO_PROXY", "*")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_S3")
        .env_remove("AWS_ENDPOINT_URL_S3_CONTROL")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(std::time::Duration::from_secs(120), run)
        .await
        .expect("boto3_smoke.py finishes within 120 s")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "boto3_smoke.py failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
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
