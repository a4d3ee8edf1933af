//! The provisioner's metrics: `mrap_jobs_total{operation,outcome}`,
//! `mrap_job_duration_seconds{operation,outcome}` (one delivery of a job, from its arrival to its
//! settlement), and the jobs queue seen from JetStream: `mrap_jobs_queue_depth` and
//! `mrap_jobs_oldest_age_seconds`, polled every [`QUEUE_POLL`].

use std::time::Duration;

use async_nats::jetstream::stream::Stream;
use mrap_model::OperationKind;
use tokio_util::sync::CancellationToken;

/// How often the jobs stream's state is read for the queue gauges.
pub const QUEUE_POLL: Duration = Duration::from_secs(5);

/// How one delivery of a job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The operation reached `SUCCEEDED`.
    Succeeded,
    /// The operation reached `FAILED` (a refusal from a step).
    Failed,
    /// A step failed retryably: the job was handed back for redelivery.
    Retried,
    /// Out of deliveries: the operation was failed with `InternalErrors`.
    Poisoned,
    /// The operation was already terminal (a redelivered or duplicate job).
    AlreadyDone,
    /// The job could not be decoded and was dropped.
    Dropped,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::Retried => "retried",
            Outcome::Poisoned => "poisoned",
            Outcome::AlreadyDone => "already_done",
            Outcome::Dropped => "dropped",
        }
    }
}

pub fn operation_label(kind: OperationKind) -> &'static str {
    match kind {
        OperationKind::Create => "create",
        OperationKind::Delete => "delete",
        OperationKind::PutPolicy => "put_policy",
    }
}

pub fn record(operation: &'static str, outcome: Outcome, elapsed: Duration) {
    let outcome = outcome.label();
    metrics::counter!("mrap_jobs_total", "operation" => operation, "outcome" => outcome)
        .increment(1);
    metrics::histogram!("mrap_job_duration_seconds", "operation" => operation, "outcome" => outcome)
        .record(elapsed.as_secs_f64());
}

/// The jobs stream is a work queue: a job stays in it until acknowledged, so its message count is
/// the jobs waiting or in progress, and its first message the oldest of them.
pub async fn watch_queue(mut stream: Stream, every: Duration, shutdown: CancellationToken) {
    let depth = metrics::gauge!("mrap_jobs_queue_depth");
    let oldest = metrics::gauge!("mrap_jobs_oldest_age_seconds");
    loop {
        match stream.info().await {
            Ok(info) => {
                let state = &info.state;
                depth.set(state.messages as f64);
                oldest.set(oldest_age(
                    state.messages,
                    state.first_timestamp,
                    time::OffsetDateTime::now_utc(),
                ));
            }
            Err(e) => tracing::debug!(error = %e, "jobs stream info"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}

fn oldest_age(messages: u64, first: time::OffsetDateTime, now: time::OffsetDateTime) -> f64 {
    if messages == 0 {
        return 0.0;
    }
    (now - first).as_seconds_f64().max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_labels() {
        assert_eq!(operation_label(OperationKind::PutPolicy), "put_policy");
        assert_eq!(Outcome::AlreadyDone.label(), "already_done");
        assert_eq!(Outcome::Retried.label(), "retried");
    }

    #[test]
    fn oldest_age_is_zero_for_an_empty_queue() {
        let now = time::OffsetDateTime::now_utc();
        assert_eq!(oldest_age(0, now - time::Duration::hours(1), now), 0.0);
        assert_eq!(oldest_age(3, now - time::Duration::seconds(90), now), 90.0);
        assert_eq!(oldest_age(1, now + time::Duration::seconds(5), now), 0.0);
    }
}
