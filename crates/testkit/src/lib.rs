//! mrap-testkit: real dependencies for tests — a nats-server per test, the whole stack
//! in-process, and helpers to find the service binaries.
pub mod moto;
pub mod nats;
pub mod stack;

pub use moto::MotoServer;
/// For [`Stack::start_with_regions`] without a direct dependency on the model crate.
pub use mrap_model::{AccountId, RegionSpec, RegionsConfig};
pub use mrap_proto::subjects::KvBucket;
pub use nats::{NatsCluster, NatsServer};
pub use stack::{Stack, StackOptions};

/// The gateways tests start reuse an authorizer decision for up to an hour: a change a test
/// expects enforced is then enforced by the authorizers' announcements (what production relies
/// on), never by the expiry (`MRAP_AUTHZ_REUSE_TTL_MS`, 1 s in production).
pub const AUTHZ_REUSE_TTL: std::time::Duration = std::time::Duration::from_secs(3600);
