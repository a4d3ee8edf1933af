//! The whole system in one process: the four services started through their `run` functions on
//! a real nats-server, the gateway on a free loopback port (mini-redis style).
//!
//! Each stack gets its own subject prefix (System Initiative style), so several stacks can share
//! one server; by default a stack brings its own server, which dies with it.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::{Context, Result};
use mrap_model::{AccessKeyRecord, AccountId, RegionsConfig};
use mrap_proto::Namespace;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::nats::NatsServer;

/// The account of the local stack and its root key, as `deploy/local/up` configures them.
pub const ACCOUNT: &str = "000000000000";
pub const ACCESS_KEY: &str = "test";
pub const SECRET_KEY: &str = "test";

/// A second account, for cross-account tests.
pub const OTHER_ACCOUNT: &str = "111111111111";
pub const OTHER_ACCESS_KEY: &str = "other";
pub const OTHER_SECRET_KEY: &str = "other-secret";

#[derive(Debug, Clone)]
pub struct StackOptions {
    /// Start the provisioner in-process (off when a test runs the real binary instead).
    pub provisioner: bool,
    pub ack_wait: Duration,
    /// The policy-store's `operation_retention`.
    pub operation_retention: Duration,
    /// Replicas of the streams and KV buckets (`MRAP_KV_REPLICAS`): 3 on a [`NatsCluster`](crate::nats::NatsCluster).
    pub kv_replicas: usize,
    /// The policy-store's `max_pending_operations` (back-pressure on submissions).
    pub max_pending_operations: u64,
    /// The gateway's `authz_reuse_ttl`: [`crate::AUTHZ_REUSE_TTL`]; zero when a test must see
    /// the authorizer asked about every request.
    pub authz_reuse_ttl: Duration,
}

impl Default for StackOptions {
    fn default() -> Self {
        Self {
            provisioner: true,
            ack_wait: Duration::from_secs(5),
            operation_retention: mrap_policy_store::DEFAULT_OPERATION_RETENTION,
            kv_replicas: 1,
            max_pending_operations: mrap_policy_store::DEFAULT_MAX_PENDING_OPERATIONS,
            authz_reuse_ttl: crate::AUTHZ_REUSE_TTL,
        }
    }
}

pub struct Stack {
    /// `http://127.0.0.1:{port}`
    pub endpoint: String,
    pub addr: SocketAddr,
    pub namespace: Namespace,
    pub nats_url: String,
    pub data_dir: PathBuf,
    pub regions: RegionsConfig,
    _data: tempfile::TempDir,
    nats: Option<NatsServer>,
    shutdown: CancellationToken,
    tasks: Vec<(&'static str, JoinHandle<Result<()>>)>,
}

fn unique_prefix() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "t{}x{}.mrap",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

impl Stack {
    /// A stack with its own nats-server.
    pub async fn start() -> Result<Stack> {
        Self::start_with(StackOptions::default()).await
    }

    pub async fn start_with(opts: StackOptions) -> Result<Stack> {
        let server = NatsServer::start()?;
        let url = server.url();
        let mut stack = Self::start_on(&url, opts).await?;
        stack.nats = Some(server);
        Ok(stack)
    }

    /// A stack with its own nats-server serving `regions` instead of the built-in default
    /// (`deploy/regions.json`): e.g. one Region backed by an S3-compatible server
    /// (`"storage": "s3"`). A separate constructor rather than a `StackOptions` field, so that
    /// struct literals of `StackOptions` elsewhere keep compiling.
    pub async fn start_with_regions(opts: StackOptions, regions: RegionsConfig) -> Result<Stack> {
        let server = NatsServer::start()?;
        let url = server.url();
        let mut stack = Self::start_on_with(&url, opts, Some(regions)).await?;
        stack.nats = Some(server);
        Ok(stack)
    }

    /// A stack on an existing server (or a cluster: comma-separated URLs), under a fresh subject prefix.
    pub async fn start_on(nats_url: &str, opts: StackOptions) -> Result<Stack> {
        Self::start_on_with(nats_url, opts, None).await
    }

    async fn start_on_with(
        nats_url: &str,
        opts: StackOptions,
        regions: Option<RegionsConfig>,
    ) -> Result<Stack> {
        let namespace = Namespace::new(unique_prefix());
        let data = tempfile::tempdir()?;
        let data_dir = data.path().to_path_buf();
        let regions = match regions {
            Some(regions) => regions,
            None => RegionsConfig::load(None).map_err(anyhow::Error::msg)?,
        };
        let shutdown = CancellationToken::new();
        let nats_cfg = mrap_proto::NatsConfig::new(nats_url);
        let mut tasks: Vec<(&'static str, JoinHandle<Result<()>>)> = Vec::new();

        let keys = vec![
            AccessKeyRecord::root(
                AccountId::parse(ACCOUNT).map_err(anyhow::Error::msg)?,
                ACCESS_KEY.into(),
                SECRET_KEY.into(),
            ),
            AccessKeyRecord::root(
                AccountId::parse(OTHER_ACCOUNT).map_err(anyhow::Error::msg)?,
                OTHER_ACCESS_KEY.into(),
                OTHER_SECRET_KEY.into(),
            ),
        ];
        let master_key = mrap_proto::secrets::MasterKey::generate();
        let store_cfg = mrap_policy_store::Config {
            master_key: master_key.clone(),
            namespace: namespace.clone(),
            durability: mrap_proto::jetstream::Durability {
                replicas: opts.kv_replicas,
            },
            bootstrap_keys: keys,
            operation_retention: opts.operation_retention,
            max_pending_operations: opts.max_pending_operations,
        };
        let client = nats_cfg.connect("policy-store").await?;
        let sd = shutdown.clone();
        tasks.push((
            "policy-store",
            tokio::spawn(async move { Ok(mrap_policy_store::run(store_cfg, client, sd).await?) }),
        ));

        let client = nats_cfg.connect("authorizer").await?;
        let cfg = mrap_authorizer::Config {
            namespace: namespace.clone(),
            master_key,
            local_accounts: true,
        };
        let sd = shutdown.clone();
        tasks.push((
            "authorizer",
            tokio::spawn(async move { Ok(mrap_authorizer::run(cfg, client, sd).await?) }),
        ));

        if opts.provisioner {
            let mut cfg =
                mrap_provisioner::Config::new(namespace.clone(), data_dir.clone(), regions.clone());
            cfg.ack_wait = opts.ack_wait;
            let client = nats_cfg.connect("provisioner").await?;
            let sd = shutdown.clone();
            tasks.push((
                "provisioner",
                tokio::spawn(async move { Ok(mrap_provisioner::run(cfg, client, sd).await?) }),
            ));
        }

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let cfg = mrap_api_gateway::Config {
            namespace: namespace.clone(),
            data_dir: data_dir.clone(),
            regions: regions.clone(),
            authz_reuse_ttl: opts.authz_reuse_ttl,
        };
        let client = nats_cfg.connect("api-gateway").await?;
        let sd = shutdown.clone();
        tasks.push((
            "api-gateway",
            tokio::spawn(
                async move { Ok(mrap_api_gateway::run(cfg, client, listener, sd).await?) },
            ),
        ));

        let stack = Stack {
            endpoint: format!("http://{addr}"),
            addr,
            namespace,
            nats_url: nats_url.to_owned(),
            data_dir,
            regions,
            _data: data,
            nats: None,
            shutdown,
            tasks,
        };
        stack.wait_ready().await?;
        Ok(stack)
    }

    /// Waits until the services answer on NATS (the store has bootstrapped, the authorizer serves).
    async fn wait_ready(&self) -> Result<()> {
        let client = mrap_proto::NatsConfig::new(&self.nats_url)
            .connect("testkit")
            .await?;
        let req = mrap_proto::store::ListBuckets {
            owner: AccountId::parse(ACCOUNT).map_err(anyhow::Error::msg)?,
        };
        let authz = mrap_proto::authz::AuthzRequest {
            request_id: "ready".into(),
            method: "GET".into(),
            path: "/".into(),
            query: String::new(),
            headers: Vec::new(),
            payload_hash: String::new(),
            s3_control: false,
            action: "s3:ListAllMyBuckets".into(),
            resource: mrap_proto::authz::Resource::CallerAccount,
            signing_service: None,
            source_ip: None,
            secure_transport: false,
        };
        for _ in 0..200 {
            let store_up = mrap_proto::store::call(&client, &self.namespace, &req)
                .await
                .is_ok();
            // An unsigned request is refused by a running authorizer; only "no responders" means down.
            let authz_up = !matches!(
                mrap_proto::call::<_, mrap_proto::authz::Grant>(
                    &client,
                    &self.namespace.authz_check(),
                    &authz
                )
                .await,
                Err(mrap_proto::RpcError::NoResponders(_)) | Err(mrap_proto::RpcError::TimedOut(_))
            );
            if store_up && authz_up {
                return Ok(());
            }
            for (name, t) in &self.tasks {
                if t.is_finished() {
                    anyhow::bail!("{name} stopped during start-up");
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!("the stack did not become ready within 10 s")
    }

    /// Starts one more gateway on this stack (same subject prefix, data and Regions), as a second
    /// gateway process of the deployment would run, on its own loopback port.
    pub async fn start_gateway(&mut self) -> Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let cfg = mrap_api_gateway::Config {
            namespace: self.namespace.clone(),
            data_dir: self.data_dir.clone(),
            regions: self.regions.clone(),
            authz_reuse_ttl: crate::AUTHZ_REUSE_TTL,
        };
        let client = mrap_proto::NatsConfig::new(&self.nats_url)
            .connect("api-gateway")
            .await?;
        let sd = self.shutdown.clone();
        self.tasks.push((
            "api-gateway (extra)",
            tokio::spawn(
                async move { Ok(mrap_api_gateway::run(cfg, client, listener, sd).await?) },
            ),
        ));
        Ok(addr)
    }

    /// Takes a Region down (no MRAP traffic) or brings it back, as `mrap-admin region down|up`.
    pub async fn set_region_down(&self, region: &str, down: bool) -> Result<()> {
        let client = mrap_proto::NatsConfig::new(&self.nats_url)
            .connect("testkit")
            .await?;
        let region = mrap_model::RegionName::parse(region).map_err(anyhow::Error::msg)?;
        mrap_proto::store::call(
            &client,
            &self.namespace,
            &mrap_proto::store::SetRegionDown { region, down },
        )
        .await?;
        Ok(())
    }

    /// Overwrites a KV entry with raw bytes, bypassing the store: fault injection (an undecodable
    /// record) for fail-closed tests.
    pub async fn put_raw_kv(
        &self,
        bucket: mrap_proto::subjects::KvBucket,
        key: &str,
        value: &[u8],
    ) -> Result<()> {
        let client = mrap_proto::NatsConfig::new(&self.nats_url)
            .connect("testkit")
            .await?;
        let js = async_nats::jetstream::new(client);
        let kv = js
            .get_key_value(self.namespace.kv(bucket))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        kv.put(key, value.to_vec().into())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(())
    }

    /// The nats-server this stack started (None when it runs on a shared one).
    pub fn nats_server(&mut self) -> Option<&mut NatsServer> {
        self.nats.as_mut()
    }

    /// Stops every service and reports the first one that failed.
    pub async fn stop(mut self) -> Result<()> {
        self.shutdown.cancel();
        let mut first_err = None;
        for (name, t) in self.tasks.drain(..) {
            match tokio::time::timeout(Duration::from_secs(10), t).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(e))) => first_err = first_err.or(Some(e.context(name))),
                Ok(Err(join)) => {
                    first_err = first_err.or(Some(anyhow::anyhow!("{name} panicked: {join}")))
                }
                Err(_) => {
                    first_err =
                        first_err.or(Some(anyhow::anyhow!("{name} did not stop within 10 s")))
                }
            }
        }
        first_err.map_or(Ok(()), Err).context("stopping the stack")
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
