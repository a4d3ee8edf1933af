//! Which Regions are up, as this gateway sees them: its own probes of each Region's store, and
//! the operator's switches (`mrap-admin region down|up`, kept in the `region_states` KV bucket
//! and watched, so every gateway applies them within milliseconds).

use std::{collections::HashSet, sync::RwLock, time::Duration};

use async_nats::jetstream::kv::{self, Operation};
use futures::StreamExt;
use mrap_model::RegionState;
use mrap_storage::{RegionStore, Stores};
use tokio_util::sync::CancellationToken;

/// How often each Region's store is probed, and how long a probe may take: a Region that stops
/// answering is out of the rotation within about two seconds, and back as soon as it answers.
const PROBE_EVERY: Duration = Duration::from_secs(1);
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Default)]
pub(crate) struct Health {
    /// Regions whose last probe failed.
    failing: RwLock<HashSet<String>>,
    /// Regions an operator took down.
    taken_down: RwLock<HashSet<String>>,
}

impl Health {
    pub fn is_up(&self, region: &str) -> bool {
        let listed = |set: &RwLock<HashSet<String>>| {
            // A poisoned lock only means a writer panicked mid-insert; the set is still usable.
            set.read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .contains(region)
        };
        !listed(&self.failing) && !listed(&self.taken_down)
    }

    /// Probes `store` now (a request to it just failed): true when it answers.
    pub async fn confirm(&self, region: &str, store: &dyn RegionStore) -> bool {
        let up = probe(store).await;
        set(&self.failing, region, !up);
        up
    }

    /// Probes every Region's store until `shutdown`.
    pub async fn probe_loop(
        &self,
        stores: Stores,
        regions: Vec<String>,
        shutdown: CancellationToken,
    ) {
        let mut tick = tokio::time::interval(PROBE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            let probes = regions.iter().filter_map(|r| {
                let store = stores.get(r)?;
                Some(async move { (r, probe(store.as_ref()).await) })
            });
            for (region, up) in futures::future::join_all(probes).await {
                if set(&self.failing, region, !up) {
                    tracing::warn!(region, up, "Region health changed");
                }
            }
        }
    }

    /// Applies the operator's switches until `shutdown` (re-opening the watch if it ends).
    pub async fn follow_operator(&self, states: kv::Store, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = self.follow_once(&states) => {}
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        }
    }

    async fn follow_once(&self, states: &kv::Store) {
        let Ok(mut changes) = states.watch_with_history(">").await else {
            tracing::warn!("could not open the Region state watch; retrying");
            return;
        };
        while let Some(Ok(e)) = changes.next().await {
            let down = e.operation == Operation::Put
                && mrap_proto::codec::decode::<RegionState>(&e.value).is_ok_and(|s| s.down);
            if set(&self.taken_down, &e.key, down) {
                tracing::warn!(region = %e.key, down, "Region switched by an operator");
            }
        }
    }
}

async fn probe(store: &dyn RegionStore) -> bool {
    matches!(
        tokio::time::timeout(PROBE_TIMEOUT, store.probe()).await,
        Ok(Ok(()))
    )
}

/// Puts `region` in or out of `set`; true when that changed it.
fn set(set: &RwLock<HashSet<String>>, region: &str, member: bool) -> bool {
    let mut s = set
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if member {
        s.insert(region.to_owned())
    } else {
        s.remove(region)
    }
}
