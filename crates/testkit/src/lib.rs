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
