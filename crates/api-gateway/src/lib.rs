//! mrap-api-gateway: the HTTP front door.
//!
//! One module per API surface, as Garage's `src/api/{common,s3,k2v,admin}`: [`s3`] (buckets and
//! objects), [`s3control`] (Multi-Region Access Points, account Block Public Access) and
//! [`access_analyzer`] (`ValidatePolicy`), [`iam`] (users, access keys, inline policies) and
//! [`sts`] (`GetCallerIdentity`), the last two over the query protocol of [`query`]. Each owns its router, its operation table
//! (`operation_table!`: action, route, resource, body handling and handler per row), its error
//! document, its wire types and its handlers. [`common`] holds the pipeline they share: request
//! ids, Host parsing, body limits and integrity checks, the authorizer round trip (one per request,
//! plus one per further resource a copy or a DeleteObjects touches).
//! [`server`] picks the surface of each request; [`proxy`] lets SDKs reach MRAP hosts through
//! the gateway as an HTTPS proxy (`CONNECT`, TLS from a local CA).
//!
//! The gateway owns nothing durable: the policy-store answers every query and records every
//! change; the gateway only mints request tokens and reads and writes object data through the
//! Regions' stores.

#[macro_use]
pub(crate) mod common;
mod access_analyzer;
mod config;
mod http_metrics;
mod iam;
pub mod proxy;
mod query;
mod routing;
mod s3;
mod s3control;
mod server;
mod sts;

pub use common::host;
pub use config::{Config, DEFAULT_AUTHZ_REUSE_TTL, Error, HttpLimits};
pub use server::{run, run_with};

/// `mrap.service` on every span of this binary.
pub const SERVICE: &str = "api-gateway";

/// Where the gateway serves `/metrics` unless `MRAP_METRICS_ADDR` says otherwise.
pub const METRICS_ADDR: &str = "127.0.0.1:9464";
