//! MRAPs by alias, in memory, fed by a watch of the `mraps` KV bucket: how the authorizer and
//! every gateway find the MRAP a data-plane request names without a store round trip, and see a
//! route change or a deletion within milliseconds of its write.
//!
//! Each reader keeps its own view `V` of a record (the authorizer parses the policy, the gateway
//! keeps the record). A miss reads through the `aliases` bucket, so an MRAP that became ready a
//! moment ago is found even before the watch delivers it. A record that does not decode (or whose
//! view cannot be built) is kept as an error for its alias, so requests through it are refused,
//! never decided without it.

use std::{collections::HashMap, sync::Arc, time::Duration};

use async_nats::jetstream::kv::{self, Operation};
use futures::StreamExt;
use mrap_model::{AccountId, AliasRecord, MrapName, MrapRecord};
use tokio::sync::{Notify, RwLock};
use tokio_util::sync::CancellationToken;

/// Why an MRAP could not be looked up (the caller refuses the request).
#[derive(Debug, thiserror::Error)]
#[error("MRAP index: {0}")]
pub struct Unreadable(pub String);

pub struct MrapIndex<V> {
    mraps: kv::Store,
    aliases: kv::Store,
    view: fn(MrapRecord) -> Result<V, String>,
    entries: RwLock<Entries<V>>,
    /// Told after the watch changed the index (see [`MrapIndex::notifying`]), with which views a
    /// decision may rest on.
    changed: Option<(Arc<Notify>, ReliedOn<V>)>,
}

/// Whether a decision may rest on a view (see [`MrapIndex::notifying`]).
pub type ReliedOn<V> = fn(&V) -> bool;

struct Entries<V> {
    by_alias: HashMap<String, Result<Arc<V>, String>>,
    /// KV key (`{account}.{name}`) → alias, to forget an MRAP when its record is deleted.
    alias_of: HashMap<String, String>,
}

impl<V: Send + Sync + 'static> MrapIndex<V> {
    pub fn new(
        mraps: kv::Store,
        aliases: kv::Store,
        view: fn(MrapRecord) -> Result<V, String>,
    ) -> Self {
        Self {
            mraps,
            aliases,
            view,
            entries: RwLock::new(Entries {
                by_alias: HashMap::new(),
                alias_of: HashMap::new(),
            }),
            changed: None,
        }
    }

    /// Tells `changed` after the watch replaced (or removed) a view that `relied_on` says a
    /// decision may rest on, and whenever the index is emptied. A change from a view no decision
    /// rests on (none at all, or an MRAP not `READY`, for the authorizer) is applied silently:
    /// nothing decided from it can be out of date.
    pub fn notifying(mut self, changed: Arc<Notify>, relied_on: ReliedOn<V>) -> Self {
        self.changed = Some((changed, relied_on));
        self
    }

    /// The MRAP with this alias; `None` when there is none (never created, or deleted).
    pub async fn get(&self, alias: &str) -> Result<Option<Arc<V>>, Unreadable> {
        if let Some(found) = self.entries.read().await.by_alias.get(alias) {
            return found.clone().map(Some).map_err(Unreadable);
        }
        let Some(bytes) = self.aliases.get(alias).await.map_err(unreadable)? else {
            return Ok(None);
        };
        let owner: AliasRecord = crate::codec::decode(&bytes).map_err(unreadable)?;
        let (Ok(account), Ok(name)) = (
            AccountId::parse(&owner.account),
            MrapName::parse(&owner.name),
        ) else {
            return Err(Unreadable(format!("alias {alias} names no MRAP")));
        };
        let key = MrapRecord::key(&account, &name);
        let Some(bytes) = self.mraps.get(&key).await.map_err(unreadable)? else {
            return Ok(None);
        };
        let record: MrapRecord = crate::codec::decode(&bytes).map_err(unreadable)?;
        // The name may have been taken again since, by an MRAP with another alias.
        if record.alias.as_str() != alias {
            return Ok(None);
        }
        let view = Arc::new((self.view)(record).map_err(Unreadable)?);
        self.entries
            .write()
            .await
            .insert(key, alias, Ok(view.clone()));
        Ok(Some(view))
    }

    /// Applies every change until `shutdown`; a watch that ends (a NATS restart) is re-opened
    /// after a pause. The index is emptied as soon as it ends: a deletion made meanwhile would
    /// never be delivered (the store purges a deleted MRAP's history, so the new watch's replay
    /// does not mention it), and until the new watch has caught up every lookup reads through.
    pub async fn follow(self: Arc<Self>, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = self.follow_once() => {}
            }
            {
                let mut entries = self.entries.write().await;
                entries.by_alias.clear();
                entries.alias_of.clear();
            }
            if let Some((changed, _)) = &self.changed {
                changed.notify_one();
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        }
    }

    async fn follow_once(&self) {
        let Ok(mut changes) = self.mraps.watch_with_history(">").await else {
            tracing::warn!("could not open the MRAP watch; retrying");
            return;
        };
        while let Some(Ok(e)) = changes.next().await {
            let replaced_relied_on = self.apply(e).await;
            if let Some((changed, _)) = &self.changed
                && replaced_relied_on
            {
                changed.notify_one();
            }
        }
    }

    /// Applies a change; whether the view it replaced (or removed) is one a decision may rest on
    /// (an unreadable one counts: it is safer to announce).
    async fn apply(&self, e: kv::Entry) -> bool {
        let mut entries = self.entries.write().await;
        let relied_on = self.changed.as_ref().is_some_and(|(_, relied_on)| {
            let before = entries
                .alias_of
                .get(&e.key)
                .and_then(|a| entries.by_alias.get(a));
            was_relied_on(before, *relied_on)
        });
        if e.operation != Operation::Put {
            entries.remove(&e.key);
            return relied_on;
        }
        let decoded = crate::codec::decode::<MrapRecord>(&e.value)
            .map_err(|err| err.to_string())
            .and_then(|record| {
                let alias = record.alias.to_string();
                (self.view)(record).map(|v| (alias, v))
            });
        match decoded {
            Ok((alias, view)) => entries.insert(e.key, &alias, Ok(Arc::new(view))),
            Err(err) => {
                tracing::warn!(key = %e.key, error = %err, "MRAP record unreadable");
                if let Some(alias) = entries.alias_of.get(&e.key).cloned() {
                    entries.insert(e.key, &alias, Err(err));
                }
            }
        }
        relied_on
    }
}

impl<V> Entries<V> {
    fn insert(&mut self, key: String, alias: &str, view: Result<Arc<V>, String>) {
        if let Some(old) = self.alias_of.insert(key, alias.to_owned())
            && old != alias
        {
            self.by_alias.remove(&old);
        }
        self.by_alias.insert(alias.to_owned(), view);
    }

    fn remove(&mut self, key: &str) {
        if let Some(alias) = self.alias_of.remove(key) {
            self.by_alias.remove(&alias);
        }
    }
}

fn unreadable(e: impl std::fmt::Display) -> Unreadable {
    Unreadable(e.to_string())
}

/// Whether a decision may have rested on the view a change replaces: not when there was none,
/// always when it was unreadable (the safe side), else as `relied_on` says.
fn was_relied_on<V>(before: Option<&Result<Arc<V>, String>>, relied_on: ReliedOn<V>) -> bool {
    before.is_some_and(|v| v.as_ref().map_or(true, |v| relied_on(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_change_to_a_view_relied_on_is_announced() {
        let ready: ReliedOn<&str> = |v| *v == "READY";
        let view = |v: &'static str| Ok(Arc::new(v));
        assert!(!was_relied_on(None, ready), "a new MRAP");
        assert!(!was_relied_on(Some(&view("CREATING")), ready));
        assert!(!was_relied_on(Some(&view("DELETING")), ready));
        assert!(was_relied_on(Some(&view("READY")), ready));
        assert!(was_relied_on(Some(&Err("unreadable".to_owned())), ready));
    }
}
