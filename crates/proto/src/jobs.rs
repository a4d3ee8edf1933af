//! Provisioning jobs on the `{prefix}.v1.jobs.{verb}` work queue. A job only names its operation:
//! the operation record in the store is the truth, so a redelivered or re-enqueued job is harmless.
//! (It does not carry the operation: a copy would be stale on a redelivery, and JetStream's
//! delivery count cannot tell a first delivery from one after a server restart.)

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// The operation id (the request token's last segment); also the `Nats-Msg-Id` of the message.
    pub op_id: String,
}
