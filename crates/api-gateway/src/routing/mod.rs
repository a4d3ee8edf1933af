//! Where a request through an MRAP goes: the MRAP named by its alias (from a KV watch, so a
//! route change or a deletion is in force here within milliseconds), then the nearest Region
//! whose route is active and which is up ([`choose::candidates`], [`health::Health`]).

mod choose;
mod health;

use std::sync::{Arc, OnceLock};

use mrap_model::{ApiError, ErrorCode, MrapRecord, MrapRegion, MrapStatus, RegionsConfig};
use mrap_proto::{Namespace, jetstream, mrap_index::MrapIndex, subjects::KvBucket};
use mrap_storage::Stores;
use tokio_util::sync::CancellationToken;

use crate::common::error::no_such_access_point;
use health::Health;

pub(crate) struct Routing {
    /// The gateway's own Region (`MRAP_GATEWAY_REGION`), from which distances are measured.
    from: Option<String>,
    /// Set once the KV buckets are open (the policy-store creates them).
    index: OnceLock<Arc<MrapIndex<MrapRecord>>>,
    pub health: Health,
}

impl Routing {
    /// Starts following MRAPs, Region states and store health until `shutdown`.
    pub fn start(
        nats: async_nats::Client,
        ns: Namespace,
        stores: Stores,
        regions: &RegionsConfig,
        from: Option<String>,
        shutdown: CancellationToken,
    ) -> Arc<Self> {
        let routing = Arc::new(Routing {
            from,
            index: OnceLock::new(),
            health: Health::default(),
        });
        let names: Vec<String> = regions.regions.iter().map(|r| r.name.to_string()).collect();
        let r = routing.clone();
        let stop = shutdown.clone();
        tokio::spawn(async move { r.health.probe_loop(stores, names, stop).await });
        let r = routing.clone();
        tokio::spawn(async move {
            let js = async_nats::jetstream::new(nats);
            let opened = async {
                Ok::<_, async_nats::Error>((
                    jetstream::open_kv(&js, &ns, KvBucket::Mraps).await?,
                    jetstream::open_kv(&js, &ns, KvBucket::Aliases).await?,
                    jetstream::open_kv(&js, &ns, KvBucket::RegionStates).await?,
                ))
            };
            let (mraps, aliases, states) = tokio::select! {
                _ = shutdown.cancelled() => return,
                opened = opened => match opened {
                    Ok(kvs) => kvs,
                    Err(e) => {
                        tracing::error!(error = %e, "MRAP routing unavailable: KV buckets missing");
                        return;
                    }
                },
            };
            let index = Arc::new(MrapIndex::new(mraps, aliases, Ok));
            let _ = r.index.set(index.clone());
            tokio::spawn(index.follow(shutdown.clone()));
            r.health.follow_operator(states, shutdown).await;
        });
        routing
    }

    /// The `READY` MRAP with this alias; any other state, or none, is `NoSuchAccessPoint`.
    pub async fn mrap(&self, alias: &str) -> Result<Arc<MrapRecord>, ApiError> {
        let index = self
            .index
            .get()
            .ok_or_else(|| unavailable("MRAP routing is starting"))?;
        let found = index.get(alias).await.map_err(|e| {
            tracing::warn!(error = %e, alias, "MRAP lookup failed");
            unavailable("The Multi-Region Access Point could not be looked up")
        })?;
        found
            .filter(|m| m.status == MrapStatus::Ready)
            .ok_or_else(|| no_such_access_point(alias))
    }

    /// The Regions that may serve a request through `mrap`, best first; `ServiceUnavailable`
    /// when none is active and up.
    pub fn candidates<'m>(
        &self,
        mrap: &'m MrapRecord,
        regions: &RegionsConfig,
    ) -> Result<Vec<&'m MrapRegion>, ApiError> {
        let out = choose::candidates(mrap, regions, self.from.as_deref(), |r| {
            self.health.is_up(r)
        });
        if out.is_empty() {
            return Err(no_region_available());
        }
        Ok(out)
    }
}

/// No Region of the MRAP is active and up, or every one failed the request.
pub(crate) fn no_region_available() -> ApiError {
    unavailable("No Region of this Multi-Region Access Point is available. Please try again.")
}

fn unavailable(message: &str) -> ApiError {
    ApiError::new(ErrorCode::ServiceUnavailable, message)
}

/// `MRAP_GATEWAY_REGION`: the gateway's own Region, which must be one of the deployment's.
pub(crate) fn gateway_region_from_env(regions: &RegionsConfig) -> Result<Option<String>, String> {
    match std::env::var("MRAP_GATEWAY_REGION")
        .ok()
        .filter(|v| !v.is_empty())
    {
        None => Ok(None),
        Some(r) if regions.get(&r).is_some() => Ok(Some(r)),
        Some(r) => Err(format!(
            "MRAP_GATEWAY_REGION={r} is not a Region of the Regions file"
        )),
    }
}
