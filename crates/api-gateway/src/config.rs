//! Configuration from the environment (`MRAP_*`), with defaults that work for the local stack.

use std::{path::PathBuf, time::Duration};

use mrap_model::RegionsConfig;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("configuration: {0}")]
    Config(String),
    #[error("HTTP server: {0}")]
    Serve(#[from] std::io::Error),
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Subject prefix shared with the other services (`MRAP_SUBJECT_PREFIX`, default `mrap`).
    pub namespace: mrap_proto::Namespace,
    /// Where Regions with `"storage": "local"` keep their bucket directories (`MRAP_DATA_DIR`,
    /// default `./.data`).
    pub data_dir: PathBuf,
    /// The deployment's Regions (`MRAP_REGIONS_FILE`, or the built-in default).
    pub regions: RegionsConfig,
    /// How long an authorizer decision marked reusable is reused at most
    /// (`MRAP_AUTHZ_REUSE_TTL_MS`, default 1000; 0: never reuse). See `common::grants`.
    pub authz_reuse_ttl: Duration,
}

/// Reused decisions expire after this, announced change or not.
pub const DEFAULT_AUTHZ_REUSE_TTL: Duration = Duration::from_secs(1);

impl Config {
    pub fn from_env() -> Result<Config, Error> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let data_dir = var("MRAP_DATA_DIR").map_or_else(|| PathBuf::from("./.data"), PathBuf::from);
        let regions_file = var("MRAP_REGIONS_FILE").map(PathBuf::from);
        let regions = RegionsConfig::load(regions_file.as_deref()).map_err(Error::Config)?;
        let authz_reuse_ttl = match var("MRAP_AUTHZ_REUSE_TTL_MS") {
            None => DEFAULT_AUTHZ_REUSE_TTL,
            Some(ms) => Duration::from_millis(ms.parse().map_err(|_| {
                Error::Config(format!(
                    "MRAP_AUTHZ_REUSE_TTL_MS={ms}: expected milliseconds (0 disables reuse)"
                ))
            })?),
        };
        Ok(Config {
            namespace: mrap_proto::connect::namespace_from_env(),
            data_dir,
            regions,
            authz_reuse_ttl,
        })
    }
}

/// Extra domains for virtual-host style bucket addressing (`MRAP_S3_DOMAINS`, comma-separated):
/// with `s3.example.test` listed, `my-bucket.s3.example.test` addresses bucket `my-bucket`.
/// Read by `run` rather than kept in [`Config`] so that `Config`'s shape stays what callers build.
pub(crate) fn s3_domains_from_env() -> Vec<String> {
    std::env::var("MRAP_S3_DOMAINS")
        .unwrap_or_default()
        .split(',')
        .map(|d| d.trim().trim_matches('.').to_ascii_lowercase())
        .filter(|d| !d.is_empty())
        .collect()
}

/// Where proxy mode keeps its local CA (`MRAP_PROXY_CA_DIR`, default `{data_dir}/proxy-ca`):
/// `ca.pem` for clients' `AWS_CA_BUNDLE` and its key `ca-key.pem`. Gateways that should present
/// the same CA share this directory. Read by `run`, as [`s3_domains_from_env`], so that
/// [`Config`]'s shape stays what callers build.
pub(crate) fn proxy_ca_dir_from_env(data_dir: &std::path::Path) -> PathBuf {
    std::env::var("MRAP_PROXY_CA_DIR")
        .ok()
        .filter(|d| !d.is_empty())
        .map_or_else(|| data_dir.join("proxy-ca"), PathBuf::from)
}

/// How long and how much the HTTP front door waits for and accepts from a client
/// ([`crate::proxy::serve`]). Read by `run` ([`HttpLimits::from_env`]), as the other settings
/// outside [`Config`]; tests pass their own to `run_with`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// From the first byte of a request head to its end (`MRAP_HEADER_READ_TIMEOUT_MS`, default
    /// 10 s): a connection whose head is still incomplete then is closed without an answer.
    pub header_read_timeout: std::time::Duration,
    /// A connection with no request in flight that receives nothing for this long is closed
    /// (`MRAP_IDLE_TIMEOUT_MS`, default 60 s): kept-alive connections between requests, and a
    /// new connection that never sends anything. A request in flight — a body streaming in or a
    /// response streaming out, however slowly — is never cut by either timeout.
    pub idle_timeout: std::time::Duration,
}

/// `MRAP_HEADER_READ_TIMEOUT_MS`'s default.
pub const DEFAULT_HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// `MRAP_IDLE_TIMEOUT_MS`'s default.
pub const DEFAULT_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
        }
    }
}

impl HttpLimits {
    pub fn from_env() -> Result<Self, Error> {
        Self::from_vars(|k| std::env::var(k).ok())
    }

    fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let millis = |name: &str, default: std::time::Duration| match var(name)
            .filter(|v| !v.trim().is_empty())
        {
            None => Ok(default),
            Some(v) => match v.trim().parse::<u64>() {
                Ok(ms) if ms > 0 => Ok(std::time::Duration::from_millis(ms)),
                _ => Err(Error::Config(format!(
                    "{name}={v}: expected a positive number of milliseconds"
                ))),
            },
        };
        Ok(Self {
            header_read_timeout: millis(
                "MRAP_HEADER_READ_TIMEOUT_MS",
                DEFAULT_HEADER_READ_TIMEOUT,
            )?,
            idle_timeout: millis("MRAP_IDLE_TIMEOUT_MS", DEFAULT_IDLE_TIMEOUT)?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn http_limits_default_and_parse() {
        assert_eq!(
            HttpLimits::from_vars(|_| None).unwrap(),
            HttpLimits::default()
        );
        let limits = HttpLimits::from_vars(|k| match k {
            "MRAP_HEADER_READ_TIMEOUT_MS" => Some("250".into()),
            "MRAP_IDLE_TIMEOUT_MS" => Some(" 1500 ".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            limits.header_read_timeout,
            std::time::Duration::from_millis(250)
        );
        assert_eq!(limits.idle_timeout, std::time::Duration::from_millis(1500));
        for bad in ["0", "-1", "10s", "x"] {
            assert!(
                HttpLimits::from_vars(|k| (k == "MRAP_IDLE_TIMEOUT_MS").then(|| bad.into()))
                    .is_err(),
                "{bad}"
            );
        }
    }
}
