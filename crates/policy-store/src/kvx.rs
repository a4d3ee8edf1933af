//! Typed KV access with revision compare-and-set.
//!
//! `modify` is the one way state changes: read the entry and its revision, compute the new value,
//! write it only if the revision is unchanged, and start over when another writer got there
//! first. That makes each change atomic per key across any number of store replicas.
//!
//! A change starts from what this process last wrote or read of the key ([`KNOWN`]) instead of
//! reading it again: most changes follow one another on the same keys (an operation, its MRAP,
//! the buckets it uses), and under load every read is a round trip waiting in line.

use std::{
    collections::HashMap,
    sync::{LazyLock, Mutex},
    time::{Duration, Instant},
};

use bytes::Bytes;

use async_nats::{
    HeaderMap,
    jetstream::{
        self,
        kv::{self, CreateErrorKind, Operation, UpdateErrorKind},
    },
};
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

/// A KV bucket as the store changes it: its handle, and the JetStream context a removal publishes
/// its delete marker through, so the marker's acknowledgement says which message to purge up to
/// (async-nats's own delete returns nothing, and a read would have to find it).
pub struct Bucket {
    kv: kv::Store,
    js: jetstream::Context,
}

impl Bucket {
    pub fn new(kv: kv::Store, js: jetstream::Context) -> Self {
        Self { kv, js }
    }
}

impl std::ops::Deref for Bucket {
    type Target = kv::Store;
    fn deref(&self) -> &kv::Store {
        &self.kv
    }
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

/// What this process last wrote, or read while changing it, of each key (by subject: the KV
/// bucket's prefix and the key), with its revision. It may be stale: another replica wrote since,
/// a write's reply was lost, the key expired. So a decision taken from it counts only if it writes
/// (a stale revision is refused by the compare-and-set, and the change starts over from a fresh
/// read); any other decision (keep, refuse) is taken again from a fresh read. Bounded: emptied
/// when it grows past [`KNOWN_LIMIT`] keys, which only costs reads.
static KNOWN: LazyLock<Mutex<HashMap<String, (Bytes, u64)>>> = LazyLock::new(Default::default);
const KNOWN_LIMIT: usize = 4096;

fn known() -> std::sync::MutexGuard<'static, HashMap<String, (Bytes, u64)>> {
    // A poisoned lock only means a panic elsewhere mid-insert; the map itself is whole.
    KNOWN.lock().unwrap_or_else(|p| p.into_inner())
}

/// Where `key` is remembered: its subject, qualified by when its stream was created, so that
/// two streams of one name (stores of one namespace on two servers, in tests) never share a
/// revision.
fn known_key(store: &kv::Store, key: &str) -> String {
    let created = store.stream.cached_info().created.unix_timestamp_nanos();
    format!("{created}:{}{key}", store.prefix)
}

fn remember(store: &kv::Store, key: &str, bytes: Bytes, revision: u64) {
    let mut known = known();
    if known.len() >= KNOWN_LIMIT {
        known.clear();
    }
    known.insert(known_key(store, key), (bytes, revision));
}

fn forget(store: &kv::Store, key: &str) {
    known().remove(&known_key(store, key));
}

/// The value of `key` as this process last wrote or read it while changing it, unverified (see
/// [`KNOWN`]): only for a caller whose decision a stale value cannot make wrong.
pub fn last_known<T: DeserializeOwned>(store: &kv::Store, key: &str) -> Option<(T, u64)> {
    let (bytes, revision) = known().get(&known_key(store, key))?.clone();
    Some((codec::decode(&bytes).ok()?, revision))
}

/// The current value of `key` and its revision (`None` if absent or deleted).
pub async fn get<T: DeserializeOwned>(
    store: &kv::Store,
    key: &str,
) -> Result<Option<(T, u64)>, ApiError> {
    Ok(read(store, key)
        .await?
        .map(|(v, _, revision)| (v, revision)))
}

/// [`get`] with the value's bytes as stored.
async fn read<T: DeserializeOwned>(
    store: &kv::Store,
    key: &str,
) -> Result<Option<(T, Bytes, u64)>, ApiError> {
    let entry = persist("KV read", || store.entry(key), never)
        .await?
        .map_err(|e| unavailable("KV read", e))?;
    match entry {
        Some(e) if e.operation == Operation::Put => {
            let v = codec::decode(&e.value).map_err(|e| internal("KV decode", e))?;
            Ok(Some((v, e.value, e.revision)))
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
    match created {
        Ok(revision) => {
            remember(store, key, bytes, revision);
            Ok(true)
        }
        Err(_) => Ok(false),
    }
}

pub async fn put<T: Serialize>(store: &kv::Store, key: &str, value: &T) -> Result<(), ApiError> {
    let bytes = codec::encode(value).map_err(|e| internal("KV encode", e))?;
    let revision = persist("KV put", || store.put(key, bytes.clone()), never)
        .await?
        .map_err(|e| unavailable("KV put", e))?;
    remember(store, key, bytes, revision);
    Ok(())
}

/// Compare-and-set loop. The closure sees the current value (or `None`) and may be called several
/// times, so it must not have side effects. Returns the value left in the store.
pub async fn modify<T, F>(store: &Bucket, key: &str, f: F) -> Result<Option<T>, ApiError>
where
    T: Serialize + DeserializeOwned + Clone,
    F: FnMut(Option<T>) -> Result<Change<T>, ApiError>,
{
    modify_from(store, key, None, f).await
}

/// [`modify`] starting from a value (and revision) the caller has just read with [`get`]: the
/// first attempt saves a read, and a stale `known` only costs one failed compare-and-set.
pub async fn modify_from<T, F>(
    store: &Bucket,
    key: &str,
    mut known: Option<(T, u64)>,
    mut f: F,
) -> Result<Option<T>, ApiError>
where
    T: Serialize + DeserializeOwned + Clone,
    F: FnMut(Option<T>) -> Result<Change<T>, ApiError>,
{
    // Contention is short-lived (a handful of writers per key); the bound only stops a livelock.
    let mut trust_known = true;
    for _ in 0..200 {
        let (current, unverified) = match known.take() {
            Some(read) => (Some(read), false),
            None => match trust_known.then(|| last_known::<T>(store, key)).flatten() {
                Some(remembered) => (Some(remembered), true),
                None => (get_remembered::<T>(store, key).await?, false),
            },
        };
        let revision = current.as_ref().map(|(_, r)| *r);
        let before = current.as_ref().map(|(v, _)| v.clone());
        let decision = f(current.map(|(v, _)| v));
        if unverified && !matches!(decision, Ok(Change::Put(_) | Change::Delete)) {
            // Kept or refused on what may be an old value: decide again on a fresh read.
            trust_known = false;
            continue;
        }
        match decision? {
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
                    .ok(),
                    None => persist(
                        "KV create",
                        || store.create(key, bytes.clone()),
                        |e: &kv::CreateError| e.kind() == CreateErrorKind::AlreadyExists,
                    )
                    .await?
                    .ok(),
                };
                if let Some(new_revision) = written {
                    remember(store, key, bytes, new_revision);
                    return Ok(Some(v));
                }
                trust_known = false;
            }
            Change::Delete => {
                let Some(rev) = revision else { return Ok(None) };
                if let Ok(marker) = delete_marker(store, key, Some(rev)).await {
                    forget(store, key);
                    purge_through(store, key, marker).await;
                    return Ok(None);
                }
                trust_known = false;
            }
        }
    }
    Err(ApiError::internal(format!(
        "KV key {key} is too contended; try again"
    )))
}

/// [`get`], remembering what it read for the next change of the key.
async fn get_remembered<T: DeserializeOwned>(
    store: &kv::Store,
    key: &str,
) -> Result<Option<(T, u64)>, ApiError> {
    match read(store, key).await? {
        Some((v, bytes, revision)) => {
            remember(store, key, bytes, revision);
            Ok(Some((v, revision)))
        }
        None => {
            forget(store, key);
            Ok(None)
        }
    }
}

/// Deletes `key` whatever its revision, leaving no marker behind (see [`purge_through`]).
pub async fn remove(store: &Bucket, key: &str) -> Result<(), ApiError> {
    let marker = persist("KV delete", || delete_marker(store, key, None), never)
        .await?
        .map_err(|e| unavailable("KV delete", e))?;
    forget(store, key);
    purge_through(store, key, marker).await;
    Ok(())
}

/// Writes the key's delete marker (if the key is still at `revision`, when given), as
/// async-nats's `delete_expect_revision` does; returns the marker's sequence.
async fn delete_marker(
    store: &Bucket,
    key: &str,
    revision: Option<u64>,
) -> Result<u64, async_nats::Error> {
    let mut headers = HeaderMap::new();
    headers.insert("KV-Operation", "DEL");
    if let Some(revision) = revision {
        headers.insert(
            async_nats::header::NATS_EXPECTED_LAST_SUBJECT_SEQUENCE,
            revision.to_string().as_str(),
        );
    }
    // The store's context has the default API prefix (no JetStream domain), so the subject is the
    // bucket's own, as async-nats builds it.
    let prefix = store.put_prefix.as_ref().unwrap_or(&store.prefix);
    let ack = store
        .js
        .publish_with_headers(format!("{prefix}{key}"), headers, bytes::Bytes::new())
        .await?
        .await?;
    Ok(ack.sequence)
}

/// Removes a deleted key's delete marker (sequence `marker`) and anything older from the KV
/// stream. Markers would otherwise stay for ever, one per key ever deleted, and every prefix
/// listing (an account's MRAPs, the quota count on each create) would read them all: listing cost
/// would grow with the account's history instead of its live MRAPs. The purge stops at the marker,
/// so a value written after it (a re-create) survives. Best effort: a marker left behind is still
/// read as "deleted".
async fn purge_through(store: &kv::Store, key: &str, marker: u64) {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use async_nats::jetstream;

    use super::*;

    /// A KV bucket on a fresh nats-server, and a second handle on it: "another replica".
    async fn bucket(name: &str) -> (mrap_testkit::NatsServer, Bucket, kv::Store) {
        let server = mrap_testkit::NatsServer::start().unwrap();
        let connect = || async { jetstream::new(async_nats::connect(server.url()).await.unwrap()) };
        let config = kv::Config {
            bucket: name.to_owned(),
            history: 5,
            ..Default::default()
        };
        let js = connect().await;
        let ours = Bucket::new(js.create_key_value(config).await.unwrap(), js);
        let theirs = connect().await.get_key_value(name).await.unwrap();
        (server, ours, theirs)
    }

    /// A removal, by a change or whatever the revision, leaves nothing of the key in the stream
    /// (not even its delete marker), and the key can be created again.
    #[tokio::test]
    async fn removals_leave_nothing_behind() {
        let (_server, ours, theirs) = bucket("kvx-gone").await;
        let messages = || async { ours.stream.get_info().await.unwrap().state.messages };
        assert!(create(&ours, "k", &1u32).await.unwrap());
        assert_eq!(modify(&ours, "k", add(1)).await.unwrap(), Some(2));
        let delete = |_: Option<u32>| Ok(Change::Delete);
        assert_eq!(modify(&ours, "k", delete).await.unwrap(), None);
        assert_eq!(messages().await, 0);
        assert_eq!(get::<u32>(&ours, "k").await.unwrap(), None);
        assert!(create(&ours, "k", &3u32).await.unwrap());
        // A removal decided on a stale value is refused at the revision check.
        write(&theirs, 4).await;
        let delete_3 = |cur: Option<u32>| match cur {
            Some(3) => Ok(Change::Delete),
            _ => Ok(Change::Keep),
        };
        assert_eq!(modify(&ours, "k", delete_3).await.unwrap(), Some(4));
        remove(&ours, "k").await.unwrap();
        assert_eq!(messages().await, 0);
        assert!(create(&ours, "k", &5u32).await.unwrap());
        assert_eq!(
            get::<u32>(&theirs, "k").await.unwrap().map(|(v, _)| v),
            Some(5)
        );
    }

    /// Another writer's value for `k`.
    async fn write(store: &kv::Store, value: u32) {
        store
            .put("k", codec::encode(&value).unwrap())
            .await
            .unwrap();
    }

    fn add(n: u32) -> impl FnMut(Option<u32>) -> Result<Change<u32>, ApiError> {
        move |cur| Ok(Change::Put(cur.unwrap_or(0) + n))
    }

    #[tokio::test]
    async fn changes_start_from_what_was_written_and_survive_another_writer() {
        let (_server, ours, theirs) = bucket("kvx-known").await;
        assert!(create(&ours, "k", &1u32).await.unwrap());
        assert_eq!(last_known::<u32>(&ours, "k").map(|(v, _)| v), Some(1));
        assert_eq!(modify(&ours, "k", add(10)).await.unwrap(), Some(11));
        // Another writer changes the key: what this process remembers is now stale, and the
        // change is refused at the revision check, then made again on a fresh read.
        write(&theirs, 100).await;
        assert_eq!(modify(&ours, "k", add(1)).await.unwrap(), Some(101));
        assert_eq!(
            get::<u32>(&ours, "k").await.unwrap().map(|(v, _)| v),
            Some(101)
        );
    }

    /// Two stores of one namespace on two servers (as tests run them) have streams of one name
    /// whose revisions collide: what one remembers must never start a change on the other.
    #[tokio::test]
    async fn streams_of_one_name_on_two_servers_remember_apart() {
        let (_a, ours_a, _) = bucket("kvx-twice").await;
        let (_b, ours_b, theirs_b) = bucket("kvx-twice").await;
        assert!(create(&ours_a, "k", &1u32).await.unwrap());
        write(&theirs_b, 50).await;
        // Same key, same revision (1) on both: B's change must start from B's value.
        assert_eq!(modify(&ours_b, "k", add(10)).await.unwrap(), Some(60));
    }

    /// "Keep 1, refuse anything else".
    fn keep_only_one(cur: Option<u32>) -> Result<Change<u32>, ApiError> {
        match cur {
            Some(1) => Ok(Change::Keep),
            _ => Err(ApiError::internal("not 1")),
        }
    }

    #[tokio::test]
    async fn a_keep_or_a_refusal_is_never_decided_on_a_remembered_value() {
        let (_server, ours, theirs) = bucket("kvx-keep").await;
        assert!(create(&ours, "k", &1u32).await.unwrap());
        write(&theirs, 2).await;
        // Remembered: 1, stored: 2.
        let refused = modify(&ours, "k", keep_only_one).await;
        assert_eq!(refused.unwrap_err().message, "not 1");
        write(&theirs, 1).await;
        // Remembered: 2 (read by the refusal), stored: 1.
        assert_eq!(modify(&ours, "k", keep_only_one).await.unwrap(), Some(1));
    }
}
