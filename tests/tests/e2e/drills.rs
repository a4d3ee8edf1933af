//! Fault drills against real processes, under a load of creates, policy puts and deletes:
//!
//! - `drill_service_kills`: the four services run as separate programs (`e2e-service`, the same
//!   code as their binaries); each is SIGKILLed in turn and restarted by the test.
//! - `drill_nats_restart`: the only nats-server is killed, stays down 3 s, and comes back on the
//!   same store; requests during the outage must fail fast (503), not hang.
//! - `drill_cluster_node_loss`: a 3-node NATS cluster with R3 streams and KV; one node is killed
//!   under load and later restarted.
//!
//! The load is what a careful client does: every mutating call carries a ClientToken and is
//! retried with the same token until it is acknowledged (a request token). What is checked
//! afterwards is that nothing acknowledged was lost: every acknowledged operation ends SUCCEEDED,
//! exactly the acknowledged MRAPs exist (READY, one alias each), deleted ones are gone, policies
//! are the ones put. Figures (load held, recovery times, failed requests) are printed with
//! `eprintln!` (`cargo test … drill -- --nocapture`); timing bounds are generous correctness
//! bounds (a hang, a service that never comes back), not performance assertions.

use std::{
    collections::HashSet,
    net::TcpListener,
    path::PathBuf,
    process::Stdio,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use crate::common::{policy::mrap_read_policy, *};
use aws_sdk_s3control::{
    config::retry::RetryConfig,
    types::{
        DeleteMultiRegionAccessPointInput, MultiRegionAccessPointStatus,
        PutMultiRegionAccessPointPolicyInput,
    },
};
use mrap_testkit::{NatsCluster, NatsServer};
use tokio::process::{Child, Command};

/// Workers of the load (each one item at a time: create, then maybe a policy put or a delete).
const WORKERS: usize = 6;
/// Past this many MRAPs of the load alive, every item deletes the MRAP it created: the account's
/// quota is 100 (`TooManyMultiRegionAccessPoints`, which the checks would count as lost), and a
/// fast stack gets through enough items to reach it. At most [`WORKERS`] creates are in flight
/// beyond it.
const LIVE_LIMIT: usize = 80;
/// How long one acknowledgement (retried) or one operation may take before the drill fails.
const ACK_LIMIT: Duration = Duration::from_secs(60);
/// Generous bound on a service's (or the stack's) recovery: a correctness bound (it comes back),
/// not a performance target; the measured figure is printed.
const RECOVERY_LIMIT: Duration = Duration::from_secs(30);
/// How long the cluster drill keeps its node down at least (NATS elects a stream leader within
/// seconds of losing one).
const NODE_DOWN_AT_LEAST: Duration = Duration::from_secs(5);
const MASTER_KEY: &str = "0000000000000000000000000000000000000000000000000000000000d7111e";

// ------------------------------------------------------------------------------ clients

fn control_at(port: u16, retries: bool) -> aws_sdk_s3control::Client {
    let retry = if retries {
        RetryConfig::standard()
    } else {
        RetryConfig::disabled()
    };
    let config = aws_sdk_s3control::Config::builder()
        .behavior_version(aws_sdk_s3control::config::BehaviorVersion::latest())
        .region(aws_sdk_s3control::config::Region::new(CONTROL_REGION))
        .credentials_provider(credentials(ACCESS_KEY, SECRET_KEY))
        .endpoint_url(format!("http://s3-control.test:{port}"))
        .http_client(http_client())
        .retry_config(retry)
        .build();
    aws_sdk_s3control::Client::from_conf(config)
}

fn s3_at(port: u16, region: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new(region.to_owned()))
        .credentials_provider(credentials(ACCESS_KEY, SECRET_KEY))
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .force_path_style(true)
        .http_client(http_client())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// Gateway + authorizer + store in one signed call, no SDK retries: Ok when the stack serves.
async fn probe(ctl: &aws_sdk_s3control::Client) -> Result<(), Option<u16>> {
    match tokio::time::timeout(
        Duration::from_secs(10),
        ctl.list_multi_region_access_points()
            .account_id(ACCOUNT)
            .max_results(1)
            .send(),
    )
    .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(status_of(&e)),
        Err(_) => Err(Some(0)), // 0: no answer within 10 s (a hang)
    }
}

/// Polls [`probe`] until it succeeds; the time it took.
async fn until_serving(ctl: &aws_sdk_s3control::Client, what: &str) -> Duration {
    let start = Instant::now();
    while probe(ctl).await.is_err() {
        assert!(
            start.elapsed() < RECOVERY_LIMIT,
            "{what}: the stack did not serve again within {RECOVERY_LIMIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    start.elapsed()
}

// ------------------------------------------------------------------------------ the load

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Create,
    Policy,
    Delete,
}

#[derive(Debug)]
struct Acked {
    kind: Kind,
    name: String,
    token: String,
    policy: Option<String>,
}

/// The load's shared state and counters.
struct Load {
    tag: &'static str,
    ctl: aws_sdk_s3control::Client,
    buckets: [String; 2],
    stop: AtomicBool,
    next: AtomicUsize,
    /// Mutating calls (create, policy put, delete) sent, and those that failed (then retried).
    mutations: AtomicUsize,
    mutation_failures: AtomicUsize,
    /// Describe / Get calls while waiting for operations, and those that failed.
    reads: AtomicUsize,
    read_failures: AtomicUsize,
    acked: Mutex<Vec<Acked>>,
    /// When the last operation was acknowledged, and the longest pause between two.
    gap: Mutex<(Option<Instant>, Duration)>,
    errors: Mutex<Vec<String>>,
}

impl Load {
    async fn start(tag: &'static str, port: u16) -> Arc<Load> {
        let buckets = [format!("{tag}-use1"), format!("{tag}-euw1")];
        create_bucket_with(&s3_at(port, "us-east-1"), &buckets[0], "us-east-1").await;
        create_bucket_with(&s3_at(port, "eu-west-1"), &buckets[1], "eu-west-1").await;
        Arc::new(Load {
            tag,
            ctl: control_at(port, true),
            buckets,
            stop: AtomicBool::new(false),
            next: AtomicUsize::new(0),
            mutations: AtomicUsize::new(0),
            mutation_failures: AtomicUsize::new(0),
            reads: AtomicUsize::new(0),
            read_failures: AtomicUsize::new(0),
            acked: Mutex::new(Vec::new()),
            gap: Mutex::new((None, Duration::ZERO)),
            errors: Mutex::new(Vec::new()),
        })
    }

    fn acked_count(&self) -> usize {
        self.acked.lock().expect("lock").len()
    }

    fn note_error(&self, what: String) {
        let mut errors = self.errors.lock().expect("lock");
        if errors.len() < 5 {
            errors.push(what);
        }
    }

    fn spawn_workers(self: &Arc<Self>) -> Vec<tokio::task::JoinHandle<()>> {
        (0..WORKERS)
            .map(|_| {
                let load = self.clone();
                tokio::spawn(async move {
                    while !load.stop.load(Ordering::SeqCst) {
                        let k = load.next.fetch_add(1, Ordering::SeqCst);
                        load.item(k).await;
                    }
                })
            })
            .collect()
    }

    /// Stops the workers (each finishes its item) and waits for them.
    async fn finish(&self, workers: Vec<tokio::task::JoinHandle<()>>) {
        self.stop.store(true, Ordering::SeqCst);
        for w in workers {
            w.await.expect("a load worker panicked");
        }
    }

    /// One item: create `{tag}-{k}`; every third one then gets a policy, every third is deleted
    /// (every one, past [`LIVE_LIMIT`] MRAPs alive).
    async fn item(&self, k: usize) {
        let name = format!("{}-{k:04}", self.tag);
        let buckets: Vec<&str> = self.buckets.iter().map(String::as_str).collect();
        let details = create_input(&name, &buckets, None);
        let token = self
            .ack(&format!("create {name}"), || {
                self.ctl
                    .create_multi_region_access_point()
                    .account_id(ACCOUNT)
                    .client_token(format!("c-{name}"))
                    .details(details.clone())
                    .send()
            })
            .await
            .request_token_arn()
            .expect("a RequestTokenARN")
            .to_owned();
        self.record(Kind::Create, &name, token.clone(), None);
        let near_quota = self.alive() >= LIVE_LIMIT;
        match (k % 3, near_quota) {
            (1, false) => {
                self.wait_terminal(&token).await;
                let alias = self.alias(&name).await;
                let policy = mrap_read_policy(ACCOUNT, &alias, OTHER_ACCOUNT);
                let input = PutMultiRegionAccessPointPolicyInput::builder()
                    .name(&name)
                    .policy(&policy)
                    .build()
                    .expect("name and policy");
                let token = self
                    .ack(&format!("put policy {name}"), || {
                        self.ctl
                            .put_multi_region_access_point_policy()
                            .account_id(ACCOUNT)
                            .client_token(format!("p-{name}"))
                            .details(input.clone())
                            .send()
                    })
                    .await
                    .request_token_arn()
                    .expect("a RequestTokenARN")
                    .to_owned();
                self.record(Kind::Policy, &name, token, Some(policy));
            }
            (2, _) | (_, true) => {
                self.wait_terminal(&token).await;
                let input = DeleteMultiRegionAccessPointInput::builder()
                    .name(&name)
                    .build()
                    .expect("name");
                let token = self
                    .ack(&format!("delete {name}"), || {
                        self.ctl
                            .delete_multi_region_access_point()
                            .account_id(ACCOUNT)
                            .client_token(format!("d-{name}"))
                            .details(input.clone())
                            .send()
                    })
                    .await
                    .request_token_arn()
                    .expect("a RequestTokenARN")
                    .to_owned();
                self.record(Kind::Delete, &name, token, None);
            }
            _ => {}
        }
    }

    /// MRAPs this load created and did not delete (acknowledged requests).
    fn alive(&self) -> usize {
        let acked = self.acked.lock().expect("lock");
        let count = |k: Kind| acked.iter().filter(|a| a.kind == k).count();
        count(Kind::Create) - count(Kind::Delete)
    }

    fn record(&self, kind: Kind, name: &str, token: String, policy: Option<String>) {
        {
            let mut gap = self.gap.lock().expect("lock");
            let now = Instant::now();
            if let Some(last) = gap.0 {
                gap.1 = gap.1.max(now - last);
            }
            gap.0 = Some(now);
        }
        self.acked.lock().expect("lock").push(Acked {
            kind,
            name: name.to_owned(),
            token,
            policy,
        });
    }

    /// Sends until acknowledged (the same ClientToken each time), within [`ACK_LIMIT`].
    async fn ack<T, E, F, Fut>(&self, what: &str, send: F) -> T
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::fmt::Debug,
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, aws_sdk_s3control::error::SdkError<E, HttpResponseOf>>>,
    {
        let start = Instant::now();
        loop {
            self.mutations.fetch_add(1, Ordering::SeqCst);
            match send().await {
                Ok(out) => return out,
                Err(e) => {
                    self.mutation_failures.fetch_add(1, Ordering::SeqCst);
                    self.note_error(format!("{what}: {}", describe_err(&e)));
                    assert!(
                        start.elapsed() < ACK_LIMIT,
                        "{what} not acknowledged within {ACK_LIMIT:?}: {}",
                        describe_err(&e)
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    /// Describe until terminal (errors are counted and retried), within [`ACK_LIMIT`].
    async fn wait_terminal(&self, token: &str) -> aws_sdk_s3control::types::AsyncOperation {
        let start = Instant::now();
        let mut last: String;
        loop {
            self.reads.fetch_add(1, Ordering::SeqCst);
            match self
                .ctl
                .describe_multi_region_access_point_operation()
                .account_id(ACCOUNT)
                .request_token_arn(token)
                .send()
                .await
            {
                Ok(out) => {
                    let op = out.async_operation.expect("an AsyncOperation");
                    if is_terminal(op.request_status()) {
                        return op;
                    }
                    last = format!("{:?}", op.request_status());
                }
                Err(e) => {
                    self.read_failures.fetch_add(1, Ordering::SeqCst);
                    last = describe_err(&e);
                    self.note_error(format!("describe: {last}"));
                }
            }
            assert!(
                start.elapsed() < ACK_LIMIT,
                "operation {token} not terminal within {ACK_LIMIT:?} (last seen: {last})"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn alias(&self, name: &str) -> String {
        let start = Instant::now();
        loop {
            self.reads.fetch_add(1, Ordering::SeqCst);
            match self
                .ctl
                .get_multi_region_access_point()
                .account_id(ACCOUNT)
                .name(name)
                .send()
                .await
            {
                Ok(out) => {
                    if let Some(alias) = out.access_point.and_then(|a| a.alias) {
                        return alias;
                    }
                }
                Err(e) => {
                    self.read_failures.fetch_add(1, Ordering::SeqCst);
                    self.note_error(format!("get {name}: {}", describe_err(&e)));
                }
            }
            assert!(start.elapsed() < ACK_LIMIT, "no alias for {name}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Checks every acknowledged operation and the final set of MRAPs; returns the figures line.
    /// Panics (listing what was lost) unless nothing acknowledged was lost.
    async fn verify(&self) -> String {
        let acked = std::mem::take(&mut *self.acked.lock().expect("lock"));
        let mut lost = Vec::new();
        let mut deleted = HashSet::new();
        let mut expected = HashSet::new();
        for a in &acked {
            let op = self.wait_terminal(&a.token).await;
            if op.request_status() != Some("SUCCEEDED") {
                lost.push(format!("{:?} {} ended {op:?}", a.kind, a.name));
                continue;
            }
            match a.kind {
                Kind::Create => {
                    expected.insert(a.name.clone());
                }
                Kind::Delete => {
                    deleted.insert(a.name.clone());
                }
                Kind::Policy => {
                    let (established, proposed) =
                        crate::common::policy::mrap_policy_texts(&self.ctl, ACCOUNT, &a.name).await;
                    if established != a.policy && proposed != a.policy {
                        lost.push(format!(
                            "policy of {}: established {established:?}, proposed {proposed:?}",
                            a.name
                        ));
                    }
                }
            }
        }
        let expected: HashSet<String> = expected.difference(&deleted).cloned().collect();
        // What exists: every MRAP of the account (this drill's stack has no others).
        let mut listed = Vec::new();
        let mut next = None;
        loop {
            let out = self
                .ctl
                .list_multi_region_access_points()
                .account_id(ACCOUNT)
                .max_results(100)
                .set_next_token(next)
                .send()
                .await
                .unwrap_or_else(|e| panic!("List: {}", describe_err(&e)));
            listed.extend(out.access_points().iter().cloned());
            next = out.next_token().map(str::to_owned);
            if next.is_none() {
                break;
            }
        }
        let names: HashSet<String> = listed
            .iter()
            .filter_map(|m| m.name().map(str::to_owned))
            .collect();
        let aliases: HashSet<&str> = listed.iter().filter_map(|m| m.alias()).collect();
        for name in expected.difference(&names) {
            lost.push(format!("MRAP {name} acknowledged but missing"));
        }
        for name in names.difference(&expected) {
            lost.push(format!(
                "MRAP {name} exists but should not (deleted or never acknowledged)"
            ));
        }
        if aliases.len() != listed.len() {
            lost.push(format!(
                "{} MRAPs but {} aliases",
                listed.len(),
                aliases.len()
            ));
        }
        for m in &listed {
            if m.status() != Some(&MultiRegionAccessPointStatus::Ready) {
                lost.push(format!("MRAP {:?} is {:?}", m.name(), m.status()));
            }
        }
        let count = |k: Kind| acked.iter().filter(|a| a.kind == k).count();
        let mutations = self.mutations.load(Ordering::SeqCst);
        let failed = self.mutation_failures.load(Ordering::SeqCst);
        let figures = format!(
            "{} acknowledged operations checked ({} creates, {} policy puts, {} deletes; {} MRAPs remain), lost {}; \
             mutating requests {mutations}, failed {failed} ({:.2} %, each retried with its ClientToken); \
             reads {}, failed {}; longest pause between two acknowledgements {:?}; first errors: {:?}",
            acked.len(),
            count(Kind::Create),
            count(Kind::Policy),
            count(Kind::Delete),
            listed.len(),
            lost.len(),
            100.0 * failed as f64 / mutations.max(1) as f64,
            self.reads.load(Ordering::SeqCst),
            self.read_failures.load(Ordering::SeqCst),
            self.gap.lock().expect("lock").1,
            self.errors.lock().expect("lock"),
        );
        assert!(lost.is_empty(), "lost: {lost:#?}\n{figures}");
        figures
    }

    /// Waits until `n` more operations were acknowledged (the load makes progress).
    async fn wait_acked(&self, n: usize, what: &str) {
        let target = self.acked_count() + n;
        let start = Instant::now();
        while self.acked_count() < target {
            assert!(
                start.elapsed() < ACK_LIMIT,
                "{what}: fewer than {n} operations acknowledged within {ACK_LIMIT:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

type HttpResponseOf = aws_smithy_runtime_api::client::orchestrator::HttpResponse;

/// A create through the whole stack, acknowledged and SUCCEEDED: the provisioner works.
async fn canary(ctl: &aws_sdk_s3control::Client, load: &Load, name: &str) -> Duration {
    let start = Instant::now();
    let buckets: Vec<&str> = load.buckets.iter().map(String::as_str).collect();
    let details = create_input(name, &buckets, None);
    let token = load
        .ack(&format!("canary {name}"), || {
            ctl.create_multi_region_access_point()
                .account_id(ACCOUNT)
                .client_token(format!("c-{name}"))
                .details(details.clone())
                .send()
        })
        .await
        .request_token_arn()
        .expect("a RequestTokenARN")
        .to_owned();
    load.record(Kind::Create, name, token.clone(), None);
    load.wait_terminal(&token).await;
    start.elapsed()
}

// ------------------------------------------------------------------------------ (a) service kills

const SERVICES: [&str; 4] = ["api-gateway", "authorizer", "policy-store", "provisioner"];

/// The four services as separate processes on one nats-server.
struct Processes {
    binary: PathBuf,
    nats_url: String,
    http_port: u16,
    data: tempfile::TempDir,
    children: Vec<(&'static str, Child)>,
}

impl Processes {
    fn spawn(&self, service: &'static str) -> Child {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.data.path().join(format!("{service}.log")))
            .expect("service log");
        let mut cmd = Command::new(&self.binary);
        cmd.arg(service)
            .env("MRAP_NATS_URL", &self.nats_url)
            .env("MRAP_SUBJECT_PREFIX", "mrap")
            .env("MRAP_DATA_DIR", self.data.path())
            .env("MRAP_HTTP_ADDR", format!("127.0.0.1:{}", self.http_port))
            .env("MRAP_MASTER_KEY", MASTER_KEY)
            .env("MRAP_ROOT_ACCESS_KEY", ACCESS_KEY)
            .env("MRAP_ROOT_SECRET_KEY", SECRET_KEY)
            .env("MRAP_LOCAL_ACCOUNTS", "1")
            .env("MRAP_JOB_ACK_WAIT_MS", "2000")
            .env("RUST_LOG", "warn")
            .env_remove("MRAP_REGIONS_FILE")
            .env_remove("MRAP_KV_REPLICAS")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .kill_on_drop(true);
        cmd.spawn()
            .unwrap_or_else(|e| panic!("starting {} {service}: {e}", self.binary.display()))
    }

    /// SIGKILL and reap one service.
    async fn kill(&mut self, service: &str) {
        let (_, child) = self
            .children
            .iter_mut()
            .find(|(s, _)| *s == service)
            .expect("a running service");
        child.start_kill().expect("SIGKILL");
        tokio::time::timeout(Duration::from_secs(10), child.wait())
            .await
            .expect("the killed service is reaped within 10 s")
            .expect("waiting for the service");
    }

    fn restart(&mut self, service: &'static str) {
        let child = self.spawn(service);
        let slot = self
            .children
            .iter_mut()
            .find(|(s, _)| *s == service)
            .expect("a known service");
        slot.1 = child;
    }

    /// Fails when a service exited on its own.
    fn check_alive(&mut self) {
        for (service, child) in &mut self.children {
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(self.data.path().join(format!("{service}.log")))
                    .unwrap_or_default();
                panic!("{service} exited ({status}); its log:\n{log}");
            }
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drill_service_kills() -> TestResult {
    let nats = NatsServer::start()?;
    let mut procs = Processes {
        binary: PathBuf::from(env!("CARGO_BIN_EXE_e2e-service")),
        nats_url: nats.url(),
        http_port: free_port(),
        data: tempfile::tempdir()?,
        children: Vec::new(),
    };
    for service in SERVICES {
        let child = procs.spawn(service);
        procs.children.push((service, child));
    }
    let probe_ctl = control_at(procs.http_port, false);
    let begin = Instant::now();
    while probe(&probe_ctl).await.is_err() {
        procs.check_alive();
        assert!(
            begin.elapsed() < RECOVERY_LIMIT,
            "the services did not serve within {RECOVERY_LIMIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let start = begin.elapsed();
    eprintln!("drill kills: the four services serve {start:?} after their start");

    let load = Load::start("kill", procs.http_port).await;
    let started = Instant::now();
    let workers = load.spawn_workers();
    let mut figures = Vec::new();
    for (i, service) in SERVICES.into_iter().enumerate() {
        load.wait_acked(15, service).await;
        procs.kill(service).await;
        let acked_at_kill = load.acked_count();
        tokio::time::sleep(Duration::from_millis(300)).await; // the load meets the outage
        procs.restart(service);
        let serving = until_serving(&probe_ctl, service).await;
        // The provisioner is not on the probe's path: a create must complete.
        let working = serving + canary(&probe_ctl, &load, &format!("kill-canary-{i}")).await;
        procs.check_alive();
        eprintln!(
            "drill kills: SIGKILL {service} ({acked_at_kill} operations acknowledged so far); \
             restarted after 300 ms; serving {serving:?} after the restart, a create SUCCEEDED {working:?} after the restart"
        );
        figures.push((service, serving.max(working)));
    }
    load.wait_acked(15, "after the kills").await;
    load.finish(workers).await;
    let held = started.elapsed();
    procs.check_alive();
    let result = load.verify().await;
    eprintln!("drill kills: load held {held:?}, {WORKERS} workers; {result}");
    for (service, recovery) in figures {
        assert!(
            recovery < RECOVERY_LIMIT,
            "{service} took {recovery:?} to recover"
        );
    }
    for (service, child) in &mut procs.children {
        child
            .start_kill()
            .unwrap_or_else(|e| panic!("{service}: {e}"));
        let _ = child.wait().await;
    }
    drop(nats);
    Ok(())
}

// ------------------------------------------------------------------------------ (b) nats restart

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drill_nats_restart() -> TestResult {
    let mut stack = Stack::start_with(StackOptions {
        ack_wait: Duration::from_secs(2),
        ..Default::default()
    })
    .await?;
    let port = stack.addr.port();
    let probe_ctl = control_at(port, false);
    let load = Load::start("natsdown", port).await;
    let started = Instant::now();
    let workers = load.spawn_workers();
    load.wait_acked(30, "before the outage").await;

    let nats = stack.nats_server().expect("the stack's own server");
    nats.kill();
    let outage = Instant::now();
    // Requests during the outage: each must be refused (503) quickly, never hang.
    let (mut refused, mut slowest, mut other) = (0, Duration::ZERO, Vec::new());
    while outage.elapsed() < Duration::from_secs(3) {
        let t = Instant::now();
        let result = probe(&probe_ctl).await;
        let took = t.elapsed();
        slowest = slowest.max(took);
        match result {
            Err(Some(503)) => refused += 1,
            other_result => other.push(format!("{other_result:?} after {took:?}")),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let acked_during = load.acked_count();
    nats.resume()?;
    let back = Instant::now();
    let serving = until_serving(&probe_ctl, "after the NATS restart").await;
    let working = serving + canary(&probe_ctl, &load, "natsdown-canary").await;
    let recovered = back.elapsed();
    eprintln!(
        "drill nats: nats-server down {:?}; {refused} requests during the outage, all 503, slowest answer {slowest:?}; \
         after the restart the stack served in {serving:?} and a create SUCCEEDED in {working:?} \
         (gateway, authorizer, policy-store and provisioner reconnected)",
        back - outage
    );
    assert!(
        other.is_empty(),
        "requests during the outage must fail fast with 503: {other:?}"
    );
    assert!(refused > 0, "no request was made during the outage");
    assert!(
        slowest < Duration::from_secs(5),
        "a request during the outage took {slowest:?} (it must fail fast, never hang)"
    );
    load.wait_acked(15, "after the NATS restart").await;
    load.finish(workers).await;
    let result = load.verify().await;
    eprintln!(
        "drill nats: load held {:?}, {WORKERS} workers, {acked_during} operations acknowledged before the restart; recovery {recovered:?}; {result}",
        started.elapsed()
    );
    stack.stop().await?;
    Ok(())
}

// ------------------------------------------------------------------------------ (c) cluster

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drill_cluster_node_loss() -> TestResult {
    let mut cluster = NatsCluster::start(3)?;
    let stack = Stack::start_on(
        &cluster.urls(),
        StackOptions {
            ack_wait: Duration::from_secs(2),
            kv_replicas: 3,
            ..Default::default()
        },
    )
    .await?;
    let port = stack.addr.port();
    let load = Load::start("cluster", port).await;
    let started = Instant::now();
    let workers = load.spawn_workers();
    load.wait_acked(30, "before the node loss").await;

    let victim = 1;
    cluster.node(victim).kill();
    let down = Instant::now();
    let before = load.acked_count();
    load.wait_acked(30, "with a node down").await;
    // At least long enough for the streams the node led to elect new leaders, however fast the
    // load is acknowledged without it.
    tokio::time::sleep(NODE_DOWN_AT_LEAST.saturating_sub(down.elapsed())).await;
    let down_for = down.elapsed();
    let acked_while_down = load.acked_count() - before;
    cluster.node(victim).resume()?;
    let back = Instant::now();
    tokio::task::block_in_place(|| cluster.wait_healthy(RECOVERY_LIMIT))?;
    let healthy = back.elapsed();
    load.wait_acked(15, "after the node's return").await;
    load.finish(workers).await;
    let failed = load.mutation_failures.load(Ordering::SeqCst);
    let mutations = load.mutations.load(Ordering::SeqCst);
    let result = load.verify().await;
    eprintln!(
        "drill cluster: 3 nodes, R3; node-{victim} SIGKILLed for {down_for:?} ({acked_while_down} operations acknowledged meanwhile), \
         healthy again {healthy:?} after its restart; load held {:?}, {WORKERS} workers; {result}",
        started.elapsed()
    );
    // The target is < 1 % failed requests. When the killed node led a KV stream, every call on
    // that stream fails at once until a new leader is elected (`503 no responders`); the
    // policy-store repeats such calls for up to 3 s (`kvx::persist`), which outlasts the election.
    let rate = 100.0 * failed as f64 / mutations.max(1) as f64;
    assert!(
        rate < 1.0,
        "{failed} of {mutations} mutating requests failed with a node down ({rate:.2} %, more than 1 %)"
    );
    stack.stop().await?;
    drop(cluster);
    Ok(())
}
