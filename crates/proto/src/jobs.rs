//! Provisioning jobs on the `{prefix}.v1.jobs.{verb}` work queue. A job names its operation and
//! carries it as it was when the job was published, which saves its first delivery a read. The
//! operation record in the store stays the truth: every step the provisioner asks of the store
//! checks the stored operation (still live, still owning its MRAP), so a stale copy, a
//! redelivered or a re-enqueued job is harmless.

use mrap_model::AsyncOperation;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// The operation id (the request token's last segment); also the `Nats-Msg-Id` of the message.
    pub op_id: String,
    /// The operation when the job was published (`NEW`).
    #[serde(default)]
    pub op: Option<AsyncOperation>,
}
