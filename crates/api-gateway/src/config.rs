//! Configuration from the environment (`MRAP_*`), with defaults that work for the local stack.

use std::path::PathBuf;

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
}

impl Config {
    pub fn from_env() -> Result<Config, Error> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let data_dir = var("MRAP_DATA_DIR").map_or_else(|| PathBuf::from("./.data"), PathBuf::from);
        let regions_file = var("MRAP_REGIONS_FILE").map(PathBuf::from);
        let regions = RegionsConfig::load(regions_file.as_deref()).map_err(Error::Config)?;
        Ok(Config {
            namespace: mrap_proto::connect::namespace_from_env(),
            data_dir,
            regions,
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
