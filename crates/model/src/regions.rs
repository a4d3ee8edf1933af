//! The deployment's Regions file: which Regions exist and where each keeps its buckets.
//!
//! ```json
//! { "regions": [ { "name": "us-east-1", "storage": "local", "latency_ms": 5 } ] }
//! ```
//! `storage` is `"local"` (a directory `{MRAP_DATA_DIR}/{region}`) or a path of its own.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::RegionName;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionSpec {
    pub name: RegionName,
    /// `"local"` or an absolute directory for this Region's buckets.
    #[serde(default = "local")]
    pub storage: String,
    /// Simulated network distance from the gateway, used to choose the nearest Region.
    #[serde(default)]
    pub latency_ms: u32,
}

fn local() -> String {
    "local".to_owned()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionsConfig {
    pub regions: Vec<RegionSpec>,
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

    /// Directory holding the buckets of `region`.
    pub fn storage_dir(&self, data_dir: &Path, region: &RegionSpec) -> PathBuf {
        if region.storage == "local" {
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
    fn bad_files_are_refused() {
        assert!(RegionsConfig::from_json("{}").is_err());
        assert!(RegionsConfig::from_json(r#"{"regions":[]}"#).is_err());
        assert!(RegionsConfig::from_json(r#"{"regions":[{"name":"US EAST"}]}"#).is_err());
    }
}
