//! Counts that submissions are checked against (operations pending, an account's MRAPs), kept
//! between recounts. Counting is a stream-info request, the most expensive JetStream call there
//! is, and every submission needed one or two. A count is taken at most every [`RECOUNT`] and
//! moved by this store's own changes in between; other replicas' changes show at the next
//! recount. A bound checked against it may be passed by what other replicas accepted in the
//! meantime, as concurrent submissions could always pass it by a few (GUESSES 31); the quota of
//! MRAPs is still enforced exactly when a create takes its name.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use mrap_model::ApiError;

/// How long a count answers before it is taken again.
pub const RECOUNT: Duration = Duration::from_millis(250);
/// Past this many counts (one per account that submitted a create lately), all are forgotten.
const MAX_TALLIES: usize = 4096;

#[derive(Default)]
pub struct Tallies(Mutex<HashMap<String, Tally>>);

struct Tally {
    value: i64,
    counted: Instant,
}

impl Tallies {
    /// The count of `name`: as kept, or `count`ed again when older than [`RECOUNT`].
    pub async fn get<Fut>(&self, name: &str, count: impl FnOnce() -> Fut) -> Result<u64, ApiError>
    where
        Fut: Future<Output = Result<u64, ApiError>>,
    {
        if let Some(t) = self.lock().get(name)
            && t.counted.elapsed() < RECOUNT
        {
            return Ok(t.value.max(0) as u64);
        }
        let counted = count().await?;
        self.set(name, counted);
        Ok(counted)
    }

    /// A count just taken (by whoever needed it exactly).
    pub fn set(&self, name: &str, value: u64) {
        let mut tallies = self.lock();
        if tallies.len() >= MAX_TALLIES {
            tallies.clear();
        }
        tallies.insert(
            name.to_owned(),
            Tally {
                value: value as i64,
                counted: Instant::now(),
            },
        );
    }

    /// This store changed what `name` counts by `delta`.
    pub fn add(&self, name: &str, delta: i64) {
        if let Some(t) = self.lock().get_mut(name) {
            t.value += delta;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Tally>> {
        // A poisoned lock only means a panic elsewhere mid-insert; the map itself is whole.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The tally of operations not terminal yet.
pub const PENDING: &str = "pending";

/// The tally of an account's MRAPs.
pub fn mraps_of(account: &mrap_model::AccountId) -> String {
    format!("mraps.{account}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_count_is_kept_moved_by_own_changes_and_taken_again_when_old() {
        let tallies = Tallies::default();
        let counts = AtomicU64::new(0);
        let count = |n: u64| {
            counts.fetch_add(1, Ordering::Relaxed);
            async move { Ok(n) }
        };
        assert_eq!(tallies.get("t", || count(5)).await.unwrap(), 5);
        tallies.add("t", 1);
        assert_eq!(tallies.get("t", || count(99)).await.unwrap(), 6);
        tallies.add("t", -10);
        assert_eq!(tallies.get("t", || count(99)).await.unwrap(), 0);
        assert_eq!(counts.load(Ordering::Relaxed), 1);
        tokio::time::sleep(RECOUNT).await;
        assert_eq!(tallies.get("t", || count(7)).await.unwrap(), 7);
        assert_eq!(counts.load(Ordering::Relaxed), 2);
        // A change to a count never taken is not one.
        tallies.add("other", 3);
        assert_eq!(tallies.get("other", || count(1)).await.unwrap(), 1);
    }
}
