//! The end-to-end tests: the official AWS SDK clients (and boto3) against in-process stacks on a
//! real nats-server. One test binary for all of them — each would otherwise link its own copy of
//! the SDK crates (~85 MB apiece in a debug build). `tracing.rs` stays a binary of its own: it
//! installs a process-wide tracing subscriber.

#[path = "../common/mod.rs"]
mod common;

mod async_errors;
mod auth;
mod bad_input;
mod boto3;
mod bucket_policies;
mod crash;
mod drills;
mod iam;
mod identities;
mod lifecycle;
mod mrap_authorization;
mod mrap_data_plane;
mod mrap_proxy;
mod objects_basic;
mod objects_boto3;
mod objects_checksums;
mod objects_copy_tags_acl;
mod objects_guesses;
mod objects_hostile_keys;
mod objects_list;
mod objects_multipart;
mod objects_s3_backend;
mod policies;
mod public_access;
mod simulate;
mod sync_errors;
mod validate_policy;
