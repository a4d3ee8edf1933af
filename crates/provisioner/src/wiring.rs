//! Regional wiring: making a Region's storage serve an MRAP.
//!
//! A Region is wired when its store holds the bucket (made again if it is missing, so wiring also
//! heals) and an MRAP marker `{region dir}/.mrap/{alias}.json` describing the MRAP, written
//! atomically (temp file + rename) so a crash never leaves half a marker. Wiring and unwiring are
//! idempotent.

use std::path::{Path, PathBuf};

use mrap_model::{MrapRecord, MrapRegion, RegionsConfig};
use mrap_storage::Stores;

pub struct Wiring {
    pub data_dir: PathBuf,
    pub regions: RegionsConfig,
    pub stores: Stores,
}

impl Wiring {
    fn region_dir(&self, region: &MrapRegion) -> Result<PathBuf, String> {
        let spec = self
            .regions
            .get(region.region.as_str())
            .ok_or_else(|| format!("Region {} is not served by this deployment", region.region))?;
        Ok(self.regions.storage_dir(&self.data_dir, spec))
    }

    fn marker(&self, region: &MrapRegion, mrap: &MrapRecord) -> Result<PathBuf, String> {
        Ok(self
            .region_dir(region)?
            .join(".mrap")
            .join(format!("{}.json", mrap.alias)))
    }

    /// Checks the Region's store and the bucket in it, then writes the marker.
    pub async fn wire(&self, region: &MrapRegion, mrap: &MrapRecord) -> Result<(), String> {
        self.stores
            .get(region.region.as_str())
            .ok_or_else(|| format!("Region {} has no store", region.region))?
            .check_bucket(region.bucket.as_str())
            .await
            .map_err(|e| match e {
                mrap_storage::Error::NoSuchBucket => format!(
                    "Region {}: the storage backend does not hold the bucket {}",
                    region.region, region.bucket
                ),
                e => format!("Region {} storage unavailable: {e}", region.region),
            })?;
        let marker = self.marker(region, mrap)?;
        let body = serde_json::json!({
            "account": mrap.account,
            "name": mrap.name,
            "alias": mrap.alias,
            "bucket": region.bucket,
            "region": region.region,
        });
        let tmp = marker.with_extension(format!("json.{}.tmp", std::process::id()));
        in_region(region, move || {
            write_atomically(&tmp, &marker, body.to_string())
        })
        .await
    }

    /// Writes the MRAP's policy next to its marker (`{alias}.policy.json`), atomically.
    pub async fn apply_policy(
        &self,
        region: &MrapRegion,
        mrap: &MrapRecord,
        policy: &str,
    ) -> Result<(), String> {
        let marker = self.marker(region, mrap)?;
        let path = marker.with_extension("policy.json");
        let tmp = marker.with_extension(format!("policy.{}.tmp", std::process::id()));
        let policy = policy.to_owned();
        in_region(region, move || write_atomically(&tmp, &path, policy)).await
    }

    pub async fn unwire(&self, region: &MrapRegion, mrap: &MrapRecord) -> Result<(), String> {
        let marker = self.marker(region, mrap)?;
        in_region(region, move || {
            for path in [marker.with_extension("policy.json"), marker] {
                match std::fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        })
        .await
    }
}

/// Runs a Region's file work on the blocking pool in one go (a hop per file call would cost a
/// thread handoff each); errors name the Region.
async fn in_region<F>(region: &MrapRegion, work: F) -> Result<(), String>
where
    F: FnOnce() -> std::io::Result<()> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(std::io::Error::other)
        .and_then(|done| done)
        .map_err(|e| format!("Region {}: {e}", region.region))
}

/// Writes `body` to `tmp`, then renames it to `path`: a crash never leaves half a file. The
/// directory is made on first use.
fn write_atomically(tmp: &Path, path: &Path, body: String) -> std::io::Result<()> {
    if let Err(e) = std::fs::write(tmp, &body) {
        let Some(dir) = tmp
            .parent()
            .filter(|_| e.kind() == std::io::ErrorKind::NotFound)
        else {
            return Err(e);
        };
        std::fs::create_dir_all(dir)?;
        std::fs::write(tmp, &body)?;
    }
    std::fs::rename(tmp, path)
}
