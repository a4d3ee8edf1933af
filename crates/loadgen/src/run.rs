//! `mrap-load run`: the scenario runner. One scenario (`control`, `reads`, `objects`, `mixed`) runs
//! against one or more S3 / S3 Control endpoints in turn (the same client, the same schedule), in
//! a closed loop (`--connections N`: N workers, each starting its next operation when the last one
//! ends) or an open loop (`--rate R`: operation i is due at `start + i/R` whatever happened before).
//!
//! Latency is recorded in HDR histograms (µs, 3 significant digits). In the open loop it is
//! measured from the operation's *intended* start, so a stall that delays the operations queued
//! behind it counts against every one of them (the coordinated-omission correction); the time from
//! the actual send ("service") and the generator's lag (actual − intended start) are reported
//! too. A closed loop measures from the actual start and says so (`co_corrected: false`).
//! Errors are counted by S3 error code (`<Code>` of the error body; else `HTTP <status>`;
//! `transport`, `timeout`). A progress line goes to stderr once a second; `--json FILE` writes
//! the whole report (shape: [`target_json`], [`report_json`]).
//!
//! Scenarios (one "operation" is what the schedule starts and the latency histogram times):
//! - `control`: create an MRAP over two buckets → poll DescribeMultiRegionAccessPointOperation
//!   until SUCCEEDED → GetMultiRegionAccessPoint → delete → poll until SUCCEEDED. Stages are timed
//!   too: `create accepted`, `create→SUCCEEDED` (both from the create's send), `get`,
//!   `delete→SUCCEEDED`.
//! - `reads`: GetMultiRegionAccessPoint (and `--list-percent` ListMultiRegionAccessPoints) on an
//!   MRAP `reads-bench`: authentication and authorization on every request.
//! - `objects`: GET and PUT (`--put-percent`) of objects whose sizes follow `--sizes`, directly on
//!   the bucket and/or through an MRAP over it (`--via direct,mrap`; path style `/{alias}/{key}`).
//! - `mixed`: the above interleaved by `--mix` weights.

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use futures::future::BoxFuture;
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::{
    sync::{Semaphore, mpsc},
    time::Instant,
};

use crate::client::{Client, RawResponse, loopback_authority, xml_field};

pub const USAGE: &str = "usage: mrap-load run --scenario control|reads|objects|mixed\n\
  --endpoint [NAME=]http://127.0.0.1:PORT [--endpoint ...]   run against each in turn; ratios vs the first\n\
  [--account NAME=ACCOUNT ...]   the account of endpoint NAME (default MRAP_ACCOUNT or 000000000000;\n\
                                 moto_server's is 123456789012)\n\
  --connections N | --rate R     closed loop of N workers (default 16) | open loop at R operations/s\n\
  [--max-in-flight 1024]         open loop: operations outstanding at most (waiting counts as latency)\n\
  [--duration 10] [--warmup 2]   seconds measured, seconds run before and not counted\n\
  [--json FILE]                  write the report as JSON\n\
  [--quiet]                      no progress line\n\
control:  [--regions us-west-2,eu-west-1] (one bucket per Region)  [--poll-ms 1] (Describe polling)\n\
reads:    [--list-percent 10]\n\
objects:  [--sizes 1024:50,4096:30,65536:15,1048576:5] (bytes:weight) [--keys 16] (per size)\n\
          [--put-percent 20] [--via direct,mrap] (mrap: through an MRAP, mrap gateways only)\n\
mixed:    [--mix get=60,put=15,mrap-get=15,mrap-list=5,control=5] and the options above\n\
credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (default test/test); SigV4, Region us-west-2";

/// Longest one HTTP exchange may take before it counts as a `timeout` error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// MRAPs one account may hold; the control scenario keeps its creates in flight below it.
const CONTROL_IN_FLIGHT: usize = 90;
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Scenario {
    Control,
    Reads,
    Objects,
    Mixed,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Control => "control",
            Scenario::Reads => "reads",
            Scenario::Objects => "objects",
            Scenario::Mixed => "mixed",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Mode {
    Closed { connections: usize },
    Open { rate: f64, max_in_flight: usize },
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Via {
    Direct,
    Mrap,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum MixOp {
    Get,
    Put,
    MrapGet,
    MrapList,
    Control,
}

#[derive(Debug)]
struct Endpoint {
    name: String,
    url: String,
    account: Option<String>,
}

#[derive(Debug)]
struct Args {
    scenario: Scenario,
    endpoints: Vec<Endpoint>,
    mode: Mode,
    duration: Duration,
    warmup: Duration,
    json: Option<PathBuf>,
    quiet: bool,
    regions: Vec<String>,
    poll: Duration,
    list_percent: u32,
    sizes: Vec<(usize, u32)>,
    keys: usize,
    put_percent: u32,
    via: Vec<Via>,
    mix: Vec<(MixOp, u32)>,
}

fn weights<T>(spec: &str, item: impl Fn(&str) -> Result<T>) -> Result<Vec<(T, u32)>> {
    let out = spec
        .split(',')
        .map(|part| {
            let (k, w) = part
                .split_once([':', '='])
                .with_context(|| format!("{part}: want KEY:WEIGHT"))?;
            Ok((item(k.trim())?, w.trim().parse::<u32>()?))
        })
        .collect::<Result<Vec<_>>>()?;
    if out.iter().map(|(_, w)| u64::from(*w)).sum::<u64>() == 0 {
        bail!("{spec}: the weights add up to 0");
    }
    Ok(out)
}

/// The entry of `weighted` that `roll` (uniform in `0..sum of weights`) falls on.
fn pick<T: Copy>(weighted: &[(T, u32)], roll: u32) -> T {
    let mut left = roll;
    for (item, w) in weighted {
        if left < *w {
            return *item;
        }
        left -= w;
    }
    weighted[weighted.len() - 1].0
}

fn roll<T>(weighted: &[(T, u32)]) -> u32 {
    let sum: u32 = weighted.iter().map(|(_, w)| *w).sum();
    rand::random::<u32>() % sum.max(1)
}

fn parse_args(argv: &[String]) -> Result<Args> {
    let mut a = Args {
        scenario: Scenario::Control,
        endpoints: Vec::new(),
        mode: Mode::Closed { connections: 16 },
        duration: Duration::from_secs(10),
        warmup: Duration::from_secs(2),
        json: None,
        quiet: false,
        regions: vec!["us-west-2".into(), "eu-west-1".into()],
        poll: Duration::from_millis(1),
        list_percent: 10,
        sizes: vec![(1024, 50), (4096, 30), (65536, 15), (1 << 20, 5)],
        keys: 16,
        put_percent: 20,
        via: vec![Via::Direct, Via::Mrap],
        mix: vec![
            (MixOp::Get, 60),
            (MixOp::Put, 15),
            (MixOp::MrapGet, 15),
            (MixOp::MrapList, 5),
            (MixOp::Control, 5),
        ],
    };
    let (mut scenario, mut connections, mut rate, mut max_in_flight) = (None, None, None, 1024);
    let mut accounts = Vec::new();
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--help" | "-h" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            "--quiet" => {
                a.quiet = true;
                continue;
            }
            _ => {}
        }
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        let secs = |v: &str| -> Result<Duration> { Ok(Duration::from_secs_f64(v.parse()?)) };
        match flag.as_str() {
            "--scenario" => {
                scenario = Some(match value.as_str() {
                    "control" => Scenario::Control,
                    "reads" => Scenario::Reads,
                    "objects" => Scenario::Objects,
                    "mixed" => Scenario::Mixed,
                    other => bail!("unknown scenario {other} (control, reads, objects, mixed)"),
                });
            }
            "--endpoint" => {
                let (name, url) = match value.split_once('=') {
                    Some((n, u)) => (n.to_owned(), u.to_owned()),
                    None => (loopback_authority(value)?, value.clone()),
                };
                loopback_authority(&url)?;
                a.endpoints.push(Endpoint {
                    name,
                    url,
                    account: None,
                });
            }
            "--account" => {
                let (n, acct) = value.split_once('=').context("--account NAME=ACCOUNT")?;
                accounts.push((n.to_owned(), acct.to_owned()));
            }
            "--connections" => connections = Some(value.parse::<usize>()?),
            "--rate" => rate = Some(value.trim_end_matches("/s").parse::<f64>()?),
            "--max-in-flight" => max_in_flight = value.parse()?,
            "--duration" => a.duration = secs(value)?,
            "--warmup" => a.warmup = secs(value)?,
            "--json" => a.json = Some(PathBuf::from(value)),
            "--regions" => a.regions = value.split(',').map(str::to_owned).collect(),
            "--poll-ms" => a.poll = Duration::from_secs_f64(value.parse::<f64>()? / 1000.0),
            "--list-percent" => a.list_percent = value.parse()?,
            "--sizes" => a.sizes = weights(value, |s| Ok(s.parse::<usize>()?))?,
            "--keys" => a.keys = value.parse()?,
            "--put-percent" => a.put_percent = value.parse()?,
            "--via" => {
                a.via = value
                    .split(',')
                    .map(|v| match v {
                        "direct" => Ok(Via::Direct),
                        "mrap" => Ok(Via::Mrap),
                        other => bail!("--via {other}: direct or mrap"),
                    })
                    .collect::<Result<_>>()?;
            }
            "--mix" => {
                a.mix = weights(value, |k| {
                    Ok(match k {
                        "get" => MixOp::Get,
                        "put" => MixOp::Put,
                        "mrap-get" => MixOp::MrapGet,
                        "mrap-list" => MixOp::MrapList,
                        "control" => MixOp::Control,
                        other => bail!("--mix {other}: get, put, mrap-get, mrap-list, control"),
                    })
                })?;
            }
            other => bail!("unknown flag {other}\n{USAGE}"),
        }
    }
    a.scenario = scenario.context("--scenario is required")?;
    if a.endpoints.is_empty() {
        bail!("no --endpoint\n{USAGE}");
    }
    for (name, acct) in accounts {
        let ep = a
            .endpoints
            .iter_mut()
            .find(|e| e.name == name)
            .with_context(|| format!("--account {name}=…: no --endpoint {name}=URL"))?;
        ep.account = Some(acct);
    }
    a.mode = match (connections, rate) {
        (Some(_), Some(_)) => bail!("--connections (closed loop) or --rate (open loop), not both"),
        (_, Some(rate)) if !(rate > 0.0 && rate <= 1e6) => bail!("--rate must be in (0, 1e6]"),
        (_, Some(rate)) if max_in_flight == 0 => bail!("--max-in-flight must be > 0 (rate {rate})"),
        (_, Some(rate)) => Mode::Open {
            rate,
            max_in_flight,
        },
        (Some(c), None) if !(1..=4096).contains(&c) => bail!("--connections must be 1..=4096"),
        (Some(connections), None) => Mode::Closed { connections },
        (None, None) => a.mode,
    };
    if a.scenario == Scenario::Control
        && matches!(a.mode, Mode::Closed { connections } if connections > CONTROL_IN_FLIGHT)
    {
        bail!(
            "control: --connections at most {CONTROL_IN_FLIGHT} (the account quota is 100 MRAPs)"
        );
    }
    if a.duration.is_zero() || a.duration > Duration::from_secs(3600) {
        bail!("--duration must be in (0, 3600] s");
    }
    if a.via.is_empty() || a.keys == 0 || a.put_percent > 100 || a.list_percent > 100 {
        bail!("--via needs an entry, --keys > 0, the percentages at most 100");
    }
    if a.sizes.iter().any(|(s, _)| *s > 64 << 20) {
        bail!("--sizes: at most 64 MiB per object");
    }
    Ok(a)
}

// ---- schedule and measurement ----------------------------------------------------------------

/// When operation `i` of an open loop at `rate` per second is due, after the loop's start.
pub fn intended_offset(rate: f64, i: u64) -> Duration {
    Duration::from_secs_f64(i as f64 / rate)
}

/// Stages of one operation (name, time) on success, an error code on failure.
pub type OpResult = std::result::Result<Vec<(&'static str, Duration)>, String>;

pub struct Outcome {
    pub kind: &'static str,
    pub result: OpResult,
}

pub type OpFn = Arc<dyn Fn(u64) -> BoxFuture<'static, Outcome> + Send + Sync>;

pub struct Sample {
    /// The intended start (open loop) or the actual start (closed loop), after the run's start.
    pub start: Duration,
    /// Open loop: from the intended start to the end; closed loop: from the start to the end.
    pub latency: Duration,
    /// From the actual start to the end.
    pub service: Duration,
    /// Open loop only: actual start − intended start.
    pub lag: Option<Duration>,
    pub outcome: Outcome,
}

/// Runs `op` for `warmup + duration` in `mode`, sending one [`Sample`] per operation to `tx`;
/// returns once every operation has ended. `in_flight` counts the operations outstanding.
pub async fn drive(
    mode: Mode,
    run_for: Duration,
    op: OpFn,
    tx: mpsc::UnboundedSender<Sample>,
    in_flight: Arc<AtomicU64>,
) {
    let start = Instant::now();
    let end = start + run_for;
    match mode {
        Mode::Closed { connections } => {
            let seq = Arc::new(AtomicU64::new(0));
            let mut workers = tokio::task::JoinSet::new();
            for _ in 0..connections {
                let (op, tx, seq, in_flight) =
                    (op.clone(), tx.clone(), seq.clone(), in_flight.clone());
                workers.spawn(async move {
                    loop {
                        let t0 = Instant::now();
                        if t0 >= end {
                            break;
                        }
                        let i = seq.fetch_add(1, Ordering::Relaxed);
                        in_flight.fetch_add(1, Ordering::Relaxed);
                        let outcome = op(i).await;
                        in_flight.fetch_sub(1, Ordering::Relaxed);
                        let took = t0.elapsed();
                        let _ = tx.send(Sample {
                            start: t0 - start,
                            latency: took,
                            service: took,
                            lag: None,
                            outcome,
                        });
                    }
                });
            }
            while workers.join_next().await.is_some() {}
        }
        Mode::Open {
            rate,
            max_in_flight,
        } => {
            // Waiting for a permit delays the send, not the intended start: it shows up as
            // latency and lag, never as a gap in the schedule.
            let permits = Arc::new(Semaphore::new(max_in_flight));
            for i in 0.. {
                let intended = start + intended_offset(rate, i);
                if intended >= end {
                    break;
                }
                tokio::time::sleep_until(intended).await;
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    break;
                };
                let (fut, tx, in_flight) = (op(i), tx.clone(), in_flight.clone());
                in_flight.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(async move {
                    let sent = Instant::now();
                    let outcome = fut.await;
                    let done = Instant::now();
                    in_flight.fetch_sub(1, Ordering::Relaxed);
                    let _ = tx.send(Sample {
                        start: intended - start,
                        latency: done - intended,
                        service: done - sent,
                        lag: Some(sent - intended),
                        outcome,
                    });
                    drop(permit);
                });
            }
            let _ = permits.acquire_many(max_in_flight as u32).await;
        }
    }
}

fn histogram() -> Histogram<u64> {
    // 1 µs .. 1 h, 3 significant digits.
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}

fn us(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

pub struct OpTally {
    pub latency: Histogram<u64>,
    pub service: Histogram<u64>,
    pub errors: u64,
}

/// Everything measured for one endpoint (samples whose start falls in the measured window).
pub struct Tally {
    pub ops: BTreeMap<&'static str, OpTally>,
    pub stages: BTreeMap<&'static str, Histogram<u64>>,
    pub errors: BTreeMap<String, u64>,
    pub lag: Option<Histogram<u64>>,
    pub warmup_samples: u64,
}

impl Tally {
    pub fn new() -> Self {
        Self {
            ops: BTreeMap::new(),
            stages: BTreeMap::new(),
            errors: BTreeMap::new(),
            lag: None,
            warmup_samples: 0,
        }
    }

    pub fn record(&mut self, s: &Sample) {
        let op = self.ops.entry(s.outcome.kind).or_insert_with(|| OpTally {
            latency: histogram(),
            service: histogram(),
            errors: 0,
        });
        match &s.outcome.result {
            Ok(stages) => {
                op.latency.saturating_record(us(s.latency));
                op.service.saturating_record(us(s.service));
                for (name, d) in stages {
                    self.stages
                        .entry(name)
                        .or_insert_with(histogram)
                        .saturating_record(us(*d));
                }
            }
            Err(code) => {
                op.errors += 1;
                *self.errors.entry(code.clone()).or_insert(0) += 1;
            }
        }
        if let Some(lag) = s.lag {
            self.lag
                .get_or_insert_with(histogram)
                .saturating_record(us(lag));
        }
    }
}

impl Default for Tally {
    fn default() -> Self {
        Self::new()
    }
}

/// Receives samples until every sender is gone; prints a progress line to stderr once a second.
async fn collect(
    mut rx: mpsc::UnboundedReceiver<Sample>,
    warmup: Duration,
    label: String,
    in_flight: Arc<AtomicU64>,
    quiet: bool,
) -> Tally {
    let mut tally = Tally::new();
    let mut window = histogram();
    let (mut window_errors, mut total, mut total_errors) = (0u64, 0u64, 0u64);
    let started = Instant::now();
    let mut tick =
        tokio::time::interval_at(started + Duration::from_secs(1), Duration::from_secs(1));
    loop {
        tokio::select! {
            got = rx.recv() => {
                let Some(s) = got else { break };
                match &s.outcome.result {
                    Ok(_) => window.saturating_record(us(s.latency)),
                    Err(_) => { window_errors += 1; total_errors += 1; }
                }
                total += 1;
                if s.start >= warmup {
                    tally.record(&s);
                } else {
                    tally.warmup_samples += 1;
                }
            }
            _ = tick.tick() => {
                if !quiet {
                    let t = started.elapsed().as_secs_f64();
                    let phase = if started.elapsed() < warmup { " (warm-up)" } else { "" };
                    eprintln!(
                        "[{label} {t:5.0}s{phase}] {:6} ok/s  p50 {}  p99 {}  max {}  errors {window_errors}/s ({total_errors} total)  in flight {}  done {total}",
                        window.len(),
                        fmt_us(window.value_at_quantile(0.5)),
                        fmt_us(window.value_at_quantile(0.99)),
                        fmt_us(window.max()),
                        in_flight.load(Ordering::Relaxed),
                    );
                }
                window.reset();
                window_errors = 0;
            }
        }
    }
    tally
}

pub fn fmt_us(v: u64) -> String {
    if v >= 10_000 {
        format!("{:.1} ms", v as f64 / 1000.0)
    } else if v >= 1000 {
        format!("{:.2} ms", v as f64 / 1000.0)
    } else {
        format!("{v} µs")
    }
}

fn summary_json(h: &Histogram<u64>) -> Value {
    json!({
        "count": h.len(),
        "p50_us": h.value_at_quantile(0.50),
        "p90_us": h.value_at_quantile(0.90),
        "p99_us": h.value_at_quantile(0.99),
        "p999_us": h.value_at_quantile(0.999),
        "max_us": h.max(),
        "mean_us": (h.mean() * 10.0).round() / 10.0,
    })
}

/// One endpoint's figures: `ops.<kind>` has `count` (successes), `errors`, `per_second`
/// (successes over the measured window), `latency` and `service` summaries (`count`, `p50_us`,
/// `p90_us`, `p99_us`, `p999_us`, `max_us`, `mean_us`); `stages.<name>` summaries; `errors` by
/// code; `lag` (open loop) or null.
pub fn target_json(name: &str, endpoint: &str, tally: &Tally, measured: Duration) -> Value {
    let secs = measured.as_secs_f64();
    let ops: serde_json::Map<String, Value> = tally
        .ops
        .iter()
        .map(|(kind, t)| {
            (
                (*kind).to_owned(),
                json!({
                    "count": t.latency.len(),
                    "errors": t.errors,
                    "per_second": (t.latency.len() as f64 / secs * 10.0).round() / 10.0,
                    "latency": summary_json(&t.latency),
                    "service": summary_json(&t.service),
                }),
            )
        })
        .collect();
    let stages: serde_json::Map<String, Value> = tally
        .stages
        .iter()
        .map(|(k, h)| ((*k).to_owned(), summary_json(h)))
        .collect();
    json!({
        "name": name,
        "endpoint": endpoint,
        "measured_s": secs,
        "ops": ops,
        "stages": stages,
        "errors": tally.errors,
        "lag": tally.lag.as_ref().map(summary_json),
    })
}

/// The whole report: the run's parameters, one [`target_json`] per endpoint, and for every
/// endpoint after the first and every operation kind both measured, its ratios to the first
/// (`per_second`, `p50`, `p99`: this endpoint's value over the first's).
pub fn report_json(
    scenario: &str,
    mode: Mode,
    warmup: Duration,
    duration: Duration,
    targets: Vec<Value>,
) -> Value {
    let mode = match mode {
        Mode::Closed { connections } => {
            json!({"loop": "closed", "connections": connections, "co_corrected": false})
        }
        Mode::Open {
            rate,
            max_in_flight,
        } => {
            json!({"loop": "open", "rate_per_s": rate, "max_in_flight": max_in_flight, "co_corrected": true})
        }
    };
    let mut ratios = Vec::new();
    if let Some(first) = targets.first() {
        for t in &targets[1..] {
            let Some(ops) = t["ops"].as_object() else {
                continue;
            };
            for (kind, o) in ops {
                let base = &first["ops"][kind];
                let ratio = |a: &Value, b: &Value| match (a.as_f64(), b.as_f64()) {
                    (Some(a), Some(b)) if b > 0.0 => json!((a / b * 1000.0).round() / 1000.0),
                    _ => Value::Null,
                };
                if base.is_null() {
                    continue;
                }
                ratios.push(json!({
                    "target": t["name"],
                    "vs": first["name"],
                    "op": kind,
                    "per_second": ratio(&o["per_second"], &base["per_second"]),
                    "p50": ratio(&o["latency"]["p50_us"], &base["latency"]["p50_us"]),
                    "p99": ratio(&o["latency"]["p99_us"], &base["latency"]["p99_us"]),
                }));
            }
        }
    }
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    json!({
        "tool": "mrap-load",
        "version": env!("CARGO_PKG_VERSION"),
        "scenario": scenario,
        "mode": mode,
        "warmup_s": warmup.as_secs_f64(),
        "duration_s": duration.as_secs_f64(),
        "started_unix": unix,
        "targets": targets,
        "ratios": ratios,
    })
}

fn markdown(report: &Value) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| target | operation | ok/s | p50 | p90 | p99 | p99.9 | max | errors |\n|---|---|---:|---:|---:|---:|---:|---:|---:|"
    );
    let empty = serde_json::Map::new();
    let cell = |v: &Value| fmt_us(v.as_u64().unwrap_or(0));
    let row = |out: &mut String, t: &str, k: &str, per_s: &str, s: &Value, errors: &str| {
        let _ = writeln!(
            out,
            "| {t} | {k} | {per_s} | {} | {} | {} | {} | {} | {errors} |",
            cell(&s["p50_us"]),
            cell(&s["p90_us"]),
            cell(&s["p99_us"]),
            cell(&s["p999_us"]),
            cell(&s["max_us"]),
        );
    };
    for t in report["targets"].as_array().into_iter().flatten() {
        let name = t["name"].as_str().unwrap_or("?");
        for (kind, o) in t["ops"].as_object().unwrap_or(&empty) {
            let per_s = format!("{:.1}", o["per_second"].as_f64().unwrap_or(0.0));
            row(
                &mut out,
                name,
                kind,
                &per_s,
                &o["latency"],
                &o["errors"].to_string(),
            );
        }
        for (stage, s) in t["stages"].as_object().unwrap_or(&empty) {
            row(&mut out, name, &format!("· {stage}"), "", s, "");
        }
        if let Some(lag) = t["lag"].as_object() {
            row(
                &mut out,
                name,
                "· generator lag",
                "",
                &Value::Object(lag.clone()),
                "",
            );
        }
    }
    for t in report["targets"].as_array().into_iter().flatten() {
        if let Some(errors) = t["errors"].as_object().filter(|e| !e.is_empty()) {
            let _ = writeln!(
                out,
                "\nerrors at {}: {}",
                t["name"],
                Value::Object(errors.clone())
            );
        }
    }
    for r in report["ratios"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "ratio {} / {} {}: ok/s ×{} p50 ×{} p99 ×{}",
            r["target"], r["vs"], r["op"], r["per_second"], r["p50"], r["p99"]
        );
    }
    out
}

// ---- the scenarios' operations ----------------------------------------------------------------

/// The error code of a failed S3 / S3 Control response.
fn error_code(status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    xml_field(&text, "Code").map_or_else(|| format!("HTTP {status}"), str::to_owned)
}

async fn call(
    client: &Client,
    method: &str,
    path: &str,
    query: &str,
    body: Bytes,
    hash: &str,
) -> std::result::Result<RawResponse, String> {
    match tokio::time::timeout(
        REQUEST_TIMEOUT,
        client.send_bytes(method, path, query, body, hash),
    )
    .await
    {
        Err(_) => Err("timeout".into()),
        Ok(Err(_)) => Err("transport".into()),
        Ok(Ok(r)) => Ok(r),
    }
}

async fn call_ok(
    client: &Client,
    method: &str,
    path: &str,
    body: &str,
) -> std::result::Result<RawResponse, String> {
    let body = Bytes::from(body.to_owned());
    let hash = hex::encode(Sha256::digest(&body));
    let r = call(client, method, path, "", body, &hash).await?;
    if r.status != 200 {
        return Err(error_code(r.status, &r.body));
    }
    Ok(r)
}

async fn submit(client: &Client, verb: &str, details: &str) -> std::result::Result<String, String> {
    let body = crate::mrap_setup::submit_body(verb, details);
    let r = call_ok(
        client,
        "POST",
        &format!("/v20180820/async-requests/mrap/{verb}"),
        &body,
    )
    .await?;
    let text = String::from_utf8_lossy(&r.body);
    xml_field(&text, "RequestTokenARN")
        .map(str::to_owned)
        .ok_or_else(|| "NoRequestTokenARN".to_owned())
}

/// Stage names for the Describe timeline of a create (`create: region N SUCCEEDED`).
const REGION_DONE: [&str; 4] = [
    "create: region 1 SUCCEEDED seen",
    "create: region 2 SUCCEEDED seen",
    "create: region 3 SUCCEEDED seen",
    "create: region 4 SUCCEEDED seen",
];

/// Polls Describe every `every` until the operation is terminal. With `timeline`, records when
/// the operation was first seen `IN_PROGRESS` and each Region first seen `SUCCEEDED` (after `t0`):
/// where a create's time goes, as far as a client can see it (resolution: the poll period plus
/// one Describe round trip).
async fn poll(
    client: &Client,
    token: &str,
    every: Duration,
    mut timeline: Option<(Instant, &mut Vec<(&'static str, Duration)>)>,
) -> std::result::Result<(), String> {
    let path = format!(
        "/v20180820/async-requests/mrap/{}",
        token.replace(':', "%3A")
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let (mut seen_running, mut regions_done) = (false, 0usize);
    while Instant::now() < deadline {
        let r = call_ok(client, "GET", &path, "").await?;
        let text = String::from_utf8_lossy(&r.body);
        let status = xml_field(&text, "RequestStatus").unwrap_or_default();
        if let Some((t0, stages)) = timeline.as_mut() {
            let at = t0.elapsed();
            if !seen_running && status != "NEW" {
                seen_running = true;
                stages.push(("create: IN_PROGRESS seen", at));
            }
            let done = text.find("<ResponseDetails>").map_or(0, |i| {
                text[i..]
                    .matches("<RequestStatus>SUCCEEDED</RequestStatus>")
                    .count()
            });
            while regions_done < done.min(REGION_DONE.len()) {
                stages.push((REGION_DONE[regions_done], at));
                regions_done += 1;
            }
        }
        match status {
            "SUCCEEDED" => return Ok(()),
            "FAILED" => return Err("OperationFailed".into()),
            _ if every.is_zero() => tokio::task::yield_now().await,
            _ => tokio::time::sleep(every).await,
        }
    }
    Err("OperationNotTerminal".into())
}

struct Objects {
    /// `bench-…` bucket, and the MRAP alias over it when measured through one.
    bucket: String,
    alias: Option<String>,
    /// Per size class: size, weight, body, its hex SHA-256.
    classes: Vec<(usize, u32, Bytes, String)>,
    keys: usize,
    put_percent: u32,
    via: Vec<Via>,
}

struct Target {
    client: Client,
    run: u32,
    regions_xml: String,
    poll: Duration,
    list_percent: u32,
    objects: Option<Objects>,
    mix: Vec<(MixOp, u32)>,
    /// Keeps the creates in flight under the account's quota.
    control_gate: Arc<Semaphore>,
}

const READS_NAME: &str = "reads-bench";

async fn control_cycle(t: &Target, seq: u64) -> OpResult {
    let _gate = t.control_gate.acquire().await.map_err(|_| "closed")?;
    let name = format!("ld-{:08x}-{seq}", t.run);
    let mut stages = Vec::with_capacity(8);
    let t0 = Instant::now();
    let token = submit(
        &t.client,
        "create",
        &format!("<Name>{name}</Name><Regions>{}</Regions>", t.regions_xml),
    )
    .await?;
    stages.push(("create accepted", t0.elapsed()));
    let delete = async {
        let t2 = Instant::now();
        let token = submit(&t.client, "delete", &format!("<Name>{name}</Name>")).await?;
        poll(&t.client, &token, t.poll, None).await?;
        Ok::<_, String>(t2.elapsed())
    };
    let created = async {
        poll(&t.client, &token, t.poll, Some((t0, &mut stages))).await?;
        stages.push(("create→SUCCEEDED", t0.elapsed()));
        let t1 = Instant::now();
        call_ok(
            &t.client,
            "GET",
            &format!("/v20180820/mrap/instances/{name}"),
            "",
        )
        .await?;
        stages.push(("get", t1.elapsed()));
        Ok::<_, String>(())
    }
    .await;
    // Deleted also after a failure, so that the account stays under its quota.
    let deleted = delete.await;
    created?;
    stages.push(("delete→SUCCEEDED", deleted?));
    Ok(stages)
}

async fn read_op(t: &Target, list: bool) -> OpResult {
    let path = if list {
        "/v20180820/mrap/instances".to_owned()
    } else {
        format!("/v20180820/mrap/instances/{READS_NAME}")
    };
    call_ok(&t.client, "GET", &path, "").await?;
    Ok(Vec::new())
}

async fn object_op(t: &Target, put: bool, via: Via) -> OpResult {
    let o = t.objects.as_ref().ok_or("no objects setup")?;
    let sum: u32 = o.classes.iter().map(|c| c.1).sum();
    let mut roll = rand::random::<u32>() % sum.max(1);
    let class = o
        .classes
        .iter()
        .position(|c| {
            if roll < c.1 {
                true
            } else {
                roll -= c.1;
                false
            }
        })
        .unwrap_or(0);
    let (size, _, body, hash) = &o.classes[class];
    let key = rand::random::<u32>() as usize % o.keys;
    let root = match via {
        Via::Direct => &o.bucket,
        Via::Mrap => o.alias.as_ref().ok_or("no MRAP alias")?,
    };
    let path = format!("/{root}/obj-{size}-{key}");
    let r = if put {
        call(&t.client, "PUT", &path, "", body.clone(), hash).await?
    } else {
        call(&t.client, "GET", &path, "", Bytes::new(), EMPTY_SHA256).await?
    };
    if r.status != 200 {
        return Err(error_code(r.status, &r.body));
    }
    if !put && r.body.len() != *size {
        return Err("ShortBody".into());
    }
    Ok(Vec::new())
}

fn object_kind(put: bool, via: Via) -> &'static str {
    match (put, via) {
        (false, Via::Direct) => "GET object",
        (true, Via::Direct) => "PUT object",
        (false, Via::Mrap) => "GET object via MRAP",
        (true, Via::Mrap) => "PUT object via MRAP",
    }
}

async fn operation(t: Arc<Target>, scenario: Scenario, seq: u64) -> Outcome {
    let objects_pick = |t: &Target| {
        let o = t.objects.as_ref();
        let put = o.is_some_and(|o| rand::random::<u32>() % 100 < o.put_percent);
        let via = o.map_or(Via::Direct, |o| o.via[seq as usize % o.via.len()]);
        (put, via)
    };
    let op = match scenario {
        Scenario::Control => MixOp::Control,
        Scenario::Reads if (seq % 100) < u64::from(t.list_percent) => MixOp::MrapList,
        Scenario::Reads => MixOp::MrapGet,
        Scenario::Objects => MixOp::Get, // get or put: decided below
        Scenario::Mixed => pick(&t.mix, roll(&t.mix)),
    };
    match op {
        MixOp::Control => Outcome {
            kind: "control cycle",
            result: control_cycle(&t, seq).await,
        },
        MixOp::MrapGet => Outcome {
            kind: "GetMultiRegionAccessPoint",
            result: read_op(&t, false).await,
        },
        MixOp::MrapList => Outcome {
            kind: "ListMultiRegionAccessPoints",
            result: read_op(&t, true).await,
        },
        MixOp::Get | MixOp::Put => {
            let (mut put, via) = objects_pick(&t);
            if scenario == Scenario::Mixed {
                put = op == MixOp::Put;
            }
            Outcome {
                kind: object_kind(put, via),
                result: object_op(&t, put, via).await,
            }
        }
    }
}

// ---- setup ------------------------------------------------------------------------------------

async fn create_bucket(client: &Client, bucket: &str, region: &str) -> Result<()> {
    let body = format!(
        r#"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>{region}</LocationConstraint></CreateBucketConfiguration>"#
    );
    let client = client.in_region(region);
    // A stack that has just started may still answer 503 while its services connect.
    for _ in 0..100 {
        let r = client.send("PUT", &format!("/{bucket}"), "", &body).await?;
        match r.status {
            200 => return Ok(()),
            409 if r.body.contains("BucketAlreadyOwnedByYou") => return Ok(()),
            503 => tokio::time::sleep(Duration::from_millis(100)).await,
            s => bail!("CreateBucket {bucket}: HTTP {s} {}", r.body),
        }
    }
    bail!("CreateBucket {bucket}: still 503 after 10 s")
}

/// MRAP `name` over `bucket` (created if missing); returns its alias.
async fn ensure_mrap(client: &Client, name: &str, bucket: &str) -> Result<String> {
    let path = format!("/v20180820/mrap/instances/{name}");
    let mut r = client.send("GET", &path, "", "").await?;
    if r.status != 200 {
        let token = crate::mrap_setup::submit(
            client,
            "create",
            &format!(
                "<Name>{name}</Name><Regions><Region><Bucket>{bucket}</Bucket></Region></Regions>"
            ),
        )
        .await?;
        crate::mrap_setup::wait_terminal(client, &token, "SUCCEEDED").await?;
        r = client.send("GET", &path, "", "").await?;
    }
    if r.status != 200 {
        bail!(
            "GetMultiRegionAccessPoint {name}: HTTP {} {}",
            r.status,
            r.body
        );
    }
    Ok(xml_field(&r.body, "Alias").unwrap_or(name).to_owned())
}

async fn setup(a: &Args, ep: &Endpoint, account: &str) -> Result<(Target, Vec<String>)> {
    let key = |k: &str| std::env::var(k).unwrap_or_else(|_| "test".into());
    let client = Client::new(
        &ep.url,
        account,
        &key("AWS_ACCESS_KEY_ID"),
        &key("AWS_SECRET_ACCESS_KEY"),
    )?;
    let run: u32 = rand::random();
    let mut made = Vec::new();
    let needs =
        |m: MixOp| a.scenario == Scenario::Mixed && a.mix.iter().any(|(o, w)| *o == m && *w > 0);
    let mut regions_xml = String::new();
    if a.scenario == Scenario::Control || needs(MixOp::Control) {
        for (i, region) in a.regions.iter().enumerate() {
            let bucket = format!("ld-{run:08x}-{i}");
            create_bucket(&client, &bucket, region).await?;
            let _ = write!(regions_xml, "<Region><Bucket>{bucket}</Bucket></Region>");
            made.push(bucket);
        }
    }
    if a.scenario == Scenario::Reads || needs(MixOp::MrapGet) || needs(MixOp::MrapList) {
        create_bucket(&client, READS_NAME, "us-west-2").await?;
        ensure_mrap(&client, READS_NAME, READS_NAME).await?;
    }
    let mut objects = None;
    if a.scenario == Scenario::Objects || needs(MixOp::Get) || needs(MixOp::Put) {
        let bucket = "ld-objects".to_owned();
        create_bucket(&client, &bucket, "us-west-2").await?;
        let alias = if a.via.contains(&Via::Mrap) {
            Some(ensure_mrap(&client, "ld-objects", &bucket).await?)
        } else {
            None
        };
        let classes: Vec<_> = a
            .sizes
            .iter()
            .map(|(size, w)| {
                let body: Bytes = (0..*size)
                    .map(|i| (i % 251) as u8)
                    .collect::<Vec<_>>()
                    .into();
                let hash = hex::encode(Sha256::digest(&body));
                (*size, *w, body, hash)
            })
            .collect();
        // Every key of every size exists before the run (not measured).
        for (size, _, body, hash) in &classes {
            for k in 0..a.keys {
                let path = format!("/{bucket}/obj-{size}-{k}");
                let r = client
                    .send_bytes("PUT", &path, "", body.clone(), hash)
                    .await?;
                if r.status != 200 {
                    bail!(
                        "PUT {path}: HTTP {} {}",
                        r.status,
                        String::from_utf8_lossy(&r.body)
                    );
                }
            }
        }
        objects = Some(Objects {
            bucket,
            alias,
            classes,
            keys: a.keys,
            put_percent: a.put_percent,
            via: a.via.clone(),
        });
    }
    let target = Target {
        client,
        run,
        regions_xml,
        poll: a.poll,
        list_percent: a.list_percent,
        objects,
        mix: a.mix.clone(),
        control_gate: Arc::new(Semaphore::new(CONTROL_IN_FLIGHT)),
    };
    Ok((target, made))
}

pub async fn run(argv: &[String]) -> Result<()> {
    let a = parse_args(argv)?;
    let mut targets = Vec::new();
    for ep in &a.endpoints {
        let account = ep.account.clone().unwrap_or_else(|| {
            std::env::var("MRAP_ACCOUNT").unwrap_or_else(|_| "000000000000".into())
        });
        let (target, buckets) = setup(&a, ep, &account)
            .await
            .with_context(|| format!("setting up {} ({})", ep.name, ep.url))?;
        let target = Arc::new(target);
        let (tx, rx) = mpsc::unbounded_channel();
        let in_flight = Arc::new(AtomicU64::new(0));
        let collector = tokio::spawn(collect(
            rx,
            a.warmup,
            format!("{} {}", a.scenario.name(), ep.name),
            in_flight.clone(),
            a.quiet,
        ));
        let scenario = a.scenario;
        let op: OpFn = {
            let target = target.clone();
            Arc::new(move |seq| Box::pin(operation(target.clone(), scenario, seq)))
        };
        drive(a.mode, a.warmup + a.duration, op, tx, in_flight).await;
        let tally = collector.await?;
        let t = target_json(&ep.name, &ep.url, &tally, a.duration);
        eprintln!(
            "{}",
            markdown(&report_json(
                a.scenario.name(),
                a.mode,
                a.warmup,
                a.duration,
                vec![t.clone()]
            ))
        );
        targets.push(t);
        for bucket in buckets {
            let _ = target
                .client
                .send("DELETE", &format!("/{bucket}"), "", "")
                .await;
        }
    }
    let report = report_json(a.scenario.name(), a.mode, a.warmup, a.duration, targets);
    let mode = match a.mode {
        Mode::Closed { connections } => format!("closed loop, {connections} connections"),
        Mode::Open {
            rate,
            max_in_flight,
        } => format!(
            "open loop at {rate}/s (at most {max_in_flight} in flight; latency from the intended start)"
        ),
    };
    println!(
        "mrap-load run --scenario {}: {mode}, {} s measured after {} s warm-up\n\n{}",
        a.scenario.name(),
        a.duration.as_secs_f64(),
        a.warmup.as_secs_f64(),
        markdown(&report)
    );
    if let Some(path) = &a.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)? + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Result<Args> {
        parse_args(&s.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
    }

    #[test]
    fn schedule_is_evenly_spaced_from_the_start() {
        assert_eq!(intended_offset(1000.0, 0), Duration::ZERO);
        assert_eq!(intended_offset(1000.0, 1), Duration::from_millis(1));
        assert_eq!(intended_offset(250.0, 1000), Duration::from_secs(4));
        // No drift: offset i does not accumulate rounding of the period.
        let d = intended_offset(3.0, 3_000_000);
        assert!((d.as_secs_f64() - 1_000_000.0).abs() < 1e-6);
    }

    /// A server that stalls 100 ms once, with one request at a time: the open loop charges the
    /// stall to the ~100 requests queued behind it (latency from the intended start); the closed
    /// loop, and the open loop's own service time, see one slow request (coordinated omission).
    #[tokio::test(start_paused = true)]
    async fn open_loop_corrects_coordinated_omission() {
        let stalling: OpFn = Arc::new(|i| {
            Box::pin(async move {
                // Every operation takes time: a paused clock only advances when all are waiting.
                let d = if i == 200 { 100_000 } else { 200 };
                tokio::time::sleep(Duration::from_micros(d)).await;
                Outcome {
                    kind: "op",
                    result: Ok(Vec::new()),
                }
            })
        });
        let run = |mode| {
            let op = stalling.clone();
            async move {
                let (tx, rx) = mpsc::unbounded_channel();
                let flying = Arc::new(AtomicU64::new(0));
                let c = tokio::spawn(collect(
                    rx,
                    Duration::ZERO,
                    "t".into(),
                    flying.clone(),
                    true,
                ));
                drive(mode, Duration::from_secs(2), op, tx, flying).await;
                c.await.unwrap()
            }
        };
        // Every 5 ms a request that takes 1 ms (the timer's grain), but one takes 100 ms: the 20
        // due during it wait behind it.
        let open = run(Mode::Open {
            rate: 200.0,
            max_in_flight: 1,
        })
        .await;
        let o = &open.ops["op"];
        assert_eq!(
            o.latency.len(),
            400,
            "the schedule starts exactly rate × duration"
        );
        assert!(
            o.latency.value_at_quantile(0.97) >= 40_000,
            "{}",
            o.latency.value_at_quantile(0.97)
        );
        assert!(o.latency.value_at_quantile(0.99) >= 70_000);
        assert!(
            o.service.value_at_quantile(0.99) < 2_500,
            "service time hides the queue: {}",
            o.service.value_at_quantile(0.99)
        );
        assert!(open.lag.as_ref().unwrap().value_at_quantile(0.99) >= 70_000);

        let closed = run(Mode::Closed { connections: 1 }).await;
        let c = &closed.ops["op"];
        assert!(
            c.latency.len() > 1000,
            "closed loop: as many as the server allows"
        );
        assert!(
            c.latency.value_at_quantile(0.99) < 2_000,
            "closed loop: one slow sample only"
        );
        assert!(c.latency.max() >= 100_000);
    }

    #[test]
    fn errors_are_counted_by_code() {
        assert_eq!(
            error_code(
                404,
                b"<Error><Code>NoSuchMultiRegionAccessPoint</Code></Error>"
            ),
            "NoSuchMultiRegionAccessPoint"
        );
        assert_eq!(error_code(502, b"bad gateway"), "HTTP 502");
        let mut t = Tally::new();
        for (code, start) in [(Some("SlowDown"), 5), (Some("SlowDown"), 5), (None, 5)] {
            t.record(&Sample {
                start: Duration::from_secs(start),
                latency: Duration::from_millis(3),
                service: Duration::from_millis(2),
                lag: None,
                outcome: Outcome {
                    kind: "GetMultiRegionAccessPoint",
                    result: code.map_or(Ok(vec![("get", Duration::from_millis(2))]), |c| {
                        Err(c.to_owned())
                    }),
                },
            });
        }
        assert_eq!(t.errors["SlowDown"], 2);
        assert_eq!(t.ops["GetMultiRegionAccessPoint"].errors, 2);
        assert_eq!(t.ops["GetMultiRegionAccessPoint"].latency.len(), 1);
    }

    #[test]
    fn json_report_shape() {
        let mut a = Tally::new();
        let mut b = Tally::new();
        for (tally, ms) in [(&mut a, 2u64), (&mut b, 4)] {
            for _ in 0..10 {
                tally.record(&Sample {
                    start: Duration::from_secs(1),
                    latency: Duration::from_millis(ms),
                    service: Duration::from_millis(ms),
                    lag: Some(Duration::from_micros(50)),
                    outcome: Outcome {
                        kind: "control cycle",
                        result: Ok(vec![("create→SUCCEEDED", Duration::from_millis(ms))]),
                    },
                });
            }
        }
        let d = Duration::from_secs(5);
        let r = report_json(
            "control",
            Mode::Open {
                rate: 100.0,
                max_in_flight: 8,
            },
            Duration::from_secs(1),
            d,
            vec![
                target_json("mrap", "http://127.0.0.1:4566", &a, d),
                target_json("moto", "http://127.0.0.1:5000", &b, d),
            ],
        );
        assert_eq!(r["scenario"], "control");
        assert_eq!(r["mode"]["loop"], "open");
        assert_eq!(r["mode"]["co_corrected"], true);
        let t = &r["targets"][0];
        assert_eq!(t["name"], "mrap");
        let op = &t["ops"]["control cycle"];
        assert_eq!(op["count"], 10);
        assert_eq!(op["errors"], 0);
        assert_eq!(op["per_second"], 2.0);
        for k in [
            "p50_us", "p90_us", "p99_us", "p999_us", "max_us", "mean_us", "count",
        ] {
            assert!(op["latency"][k].is_number(), "{k}");
            assert!(op["service"][k].is_number(), "{k}");
        }
        assert!((1999..=2001).contains(&op["latency"]["p50_us"].as_u64().unwrap()));
        assert!(t["stages"]["create→SUCCEEDED"]["p99_us"].is_number());
        assert!(t["errors"].as_object().unwrap().is_empty());
        assert!(t["lag"]["p99_us"].is_number());
        let ratio = &r["ratios"][0];
        assert_eq!(ratio["target"], "moto");
        assert_eq!(ratio["vs"], "mrap");
        assert_eq!(ratio["per_second"], 1.0);
        assert!((ratio["p50"].as_f64().unwrap() - 2.0).abs() < 0.01);
        // Round trip: the file is valid JSON.
        let text = serde_json::to_string_pretty(&r).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), r);
        assert!(markdown(&r).contains("| mrap | control cycle | 2.0 |"));
    }

    #[test]
    fn arguments() {
        let a = args("--scenario reads --endpoint http://127.0.0.1:4566 --endpoint moto=http://127.0.0.1:5000 --account moto=123456789012 --rate 200/s").unwrap();
        assert_eq!(a.scenario, Scenario::Reads);
        assert_eq!(a.endpoints.len(), 2);
        assert_eq!(a.endpoints[0].name, "127.0.0.1:4566");
        assert_eq!(a.endpoints[1].account.as_deref(), Some("123456789012"));
        assert!(matches!(a.mode, Mode::Open { rate, max_in_flight: 1024 } if rate == 200.0));
        let a = args("--scenario objects --endpoint http://127.0.0.1:1 --connections 4 --sizes 10:1,20:3 --via direct").unwrap();
        assert_eq!(a.mode, Mode::Closed { connections: 4 });
        assert_eq!(a.sizes, vec![(10, 1), (20, 3)]);
        assert_eq!(a.via, vec![Via::Direct]);
        assert!(args("--scenario control --endpoint http://10.0.0.1:1").is_err());
        assert!(args("--scenario control --endpoint http://127.0.0.1:1 --connections 91").is_err());
        assert!(
            args("--scenario control --endpoint http://127.0.0.1:1 --connections 1 --rate 5")
                .is_err()
        );
        assert!(args("--endpoint http://127.0.0.1:1").is_err());
        assert!(args("--scenario reads --endpoint http://127.0.0.1:1 --account x=1").is_err());
        let w = [(MixOp::Get, 2), (MixOp::Put, 0), (MixOp::Control, 1)];
        assert_eq!(pick(&w, 0), MixOp::Get);
        assert_eq!(pick(&w, 1), MixOp::Get);
        assert_eq!(pick(&w, 2), MixOp::Control);
    }
}
