//! Typed KV access with revision compare-and-set.
//!
//! `modify` is the one way state changes: read the entry and its revision, compute the new value,
//! write it only if the revision is unchanged, and start over when another writer got there
//! first. That makes each change atomic per key across any number of store replicas.

use std::time::{Duration, Instant};

use async_nats::jetstream::kv::{self, CreateErrorKind, Operation, UpdateErrorKind};
use mrap_model::ApiError;
use mrap_proto::codec;
use serde::{Serialize, de::DeserializeOwned};

/// What `modify`'s closure decides.
pub enum Change<T> {
    /// Write this value.
    Put(T),
    /// Remove the key.
    Delete,
    /// Leave the key as it is.
    Keep,
}

fn internal(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("{what}: {e}"))
}

/// A JetStream call that did not complete (no responders, a timeout, a stream leader being
/// elected on a cluster): the state is unchanged or unknown, so the client may retry — 503,
/// which SDKs retry on their own, not a 500.
pub fn unavailable(what: &str, e: impl std::fmt::Display) -> ApiError {
    tracing::warn!(error = %e, what, "JetStream call failed");
    ApiError::unavailable()
}

/// How long a JetStream call that fails at once is tried again before the request gets a 503.
/// On a cluster that lost a node, the streams it led have no leader for a moment (an election
/// takes about a second) and every call on them fails fast; a client should not see that. A call
/// that fails slowly (a timeout) is not repeated: its time is already spent.
const RETRY_FOR: Duration = Duration::from_secs(3);

/// Runs `call` until it succeeds, fails with an error `is_answer` accepts (say "already exists",
/// which is an answer, not a failure), or keeps failing past [`RETRY_FOR`]. Only for calls that
/// are safe to repeat: reads, writes guarded by a revision or a `Nats-Msg-Id`, and plain puts.
pub async fn persist<T, E, Fut>(
    what: &str,
    mut call: impl FnMut() -> Fut,
    is_answer: impl Fn(&E) -> bool,
) -> Result<Result<T, E>, ApiError>
where
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let deadline = Instant::now() + RETRY_FOR;
    let mut pause = Duration::from_millis(25);
    loop {
        match call().await {
            Ok(v) => return Ok(Ok(v)),
            Err(e) if is_answer(&e) => return Ok(Err(e)),
            Err(e) if Instant::now() + pause < deadline => {
                tracing::debug!(error = %e, what, ?pause, "JetStream call failed; trying again");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(400));
            }
            Err(e) => return Err(unavailable(what, e)),
        }
    }
}

fn never<E>(_: &E) -> bool {
    false
}

/// The current value of `key` and its revision (`None` if absent or deleted).
pub async fn get<T: DeserializeOwned>(
    store: &kv::Store,
    key: &str,
) -> Result<Option<(T, u64)>, ApiError> {
    let entry = persist("KV read", || store.entry(key), never)
        .await?
        .map_err(|e| unavailable("KV read", e))?;
    match entry {
        Some(e) if e.operation == Operation::Put => {
            let v = codec::decode(&e.value).map_err(|e| internal("KV decode", e))?;
            Ok(Some((v, e.revision)))
        }
        _ => Ok(None),
    }
}

pub async fn value<T: DeserializeOwned>(
    store: &kv::Store,
    key: &str,
) -> Result<Option<T>, ApiError> {
    Ok(get(store, key).await?.map(|(v, _)| v))
}

/// Creates `key`; `Ok(false)` if it already exists.
pub async fn create<T: Serialize>(
    store: &kv::Store,
    key: &str,
    value: &T,
) -> Result<bool, ApiError> {
    let bytes = codec::encode(value).map_err(|e| internal("KV encode", e))?;
    // Repeating a create that took effect but whose reply was lost answers "exists": callers
    // treat that as a repeat of their own request (they check whose the value is).
    let created = persist(
        "KV create",
        || store.create(key, bytes.clone()),
        |e: &kv::CreateError| e.kind() == CreateErrorKind::AlreadyExists,
    )
    .await?;
    Ok(created.is_ok())
}

pub async fn put<T: Serialize>(store: &kv::Store, key: &str, value: &T) -> Result<(), ApiError> {
    let bytes = codec::encode(value).map_err(|e| internal("KV encode", e))?;
    persist("KV put", || store.put(key, bytes.clone()), never)
        .await?
        .map_err(|e| unavailable("KV put", e))?;
    Ok(())
}

/// Compare-and-set loop. The closure sees the current value (or `None`) and may be called several
/// times, so it must not have side effects. Returns the value left in the store.
pub async fn modify<T, F>(store: &kv::Store, key: &str, f: F) -> Result<Option<T>, ApiError>
where
    T: Serialize + DeserializeOwned + Clone,
    F: FnMut(Option<T>) -> Result<Change<T>, ApiError>,
{
    modify_from(store, key, None, f).await
}

/// [`modify`] starting from a value (and revision) the caller has just read with [`get`]: the
/// first attempt saves a read, and a stale `known` only costs one failed compare-and-set.
pub async fn modify_from<T, F>(
    store: &kv::Store,
    key: &str,
    mut known: Option<(T, u64)>,
    mut f: F,
) -> Result<Option<T>, ApiError>
where
    T: Serialize + DeserializeOwned + Clone,
    F: FnMut(Option<T>) -> Result<Change<T>, ApiError>,
{
    // Contention is short-lived (a handful of writers per key); the bound only stops a livelock.
    for _ in 0..200 {
        let current = match known.take() {
            Some(read) => Some(read),
            None => get::<T>(store, key).await?,
        };
        let revision = current.as_ref().map(|(_, r)| *r);
        let before = current.as_ref().map(|(v, _)| v.clone());
        match f(current.map(|(v, _)| v))? {
            Change::Keep => return Ok(before),
            Change::Put(v) => {
                let bytes = codec::encode(&v).map_err(|e| internal("KV encode", e))?;
                // A repeated write that had taken effect meets its own revision: the loop
                // reads again and the closure (idempotent) keeps what is there.
                let written = match revision {
                    Some(rev) => persist(
                        "KV update",
                        || store.update(key, bytes.clone(), rev),
                        |e: &kv::UpdateError| e.kind() == UpdateErrorKind::WrongLastRevision,
                    )
                    .await?
                    .is_ok(),
                    None => persist(
                        "KV create",
                        || store.create(key, bytes.clone()),
                        |e: &kv::CreateError| e.kind() == CreateErrorKind::AlreadyExists,
                    )
                    .await?
                    .is_ok(),
                };
                if written {
                    return Ok(Some(v));
                }
            }
            Change::Delete => {
                let Some(rev) = revision else { return Ok(None) };
                if store.delete_expect_revision(key, Some(rev)).await.is_ok() {
                    forget_deleted(store, key).await;
                    return Ok(None);
                }
            }
        }
    }
    Err(ApiError::internal(format!(
        "KV key {key} is too contended; try again"
    )))
}

/// Deletes `key` whatever its revision, leaving no marker behind (see [`forget_deleted`]).
pub async fn remove(store: &kv::Store, key: &str) -> Result<(), ApiError> {
    persist("KV delete", || store.delete(key), never)
        .await?
        .map_err(|e| unavailable("KV delete", e))?;
    forget_deleted(store, key).await;
    Ok(())
}

/// Erases `key` and its history from the KV stream in one request: no delete marker is written,
/// so watchers see nothing (only for keys nobody watches, such as the outbox's pending markers).
/// Best effort: a key left behind is cleaned up by the next sweep that finds it.
pub async fn erase(store: &kv::Store, key: &str) {
    let subject = format!("{}{key}", store.prefix);
    if let Err(e) = store.stream.purge().filter(subject).await {
        tracing::warn!(key, error = %e, "erasing a KV key");
    }
}

/// Removes a deleted key's delete marker (and anything older) from the KV stream. Markers would
/// otherwise stay for ever, one per key ever deleted, and every prefix listing (an account's
/// MRAPs, the quota count on each create) would read them all: listing cost would grow with the
/// account's history instead of its live MRAPs. The purge stops at the marker's sequence, so a
/// value written after it (a re-create) survives. Best effort: a marker left behind is still
/// read as "deleted".
async fn forget_deleted(store: &kv::Store, key: &str) {
    let marker = match store.entry(key).await {
        Ok(Some(e)) if e.operation != Operation::Put => e.revision,
        Ok(_) => return, // already re-created, or already gone
        Err(e) => {
            tracing::warn!(key, error = %e, "reading a delete marker to purge it");
            return;
        }
    };
    let subject = format!("{}{key}", store.prefix);
    if let Err(e) = store
        .stream
        .purge()
        .filter(subject)
        .sequence(marker + 1)
        .await
    {
        tracing::warn!(key, error = %e, "purging a delete marker");
    }
}
