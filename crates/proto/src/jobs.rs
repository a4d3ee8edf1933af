//! Provisioning jobs on the `{prefix}.v1.jobs.{verb}` work queue.
//!
//! The job is the outbox: the store publishes it while it records the operation, so an operation
//! whose job was lost cannot exist. A job carries the operation as submitted, for the one case in
//! which the store stopped before the record was written: the job's first step records it. Once
//! the record exists it is the truth, and the copy is ignored (it would be stale on a
//! redelivery, and JetStream's delivery count cannot tell a first delivery from one after a
//! server restart).

use mrap_model::AsyncOperation;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// The operation id (the request token's last segment); also the `Nats-Msg-Id` of the message.
    pub op_id: String,
    /// The operation as submitted (absent from jobs an older store enqueued after recording).
    #[serde(default)]
    pub submitted: Option<Box<AsyncOperation>>,
}
