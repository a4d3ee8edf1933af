//! The job loop: pull, work, settle.

use std::{sync::Arc, time::Duration};

use async_nats::jetstream::{
    self, AckKind,
    consumer::{AckPolicy, pull},
};
use futures::StreamExt;
use mrap_model::{ErrorCode, OpStatus};
use mrap_proto::{
    Namespace, codec, jetstream as decl,
    jobs::Job,
    store::{self, BeginOp, Failure, FinishOp, Work},
};
use tokio::sync::Semaphore;
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tracing::{Instrument, info_span};

use crate::{
    Config, Error, SERVICE,
    job_metrics::Outcome,
    regions,
    step::{Step, StepError, from_rpc},
    wiring::Wiring,
};

/// How long a stopping provisioner lets the jobs in flight finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// What a job step needs.
pub struct Ctx {
    pub nats: async_nats::Client,
    pub ns: Namespace,
    pub wiring: Wiring,
}

pub async fn run(
    config: Config,
    nats: async_nats::Client,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    let js = jetstream::new(nats.clone());
    let ns = config.namespace.clone();
    let stream = decl::open_jobs_stream(&js, &ns).await?;
    let consumer: jetstream::consumer::Consumer<pull::Config> = stream
        .get_or_create_consumer(
            ns.jobs_consumer(),
            pull::Config {
                durable_name: Some(ns.jobs_consumer().to_owned()),
                ack_policy: AckPolicy::Explicit,
                ack_wait: config.ack_wait,
                max_deliver: config.max_deliver,
                max_ack_pending: (config.concurrency * 4) as i64,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| Error::Nats(e.into()))?;
    let cx = Arc::new(Ctx {
        nats: nats.clone(),
        ns: ns.clone(),
        wiring: Wiring {
            data_dir: config.data_dir.clone(),
            regions: config.regions.clone(),
            stores: mrap_storage::Stores::open(&config.data_dir, &config.regions)
                .map_err(Error::Config)?,
        },
    });
    let gauges = tokio::spawn(crate::job_metrics::watch_queue(
        stream.clone(),
        crate::job_metrics::QUEUE_POLL,
        shutdown.clone(),
    ));
    let permits = Arc::new(Semaphore::new(config.concurrency));
    let tasks = TaskTracker::new();
    let abandon = CancellationToken::new();
    let mut messages = consumer
        .messages()
        .await
        .map_err(|e| Error::Nats(e.into()))?;
    tracing::info!(stream = %ns.jobs_stream(), "provisioner consuming jobs");
    loop {
        let permit = tokio::select! {
            _ = shutdown.cancelled() => break,
            p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
        };
        let msg = tokio::select! {
            _ = shutdown.cancelled() => break,
            m = messages.next() => m,
        };
        let msg = match msg {
            Some(Ok(m)) => m,
            Some(Err(e)) => {
                tracing::warn!(error = %e, "job stream error");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
            None => break,
        };
        let cx = cx.clone();
        let max_deliver = config.max_deliver;
        let abandon = abandon.clone();
        tasks.spawn(async move {
            tokio::select! {
                _ = abandon.cancelled() => {}
                _ = handle(&cx, msg, max_deliver) => {}
            }
            drop(permit);
        });
    }
    tasks.close();
    // Jobs in flight get a grace period; whatever is left is dropped unacknowledged and JetStream
    // redelivers it (every step is idempotent). Unbounded, a store call made while the store is
    // stopping too would wait out the whole NATS request timeout (10 s) per call.
    if tokio::time::timeout(SHUTDOWN_GRACE, tasks.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            jobs = tasks.len(),
            "jobs still running at shutdown were left for redelivery"
        );
        abandon.cancel();
        tasks.wait().await;
    }
    gauges.abort();
    Ok(())
}

async fn handle(cx: &Ctx, msg: jetstream::Message, max_deliver: i64) {
    let span = info_span!(
        parent: None,
        "nats.process",
        otel.name = %format!("process {}", msg.subject),
        otel.kind = "consumer",
        messaging.system = "nats",
        messaging.operation.type = "process",
        messaging.destination.name = %msg.subject,
        messaging.consumer.group.name = "provisioner",
        mrap.service = SERVICE,
        mrap.op_id = tracing::field::Empty,
    );
    // Its own trace, linked to the request that enqueued it: the request was answered long ago.
    mrap_proto::trace::link_from(&span, msg.headers.as_ref());
    let started = std::time::Instant::now();
    let mut operation = "unknown";
    let outcome = async {
        let delivered = msg.info().map(|i| i.delivered).unwrap_or(1);
        let job: Job = match codec::decode(&msg.payload) {
            Ok(j) => j,
            Err(e) => {
                // Nothing to attribute it to: drop it rather than redeliver it forever.
                tracing::error!(error = %e, "undecodable job dropped");
                let _ = msg.ack_with(AckKind::Term).await;
                return Outcome::Dropped;
            }
        };
        tracing::Span::current().record("mrap.op_id", job.op_id.as_str());
        match work(cx, &job, &mut operation).await {
            Ok(done) => {
                settle(&msg, AckKind::Ack).await;
                done
            }
            Err(StepError::Fail(f)) => match finish(cx, &job.op_id, Err(f)).await {
                Ok(_) => {
                    settle(&msg, AckKind::Ack).await;
                    Outcome::Failed
                }
                Err(e) => {
                    retry(&msg, delivered, &e).await;
                    Outcome::Retried
                }
            },
            Err(StepError::Retry(why)) if delivered >= max_deliver => {
                tracing::error!(op_id = %job.op_id, %why, delivered, "poison job: failing the operation");
                let f = Failure { code: ErrorCode::InternalErrors, message: format!("The operation could not be completed: {why}"), resource: String::new() };
                if finish(cx, &job.op_id, Err(f)).await.is_ok() {
                    settle(&msg, AckKind::Ack).await;
                }
                Outcome::Poisoned
            }
            Err(StepError::Retry(why)) => {
                retry(&msg, delivered, &why).await;
                Outcome::Retried
            }
        }
    }
    .instrument(span)
    .await;
    crate::job_metrics::record(operation, outcome, started.elapsed());
}

async fn settle(msg: &jetstream::Message, kind: AckKind) {
    if let Err(e) = msg.ack_with(kind).await {
        // The job will come back after ack_wait; every step is idempotent.
        tracing::warn!(error = %e, "could not settle job");
    }
}

async fn retry(msg: &jetstream::Message, delivered: i64, why: &str) {
    let delay = Duration::from_millis(200 * 2u64.pow(delivered.clamp(1, 6) as u32 - 1));
    tracing::warn!(%why, delivered, ?delay, "job step failed; will retry");
    settle(msg, AckKind::Nak(Some(delay))).await;
}

/// Runs an operation to its end (or to a retryable failure). Terminal operations are done.
/// `operation` is set to the operation's kind (a metric label) once it is known.
async fn work(cx: &Ctx, job: &Job, operation: &mut &'static str) -> Step<Outcome> {
    let op_id = job.op_id.as_str();
    let begin = BeginOp {
        op_id: op_id.to_owned(),
        submitted: job.submitted.clone(),
        served_regions: cx
            .wiring
            .regions
            .regions
            .iter()
            .map(|r| r.name.clone())
            .collect(),
    };
    let begun = store::call(&cx.nats, &cx.ns, &begin)
        .await
        .map_err(|e| from_rpc(e, op_id))?;
    *operation = crate::job_metrics::operation_label(begun.kind);
    match begun.work {
        Work::Ended => return Ok(Outcome::AlreadyDone),
        Work::Refused(f) => return Err(StepError::Fail(f)),
        Work::Nothing => {}
        Work::Regions(mrap) => regions::work(&cx.wiring, begun.kind, &mrap).await?,
    }
    // The store makes the operation's last change (READY, removal, policy established) and ends
    // it; that change may still be refused, which fails the operation.
    match finish(cx, op_id, Ok(())).await {
        Ok(OpStatus::Succeeded) => Ok(Outcome::Succeeded),
        Ok(_) => Ok(Outcome::Failed),
        Err(e) => Err(StepError::Retry(e)),
    }
}

/// Ends the operation (a failed create's MRAP is removed by the store); its final status.
async fn finish(cx: &Ctx, op_id: &str, outcome: Result<(), Failure>) -> Result<OpStatus, String> {
    store::call(
        &cx.nats,
        &cx.ns,
        &FinishOp {
            op_id: op_id.to_owned(),
            outcome,
        },
    )
    .await
    .map(|op| op.status)
    .map_err(|e| e.to_string())
}
