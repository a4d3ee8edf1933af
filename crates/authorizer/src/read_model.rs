//! The authorizer's view of the store, in memory: access keys, users and their policies, buckets,
//! accounts and MRAPs, each mirrored from its KV bucket by a watch ([`Table`], [`MrapIndex`]).
//! A decision is then one NATS round trip from the gateway and no store read; a change is seen
//! as soon as the watch delivers it (AWS, too, applies policy changes eventually).
//!
//! Everything that could not be read is an error, never "absent": deciding without it would
//! fail open.

use std::sync::Arc;

use async_nats::jetstream::kv;
use mrap_model::{
    AccessKeyRecord, AccountId, AccountRecord, ApiError, BucketRecord, ErrorCode, MrapRecord,
    MrapStatus, PublicAccessBlock, UserRecord, identity::user_kv_key,
};
use mrap_proto::{mrap_index::MrapIndex, secrets::MasterKey};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::table::{Table, Unreadable};

/// A bucket as authorization needs it.
pub struct BucketView {
    pub record: BucketRecord,
    /// The bucket policy, parsed (a stored policy always parses: the store validated it).
    pub policy: Option<mrap_policy::Policy>,
}

/// An MRAP as authorization needs it.
pub struct MrapView {
    pub record: MrapRecord,
    /// The established policy, parsed; `None` until one is established.
    pub policy: Option<mrap_policy::Policy>,
}

/// A user as authorization needs it: the inline policies, parsed.
pub struct UserView {
    pub record: UserRecord,
    pub policies: Vec<mrap_policy::Policy>,
}

/// The KV buckets the authorizer reads.
pub struct Sources {
    pub keys: kv::Store,
    pub users: kv::Store,
    pub buckets: kv::Store,
    pub accounts: kv::Store,
    pub mraps: kv::Store,
    pub aliases: kv::Store,
}

pub struct ReadModel {
    keys: Arc<Table<AccessKeyRecord>>,
    users: Arc<Table<UserView>>,
    buckets: Arc<Table<BucketView>>,
    accounts: Arc<Table<AccountRecord>>,
    mraps: Arc<MrapIndex<MrapView>>,
    /// SigV4A verifying keys, derived once per access key.
    v4a_keys: mrap_sigv4::V4aKeys,
    /// See `Config::local_accounts`.
    local_accounts: bool,
}

/// Told after a watch applied a change, by what changed (`mrap_proto::authz::AuthzChange`).
#[derive(Default)]
pub struct Changed {
    /// Access keys, users, accounts.
    pub identities: Arc<Notify>,
    /// Buckets, MRAPs.
    pub resources: Arc<Notify>,
}

impl ReadModel {
    /// `changed` is told after every change a watch applies.
    pub fn new(
        sources: Sources,
        master_key: MasterKey,
        local_accounts: bool,
        changed: &Changed,
    ) -> Self {
        let Sources {
            keys,
            users,
            buckets,
            accounts,
            mraps,
            aliases,
        } = sources;
        Self {
            keys: Arc::new(Table::new(
                "access key",
                keys,
                Box::new(move |_, bytes| {
                    let sealed: AccessKeyRecord =
                        mrap_proto::codec::decode(bytes).map_err(|e| e.to_string())?;
                    master_key.open(sealed).map_err(|e| e.to_string())
                }),
                changed.identities.clone(),
            )),
            users: Arc::new(Table::new(
                "user",
                users,
                Box::new(user_view),
                changed.identities.clone(),
            )),
            buckets: Arc::new(Table::new(
                "bucket",
                buckets,
                Box::new(bucket_view),
                changed.resources.clone(),
            )),
            accounts: Arc::new(Table::new(
                "account",
                accounts,
                Box::new(|_, bytes| mrap_proto::codec::decode(bytes).map_err(|e| e.to_string())),
                changed.identities.clone(),
            )),
            mraps: Arc::new(
                // Only a READY MRAP backs a decision (requests through any other are refused).
                MrapIndex::new(mraps, aliases, mrap_view)
                    .notifying(changed.resources.clone(), |m: &MrapView| {
                        m.record.status == MrapStatus::Ready
                    }),
            ),
            v4a_keys: mrap_sigv4::V4aKeys::default(),
            local_accounts,
        }
    }

    pub fn v4a_keys(&self) -> &mrap_sigv4::V4aKeys {
        &self.v4a_keys
    }

    /// The access key with this id, `None` when there is none. In local-accounts mode an id of
    /// 12 digits that names no stored key is the root of that account, with the secret `test`.
    pub async fn access_key(&self, id: &str) -> Result<Option<Arc<AccessKeyRecord>>, ApiError> {
        if let Some(key) = self.keys.get(id).await.map_err(unreadable)? {
            return Ok(Some(key));
        }
        if self.local_accounts
            && let Ok(account) = AccountId::parse(id)
        {
            return Ok(Some(Arc::new(AccessKeyRecord::root(
                account,
                id.to_owned(),
                "test".to_owned(),
            ))));
        }
        Ok(None)
    }

    /// The user of `account` named `name` (any case).
    pub async fn user(
        &self,
        account: &AccountId,
        name: &str,
    ) -> Result<Option<Arc<UserView>>, ApiError> {
        self.users
            .get(&user_kv_key(account, name))
            .await
            .map_err(unreadable)
    }

    /// The bucket's current settings, `None` if it does not exist.
    pub async fn bucket(&self, name: &str) -> Result<Option<Arc<BucketView>>, ApiError> {
        self.buckets.get(name).await.map_err(unreadable)
    }

    /// The account's Block Public Access configuration.
    pub async fn account_pab(
        &self,
        account: &AccountId,
    ) -> Result<Option<PublicAccessBlock>, ApiError> {
        Ok(self
            .accounts
            .get(account.as_str())
            .await
            .map_err(unreadable)?
            .and_then(|a| a.public_access_block))
    }

    /// The MRAP with this alias (`None`: no such MRAP, or deleted).
    pub async fn mrap(&self, alias: &str) -> Result<Option<Arc<MrapView>>, ApiError> {
        self.mraps
            .get(alias)
            .await
            .map_err(|e| unreadable(Unreadable(e.to_string())))
    }

    /// Applies every change until `shutdown`.
    pub async fn follow(self: Arc<Self>, shutdown: CancellationToken) {
        let mut tasks = tokio::task::JoinSet::new();
        tasks.spawn(self.keys.clone().follow(shutdown.clone()));
        tasks.spawn(self.users.clone().follow(shutdown.clone()));
        tasks.spawn(self.buckets.clone().follow(shutdown.clone()));
        tasks.spawn(self.accounts.clone().follow(shutdown.clone()));
        tasks.spawn(self.mraps.clone().follow(shutdown.clone()));
        while tasks.join_next().await.is_some() {}
    }
}

fn user_view(_key: &str, bytes: &[u8]) -> Result<UserView, String> {
    let record: UserRecord = mrap_proto::codec::decode(bytes).map_err(|e| e.to_string())?;
    let policies = record
        .policies
        .values()
        .map(|text| mrap_policy::parse(text).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    Ok(UserView { record, policies })
}

fn bucket_view(_key: &str, bytes: &[u8]) -> Result<BucketView, String> {
    let record: BucketRecord = mrap_proto::codec::decode(bytes).map_err(|e| e.to_string())?;
    let policy = match &record.policy {
        Some(p) => Some(mrap_policy::parse(&p.text).map_err(|e| e.to_string())?),
        None => None,
    };
    Ok(BucketView { record, policy })
}

/// The authorizer's view of an MRAP: its record and established policy, parsed.
fn mrap_view(record: MrapRecord) -> Result<MrapView, String> {
    let policy = match &record.policy.established {
        Some(p) => Some(mrap_policy::parse(&p.text).map_err(|e| e.to_string())?),
        None => None,
    };
    Ok(MrapView { record, policy })
}

/// What a request gets when the data to decide it cannot be read: a refusal the client may retry.
fn unreadable(e: Unreadable) -> ApiError {
    tracing::warn!(error = %e.0, "authorization data unreadable; refusing");
    ApiError::new(
        ErrorCode::ServiceUnavailable,
        "The authorization data could not be read. Please try again.",
    )
}
