//! mrap-proto: the NATS contract between the four services.
//!
//! - [`subjects`] owns every subject, stream and KV bucket name (one place, wasmCloud style);
//! - [`codec`] is the MessagePack encoding (`to_vec_named`, so peers tolerate added fields);
//! - [`trace`] carries W3C trace context in NATS headers;
//! - [`rpc`] is request/reply over `async_nats::service` with typed errors in the reply body;
//! - [`authz`], [`store`], [`jobs`] are the message types; [`jetstream`] declares streams and KV;
//! - [`mrap_index`] keeps MRAPs by alias in memory from a KV watch (authorizer and gateways).
//! - [`secrets`] seals access-key secrets with the deployment's master key before they reach KV.

pub mod authz;
pub mod codec;
pub mod connect;
pub mod jetstream;
pub mod jobs;
pub mod mrap_index;
pub mod rpc;
pub mod secrets;
pub mod store;
pub mod subjects;
pub mod trace;

pub use connect::NatsConfig;
pub use rpc::{RpcError, call};
pub use subjects::Namespace;
