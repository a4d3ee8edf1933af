//! IAM identities: users (KV `users`, one record per user holding its inline policies and the ids
//! of its access keys) and access keys (KV `access_keys`, keyed by access key id, secret sealed).
//!
//! Crash ordering: whatever a change leaves half-done must never grant more than intended.
//! - Creating a user key lists its id on the user first (the quota is checked in that CAS), then
//!   writes the key record. A crash in between leaves an id without a record: it signs nothing,
//!   counts toward the quota and blocks `DeleteUser` until `DeleteAccessKey` removes it
//!   (`ListAccessKeys` shows it as `Inactive`, so it can be found).
//! - Deleting a user key removes the key record first, then the id from the user: a crash in
//!   between leaves the same harmless dangling id, and a retried delete finishes the job.
//! - A user is deleted only once it lists no key and no policy, so no key record can outlive
//!   its user (a key being created is listed before its record exists, and its creation checks
//!   after writing the record that the id is still listed, removing the record otherwise).
//!
//! The root's keys are the key records of the account with no user; they are found by a scan of
//! the access keys (rare calls). Their quota is checked before the write, not in a CAS: two
//! concurrent root-key creations can both pass it.

use mrap_model::{
    AccessKeyRecord, AccountId, ApiError, ErrorCode, KeyOwner, KeyStatus, UserRecord,
    identity::{
        MAX_ACCESS_KEYS, MAX_USER_INLINE_POLICY_CHARS, new_id, new_secret, root_arn, user_kv_key,
    },
};
use mrap_policy::{FindingType, PolicyType};
use mrap_proto::{
    store::{
        CreateAccessKey, CreateUser, DeleteAccessKey, DeleteUser, DeleteUserPolicy, GetUser,
        ListAccessKeys, ListUsers, PutUserPolicy, UpdateAccessKey,
    },
    subjects::KvBucket,
};

use crate::{kvx, listing, state::State};

fn no_such_user(name: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NoSuchEntity,
        format!("The user with name {name} cannot be found."),
    )
}

fn no_such_key(id: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NoSuchEntity,
        format!("The Access Key with id {id} cannot be found."),
    )
}

fn no_such_policy(name: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NoSuchEntity,
        format!("The user policy with name {name} cannot be found."),
    )
}

fn key_quota() -> ApiError {
    ApiError::new(
        ErrorCode::LimitExceeded,
        format!("Cannot exceed quota for AccessKeysPerUser: {MAX_ACCESS_KEYS}"),
    )
}

// ---------- users ----------

pub async fn create_user(st: &State, req: CreateUser) -> Result<UserRecord, ApiError> {
    let rec = UserRecord {
        account: req.account.clone(),
        name: req.name.clone(),
        path: req.path,
        user_id: new_id("AIDA", 17),
        created_ms: mrap_model::time::now_millis(),
        policies: Default::default(),
        access_keys: Vec::new(),
    };
    // The key folds case, so any case variant of an existing name collides here.
    if kvx::create(&st.users, &rec.kv_key(), &rec).await? {
        return Ok(rec);
    }
    Err(ApiError::new(
        ErrorCode::EntityAlreadyExists,
        format!("User with name {} already exists.", req.name),
    ))
}

async fn load_user(st: &State, account: &AccountId, name: &str) -> Result<UserRecord, ApiError> {
    kvx::value::<UserRecord>(&st.users, &user_kv_key(account, name))
        .await?
        .ok_or_else(|| no_such_user(name))
}

pub async fn get_user(st: &State, req: GetUser) -> Result<UserRecord, ApiError> {
    load_user(st, &req.account, &req.name).await
}

pub async fn list_users(st: &State, req: ListUsers) -> Result<Vec<UserRecord>, ApiError> {
    let bucket = st.ns.kv(KvBucket::Users);
    let mut users: Vec<UserRecord> =
        listing::latest(&st.js, &bucket, &format!("{}.>", req.account)).await?;
    users.retain(|u| u.account == req.account && u.path.starts_with(&req.path_prefix));
    users.sort_by_cached_key(|u| (u.name.to_lowercase(), u.name.clone()));
    Ok(users)
}

pub async fn delete_user(st: &State, req: DeleteUser) -> Result<(), ApiError> {
    let key = user_kv_key(&req.account, &req.name);
    kvx::modify::<UserRecord, _>(&st.users, &key, |cur| {
        let u = cur.ok_or_else(|| no_such_user(&req.name))?;
        if !u.access_keys.is_empty() {
            return Err(ApiError::new(
                ErrorCode::DeleteConflict,
                "Cannot delete entity, must delete access keys first.",
            ));
        }
        if !u.policies.is_empty() {
            return Err(ApiError::new(
                ErrorCode::DeleteConflict,
                "Cannot delete entity, must delete policies first.",
            ));
        }
        Ok(kvx::Change::Delete)
    })
    .await?;
    Ok(())
}

// ---------- inline policies ----------

/// The characters of a policy that count toward the user's inline quota (whitespace does not).
fn policy_size(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

pub async fn put_user_policy(st: &State, req: PutUserPolicy) -> Result<UserRecord, ApiError> {
    let findings = mrap_policy::validate(&req.document, PolicyType::Identity, None);
    if let Some(err) = findings
        .iter()
        .find(|f| f.finding_type == FindingType::Error)
    {
        return Err(ApiError::new(
            ErrorCode::MalformedPolicyDocument,
            err.finding_details.clone(),
        ));
    }
    mrap_policy::parse(&req.document)
        .map_err(|e| ApiError::new(ErrorCode::MalformedPolicyDocument, e.message))?;
    let key = user_kv_key(&req.account, &req.user);
    kvx::modify::<UserRecord, _>(&st.users, &key, |cur| {
        let mut u = cur.ok_or_else(|| no_such_user(&req.user))?;
        if u.policies.get(&req.policy_name) == Some(&req.document) {
            return Ok(kvx::Change::Keep);
        }
        u.policies
            .insert(req.policy_name.clone(), req.document.clone());
        let total: usize = u.policies.values().map(|p| policy_size(p)).sum();
        if total > MAX_USER_INLINE_POLICY_CHARS {
            return Err(ApiError::new(
                ErrorCode::LimitExceeded,
                format!(
                    "Maximum policy size of {MAX_USER_INLINE_POLICY_CHARS} bytes exceeded for user {}",
                    u.name
                ),
            ));
        }
        Ok(kvx::Change::Put(u))
    })
    .await?
    .ok_or_else(|| no_such_user(&req.user))
}

pub async fn delete_user_policy(st: &State, req: DeleteUserPolicy) -> Result<UserRecord, ApiError> {
    let key = user_kv_key(&req.account, &req.user);
    kvx::modify::<UserRecord, _>(&st.users, &key, |cur| {
        let mut u = cur.ok_or_else(|| no_such_user(&req.user))?;
        if u.policies.remove(&req.policy_name).is_none() {
            return Err(no_such_policy(&req.policy_name));
        }
        Ok(kvx::Change::Put(u))
    })
    .await?
    .ok_or_else(|| no_such_user(&req.user))
}

// ---------- access keys ----------

/// The root's keys of `account`, as stored (sealed).
async fn root_keys(st: &State, account: &AccountId) -> Result<Vec<AccessKeyRecord>, ApiError> {
    let bucket = st.ns.kv(KvBucket::AccessKeys);
    let mut keys: Vec<AccessKeyRecord> = listing::latest(&st.js, &bucket, ">").await?;
    keys.retain(|k| &k.account == account && k.user.is_none());
    Ok(keys)
}

/// Does the stored key belong to this owner (`None`: the account root)?
fn belongs(k: &AccessKeyRecord, account: &AccountId, owner: Option<&UserRecord>) -> bool {
    &k.account == account
        && match (owner, &k.user) {
            (None, None) => true,
            (Some(u), Some(o)) => o.user_id == u.user_id,
            _ => false,
        }
}

pub async fn create_access_key(
    st: &State,
    req: CreateAccessKey,
) -> Result<AccessKeyRecord, ApiError> {
    let access_key = new_id("AKIA", 16);
    let mut rec = AccessKeyRecord {
        access_key: access_key.clone(),
        secret: new_secret(),
        account: req.account.clone(),
        principal_arn: root_arn(&req.account),
        user: None,
        status: KeyStatus::Active,
        created_ms: mrap_model::time::now_millis(),
    };
    match &req.user {
        None => {
            if root_keys(st, &req.account).await?.len() >= MAX_ACCESS_KEYS {
                return Err(key_quota());
            }
            if !kvx::create(&st.access_keys, &access_key, &st.master_key.seal(&rec)).await? {
                return Err(ApiError::internal(format!(
                    "access key id {access_key} collided; try again"
                )));
            }
        }
        Some(name) => {
            let key = user_kv_key(&req.account, name);
            // 1. List the id on the user (quota checked in the same CAS).
            let user = kvx::modify::<UserRecord, _>(&st.users, &key, |cur| {
                let mut u = cur.ok_or_else(|| no_such_user(name))?;
                if u.access_keys.len() >= MAX_ACCESS_KEYS {
                    return Err(key_quota());
                }
                u.access_keys.push(access_key.clone());
                Ok(kvx::Change::Put(u))
            })
            .await?
            .ok_or_else(|| no_such_user(name))?;
            rec.principal_arn = user.arn();
            rec.user = Some(KeyOwner {
                name: user.name.clone(),
                user_id: user.user_id.clone(),
            });
            // 2. Then write the key itself.
            if !kvx::create(&st.access_keys, &access_key, &st.master_key.seal(&rec)).await? {
                unlist(st, &key, &access_key).await?;
                return Err(ApiError::internal(format!(
                    "access key id {access_key} collided; try again"
                )));
            }
            // 3. A delete of the still dangling id may have unlisted it meanwhile (the user may
            //    even be gone): a key its user does not list must not live on.
            let still_listed = kvx::value::<UserRecord>(&st.users, &key)
                .await?
                .is_some_and(|u| u.user_id == user.user_id && u.access_keys.contains(&access_key));
            if !still_listed {
                kvx::remove(&st.access_keys, &access_key).await?;
                return Err(no_such_user(name));
            }
        }
    }
    Ok(rec)
}

/// Removes `access_key` from the user's list (a user already gone is left alone).
async fn unlist(st: &State, user_key: &str, access_key: &str) -> Result<(), ApiError> {
    kvx::modify::<UserRecord, _>(&st.users, user_key, |cur| match cur {
        Some(mut u) if u.access_keys.iter().any(|k| k == access_key) => {
            u.access_keys.retain(|k| k != access_key);
            Ok(kvx::Change::Put(u))
        }
        _ => Ok(kvx::Change::Keep),
    })
    .await?;
    Ok(())
}

pub async fn list_access_keys(
    st: &State,
    req: ListAccessKeys,
) -> Result<Vec<AccessKeyRecord>, ApiError> {
    let mut keys = match &req.user {
        None => root_keys(st, &req.account).await?,
        Some(name) => {
            let user = load_user(st, &req.account, name).await?;
            let mut keys = Vec::with_capacity(user.access_keys.len());
            for id in &user.access_keys {
                match kvx::value::<AccessKeyRecord>(&st.access_keys, id).await? {
                    Some(k) if belongs(&k, &req.account, Some(&user)) => keys.push(k),
                    // Listed but without a record (a create or delete interrupted, or one in
                    // flight): it signs nothing; shown Inactive so that it can be deleted.
                    _ => keys.push(AccessKeyRecord {
                        access_key: id.clone(),
                        secret: String::new(),
                        account: req.account.clone(),
                        principal_arn: user.arn(),
                        user: Some(KeyOwner {
                            name: user.name.clone(),
                            user_id: user.user_id.clone(),
                        }),
                        status: KeyStatus::Inactive,
                        created_ms: user.created_ms,
                    }),
                }
            }
            keys
        }
    };
    for k in &mut keys {
        k.secret = String::new();
    }
    // Stable: keys made in the same millisecond keep the user's list order (creation order).
    keys.sort_by_key(|k| k.created_ms);
    Ok(keys)
}

/// The user named by a key call (`None`: the root).
async fn key_owner(
    st: &State,
    account: &AccountId,
    user: Option<&str>,
) -> Result<Option<UserRecord>, ApiError> {
    match user {
        None => Ok(None),
        Some(name) => load_user(st, account, name).await.map(Some),
    }
}

pub async fn update_access_key(st: &State, req: UpdateAccessKey) -> Result<(), ApiError> {
    let owner = key_owner(st, &req.account, req.user.as_deref()).await?;
    // The stored record stays sealed: only its status changes (the seal binds the key id alone).
    kvx::modify::<AccessKeyRecord, _>(&st.access_keys, &req.access_key, |cur| {
        let mut k = cur
            .filter(|k| belongs(k, &req.account, owner.as_ref()))
            .ok_or_else(|| no_such_key(&req.access_key))?;
        if k.status == req.status {
            return Ok(kvx::Change::Keep);
        }
        k.status = req.status;
        Ok(kvx::Change::Put(k))
    })
    .await?;
    Ok(())
}

pub async fn delete_access_key(st: &State, req: DeleteAccessKey) -> Result<(), ApiError> {
    let owner = key_owner(st, &req.account, req.user.as_deref()).await?;
    let listed = owner
        .as_ref()
        .is_some_and(|u| u.access_keys.contains(&req.access_key));
    // 1. The key record: from here on the key signs nothing.
    kvx::modify::<AccessKeyRecord, _>(&st.access_keys, &req.access_key, |cur| match cur {
        Some(k) if belongs(&k, &req.account, owner.as_ref()) => Ok(kvx::Change::Delete),
        // Already gone but still listed on the user: finish an interrupted create or delete.
        None if listed => Ok(kvx::Change::Keep),
        _ => Err(no_such_key(&req.access_key)),
    })
    .await?;
    // 2. Then the id on the user.
    if let Some(u) = &owner {
        unlist(st, &u.kv_key(), &req.access_key).await?;
    }
    Ok(())
}
