//! `mrap-load`: measures MRAP create latency against a running stack (the default scenario), and
//! with a subcommand first:
//!
//! - `mrap-load run --scenario control|reads|objects|mixed …`: the scenario runner: closed or
//!   open loop (coordinated-omission corrected), HDR histograms, errors by code, a progress line,
//!   a JSON report, one or more endpoints side by side ([`run`]);
//! - `mrap-load objects …`: 4 KiB GET/PUT throughput and latency against several S3 endpoints and a
//!   local-file baseline, side by side ([`objects`]);
//! - `mrap-load big-object …`: the server's RSS while a 1 GiB object streams in and out
//!   ([`big_object`]);
//! - `mrap-load decisions …`: the authorizer's decisions per second over NATS, next to the raw
//!   NATS request/reply ceiling ([`decisions`]).
//!
//! The default scenario:
//! Each worker loops: create an MRAP (timing until the request token comes back: "accepted"),
//! poll Describe every millisecond until the operation is terminal (timing from the create's start:
//! "succeeded"), then delete it and wait for that too, so the account stays under its quota.
//!
//! Usage: `mrap-load --help`. The harness refuses non-loopback endpoints.

mod big_object;
mod client;
mod decisions;
mod mrap_setup;
mod objects;
mod run;
mod stats;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use client::Client;
use mrap_setup::{submit, wait_terminal};

const USAGE: &str = "usage: mrap-load [--endpoint http://127.0.0.1:4566] [--creates 1000] [--concurrency 1]\n\
       mrap-load run --help | mrap-load objects --help | mrap-load big-object --help | mrap-load decisions --help\n\
credentials: MRAP_ACCOUNT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (default 000000000000, test, test)";

struct Args {
    endpoint: String,
    creates: usize,
    concurrency: usize,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        endpoint: "http://127.0.0.1:4566".into(),
        creates: 1000,
        concurrency: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--endpoint" => args.endpoint = value,
            "--creates" => args.creates = value.parse()?,
            "--concurrency" => args.concurrency = value.parse()?,
            other => bail!("unknown flag {other}\n{USAGE}"),
        }
    }
    client::loopback_authority(&args.endpoint)?;
    if args.concurrency == 0 || args.concurrency > 90 {
        bail!("--concurrency must be 1..=90 (the account quota is 100 MRAPs)");
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> Result<()> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    match argv.first().map(String::as_str) {
        Some("objects") => return objects::run(&argv[1..]).await,
        Some("big-object") => return big_object::run(&argv[1..]).await,
        Some("decisions") => return decisions::run(&argv[1..]).await,
        Some("run") => return run::run(&argv[1..]).await,
        _ => {}
    }
    let args = parse_args()?;
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    let client = Client::new(
        &args.endpoint,
        &env("MRAP_ACCOUNT", "000000000000"),
        &env("AWS_ACCESS_KEY_ID", "test"),
        &env("AWS_SECRET_ACCESS_KEY", "test"),
    )?;
    let run: u32 = rand::random();
    let buckets = [
        ("us-east-1", format!("load-{run:08x}-use1")),
        ("eu-west-1", format!("load-{run:08x}-euw1")),
    ];
    for (region, bucket) in &buckets {
        let body = format!(
            "<CreateBucketConfiguration><LocationConstraint>{region}</LocationConstraint></CreateBucketConfiguration>"
        );
        // A stack that has just started may still answer 503 while its services connect.
        let mut r = client.send("PUT", &format!("/{bucket}"), "", &body).await?;
        for _ in 0..100 {
            if r.status != 503 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            r = client.send("PUT", &format!("/{bucket}"), "", &body).await?;
        }
        if r.status != 200 {
            bail!("CreateBucket {bucket}: HTTP {} {}", r.status, r.body);
        }
    }
    let regions_xml: String = buckets
        .iter()
        .map(|(_, b)| format!("<Region><Bucket>{b}</Bucket></Region>"))
        .collect();
    let regions_xml = Arc::new(regions_xml);

    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let (client, next, regions_xml) = (client.clone(), next.clone(), regions_xml.clone());
        let total = args.creates;
        workers.push(tokio::spawn(async move {
            let mut accepted = Vec::new();
            let mut succeeded = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= total {
                    return Ok::<_, anyhow::Error>((accepted, succeeded));
                }
                let name = format!("load-{run:08x}-{i}");
                let t0 = Instant::now();
                let token = submit(
                    &client,
                    "create",
                    &format!("<Name>{name}</Name><Regions>{regions_xml}</Regions>"),
                )
                .await?;
                accepted.push(t0.elapsed());
                wait_terminal(&client, &token, "SUCCEEDED").await?;
                succeeded.push(t0.elapsed());
                let token = submit(&client, "delete", &format!("<Name>{name}</Name>")).await?;
                wait_terminal(&client, &token, "SUCCEEDED").await?;
            }
        }));
    }
    let (mut accepted, mut succeeded) = (Vec::new(), Vec::new());
    for w in workers {
        let (a, s) = w.await??;
        accepted.extend(a);
        succeeded.extend(s);
    }
    let wall = started.elapsed();
    println!(
        "mrap-load: {} creates (+deletes), concurrency {}, {:.1}s wall",
        args.creates,
        args.concurrency,
        wall.as_secs_f64()
    );
    if let Some(s) = stats::summarize(accepted) {
        println!("create accepted:    {s}");
    }
    if let Some(s) = stats::summarize(succeeded) {
        println!("create->SUCCEEDED:  {s}");
    }
    println!(
        "create+delete cycles/s: {:.1}",
        args.creates as f64 / wall.as_secs_f64()
    );
    for (_, bucket) in &buckets {
        let _ = client.send("DELETE", &format!("/{bucket}"), "", "").await;
    }
    Ok(())
}
