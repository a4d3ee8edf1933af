//! mrap-api-gateway: the HTTP front door.
//!
//! One axum fallback handler ([`server`]) takes every request through the same pipeline: fresh
//! request id → [`endpoint::Endpoint`] from method + raw path + query keys + host → body limits and
//! payload checks ([`body`]) → one authorizer round trip ([`auth`]) → the handler of the operation
//! family (`mrap_*.rs`, `buckets`, `bucket_policy`, `public_access_block`, `access_analyzer`) →
//! XML ([`xml`]), JSON (Access Analyzer) or an error body (`error`, `json_error`).
//!
//! The gateway owns nothing durable: the policy-store answers every query and records every
//! change; the gateway only mints request tokens and creates/removes bucket directories.

mod access_analyzer;
mod auth;
mod body;
mod bucket_policy;
mod buckets;
mod checksum;
mod config;
mod credential_scope;
pub mod endpoint;
mod error;
pub mod host;
mod json_error;
mod mrap_create;
mod mrap_delete;
mod mrap_describe;
mod mrap_get;
mod mrap_policy;
mod mrap_submit;
mod operation;
mod public_access_block;
mod request_id;
mod server;
mod xml;

pub use config::{Config, Error};
pub use server::run;

/// `mrap.service` on every span of this binary.
pub const SERVICE: &str = "api-gateway";
