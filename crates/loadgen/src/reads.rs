//! `mrap-load reads`: signed `GetMultiRegionAccessPoint` requests per second (closed loop, one
//! keep-alive connection per worker) against any S3 Control endpoint — the stack, `moto_server`,
//! `ministack` — so their figures come from the same client in one run. An authorization-heavy
//! read: every request is authenticated and authorized, then answered from the store.
//!
//! Setup (idempotent): a bucket `reads-bench` in us-west-2 and an MRAP `reads-bench` over it.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::{
    client::Client,
    mrap_setup::{submit, wait_terminal},
};

const USAGE: &str = "usage: mrap-load reads [--endpoint http://127.0.0.1:4566] [--connections 32] [--seconds 10]\n\
credentials: MRAP_ACCOUNT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (default 000000000000, test, test)";

const NAME: &str = "reads-bench";

pub async fn run(argv: &[String]) -> Result<()> {
    let (mut endpoint, mut connections, mut seconds) =
        ("http://127.0.0.1:4566".to_owned(), 32usize, 10u64);
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--help" | "-h" => {
                println!("{USAGE}");
                return Ok(());
            }
            "--endpoint" => endpoint = value()?.clone(),
            "--connections" => connections = value()?.parse()?,
            "--seconds" => seconds = value()?.parse()?,
            other => bail!("unknown flag {other}\n{USAGE}"),
        }
    }
    crate::client::loopback_authority(&endpoint)?;
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    let client = Client::new(
        &endpoint,
        &env("MRAP_ACCOUNT", "000000000000"),
        &env("AWS_ACCESS_KEY_ID", "test"),
        &env("AWS_SECRET_ACCESS_KEY", "test"),
    )?;
    let path = format!("/v20180820/mrap/instances/{NAME}");
    if client.send("GET", &path, "", "").await?.status != 200 {
        // In the Region the client signs for (us-west-2), which every peer insists on.
        let made = client
            .send(
                "PUT",
                &format!("/{NAME}"),
                "",
                r#"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>us-west-2</LocationConstraint></CreateBucketConfiguration>"#,
            )
            .await?;
        if !matches!(made.status, 200 | 409) {
            bail!("CreateBucket {NAME}: HTTP {} {}", made.status, made.body);
        }
        let token = submit(
            &client,
            "create",
            &format!(
                "<Name>{NAME}</Name><Regions><Region><Bucket>{NAME}</Bucket></Region></Regions>"
            ),
        )
        .await?;
        wait_terminal(&client, &token, "SUCCEEDED").await?;
    }
    let first = client.send("GET", &path, "", "").await?;
    if first.status != 200 {
        bail!(
            "GetMultiRegionAccessPoint: HTTP {} {}",
            first.status,
            first.body
        );
    }

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..connections {
        // One client (one pooled connection) per worker, like the other scenarios.
        let client = Client::new(
            &endpoint,
            &client.account,
            &env("AWS_ACCESS_KEY_ID", "test"),
            &env("AWS_SECRET_ACCESS_KEY", "test"),
        )?;
        let path = path.clone();
        workers.spawn(async move {
            let (mut samples, mut errors) = (Vec::new(), std::collections::BTreeMap::new());
            while Instant::now() < deadline {
                let started = Instant::now();
                match client.send("GET", &path, "", "").await {
                    Ok(r) if r.status == 200 => samples.push(started.elapsed()),
                    Ok(r) => *errors.entry(r.status.to_string()).or_insert(0usize) += 1,
                    Err(_) => *errors.entry("transport".to_owned()).or_insert(0) += 1,
                }
            }
            (samples, errors)
        });
    }
    let started = Instant::now();
    let (mut samples, mut errors) = (Vec::new(), std::collections::BTreeMap::new());
    while let Some(done) = workers.join_next().await {
        let (s, e) = done?;
        samples.extend(s);
        for (k, v) in e {
            *errors.entry(k).or_insert(0) += v;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let count = samples.len();
    let summary = crate::stats::summarize(samples).context("no request succeeded")?;
    println!(
        "GetMultiRegionAccessPoint {endpoint}: {:.0}/s over {elapsed:.1} s, {connections} connections, errors {errors:?}; {summary}",
        count as f64 / elapsed
    );
    Ok(())
}
