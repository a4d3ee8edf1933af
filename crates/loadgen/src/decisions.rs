//! `mrap-load decisions`: the authorizer's sustained decisions per second and their latency, over
//! NATS from this loopback client, next to the raw NATS request/reply ceiling measured the same
//! way (`--ceiling`: an echo responder in this process answering a payload of the same size).
//!
//! Each decision is the signed request a gateway forwards for `GetMultiRegionAccessPoint` (SigV4
//! header auth, root key), so it costs what a real one does: signature verification, key lookup
//! and the identity evaluation, with no store read.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures::StreamExt;
use mrap_model::AccountId;
use mrap_proto::{
    Namespace,
    authz::{AuthzRequest, Grant, Resource},
};

const USAGE: &str = "usage: mrap-load decisions [--nats nats://127.0.0.1:4222] [--prefix mrap]\n\
       [--concurrency 64] [--seconds 10] [--ceiling]\n\
NATS credentials: MRAP_NATS_USER, MRAP_NATS_PASSWORD (optional); signing: MRAP_ACCOUNT,\n\
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (default 000000000000, test, test)";

struct Args {
    nats: String,
    prefix: String,
    concurrency: usize,
    seconds: u64,
    ceiling: bool,
}

fn parse(argv: &[String]) -> Result<Args> {
    let mut args = Args {
        nats: "nats://127.0.0.1:4222".into(),
        prefix: "mrap".into(),
        concurrency: 64,
        seconds: 10,
        ceiling: false,
    };
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--help" | "-h" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            "--nats" => args.nats = value()?.clone(),
            "--prefix" => args.prefix = value()?.clone(),
            "--concurrency" => args.concurrency = value()?.parse()?,
            "--seconds" => args.seconds = value()?.parse()?,
            "--ceiling" => args.ceiling = true,
            other => bail!("unknown flag {other}\n{USAGE}"),
        }
    }
    crate::client::ensure_loopback(args.nats.trim_start_matches("nats://"), &args.nats)?;
    if args.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    Ok(args)
}

/// A signed `GetMultiRegionAccessPoint` as the gateway forwards it.
fn decision_request() -> Result<AuthzRequest> {
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    let account =
        AccountId::parse(&env("MRAP_ACCOUNT", "000000000000")).map_err(anyhow::Error::msg)?;
    let path = "/v20180820/mrap/instances/bench-mrap";
    let payload_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let mut headers = vec![
        ("host".to_owned(), format!("{account}.127.0.0.1:4566")),
        ("x-amz-account-id".to_owned(), account.to_string()),
        ("x-amz-content-sha256".to_owned(), payload_hash.to_owned()),
        ("user-agent".to_owned(), "mrap-load".to_owned()),
    ];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let signed = mrap_sigv4::sign(
        "GET",
        path,
        "",
        &headers,
        payload_hash,
        &env("AWS_ACCESS_KEY_ID", "test"),
        &env("AWS_SECRET_ACCESS_KEY", "test"),
        "us-west-2",
        "s3",
        now,
        mrap_sigv4::Options::S3,
    );
    headers.extend(signed);
    Ok(AuthzRequest {
        request_id: "0000000000000000".into(),
        method: "GET".into(),
        path: path.into(),
        query: String::new(),
        headers,
        payload_hash: payload_hash.into(),
        s3_control: true,
        action: "s3:GetMultiRegionAccessPoint".into(),
        resource: Resource::Arn {
            arn: format!("arn:aws:s3::{account}:accesspoint/bench-mrap"),
            owner: Some(account),
        },
        signing_service: None,
        source_ip: Some("127.0.0.1".into()),
        secure_transport: false,
    })
}

pub async fn run(argv: &[String]) -> Result<()> {
    let args = parse(argv)?;
    let nats = mrap_proto::NatsConfig {
        url: args.nats.clone(),
        ..mrap_proto::NatsConfig::from_env()
    }
    .connect("mrap-load")
    .await?;
    let ns = Namespace::new(&args.prefix);
    let request = decision_request()?;
    let payload = mrap_proto::codec::encode(&request)?;
    let grant = if args.ceiling {
        // The grant the authorizer would answer, so the echo carries as many bytes.
        Grant {
            account: AccountId::parse("000000000000").map_err(anyhow::Error::msg)?,
            principal_arn: "arn:aws:iam::000000000000:root".into(),
            access_key: "test".into(),
            chunk_signing: None,
            bucket: None,
            user: None,
            reuse: None,
        }
    } else {
        // One decision first: a refusal means a misconfigured run, not a result.
        mrap_proto::call(&nats, &ns.authz_check(), &request)
            .await
            .map_err(|e| anyhow::anyhow!("the authorizer refused the benchmark request: {e:?}"))?
    };
    let reply_len = mrap_proto::codec::encode(&grant)?.len();

    let subject = if args.ceiling {
        let subject = format!("{}.bench.echo", args.prefix);
        let mut sub = nats.queue_subscribe(subject.clone(), "echo".into()).await?;
        let responder = nats.clone();
        let reply = bytes::Bytes::from(vec![0u8; reply_len]);
        tokio::spawn(async move {
            while let Some(msg) = sub.next().await {
                if let Some(to) = msg.reply {
                    let _ = responder.publish(to, reply.clone()).await;
                }
            }
        });
        subject
    } else {
        ns.authz_check()
    };

    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        let (nats, subject, payload) = (nats.clone(), subject.clone(), payload.clone());
        workers.spawn(async move {
            let mut samples = Vec::new();
            let mut errors = 0usize;
            while Instant::now() < deadline {
                let started = Instant::now();
                match nats.request(subject.clone(), payload.clone()).await {
                    Ok(_) => samples.push(started.elapsed()),
                    Err(_) => errors += 1,
                }
            }
            (samples, errors)
        });
    }
    let started = Instant::now();
    let (mut samples, mut errors) = (Vec::new(), 0);
    while let Some(done) = workers.join_next().await {
        let (s, e) = done?;
        samples.extend(s);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let what = if args.ceiling {
        "NATS request/reply ceiling (echo)"
    } else {
        "authorizer decisions"
    };
    let count = samples.len();
    let summary = crate::stats::summarize(samples).context("no request completed")?;
    println!(
        "{what}: {:.0}/s over {elapsed:.1} s, concurrency {}, request {} B, reply {reply_len} B, errors {errors}; {summary}",
        count as f64 / elapsed,
        args.concurrency,
        payload.len(),
    );
    Ok(())
}
