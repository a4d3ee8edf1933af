//! A policy-store on its own nats-server, and typed calls to it.
#![allow(clippy::unwrap_used, dead_code)] // test set-up: a failure should stop the test loudly

use std::time::Duration;

use mrap_model::{AccessKeyRecord, AccountId, ErrorCode, MrapRecord, RegionName};
use mrap_proto::{
    Namespace, RpcError,
    store::{BeginOp, Begun, Failure, StoreCall, Work},
};
use mrap_testkit::NatsServer;
use tokio_util::sync::CancellationToken;

pub struct Harness {
    _server: NatsServer,
    pub client: async_nats::Client,
    pub ns: Namespace,
    pub account: AccountId,
    shutdown: CancellationToken,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Starts a nats-server and the store (account 000000000000) under `prefix`; returns once the
/// store answers.
pub async fn start(prefix: &str) -> Harness {
    start_with_retention(prefix, mrap_policy_store::DEFAULT_OPERATION_RETENTION).await
}

/// [`start`] with operation records kept for `retention` only.
pub async fn start_with_retention(prefix: &str, retention: Duration) -> Harness {
    let server = NatsServer::start().expect("nats-server");
    let ns = Namespace::new(prefix);
    let account = AccountId::parse("000000000000").unwrap();
    let cfg = mrap_policy_store::Config {
        namespace: ns.clone(),
        durability: Default::default(),
        bootstrap_keys: vec![AccessKeyRecord::root(
            account.clone(),
            "k".into(),
            "s".into(),
        )],
        operation_retention: retention,
        max_pending_operations: mrap_policy_store::DEFAULT_MAX_PENDING_OPERATIONS,
        master_key: mrap_proto::secrets::MasterKey::generate(),
    };
    let nats = mrap_proto::NatsConfig::new(server.url());
    let shutdown = CancellationToken::new();
    tokio::spawn(mrap_policy_store::run(
        cfg,
        nats.connect("store").await.unwrap(),
        shutdown.clone(),
    ));
    let client = nats.connect("test").await.unwrap();
    let h = Harness {
        _server: server,
        client,
        ns,
        account,
        shutdown,
    };
    for _ in 0..200 {
        if call(
            &h,
            &mrap_proto::store::GetAccount {
                account: h.account.clone(),
            },
        )
        .await
        .is_ok()
        {
            return h;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("store did not start");
}

pub async fn call<C: StoreCall>(h: &Harness, req: &C) -> Result<C::Reply, RpcError> {
    mrap_proto::store::call(&h.client, &h.ns, req).await
}

/// The code of a refusal (panics on anything else).
pub fn code(e: RpcError) -> ErrorCode {
    match e {
        RpcError::Api(a) => a.code,
        other => panic!("expected a refusal, got {other}"),
    }
}

/// A job's first step, as the provisioner takes it (serving us-east-1, us-west-2 and eu-west-1).
pub async fn begin(h: &Harness, op_id: &str) -> Begun {
    begin_job(h, op_id, None).await
}

/// [`begin`] of a job carrying its copy of the operation.
pub async fn begin_job(
    h: &Harness,
    op_id: &str,
    submitted: Option<Box<mrap_model::AsyncOperation>>,
) -> Begun {
    let served = ["us-east-1", "us-west-2", "eu-west-1"];
    let req = BeginOp {
        op_id: op_id.to_owned(),
        submitted,
        served_regions: served
            .iter()
            .map(|r| RegionName::parse(r).unwrap())
            .collect(),
    };
    call(h, &req).await.unwrap()
}

/// The MRAP a first step left to work on (panics on anything else).
pub fn to_work(b: Begun) -> MrapRecord {
    match b.work {
        Work::Regions(m) => *m,
        other => panic!("expected Regions to work, got {other:?}"),
    }
}

/// What a first step was refused with (panics on anything else).
pub fn refused(b: Begun) -> Failure {
    match b.work {
        Work::Refused(f) => f,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// A refused first step's code and resource (panics on anything else).
pub fn refusal(b: Begun) -> (ErrorCode, String) {
    let f = refused(b);
    (f.code, f.resource)
}
