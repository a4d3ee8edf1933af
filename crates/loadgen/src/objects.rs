//! `mrap-load objects`: small-object GET and PUT throughput and latency, the same client and request
//! mix against several S3 endpoints (side by side), plus a local-file read baseline.
//!
//! Per target: the bucket is created, `--keys` objects of `--size` bytes are written once (not
//! measured), then a PUT phase (overwriting random keys) and a GET phase (reading random keys), each
//! a closed loop of `--connections` workers with one keep-alive HTTP/1.1 connection each:
//! `--warmup` seconds not counted, then `--duration` seconds measured. Requests are SigV4-signed in
//! the header; a PUT carries the hex SHA-256 of its body in `x-amz-content-sha256`. A request
//! counts when it both starts and ends inside the measured window; an error (transport failure,
//! timeout, a status other than 200, a GET body of the wrong length) is counted and reported, never
//! dropped. The baseline targets read a local file with the same worker count and phase lengths.

use std::{
    fmt::Write as _,
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use sha2::{Digest, Sha256};

use crate::{
    client::{Conn, Signer, loopback_authority},
    stats::cpu_seconds,
};

pub const USAGE: &str = "usage: mrap-load objects --target NAME=http://127.0.0.1:PORT [--target ...]\n\
  [--file-baseline PATH]      also read PATH (created with --size bytes if missing) from the workers\n\
  [--connections 64] [--warmup 10] [--duration 20] (seconds) [--size 4096] [--keys 256]\n\
  [--bucket bench-bucket] [--region us-east-1] [--ops put,get]\n\
  [--watch NAME:LABEL=PID ...]  report the CPU a server process of target NAME used per request\n\
  [--through-mrap NAME ...]    target NAME (an mrap gateway) is reached through an MRAP over the\n\
                               bucket (path style /{alias}/{key}; the MRAP is created if missing)\n\
  [--sigv4a NAME ...]          target NAME signs with SigV4A (X-Amz-Region-Set: *)\n\
  [--markdown PATH]            also write the result table (markdown) to PATH\n\
The first --target is the reference of the ratio lines. Credentials: AWS_ACCESS_KEY_ID,\n\
AWS_SECRET_ACCESS_KEY (default test/test).";

/// Longest a single request may take before it counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    Put,
    Get,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Put => "PUT",
            Op::Get => "GET",
        }
    }
}

#[derive(Clone)]
enum Kind {
    Http {
        authority: String,
    },
    /// `tokio::fs::read` (a `spawn_blocking` read per call)
    FileTokio(PathBuf),
    /// `std::fs::read` inline on the runtime worker: the syscall ceiling
    FileStd(PathBuf),
}

#[derive(Clone)]
struct Target {
    name: String,
    kind: Kind,
    /// Requests go through an MRAP over the bucket (`/{alias}/{key}`).
    through_mrap: bool,
    sigv4a: bool,
}

struct Args {
    targets: Vec<Target>,
    connections: usize,
    warmup: Duration,
    duration: Duration,
    size: usize,
    keys: usize,
    bucket: String,
    region: String,
    ops: Vec<Op>,
    watch: Vec<(String, String, String)>,
    markdown: Option<PathBuf>,
    baseline: Option<PathBuf>,
}

fn parse_args(argv: &[String]) -> Result<Args> {
    let mut a = Args {
        targets: Vec::new(),
        connections: 64,
        warmup: Duration::from_secs(10),
        duration: Duration::from_secs(20),
        size: 4096,
        keys: 256,
        bucket: "bench-bucket".into(),
        region: "us-east-1".into(),
        ops: vec![Op::Put, Op::Get],
        watch: Vec::new(),
        markdown: None,
        baseline: None,
    };
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        let secs = |v: &str| -> Result<Duration> { Ok(Duration::from_secs_f64(v.parse()?)) };
        match flag.as_str() {
            "--target" => {
                let (name, url) = value.split_once('=').context("--target NAME=URL")?;
                a.targets.push(Target {
                    name: name.to_owned(),
                    kind: Kind::Http {
                        authority: loopback_authority(url)?,
                    },
                    through_mrap: false,
                    sigv4a: false,
                });
            }
            "--file-baseline" => a.baseline = Some(PathBuf::from(value)),
            "--connections" => a.connections = value.parse()?,
            "--warmup" => a.warmup = secs(value)?,
            "--duration" => a.duration = secs(value)?,
            "--size" => a.size = value.parse()?,
            "--keys" => a.keys = value.parse()?,
            "--bucket" => a.bucket = value.clone(),
            "--region" => a.region = value.clone(),
            "--ops" => {
                a.ops = value
                    .split(',')
                    .map(|op| match op.trim().to_ascii_lowercase().as_str() {
                        "put" => Ok(Op::Put),
                        "get" => Ok(Op::Get),
                        other => bail!("unknown op {other} (put, get)"),
                    })
                    .collect::<Result<_>>()?;
            }
            "--watch" => {
                let (target, rest) = value.split_once(':').context("--watch NAME:LABEL=PID")?;
                let (label, pid) = rest.split_once('=').context("--watch NAME:LABEL=PID")?;
                pid.parse::<u32>()
                    .context("--watch: PID must be a number")?;
                a.watch
                    .push((target.to_owned(), label.to_owned(), pid.to_owned()));
            }
            "--markdown" => a.markdown = Some(PathBuf::from(value)),
            "--through-mrap" | "--sigv4a" => {
                let target = a
                    .targets
                    .iter_mut()
                    .find(|t| t.name == *value)
                    .with_context(|| format!("{flag} {value}: no --target {value} before it"))?;
                if flag == "--sigv4a" {
                    target.sigv4a = true;
                } else {
                    target.through_mrap = true;
                }
            }
            other => bail!("unknown flag {other}\n{USAGE}"),
        }
    }
    if let Some(path) = &a.baseline {
        a.targets.push(Target {
            name: "file (tokio::fs::read)".into(),
            kind: Kind::FileTokio(path.clone()),
            through_mrap: false,
            sigv4a: false,
        });
        a.targets.push(Target {
            name: "file (std::fs::read)".into(),
            kind: Kind::FileStd(path.clone()),
            through_mrap: false,
            sigv4a: false,
        });
    }
    if a.targets.is_empty() {
        bail!("no --target and no --file-baseline\n{USAGE}");
    }
    if !(1..=1024).contains(&a.connections) {
        bail!("--connections must be 1..=1024");
    }
    if a.keys == 0 || a.size > 64 << 20 {
        bail!("--keys must be > 0 and --size at most 64 MiB");
    }
    if a.duration.is_zero() || a.duration > Duration::from_secs(3600) || a.warmup > a.duration * 10
    {
        bail!("--duration must be in (0, 3600] s and --warmup at most 10 × --duration");
    }
    Ok(a)
}

/// What the workers share.
struct Ctx {
    signer: Signer,
    bucket: String,
    keys: usize,
    size: usize,
    body: Bytes,
    body_sha256: String,
}

/// One worker's tally over the measured window.
#[derive(Default)]
struct Tally {
    latencies_ns: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
    reconnects: u64,
}

impl Tally {
    fn error(&mut self, e: impl std::fmt::Display) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(e.to_string());
        }
    }

    fn merge(&mut self, other: Tally) {
        self.latencies_ns.extend(other.latencies_ns);
        self.errors += other.errors;
        self.reconnects += other.reconnects;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

/// One row of the report.
struct Row {
    target: String,
    op: Op,
    ok: usize,
    errors: u64,
    first_error: Option<String>,
    reconnects: u64,
    rate: f64,
    p50_us: f64,
    p99_us: f64,
    p999_us: f64,
    max_us: f64,
    harness_cores: f64,
    /// (label, cores, CPU µs per successful request)
    watched: Vec<(String, f64, f64)>,
}

pub async fn run(argv: &[String]) -> Result<()> {
    let args = parse_args(argv)?;
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    let body: Bytes = (0..args.size).map(|_| rand::random::<u8>()).collect();
    let ctx = Arc::new(Ctx {
        signer: Signer {
            access_key: env("AWS_ACCESS_KEY_ID", "test"),
            secret: env("AWS_SECRET_ACCESS_KEY", "test"),
            region: args.region.clone(),
            sigv4a: false,
        },
        bucket: args.bucket.clone(),
        keys: args.keys,
        size: args.size,
        body_sha256: hex::encode(Sha256::digest(&body)),
        body,
    });
    if let Some(path) = &args.baseline
        && !path.exists()
    {
        std::fs::write(path, &ctx.body)
            .with_context(|| format!("writing the baseline file {}", path.display()))?;
    }
    println!(
        "mrap-load objects: {} connections, {} B objects, {} keys, warm-up {:.0} s + {:.0} s measured per phase",
        args.connections,
        args.size,
        args.keys,
        args.warmup.as_secs_f64(),
        args.duration.as_secs_f64()
    );

    let mut rows = Vec::new();
    for target in &args.targets {
        let watched: Vec<(String, String)> = args
            .watch
            .iter()
            .filter(|(t, _, _)| *t == target.name)
            .map(|(_, l, p)| (l.clone(), p.clone()))
            .collect();
        let mut target_ctx = ctx.clone();
        let ops: Vec<Op> = match &target.kind {
            Kind::Http { authority } => {
                // The bucket gets every key directly, also for a target that then reads and
                // writes them through an MRAP over it (its only Region).
                prepare(&ctx, authority, args.connections)
                    .await
                    .with_context(|| format!("preparing {}", target.name))?;
                let root = if target.through_mrap {
                    crate::mrap_setup::ensure_mrap(authority, &ctx.signer, &ctx.bucket)
                        .await
                        .with_context(|| format!("the MRAP of {}", target.name))?
                } else {
                    ctx.bucket.clone()
                };
                target_ctx = Arc::new(Ctx {
                    signer: Signer {
                        sigv4a: target.sigv4a,
                        ..ctx.signer.clone()
                    },
                    bucket: root,
                    keys: ctx.keys,
                    size: ctx.size,
                    body: ctx.body.clone(),
                    body_sha256: ctx.body_sha256.clone(),
                });
                args.ops.clone()
            }
            _ if args.ops.contains(&Op::Get) => vec![Op::Get],
            _ => Vec::new(),
        };
        for op in ops {
            let row = phase(&target_ctx, target, op, &args, &watched).await;
            println!("{}", row_line(&row));
            rows.push(row);
        }
    }

    let table = markdown(&rows);
    println!("\n{table}");
    if let Some(path) = &args.markdown {
        std::fs::write(path, &table).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Creates the bucket (an existing one of ours is fine) and writes every key once.
async fn prepare(ctx: &Arc<Ctx>, authority: &str, connections: usize) -> Result<()> {
    let mut conn: Conn<Full<Bytes>> = Conn::new(authority);
    let path = format!("/{}", ctx.bucket);
    let empty_sha = hex::encode(Sha256::digest(b""));
    // A stack that has just started may answer 503 while its services connect.
    let mut last = String::new();
    for _ in 0..100 {
        let headers = ctx.signer.headers("PUT", authority, &path, &empty_sha, &[]);
        let mut req = hyper::Request::builder().method("PUT").uri(&path);
        for (k, v) in &headers {
            req = req.header(k, v);
        }
        let resp = conn.send(req.body(Full::new(Bytes::new()))?).await?;
        let status = resp.status().as_u16();
        let text = resp.into_body().collect().await?.to_bytes();
        last = format!("HTTP {status} {}", String::from_utf8_lossy(&text));
        match status {
            200 => break,
            409 if last.contains("BucketAlreadyOwnedByYou") => break,
            503 => tokio::time::sleep(Duration::from_millis(100)).await,
            _ => bail!("CreateBucket {}: {last}", ctx.bucket),
        }
    }
    if !(last.starts_with("HTTP 200") || last.contains("BucketAlreadyOwnedByYou")) {
        bail!("CreateBucket {}: {last}", ctx.bucket);
    }
    // Preload: every key once, `connections` at a time.
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..connections.min(ctx.keys) {
        let (ctx, next, authority) = (ctx.clone(), next.clone(), authority.to_owned());
        workers.push(tokio::spawn(async move {
            let mut conn: Conn<Full<Bytes>> = Conn::new(&authority);
            loop {
                let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if k >= ctx.keys {
                    return Ok::<_, anyhow::Error>(());
                }
                request(&ctx, &mut conn, &authority, Op::Put, k).await?;
            }
        }));
    }
    for w in workers {
        w.await??;
    }
    Ok(())
}

/// One request; `Err` is an error to count (its text is kept for the report).
async fn request(
    ctx: &Ctx,
    conn: &mut Conn<Full<Bytes>>,
    authority: &str,
    op: Op,
    key: usize,
) -> Result<()> {
    let path = format!("/{}/key-{key}", ctx.bucket);
    let (method, hash, body) = match op {
        Op::Put => ("PUT", ctx.body_sha256.as_str(), ctx.body.clone()),
        Op::Get => (
            "GET",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            Bytes::new(),
        ),
    };
    let headers = ctx.signer.headers(method, authority, &path, hash, &[]);
    let mut req = hyper::Request::builder().method(method).uri(&path);
    for (k, v) in &headers {
        req = req.header(k, v);
    }
    let resp = conn.send(req.body(Full::new(body))?).await?;
    let status = resp.status().as_u16();
    let got = resp.into_body().collect().await?.to_bytes();
    if status != 200 {
        bail!(
            "{method} {path}: HTTP {status} {}",
            String::from_utf8_lossy(&got[..got.len().min(300)])
        );
    }
    if op == Op::Get && got.len() != ctx.size {
        bail!("GET {path}: {} bytes, expected {}", got.len(), ctx.size);
    }
    Ok(())
}

/// A tiny per-worker PRNG for key choice (xorshift64*), so that key choice costs nothing.
struct Keys(u64);

impl Keys {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
}

async fn phase(
    ctx: &Arc<Ctx>,
    target: &Target,
    op: Op,
    args: &Args,
    watched: &[(String, String)],
) -> Row {
    let start = Instant::now();
    let measure_start = start + args.warmup;
    let end = measure_start + args.duration;
    let mut workers = Vec::new();
    for w in 0..args.connections {
        let (ctx, kind) = (ctx.clone(), target.kind.clone());
        workers.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let mut keys = Keys(0x9E37_79B9_7F4A_7C15 ^ ((w as u64 + 1) << 20));
            let mut conn: Conn<Full<Bytes>> = match &kind {
                Kind::Http { authority } => Conn::new(authority),
                _ => Conn::new(""),
            };
            // Bounded by time: no request starts after `end`, none lasts beyond its timeout.
            while Instant::now() < end {
                let t0 = Instant::now();
                let outcome = match &kind {
                    Kind::Http { authority } => {
                        let key = keys.next(ctx.keys);
                        tokio::time::timeout(
                            REQUEST_TIMEOUT,
                            request(&ctx, &mut conn, authority, op, key),
                        )
                        .await
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("timed out after 10 s")))
                    }
                    Kind::FileTokio(path) => match tokio::fs::read(path).await {
                        Ok(b) if b.len() == ctx.size => Ok(()),
                        Ok(b) => Err(anyhow::anyhow!("read {} bytes", b.len())),
                        Err(e) => Err(e.into()),
                    },
                    Kind::FileStd(path) => {
                        let r = std::fs::read(path);
                        // Let the other workers run: a cooperative point like an I/O wait.
                        tokio::task::yield_now().await;
                        match r {
                            Ok(b) if b.len() == ctx.size => Ok(()),
                            Ok(b) => Err(anyhow::anyhow!("read {} bytes", b.len())),
                            Err(e) => Err(e.into()),
                        }
                    }
                };
                let t1 = Instant::now();
                if t0 >= measure_start && t1 <= end {
                    match outcome {
                        Ok(()) => tally.latencies_ns.push((t1 - t0).as_nanos() as u64),
                        Err(e) => tally.error(format!("{e:#}")),
                    }
                }
            }
            tally.reconnects = conn.reconnects;
            tally
        }));
    }
    // CPU use over the measured window: this process and the watched server processes.
    tokio::time::sleep_until(measure_start.into()).await;
    let cpu0: Vec<Option<f64>> = std::iter::once("self")
        .chain(watched.iter().map(|(_, pid)| pid.as_str()))
        .map(cpu_seconds)
        .collect();
    tokio::time::sleep_until(end.into()).await;
    let cpu1: Vec<Option<f64>> = std::iter::once("self")
        .chain(watched.iter().map(|(_, pid)| pid.as_str()))
        .map(cpu_seconds)
        .collect();
    let mut tally = Tally::default();
    for w in workers {
        match w.await {
            Ok(t) => tally.merge(t),
            Err(e) => tally.error(format!("worker panicked: {e}")),
        }
    }
    let secs = args.duration.as_secs_f64();
    let used = |i: usize| match (cpu0[i], cpu1[i]) {
        (Some(a), Some(b)) => b - a,
        _ => f64::NAN,
    };
    let ok = tally.latencies_ns.len();
    let watched = watched
        .iter()
        .enumerate()
        .map(|(i, (label, _))| {
            let cpu = used(i + 1);
            (label.clone(), cpu / secs, cpu * 1e6 / ok.max(1) as f64)
        })
        .collect();
    let mut lat = tally.latencies_ns;
    lat.sort_unstable();
    let at = |p: f64| -> f64 {
        if lat.is_empty() {
            return f64::NAN;
        }
        lat[((p * lat.len() as f64).ceil() as usize).clamp(1, lat.len()) - 1] as f64 / 1000.0
    };
    Row {
        target: target.name.clone(),
        op,
        ok,
        errors: tally.errors,
        first_error: tally.first_error,
        reconnects: tally.reconnects,
        rate: ok as f64 / secs,
        p50_us: at(0.50),
        p99_us: at(0.99),
        p999_us: at(0.999),
        max_us: lat.last().map_or(f64::NAN, |&v| v as f64 / 1000.0),
        harness_cores: used(0) / secs,
        watched,
    }
}

fn fmt_us(us: f64) -> String {
    if us.is_nan() {
        "–".into()
    } else if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{us:.0} µs")
    }
}

fn row_line(r: &Row) -> String {
    let mut s = format!(
        "{} {}: {:.0} req/s, p50 {} p99 {} p99.9 {} max {}, {} ok, {} errors, harness {:.2} cores",
        r.target,
        r.op.name(),
        r.rate,
        fmt_us(r.p50_us),
        fmt_us(r.p99_us),
        fmt_us(r.p999_us),
        fmt_us(r.max_us),
        r.ok,
        r.errors,
        r.harness_cores
    );
    if r.reconnects > 0 {
        let _ = write!(s, ", {} reconnects", r.reconnects);
    }
    for (label, cores, per_req) in &r.watched {
        let _ = write!(s, "; {label} {cores:.2} cores = {per_req:.0} µs CPU/req");
    }
    if let Some(e) = &r.first_error {
        let _ = write!(s, "\n  first error: {e}");
    }
    s
}

fn markdown(rows: &[Row]) -> String {
    let mut s = String::from(
        "| target | op | req/s | p50 | p99 | p99.9 | errors | harness CPU (cores) |\n|---|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let errors = if r.errors > 0 {
            format!("**{}** ⚠", r.errors)
        } else {
            "0".into()
        };
        let _ = writeln!(
            s,
            "| {} | {} | {:.0} | {} | {} | {} | {} | {:.2} |",
            r.target,
            r.op.name(),
            r.rate,
            fmt_us(r.p50_us),
            fmt_us(r.p99_us),
            fmt_us(r.p999_us),
            errors,
            r.harness_cores
        );
    }
    let with_errors: Vec<_> = rows.iter().filter(|r| r.errors > 0).collect();
    if !with_errors.is_empty() {
        s.push_str("\nRuns with errors (their figures count successful requests only):\n");
        for r in with_errors {
            let _ = writeln!(
                s,
                "- {} {}: {} errors; first: `{}`",
                r.target,
                r.op.name(),
                r.errors,
                r.first_error
                    .as_deref()
                    .unwrap_or("?")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
    }
    let watched: Vec<_> = rows.iter().filter(|r| !r.watched.is_empty()).collect();
    if !watched.is_empty() {
        s.push_str("\nServer CPU during the measured window (cores busy; CPU time per successful request):\n\n| target | op | process | cores | CPU µs/req |\n|---|---|---|---:|---:|\n");
        for r in watched {
            for (label, cores, per_req) in &r.watched {
                let _ = writeln!(
                    s,
                    "| {} | {} | {label} | {cores:.2} | {per_req:.0} |",
                    r.target,
                    r.op.name()
                );
            }
        }
    }
    // Ratios: the first target against every other, per op (from this same run).
    if let Some(first) = rows.first() {
        let reference = &first.target;
        let mut lines = String::new();
        for op in [Op::Get, Op::Put] {
            let Some(ours) = rows.iter().find(|r| &r.target == reference && r.op == op) else {
                continue;
            };
            for other in rows.iter().filter(|r| &r.target != reference && r.op == op) {
                if other.rate > 0.0 {
                    let _ = writeln!(
                        lines,
                        "- {} req/s: {reference} / {} = **{:.2}×**",
                        op.name(),
                        other.target,
                        ours.rate / other.rate
                    );
                }
            }
        }
        if !lines.is_empty() {
            s.push_str("\nRatios (same run):\n\n");
            s.push_str(&lines);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn keys_stay_in_range_and_spread() {
        let mut k = Keys(42);
        let mut seen = [false; 16];
        for _ in 0..1000 {
            seen[k.next(16)] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn arguments() {
        let argv: Vec<String> = [
            "--target",
            "ours=http://127.0.0.1:4566",
            "--watch",
            "ours:gw=123",
            "--ops",
            "get",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let a = parse_args(&argv).unwrap();
        assert_eq!(a.targets.len(), 1);
        assert_eq!(a.ops, vec![Op::Get]);
        assert_eq!(a.watch[0].2, "123");
        let remote: Vec<String> = ["--target", "x=http://10.0.0.1:80"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert!(parse_args(&remote).is_err());
    }
}
