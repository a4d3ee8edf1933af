//! Decisions the gateway reuses instead of asking the authorizer again.
//!
//! The authorizer marks a grant reusable (`Grant::reuse`) when the decision depends only on the
//! access key, the action and the resource (or not even the resource: an account root's on an
//! ARN-named resource of its own account, `Reuse::any_arn`): a header-signed SigV4 or SigV4A
//! request, allowed under policies without conditions or policy variables in resources. It hands
//! over what verifies that key's signatures without the secret (`mrap_sigv4::VerifierKey`:
//! SigV4's signing key of the request's credential scope — one date, Region and service — or
//! SigV4A's public key). A later request with the same access key, algorithm, scope, action and resource is then
//! decided here: its own signature is verified with that key (clock skew included), and the
//! grant is reused.
//!
//! A reused decision must not outlive a change the authorizer would decide differently on:
//! - every authorizer replica announces each change to its view (`Namespace::authz_changed`)
//!   after applying it, saying what changed (`AuthzChange`): a change to keys, users or accounts
//!   makes this gateway forget every decision; a change to buckets or MRAPs only the decisions
//!   that read them (`Reuse::reads_resources`), so that the control-plane requests of an account
//!   (Describe polls above all) stay decided here while MRAPs come and go;
//! - any change this gateway itself asked the store for (but an operation's submission, which
//!   no decision reads) makes it forget every decision, and is answered once an authorizer has
//!   announced a change since (bounded: [`ANNOUNCED_WITHIN`]), so that the client's next request
//!   is decided under it;
//! - a decision is remembered only if no announcement arrived while it was being asked for (so a
//!   stale answer that crossed an announcement is not kept);
//! - a reconnection to NATS (announcements may have been missed) forgets everything, and nothing
//!   is reused while disconnected or before the subscription is in place;
//! - every decision expires after `Config::authz_reuse_ttl` (1 s by default) whatever happens,
//!   which bounds the damage of an announcement lost without a disconnection (or of a change
//!   made while no authorizer runs to announce it).
//!
//! Anything unusual (a presigned URL, a signed aws-chunked body, a signature that does not verify
//! here) goes to the authorizer, which decides and words the refusal.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures::StreamExt;
use mrap_proto::authz::{AuthzChange, AuthzRequest, Grant, Resource};
use mrap_sigv4::{Algorithm, Options, VerifierKey, chunked::ChunkedMode};
use tokio_util::sync::CancellationToken;

/// Past this many remembered decisions, the ones that no longer hold are swept, and all are
/// forgotten if that leaves more than half (a bound on memory, not an LRU: the hot ones come back
/// with the next request each).
const MAX_ENTRIES: usize = 16_384;

pub(crate) struct Grants {
    nats: async_nats::Client,
    /// Zero: nothing is reused.
    ttl: Duration,
    entries: Mutex<HashMap<Key, Entry>>,
    /// Counts forget-everything events: a decision asked for under one epoch is kept only in
    /// that epoch.
    epoch: AtomicU64,
    /// Counts announcements of bucket or MRAP changes: the same, for decisions that read them.
    resources_epoch: AtomicU64,
    /// The subscription to announcements is in place.
    live: AtomicBool,
    /// Counts the announcements heard (see [`Grants::until_announced`]).
    heard: tokio::sync::watch::Sender<u64>,
}

/// How long a change of access this gateway asked for waits for an authorizer's announcement
/// before it is answered anyway (a change that changed nothing announces nothing).
const ANNOUNCED_WITHIN: Duration = Duration::from_millis(50);

/// What a reusable decision was about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    access_key: String,
    algorithm: Algorithm,
    /// The credential scope (no Region for SigV4A): a SigV4 signing key is valid for it only.
    date: String,
    region: Option<String>,
    service: String,
    /// What the request had to be signed for, and how its URI is canonicalised.
    signing_service: Option<String>,
    s3_control: bool,
    action: String,
    resource: Resource,
}

impl Key {
    /// Where a decision for every ARN-named resource of the same owner is remembered
    /// (`Reuse::any_arn`); `None` for other resources. The key's access key is the one the
    /// decision was for, so only its own requests find it.
    fn for_any_arn(&self) -> Option<Key> {
        let Resource::Arn { owner, .. } = &self.resource else {
            return None;
        };
        Some(Key {
            resource: Resource::Arn {
                owner: owner.clone(),
                arn: String::new(),
            },
            ..self.clone()
        })
    }
}

struct Entry {
    /// Without its `reuse`: handlers never see the key.
    grant: Grant,
    verifier: VerifierKey,
    stamp: Stamp,
    /// `Reuse::reads_resources`.
    reads_resources: bool,
    expires: Instant,
}

/// When a decision was asked for: the announcement epochs and the NATS connection count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    epoch: u64,
    resources_epoch: u64,
    connects: u64,
}

impl Stamp {
    /// Whether a decision asked for at `self` still holds at `now`.
    fn holds_at(self, now: Stamp, reads_resources: bool) -> bool {
        self.epoch == now.epoch
            && self.connects == now.connects
            && (!reads_resources || self.resources_epoch == now.resources_epoch)
    }
}

/// What [`Grants::lookup`] found.
pub(crate) enum Lookup {
    /// Decided here.
    Reused(Grant),
    /// Ask the authorizer; if the request could be reused, [`Grants::remember`] its answer.
    Ask(Option<(Key, Stamp)>),
}

impl Grants {
    /// Subscribes to the authorizers' announcements and forgets on each, until `shutdown`.
    pub async fn start(
        nats: async_nats::Client,
        subject: String,
        ttl: Duration,
        shutdown: CancellationToken,
    ) -> Arc<Self> {
        let grants = Arc::new(Grants {
            ttl,
            nats: nats.clone(),
            entries: Mutex::default(),
            epoch: AtomicU64::new(0),
            resources_epoch: AtomicU64::new(0),
            live: AtomicBool::new(false),
            heard: tokio::sync::watch::Sender::new(0),
        });
        if ttl.is_zero() {
            return grants;
        }
        match nats.subscribe(subject).await {
            Ok(announcements) => {
                grants.live.store(true, Ordering::Release);
                tokio::spawn(grants.clone().listen(announcements, shutdown));
            }
            // Nothing is reused: every request asks the authorizer.
            Err(e) => {
                tracing::warn!(error = %e, "no authorization announcements; not reusing decisions")
            }
        }
        grants
    }

    async fn listen(
        self: Arc<Self>,
        mut announcements: async_nats::Subscriber,
        stop: CancellationToken,
    ) {
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                next = announcements.next() => match next {
                    Some(msg) => {
                        match AuthzChange::from_payload(&msg.payload) {
                            AuthzChange::Everything => self.forget_all(),
                            AuthzChange::Resources => self.forget_resources(),
                        }
                        self.heard.send_modify(|n| *n += 1);
                    }
                    None => break,
                },
            }
        }
        self.live.store(false, Ordering::Release);
        self.forget_all();
    }

    /// What [`Grants::until_announced`] waits on: taken before asking the store for a change.
    pub fn announcements(&self) -> tokio::sync::watch::Receiver<u64> {
        self.heard.subscribe()
    }

    /// Waits (at most [`ANNOUNCED_WITHIN`]) for an announcement heard since `since` was taken:
    /// an authorizer has then applied a change made after it, as a rule the one this gateway
    /// just asked for, so the client's next request is decided under it. Without announcements
    /// (reuse off, or no subscription) there is nothing to wait for.
    pub async fn until_announced(&self, mut since: tokio::sync::watch::Receiver<u64>) {
        if self.live.load(Ordering::Acquire) {
            let _ = tokio::time::timeout(ANNOUNCED_WITHIN, since.changed()).await;
        }
    }

    /// Forgets every decision: on an announcement, and after this gateway asked the store for a
    /// change (`AppState::store`).
    pub fn forget_all(&self) {
        // Bumped before clearing: a decision in flight under the old epoch is not remembered.
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.lock().clear();
    }

    /// Forgets the decisions that read buckets or MRAPs: on an announcement of a change to them.
    /// Their stamps no longer hold, which every lookup checks; the entries themselves go when the
    /// map is full ([`MAX_ENTRIES`]). Sweeping them here cost a pass over every entry on each
    /// announcement, and MRAPs coming and going under load make hundreds of them a second.
    fn forget_resources(&self) {
        self.resources_epoch.fetch_add(1, Ordering::AcqRel);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Entry>> {
        // A panic while holding the lock cannot leave an entry half-written.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn stamp(&self) -> Stamp {
        Stamp {
            epoch: self.epoch.load(Ordering::Acquire),
            resources_epoch: self.resources_epoch.load(Ordering::Acquire),
            connects: self.nats.statistics().connects.load(Ordering::Acquire),
        }
    }

    /// Decides `req` from a remembered decision if one applies and its signature verifies with
    /// the remembered key; otherwise says whether the authorizer's answer may be remembered.
    pub fn lookup(&self, req: &AuthzRequest, now_unix: i64) -> Lookup {
        if !self.live.load(Ordering::Acquire)
            || self.nats.connection_state() != async_nats::connection::State::Connected
        {
            return Lookup::Ask(None);
        }
        let wire = mrap_sigv4::Request {
            method: &req.method,
            path: &req.path,
            query: &req.query,
            headers: &req.headers,
        };
        let Some((key, auth)) = reusable(req, &wire) else {
            return Lookup::Ask(None);
        };
        let stamp = self.stamp();
        let found = {
            let entries = self.lock();
            let now = Instant::now();
            let holds = |e: &&Entry| e.stamp.holds_at(stamp, e.reads_resources) && e.expires > now;
            entries
                .get(&key)
                .filter(holds)
                .or_else(|| entries.get(&key.for_any_arn()?).filter(holds))
                .map(|e| (e.grant.clone(), e.verifier.clone()))
        };
        let Some((grant, verifier)) = found else {
            metrics::counter!("mrap_authz_reuse_total", "result" => "miss").increment(1);
            return Lookup::Ask(Some((key, stamp)));
        };
        let service = req.signing_service.as_deref().unwrap_or("s3");
        let accepted = Options::accepted(service, req.s3_control);
        match mrap_sigv4::verify_with(
            &wire,
            &auth,
            &req.payload_hash,
            &verifier,
            now_unix,
            accepted,
        ) {
            Ok(()) => {
                metrics::counter!("mrap_authz_reuse_total", "result" => "hit").increment(1);
                Lookup::Reused(grant)
            }
            // The authorizer words the refusal (and may know better).
            Err(_) => Lookup::Ask(None),
        }
    }

    /// Remembers the authorizer's answer to a request [`Grants::lookup`] found reusable, unless
    /// an announcement or a reconnection came in meanwhile. Returns the grant without its key.
    pub fn remember(&self, asked: Option<(Key, Stamp)>, mut grant: Grant) -> Grant {
        let reuse = grant.reuse.take();
        let (Some((key, stamp)), Some(reuse)) = (asked, reuse) else {
            return grant;
        };
        let Some(verifier) = VerifierKey::from_bytes(key.algorithm, &reuse.verifier_key) else {
            return grant;
        };
        let key = match reuse.any_arn {
            true => key.for_any_arn().unwrap_or(key),
            false => key,
        };
        let entry = Entry {
            grant: grant.clone(),
            verifier,
            stamp,
            reads_resources: reuse.reads_resources,
            expires: Instant::now() + self.ttl,
        };
        let now = self.stamp();
        // An announcement that came meanwhile: the answer may predate the change. One that comes
        // after is seen by every lookup (the stamp no longer holds).
        if !stamp.holds_at(now, reuse.reads_resources) {
            return grant;
        }
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            let alive = Instant::now();
            entries.retain(|_, e| e.stamp.holds_at(now, e.reads_resources) && e.expires > alive);
            // Room for a while, or none: a sweep that frees a few would run on every insert.
            if entries.len() >= MAX_ENTRIES / 2 {
                entries.clear();
            }
        }
        entries.insert(key, entry);
        grant
    }
}

/// The key of a request whose decision could be reused: header-signed (SigV4 or SigV4A), its
/// body not signed chunk by chunk.
fn reusable(req: &AuthzRequest, wire: &mrap_sigv4::Request<'_>) -> Option<(Key, mrap_sigv4::Auth)> {
    if matches!(
        ChunkedMode::from_content_sha256(&req.payload_hash),
        Some(ChunkedMode::Signed | ChunkedMode::SignedTrailer | ChunkedMode::SignedEcdsa)
    ) {
        return None;
    }
    let auth = mrap_sigv4::parse(wire).ok()?;
    if auth.presigned.is_some() {
        return None;
    }
    let key = Key {
        access_key: auth.access_key.clone(),
        algorithm: auth.algorithm,
        date: auth.date.clone(),
        region: auth.region.clone(),
        service: auth.service.clone(),
        signing_service: req.signing_service.clone(),
        s3_control: req.s3_control,
        action: req.action.clone(),
        resource: req.resource.clone(),
    };
    Some((key, auth))
}
