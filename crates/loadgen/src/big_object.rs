//! `mrap-load big-object`: the server's memory while one large object streams in and out.
//!
//! PUTs an object of `--size-mib` MiB whose bytes are generated on the fly (1 MiB chunks from a
//! seeded PRNG; the body is never held in memory) with `x-amz-content-sha256: UNSIGNED-PAYLOAD`,
//! hashing it with MD5 as it goes out; then GETs it back, hashing and discarding the body. Both
//! digests must equal the returned ETag. Meanwhile a thread samples `VmRSS` of `--pid` (the server
//! process) every `--sample-ms`, attributing each sample to the phase it was taken in: idle
//! (after a warm-up of a few small round trips), PUT, GET. `VmHWM` is read at the end.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU8, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use futures::StreamExt;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use md5::{Digest, Md5};
use sha2::Sha256;

use crate::{
    client::{Conn, Signer, loopback_authority},
    stats::proc_status_kib,
};

pub const USAGE: &str = "usage: mrap-load big-object --endpoint http://127.0.0.1:PORT --pid SERVER_PID\n\
  [--size-mib 1024] [--bucket bench-big] [--key big-object] [--region us-east-1]\n\
  [--sample-ms 50] [--idle-secs 3] [--max-growth-mib 64]\n\
Exits non-zero if a digest does not match; prints the RSS figures of --pid (VmRSS samples, VmHWM).";

const CHUNK: usize = 1 << 20;
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct Args {
    authority: String,
    pid: String,
    size_mib: u64,
    bucket: String,
    key: String,
    region: String,
    sample: Duration,
    idle: Duration,
    max_growth_mib: u64,
}

fn parse_args(argv: &[String]) -> Result<Args> {
    let mut a = Args {
        authority: String::new(),
        pid: String::new(),
        size_mib: 1024,
        bucket: "bench-big".into(),
        key: "big-object".into(),
        region: "us-east-1".into(),
        sample: Duration::from_millis(50),
        idle: Duration::from_secs(3),
        max_growth_mib: 64,
    };
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--endpoint" => a.authority = loopback_authority(value)?,
            "--pid" => {
                value.parse::<u32>().context("--pid must be a number")?;
                a.pid = value.clone();
            }
            "--size-mib" => a.size_mib = value.parse()?,
            "--bucket" => a.bucket = value.clone(),
            "--key" => a.key = value.clone(),
            "--region" => a.region = value.clone(),
            "--sample-ms" => a.sample = Duration::from_millis(value.parse()?),
            "--idle-secs" => a.idle = Duration::from_secs_f64(value.parse()?),
            "--max-growth-mib" => a.max_growth_mib = value.parse()?,
            other => bail!("unknown flag {other}\n{USAGE}"),
        }
    }
    if a.authority.is_empty() || a.pid.is_empty() {
        bail!("--endpoint and --pid are required\n{USAGE}");
    }
    if a.size_mib == 0 || a.size_mib > 5 * 1024 {
        bail!("--size-mib must be 1..=5120 (S3's single-PUT limit)");
    }
    if a.sample.is_zero() || a.idle > Duration::from_secs(600) {
        bail!("--sample-ms must be > 0 and --idle-secs at most 600");
    }
    Ok(a)
}

/// The deterministic body: chunk `i` of an object, from a PRNG seeded with `i`.
fn chunk(i: u64, len: usize) -> Bytes {
    let mut state =
        0x9E37_79B9_7F4A_7C15u64 ^ (i.wrapping_add(1)).wrapping_mul(0xD1B5_4A32_D192_ED03);
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let word = state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
        let take = (len - out.len()).min(8);
        out.extend_from_slice(&word[..take]);
    }
    Bytes::from(out)
}

const IDLE: u8 = 0;
const PUT: u8 = 1;
const GET: u8 = 2;
const DONE: u8 = 3;

/// Peak VmRSS (KiB) per phase, and the idle samples.
#[derive(Default)]
struct Samples {
    idle: Vec<u64>,
    put_peak: u64,
    get_peak: u64,
    count: usize,
}

pub async fn run(argv: &[String]) -> Result<()> {
    let args = parse_args(argv)?;
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    let signer = Signer {
        access_key: env("AWS_ACCESS_KEY_ID", "test"),
        secret: env("AWS_SECRET_ACCESS_KEY", "test"),
        region: args.region.clone(),
        sigv4a: false,
    };
    proc_status_kib(&args.pid, "VmRSS")
        .with_context(|| format!("cannot read /proc/{}/status", args.pid))?;
    let authority = args.authority.clone();
    let size = args.size_mib * CHUNK as u64;

    // The bucket, then a warm-up: a few 1 MiB round trips, so that the idle figure is the
    // server's steady state, not its state before its first object request.
    let mut small: Conn<Full<Bytes>> = Conn::new(&authority);
    let bucket_path = format!("/{}", args.bucket);
    let (status, text) = simple(
        &mut small,
        &signer,
        &authority,
        "PUT",
        &bucket_path,
        Bytes::new(),
    )
    .await?;
    if !(status == 200 || text.contains("BucketAlreadyOwnedByYou")) {
        bail!("CreateBucket {}: HTTP {status} {text}", args.bucket);
    }
    let warm_path = format!("/{}/warm-up", args.bucket);
    for i in 0..4 {
        let (status, text) = simple(
            &mut small,
            &signer,
            &authority,
            "PUT",
            &warm_path,
            chunk(i, CHUNK),
        )
        .await?;
        if status != 200 {
            bail!("warm-up PUT: HTTP {status} {text}");
        }
        let (status, text) = simple(
            &mut small,
            &signer,
            &authority,
            "GET",
            &warm_path,
            Bytes::new(),
        )
        .await?;
        if status != 200 {
            bail!("warm-up GET: HTTP {status} {text}");
        }
    }
    drop(small);

    // The sampler thread.
    let phase = Arc::new(AtomicU8::new(IDLE));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (phase, stop, pid, every) =
            (phase.clone(), stop.clone(), args.pid.clone(), args.sample);
        std::thread::spawn(move || {
            let mut s = Samples::default();
            // Bounded: it ends when told to or when the process is gone.
            while !stop.load(Ordering::Relaxed) {
                let Some(rss) = proc_status_kib(&pid, "VmRSS") else {
                    break;
                };
                s.count += 1;
                match phase.load(Ordering::Relaxed) {
                    IDLE => s.idle.push(rss),
                    PUT => s.put_peak = s.put_peak.max(rss),
                    GET => s.get_peak = s.get_peak.max(rss),
                    _ => {}
                }
                std::thread::sleep(every);
            }
            s
        })
    };
    tokio::time::sleep(args.idle).await;

    // PUT, streaming.
    let path = format!("/{}/{}", args.bucket, args.key);
    phase.store(PUT, Ordering::Relaxed);
    let put_md5 = Arc::new(std::sync::Mutex::new(Md5::new()));
    let chunks = args.size_mib;
    let body = StreamBody::new(futures::stream::iter(0..chunks).map({
        let put_md5 = put_md5.clone();
        move |i| {
            let c = chunk(i, CHUNK);
            if let Ok(mut h) = put_md5.lock() {
                h.update(&c);
            }
            Ok::<_, std::convert::Infallible>(Frame::data(c))
        }
    }));
    let mut conn: Conn<StreamBody<_>> = Conn::new(&authority);
    let headers = signer.headers(
        "PUT",
        &authority,
        &path,
        "UNSIGNED-PAYLOAD",
        &[("content-length".to_owned(), size.to_string())],
    );
    let mut req = hyper::Request::builder().method("PUT").uri(&path);
    for (k, v) in &headers {
        req = req.header(k, v);
    }
    let t0 = Instant::now();
    let resp = conn.send(req.body(body)?).await;
    let put_secs = t0.elapsed().as_secs_f64();
    let resp = resp?;
    let status = resp.status().as_u16();
    let etag = resp
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim_matches('"')
        .to_owned();
    let text = resp.into_body().collect().await?.to_bytes();
    if status != 200 {
        stop.store(true, Ordering::Relaxed);
        bail!(
            "PUT {path}: HTTP {status} {}",
            String::from_utf8_lossy(&text)
        );
    }
    let put_md5 = match put_md5.lock() {
        Ok(mut h) => hex::encode(std::mem::take(&mut *h).finalize()),
        Err(_) => bail!("MD5 state poisoned"),
    };
    drop(conn);

    // GET, hashing and discarding.
    phase.store(GET, Ordering::Relaxed);
    let mut conn: Conn<Full<Bytes>> = Conn::new(&authority);
    let headers = signer.headers("GET", &authority, &path, EMPTY_SHA256, &[]);
    let mut req = hyper::Request::builder().method("GET").uri(&path);
    for (k, v) in &headers {
        req = req.header(k, v);
    }
    let t0 = Instant::now();
    let resp = conn.send(req.body(Full::new(Bytes::new()))?).await?;
    let status = resp.status().as_u16();
    if status != 200 {
        stop.store(true, Ordering::Relaxed);
        let text = resp.into_body().collect().await?.to_bytes();
        bail!(
            "GET {path}: HTTP {status} {}",
            String::from_utf8_lossy(&text)
        );
    }
    let mut body = resp.into_body();
    let (mut md5, mut sha, mut got) = (Md5::new(), Sha256::new(), 0u64);
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            md5.update(&data);
            sha.update(&data);
            got += data.len() as u64;
        }
    }
    let get_secs = t0.elapsed().as_secs_f64();
    let get_md5 = hex::encode(md5.finalize());
    phase.store(DONE, Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    let samples = sampler
        .join()
        .map_err(|_| anyhow::anyhow!("sampler thread panicked"))?;
    let hwm = proc_status_kib(&args.pid, "VmHWM");

    // Delete it, so that a rerun starts from the same state.
    let mut small: Conn<Full<Bytes>> = Conn::new(&authority);
    let _ = simple(
        &mut small,
        &signer,
        &authority,
        "DELETE",
        &path,
        Bytes::new(),
    )
    .await;
    let _ = simple(
        &mut small,
        &signer,
        &authority,
        "DELETE",
        &warm_path,
        Bytes::new(),
    )
    .await;

    let mib = |kib: u64| kib as f64 / 1024.0;
    let mut idle = samples.idle.clone();
    idle.sort_unstable();
    let baseline = idle.get(idle.len() / 2).copied().unwrap_or(0);
    let peak = samples.put_peak.max(samples.get_peak);
    let growth = peak.saturating_sub(baseline);
    let ok_digests = got == size && put_md5 == etag && get_md5 == etag;
    println!(
        "mrap-load big-object: {} MiB, PUT {:.1} s ({:.0} MiB/s), GET {:.1} s ({:.0} MiB/s)",
        args.size_mib,
        put_secs,
        args.size_mib as f64 / put_secs,
        get_secs,
        args.size_mib as f64 / get_secs
    );
    println!(
        "digests: sent MD5 {put_md5}, ETag {etag}, received MD5 {get_md5} ({got} bytes, SHA-256 {}) → {}",
        hex::encode(sha.finalize()),
        if ok_digests { "match" } else { "MISMATCH" }
    );
    let table = format!(
        "| server RSS (pid {}) | MiB |\n|---|---:|\n\
         | baseline (idle after warm-up, median of {} samples) | {:.1} |\n\
         | peak during PUT | {:.1} |\n\
         | peak during GET | {:.1} |\n\
         | peak − baseline | **{:.1}** (target ≤ {}) |\n\
         | VmHWM at the end (process lifetime) | {} |\n\n\
         {} VmRSS samples every {} ms; {} MiB object, PUT {:.0} MiB/s, GET {:.0} MiB/s; digests {}.",
        args.pid,
        idle.len(),
        mib(baseline),
        mib(samples.put_peak),
        mib(samples.get_peak),
        mib(growth),
        args.max_growth_mib,
        hwm.map_or("?".into(), |h| format!("{:.1}", mib(h))),
        samples.count,
        args.sample.as_millis(),
        args.size_mib,
        args.size_mib as f64 / put_secs,
        args.size_mib as f64 / get_secs,
        if ok_digests {
            "match the ETag"
        } else {
            "DO NOT MATCH"
        }
    );
    println!("\n{table}");
    if !ok_digests {
        bail!("the object did not round-trip intact");
    }
    if growth > args.max_growth_mib * 1024 {
        println!(
            "RSS grew by {:.1} MiB, more than the {} MiB target",
            mib(growth),
            args.max_growth_mib
        );
    }
    Ok(())
}

/// A small signed request with a buffered body; returns status and body text.
async fn simple(
    conn: &mut Conn<Full<Bytes>>,
    signer: &Signer,
    authority: &str,
    method: &str,
    path: &str,
    body: Bytes,
) -> Result<(u16, String)> {
    let hash = hex::encode(Sha256::digest(&body));
    let headers = signer.headers(method, authority, path, &hash, &[]);
    let mut req = hyper::Request::builder().method(method).uri(path);
    for (k, v) in &headers {
        req = req.header(k, v);
    }
    let resp = conn.send(req.body(Full::new(body))?).await?;
    let status = resp.status().as_u16();
    let text = resp.into_body().collect().await?.to_bytes();
    Ok((status, String::from_utf8_lossy(&text).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_deterministic_and_distinct() {
        assert_eq!(chunk(3, 1000), chunk(3, 1000));
        assert_ne!(chunk(3, 1000), chunk(4, 1000));
        assert_eq!(chunk(0, CHUNK).len(), CHUNK);
        assert_eq!(chunk(0, 13).len(), 13);
    }
}
