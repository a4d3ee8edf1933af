//! Running boto3, the other official client, from the tests.

use std::{process::Stdio, time::Duration};

/// Runs `python3 <args…>` with the given environment, isolated from the machine's AWS
/// configuration and proxies, and returns its stdout. Panics — never skips — when python3 or
/// boto3 is missing (CI installs both), when it fails, or when it runs longer than two minutes.
pub async fn run_boto3(args: &[&str], env: &[(&str, &str)]) -> String {
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
    let mut cmd = tokio::process::Command::new("python3");
    // No proxy unless the caller sets one (its `env` comes after, and wins).
    cmd.args(args)
        .env("NO_PROXY", "*")
        .envs(env.iter().copied())
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    for var in [
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ENDPOINT_URL_S3_CONTROL",
        "AWS_ENDPOINT_URL_ACCESSANALYZER",
        "AWS_ENDPOINT_URL_IAM",
        "AWS_ENDPOINT_URL_STS",
    ] {
        cmd.env_remove(var);
    }
    let out = tokio::time::timeout(Duration::from_secs(120), cmd.output())
        .await
        .expect("the boto3 script finishes within 120 s")
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "the boto3 script failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}
