//! The Regions' object stores, one per Region of the deployment, opened once at start-up by
//! every process that reads or writes object data (the gateway, the provisioner).

use std::{collections::HashMap, path::Path, sync::Arc};

use mrap_model::{
    RegionsConfig,
    regions::{S3Backend, S3CredentialSource},
};

use crate::{
    Error as StorageError, RegionStore,
    local::LocalStore,
    s3::{S3Config, S3Credentials, S3Store},
};

#[derive(Clone)]
pub struct Stores {
    by_region: HashMap<String, Arc<dyn RegionStore>>,
}

impl Stores {
    /// Opens every Region's store: `"local"` Regions under `data_dir/{region}`, `"s3"` Regions on
    /// their S3-compatible endpoint (staging bodies under `data_dir/{region}/tmp`), others in the
    /// directory the Regions file names. Building an S3 client makes no request, so an
    /// unreachable backend shows on first use, not here.
    pub fn open(data_dir: &Path, regions: &RegionsConfig) -> Result<Stores, String> {
        let mut by_region = HashMap::new();
        for spec in &regions.regions {
            let dir = regions.storage_dir(data_dir, spec);
            let store: Arc<dyn RegionStore> = match spec.s3_backend() {
                Some(backend) => Arc::new(open_s3(&backend, &dir).map_err(|e| {
                    format!(
                        "Region {}: S3 backend at {}: {e}",
                        spec.name, backend.endpoint
                    )
                })?),
                None => Arc::new(LocalStore::open(&dir).map_err(|e| {
                    format!("Region {}: storage at {}: {e}", spec.name, dir.display())
                })?),
            };
            by_region.insert(spec.name.to_string(), store);
        }
        Ok(Stores { by_region })
    }

    /// The same stores, each call timed as `mrap_storage_request_duration_seconds` (see
    /// [`crate::timed`]).
    pub fn timed(self) -> Stores {
        let by_region = self
            .by_region
            .into_iter()
            .map(|(region, store)| {
                let timed: Arc<dyn RegionStore> =
                    Arc::new(crate::timed::Timed::new(&region, store));
                (region, timed)
            })
            .collect();
        Stores { by_region }
    }

    /// The store of `region`, if the Regions file declares it.
    pub fn get(&self, region: &str) -> Option<Arc<dyn RegionStore>> {
        self.by_region.get(region).cloned()
    }
}

/// The S3 store of a Region; credentials are read here, from the environment variables the
/// Regions file names (errors name the variable, never a value).
fn open_s3(backend: &S3Backend<'_>, dir: &Path) -> Result<S3Store, StorageError> {
    let credentials = match backend.credentials {
        S3CredentialSource::Env {
            access_key,
            secret_key,
            session_token,
        } => S3Credentials::from_env(access_key, secret_key, session_token)?,
        S3CredentialSource::Inline {
            access_key,
            secret_key,
        } => S3Credentials {
            access_key_id: access_key.to_owned(),
            secret_access_key: secret_key.to_owned(),
            session_token: None,
        },
    };
    S3Store::new(S3Config {
        endpoint: backend.endpoint.to_owned(),
        region: backend.signing_region.to_owned(),
        bucket_prefix: backend.bucket_prefix.to_owned(),
        force_path_style: backend.force_path_style,
        credentials,
        stage_dir: dir.join("tmp"),
    })
}
