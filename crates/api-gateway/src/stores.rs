//! The Regions' object stores, one per Region of the deployment, opened once at start-up.

use std::{collections::HashMap, path::Path, sync::Arc};

use mrap_model::{ApiError, RegionsConfig};
use mrap_storage::{RegionStore, local::LocalStore};

#[derive(Clone)]
pub(crate) struct Stores {
    by_region: HashMap<String, Arc<dyn RegionStore>>,
}

impl Stores {
    /// Opens every Region's store: `"local"` Regions under `data_dir/{region}`, others in the
    /// directory the Regions file names.
    pub fn open(data_dir: &Path, regions: &RegionsConfig) -> Result<Stores, String> {
        let mut by_region = HashMap::new();
        for spec in &regions.regions {
            let dir = regions.storage_dir(data_dir, spec);
            let store = LocalStore::open(&dir)
                .map_err(|e| format!("Region {}: storage at {}: {e}", spec.name, dir.display()))?;
            by_region.insert(
                spec.name.to_string(),
                Arc::new(store) as Arc<dyn RegionStore>,
            );
        }
        Ok(Stores { by_region })
    }

    /// The store of `region`; a bucket recorded in a Region this gateway does not serve is a
    /// deployment fault, reported as unavailable rather than as a missing bucket.
    pub fn get(&self, region: &str) -> Result<Arc<dyn RegionStore>, ApiError> {
        self.by_region.get(region).cloned().ok_or_else(|| {
            tracing::error!(region, "a bucket's Region has no store in this gateway");
            ApiError::new(
                mrap_model::ErrorCode::ServiceUnavailable,
                "The Region of this bucket is not served by this endpoint.",
            )
        })
    }
}
