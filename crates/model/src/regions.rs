//! The deployment's Regions file: which Regions exist and where each keeps its buckets.
//!
//! ```json
//! { "regions": [
//!   { "name": "us-east-1", "storage": "local", "latency_ms": 5 },
//!   { "name": "eu-west-1", "storage": "/srv/mrap/eu" },
//!   { "name": "ap-southeast-2", "storage": "s3", "endpoint": "http://minio.internal:9000",
//!     "region": "us-east-1", "bucket_prefix": "mrap-apse2-",
//!     "access_key_env": "MRAP_APSE2_KEY", "secret_key_env": "MRAP_APSE2_SECRET" }
//! ] }
//! ```
//! `storage` is `"local"` (the default: a directory `{MRAP_DATA_DIR}/{region}`), an absolute
//! directory of its own, or `"s3"`: an S3-compatible endpoint (MinIO, Ceph RGW, AWS) keeps the
//! Region's buckets, mrap bucket `B` being backend bucket `{bucket_prefix}B`. For `"s3"`:
//! - `endpoint` (required): `http://` or `https://` URL of the S3 API;
//! - `region`: the backend's signing Region (default: the Region's own name);
//! - `bucket_prefix` (default empty);
//! - `force_path_style` (default true: the bucket in the path, as MinIO and most self-hosted
//!   servers want; false puts it in the host name);
//! - credentials: from the environment variables `access_key_env` / `secret_key_env` /
//!   `session_token_env` (defaults `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
//!   `AWS_SESSION_TOKEN`), so one process can reach several backends with different keys; or,
//!   for development backends only (a local MinIO, the test suite's moto), inline
//!   `access_key` / `secret_key` (never shown by `Debug`).
//!
//! An `"s3"` Region still has a local directory, `{MRAP_DATA_DIR}/{region}`
//! ([`RegionsConfig::storage_dir`]), where request bodies are staged before they are sent.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

use crate::RegionName;

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionSpec {
    pub name: RegionName,
    /// `"local"`, `"s3"`, or an absolute directory for this Region's buckets.
    #[serde(default = "local")]
    pub storage: String,
    /// Simulated network distance from the gateway, used to choose the nearest Region.
    #[serde(default)]
    pub latency_ms: u32,
    /// `"s3"`: the backend's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// `"s3"`: the backend's signing Region; None = the Region's own name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// `"s3"`: prepended to every bucket name in the backend.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub bucket_prefix: String,
    /// `"s3"`: path-style addressing.
    #[serde(default = "yes")]
    pub force_path_style: bool,
    /// `"s3"`: names of the environment variables holding the credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_key_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_token_env: Option<String>,
    /// `"s3"`, development only: the credentials themselves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_key: Option<String>,
}

fn local() -> String {
    "local".to_owned()
}

fn yes() -> bool {
    true
}

/// The secret key is never shown (specs end up in logs and error messages).
impl std::fmt::Debug for RegionSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("RegionSpec");
        d.field("name", &self.name)
            .field("storage", &self.storage)
            .field("latency_ms", &self.latency_ms);
        if self.is_s3() {
            d.field("endpoint", &self.endpoint)
                .field("region", &self.region)
                .field("bucket_prefix", &self.bucket_prefix)
                .field("force_path_style", &self.force_path_style)
                .field("access_key_env", &self.access_key_env)
                .field("secret_key_env", &self.secret_key_env)
                .field("session_token_env", &self.session_token_env)
                .field("access_key", &self.access_key)
                .field(
                    "secret_key",
                    &self.secret_key.as_ref().map(|_| "** redacted **"),
                );
        }
        d.finish()
    }
}

/// Where an `"s3"` Region's credentials come from.
#[derive(Clone, PartialEq, Eq)]
pub enum S3CredentialSource<'a> {
    /// Environment variable names: access key id, secret key, session token.
    Env {
        access_key: &'a str,
        secret_key: &'a str,
        session_token: &'a str,
    },
    Inline {
        access_key: &'a str,
        secret_key: &'a str,
    },
}

/// An `"s3"` Region's backend, defaults applied.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Backend<'a> {
    pub endpoint: &'a str,
    pub signing_region: &'a str,
    pub bucket_prefix: &'a str,
    pub force_path_style: bool,
    pub credentials: S3CredentialSource<'a>,
}

impl RegionSpec {
    /// A Region kept in `{data dir}/{name}`, as when a Regions file entry gives only its name.
    pub fn local(name: RegionName) -> Self {
        RegionSpec {
            name,
            storage: local(),
            latency_ms: 0,
            endpoint: None,
            region: None,
            bucket_prefix: String::new(),
            force_path_style: true,
            access_key_env: None,
            secret_key_env: None,
            session_token_env: None,
            access_key: None,
            secret_key: None,
        }
    }

    pub fn is_s3(&self) -> bool {
        self.storage == "s3"
    }

    /// The S3-compatible backend of an `"s3"` Region (None for the others). Validated by
    /// [`RegionsConfig::from_json`].
    pub fn s3_backend(&self) -> Option<S3Backend<'_>> {
        if !self.is_s3() {
            return None;
        }
        let credentials = match (&self.access_key, &self.secret_key) {
            (Some(access_key), Some(secret_key)) => S3CredentialSource::Inline {
                access_key,
                secret_key,
            },
            _ => S3CredentialSource::Env {
                access_key: self
                    .access_key_env
                    .as_deref()
                    .unwrap_or("AWS_ACCESS_KEY_ID"),
                secret_key: self
                    .secret_key_env
                    .as_deref()
                    .unwrap_or("AWS_SECRET_ACCESS_KEY"),
                session_token: self
                    .session_token_env
                    .as_deref()
                    .unwrap_or("AWS_SESSION_TOKEN"),
            },
        };
        Some(S3Backend {
            endpoint: self.endpoint.as_deref()?,
            signing_region: self.region.as_deref().unwrap_or(self.name.as_str()),
            bucket_prefix: &self.bucket_prefix,
            force_path_style: self.force_path_style,
            credentials,
        })
    }

    fn validate(&self) -> Result<(), String> {
        let name = &self.name;
        let s3_only = [
            ("endpoint", self.endpoint.is_some()),
            ("region", self.region.is_some()),
            ("bucket_prefix", !self.bucket_prefix.is_empty()),
            ("access_key_env", self.access_key_env.is_some()),
            ("secret_key_env", self.secret_key_env.is_some()),
            ("session_token_env", self.session_token_env.is_some()),
            ("access_key", self.access_key.is_some()),
            ("secret_key", self.secret_key.is_some()),
        ];
        match self.storage.as_str() {
            "local" => {}
            "s3" => {
                let endpoint = self.endpoint.as_deref().ok_or_else(|| {
                    format!("Region {name}: \"storage\": \"s3\" needs an \"endpoint\"")
                })?;
                if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
                    return Err(format!(
                        "Region {name}: the endpoint {endpoint:?} is not an http:// or https:// URL"
                    ));
                }
                if self.access_key.is_some() != self.secret_key.is_some() {
                    return Err(format!(
                        "Region {name}: inline credentials need both access_key and secret_key"
                    ));
                }
                if self.access_key.is_some()
                    && (self.access_key_env.is_some() || self.secret_key_env.is_some())
                {
                    return Err(format!(
                        "Region {name}: give inline credentials or their environment variables, \
                         not both"
                    ));
                }
                if self.region.as_deref() == Some("") {
                    return Err(format!("Region {name}: an empty signing region"));
                }
            }
            dir if Path::new(dir).is_absolute() => {}
            other => {
                return Err(format!(
                    "Region {name}: storage {other:?} is neither \"local\", \"s3\" nor an \
                     absolute directory"
                ));
            }
        }
        if !self.is_s3()
            && let Some((field, _)) = s3_only.iter().find(|(_, set)| *set)
        {
            return Err(format!(
                "Region {name}: {field:?} only applies to \"storage\": \"s3\""
            ));
        }
        Ok(())
    }
}

/// What an operator said about a Region at runtime (`mrap-admin region down|up`), kept by the
/// policy-store and watched by every gateway: a Region taken down gets no MRAP traffic, as if its
/// backend had stopped answering, until it is brought back up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionState {
    pub region: RegionName,
    pub down: bool,
    /// When it was last changed (Unix ms).
    pub changed_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionsConfig {
    pub regions: Vec<RegionSpec>,
    /// Round-trip latency between Regions in ms, `from → to → ms`; one direction is enough (the
    /// table is read both ways). MRAP requests go to the nearest Region by this table, seen from
    /// the gateway's own Region (`MRAP_GATEWAY_REGION`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub latency_ms: BTreeMap<String, BTreeMap<String, u32>>,
}

/// The Regions a deployment gets when no file is given (the same as `deploy/regions.json`).
pub const DEFAULT_REGIONS_JSON: &str = include_str!("../../../deploy/regions.json");

impl RegionsConfig {
    pub fn from_json(text: &str) -> Result<Self, String> {
        let cfg: RegionsConfig =
            serde_json::from_str(text).map_err(|e| format!("regions file: {e}"))?;
        if cfg.regions.is_empty() {
            return Err("regions file: no Regions declared".into());
        }
        for r in &cfg.regions {
            RegionName::parse(r.name.as_str())?;
            r.validate().map_err(|e| format!("regions file: {e}"))?;
        }
        for (from, row) in &cfg.latency_ms {
            for name in std::iter::once(from).chain(row.keys()) {
                if cfg.get(name).is_none() {
                    return Err(format!(
                        "regions file: the latency table names {name:?}, which is not a declared Region"
                    ));
                }
            }
        }
        Ok(cfg)
    }

    /// Reads `path`, or the built-in default when `None`.
    pub fn load(path: Option<&Path>) -> Result<Self, String> {
        match path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| format!("regions file {}: {e}", p.display()))?;
                Self::from_json(&text)
            }
            None => Self::from_json(DEFAULT_REGIONS_JSON),
        }
    }

    pub fn get(&self, name: &str) -> Option<&RegionSpec> {
        self.regions.iter().find(|r| r.name.as_str() == name)
    }

    /// How far Region `to` is from a gateway in Region `from`: 0 within a Region, else the
    /// latency table (either direction), else `to`'s own `latency_ms` (its distance from a gateway
    /// that names no Region).
    pub fn distance(&self, from: Option<&str>, to: &str) -> u32 {
        let own = || self.get(to).map_or(u32::MAX, |r| r.latency_ms);
        let Some(from) = from else {
            return own();
        };
        if from == to {
            return 0;
        }
        let table = |a: &str, b: &str| self.latency_ms.get(a).and_then(|row| row.get(b)).copied();
        table(from, to)
            .or_else(|| table(to, from))
            .unwrap_or_else(own)
    }

    /// Directory holding the buckets of `region` (for an `"s3"` Region, its local directory:
    /// staged bodies).
    pub fn storage_dir(&self, data_dir: &Path, region: &RegionSpec) -> PathBuf {
        if region.storage == "local" || region.is_s3() {
            data_dir.join(region.name.as_str())
        } else {
            PathBuf::from(&region.storage)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_file_declares_the_four_required_regions() {
        let cfg = RegionsConfig::load(None).unwrap();
        for r in ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"] {
            assert!(cfg.get(r).is_some(), "{r}");
        }
        let spec = cfg.get("eu-west-1").unwrap();
        assert_eq!(
            cfg.storage_dir(Path::new("/d"), spec),
            PathBuf::from("/d/eu-west-1")
        );
    }

    #[test]
    fn distance_reads_the_table_both_ways_and_falls_back_to_each_regions_own() {
        let cfg = RegionsConfig::from_json(
            r#"{"regions":[{"name":"a","latency_ms":7},{"name":"b","latency_ms":9},{"name":"c","latency_ms":3}],
                "latency_ms":{"a":{"b":40}}}"#,
        )
        .unwrap();
        assert_eq!(cfg.distance(Some("a"), "a"), 0);
        assert_eq!(cfg.distance(Some("a"), "b"), 40);
        assert_eq!(cfg.distance(Some("b"), "a"), 40);
        assert_eq!(cfg.distance(Some("a"), "c"), 3);
        assert_eq!(cfg.distance(None, "b"), 9);
        assert_eq!(cfg.distance(None, "nowhere"), u32::MAX);
        let unknown = r#"{"regions":[{"name":"a"}],"latency_ms":{"a":{"z":1}}}"#;
        assert!(
            RegionsConfig::from_json(unknown)
                .unwrap_err()
                .contains("\"z\"")
        );
    }

    #[test]
    fn bad_files_are_refused() {
        assert!(RegionsConfig::from_json("{}").is_err());
        assert!(RegionsConfig::from_json(r#"{"regions":[]}"#).is_err());
        assert!(RegionsConfig::from_json(r#"{"regions":[{"name":"US EAST"}]}"#).is_err());
    }

    fn one(entry: &str) -> Result<RegionSpec, String> {
        RegionsConfig::from_json(&format!(r#"{{"regions":[{entry}]}}"#))
            .map(|c| c.regions[0].clone())
    }

    #[test]
    fn local_and_directory_regions_keep_their_meaning() {
        let r = one(r#"{"name":"us-east-1"}"#).unwrap();
        assert_eq!(r, RegionSpec::local(r.name.clone()));
        assert!(r.s3_backend().is_none());
        let r = one(r#"{"name":"us-east-1","storage":"/srv/east","latency_ms":3}"#).unwrap();
        let cfg = RegionsConfig {
            regions: vec![r.clone()],
            latency_ms: BTreeMap::new(),
        };
        assert_eq!(
            cfg.storage_dir(Path::new("/d"), &r),
            PathBuf::from("/srv/east")
        );
        assert!(one(r#"{"name":"us-east-1","storage":"relative/dir"}"#).is_err());
        assert!(one(r#"{"name":"us-east-1","storage":"minio"}"#).is_err());
        // S3 settings on a Region that is not kept on S3 are a mistake worth reporting
        let e = one(r#"{"name":"us-east-1","endpoint":"http://x"}"#).unwrap_err();
        assert!(e.contains("endpoint"), "{e}");
    }

    #[test]
    fn s3_regions() {
        let r =
            one(r#"{"name":"ap-southeast-2","storage":"s3","endpoint":"http://127.0.0.1:9000"}"#)
                .unwrap();
        let b = r.s3_backend().unwrap();
        assert_eq!(b.endpoint, "http://127.0.0.1:9000");
        assert_eq!(b.signing_region, "ap-southeast-2");
        assert_eq!((b.bucket_prefix, b.force_path_style), ("", true));
        assert!(matches!(
            b.credentials,
            S3CredentialSource::Env {
                access_key: "AWS_ACCESS_KEY_ID",
                secret_key: "AWS_SECRET_ACCESS_KEY",
                session_token: "AWS_SESSION_TOKEN"
            }
        ));
        let cfg = RegionsConfig {
            regions: vec![r.clone()],
            latency_ms: BTreeMap::new(),
        };
        assert_eq!(
            cfg.storage_dir(Path::new("/d"), &r),
            PathBuf::from("/d/ap-southeast-2")
        );

        let r = one(
            r#"{"name":"eu-west-1","storage":"s3","endpoint":"https://s3.example",
                "region":"us-east-1","bucket_prefix":"mrap-eu-","force_path_style":false,
                "access_key_env":"MRAP_EU_KEY","secret_key_env":"MRAP_EU_SECRET"}"#,
        )
        .unwrap();
        let b = r.s3_backend().unwrap();
        assert_eq!(
            (b.signing_region, b.bucket_prefix, b.force_path_style),
            ("us-east-1", "mrap-eu-", false)
        );
        assert!(matches!(
            b.credentials,
            S3CredentialSource::Env {
                access_key: "MRAP_EU_KEY",
                secret_key: "MRAP_EU_SECRET",
                session_token: "AWS_SESSION_TOKEN"
            }
        ));

        let r = one(r#"{"name":"eu-west-1","storage":"s3","endpoint":"http://m",
                "access_key":"dev","secret_key":"very-secret"}"#)
        .unwrap();
        assert!(matches!(
            r.s3_backend().unwrap().credentials,
            S3CredentialSource::Inline {
                access_key: "dev",
                secret_key: "very-secret"
            }
        ));
        let shown = format!("{r:?}");
        assert!(
            !shown.contains("very-secret") && shown.contains("dev"),
            "{shown}"
        );
    }

    #[test]
    fn bad_s3_regions_are_refused() {
        for entry in [
            r#"{"name":"eu-west-1","storage":"s3"}"#,
            r#"{"name":"eu-west-1","storage":"s3","endpoint":"minio:9000"}"#,
            r#"{"name":"eu-west-1","storage":"s3","endpoint":"http://m","access_key":"a"}"#,
            r#"{"name":"eu-west-1","storage":"s3","endpoint":"http://m","secret_key":"s"}"#,
            r#"{"name":"eu-west-1","storage":"s3","endpoint":"http://m","region":""}"#,
            r#"{"name":"eu-west-1","storage":"s3","endpoint":"http://m","access_key":"a",
                "secret_key":"s","access_key_env":"K"}"#,
        ] {
            assert!(one(entry).is_err(), "{entry}");
        }
    }
}
