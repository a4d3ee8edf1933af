//! IAM users, access keys and inline policies in the policy-store over a real nats-server.

#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test loudly

use async_nats::jetstream;
use mrap_model::{AccessKeyRecord, AccountId, ErrorCode, KeyStatus, UserRecord};
use mrap_proto::{RpcError, store::*, subjects::KvBucket};

mod common;
use common::{Harness, call, code};

const READ_ANY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
const LIST_ANY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#;

fn message(e: RpcError) -> (ErrorCode, String) {
    match e {
        RpcError::Api(a) => (a.code, a.message),
        other => panic!("expected a refusal, got {other}"),
    }
}

async fn user(h: &Harness, name: &str, path: &str) -> UserRecord {
    call(
        h,
        &CreateUser {
            account: h.account.clone(),
            name: name.into(),
            path: path.into(),
        },
    )
    .await
    .unwrap()
}

async fn get(h: &Harness, name: &str) -> Result<UserRecord, RpcError> {
    call(
        h,
        &GetUser {
            account: h.account.clone(),
            name: name.into(),
        },
    )
    .await
}

async fn new_key(h: &Harness, user: Option<&str>) -> Result<AccessKeyRecord, RpcError> {
    call(
        h,
        &CreateAccessKey {
            account: h.account.clone(),
            user: user.map(Into::into),
        },
    )
    .await
}

async fn keys(h: &Harness, user: Option<&str>) -> Vec<AccessKeyRecord> {
    call(
        h,
        &ListAccessKeys {
            account: h.account.clone(),
            user: user.map(Into::into),
        },
    )
    .await
    .unwrap()
}

async fn set_status(
    h: &Harness,
    user: Option<&str>,
    key: &str,
    status: KeyStatus,
) -> Result<(), RpcError> {
    call(
        h,
        &UpdateAccessKey {
            account: h.account.clone(),
            user: user.map(Into::into),
            access_key: key.into(),
            status,
        },
    )
    .await
}

async fn delete_key(h: &Harness, user: Option<&str>, key: &str) -> Result<(), RpcError> {
    call(
        h,
        &DeleteAccessKey {
            account: h.account.clone(),
            user: user.map(Into::into),
            access_key: key.into(),
        },
    )
    .await
}

async fn put_policy(
    h: &Harness,
    user: &str,
    name: &str,
    doc: &str,
) -> Result<UserRecord, RpcError> {
    call(
        h,
        &PutUserPolicy {
            account: h.account.clone(),
            user: user.into(),
            policy_name: name.into(),
            document: doc.into(),
        },
    )
    .await
}

async fn delete_policy(h: &Harness, user: &str, name: &str) -> Result<UserRecord, RpcError> {
    call(
        h,
        &DeleteUserPolicy {
            account: h.account.clone(),
            user: user.into(),
            policy_name: name.into(),
        },
    )
    .await
}

async fn delete_user(h: &Harness, name: &str) -> Result<(), RpcError> {
    call(
        h,
        &DeleteUser {
            account: h.account.clone(),
            name: name.into(),
        },
    )
    .await
}

/// The access key's value as the KV holds it, raw bytes and decoded.
async fn raw_key(h: &Harness, id: &str) -> Option<(Vec<u8>, AccessKeyRecord)> {
    let kv = jetstream::new(h.client.clone())
        .get_key_value(h.ns.kv(KvBucket::AccessKeys))
        .await
        .unwrap();
    let bytes = kv.get(id).await.unwrap()?;
    let rec = mrap_proto::codec::decode(&bytes).unwrap();
    Some((bytes.to_vec(), rec))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn users_are_unique_in_any_case_listed_by_path_and_sorted_by_name() {
    let h = common::start("idu.mrap").await;
    let alice = user(&h, "Alice", "/").await;
    assert!(alice.user_id.starts_with("AIDA") && alice.user_id.len() == 21);
    assert_eq!(alice.arn(), "arn:aws:iam::000000000000:user/Alice");
    assert!(alice.created_ms > 0);

    let dup = call(
        &h,
        &CreateUser {
            account: h.account.clone(),
            name: "aLICE".into(),
            path: "/other/".into(),
        },
    )
    .await;
    assert_eq!(
        message(dup.unwrap_err()),
        (
            ErrorCode::EntityAlreadyExists,
            "User with name aLICE already exists.".into()
        )
    );
    // The first one is untouched, and found in any case.
    assert_eq!(get(&h, "ALICE").await.unwrap(), alice);
    assert_eq!(
        message(get(&h, "nobody").await.unwrap_err()),
        (
            ErrorCode::NoSuchEntity,
            "The user with name nobody cannot be found.".into()
        )
    );

    user(&h, "bob", "/eng/").await;
    user(&h, "Carol", "/eng/team/").await;
    user(&h, "dave.x@example.com", "/ops/").await;
    let names = |prefix: &'static str| {
        let h = &h;
        async move {
            call(
                h,
                &ListUsers {
                    account: h.account.clone(),
                    path_prefix: prefix.into(),
                },
            )
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.name)
            .collect::<Vec<_>>()
        }
    };
    // Case-insensitive order: a byte order would put "Alice", "Carol" before "bob".
    assert_eq!(
        names("/").await,
        ["Alice", "bob", "Carol", "dave.x@example.com"]
    );
    assert_eq!(names("/eng/").await, ["bob", "Carol"]);
    assert_eq!(names("/eng/team/").await, ["Carol"]);
    assert!(names("/nope/").await.is_empty());

    // Another account sees none of them and may use the same names.
    let other = AccountId::parse("111111111111").unwrap();
    let theirs = call(
        &h,
        &ListUsers {
            account: other.clone(),
            path_prefix: "/".into(),
        },
    )
    .await
    .unwrap();
    assert!(theirs.is_empty());
    let twin = call(
        &h,
        &CreateUser {
            account: other,
            name: "alice".into(),
            path: "/".into(),
        },
    )
    .await
    .unwrap();
    assert_ne!(twin.user_id, alice.user_id);
}

#[tokio::test]
async fn user_keys_are_sealed_limited_to_two_and_change_status() {
    let h = common::start("idk.mrap").await;
    let bob = user(&h, "Bob", "/eng/").await;
    let unknown = new_key(&h, Some("nobody")).await.unwrap_err();
    assert_eq!(code(unknown), ErrorCode::NoSuchEntity);

    // Created in another case than the user's name: still Bob's.
    let k1 = new_key(&h, Some("bob")).await.unwrap();
    assert!(k1.access_key.starts_with("AKIA") && k1.access_key.len() == 20);
    assert_eq!(k1.secret.len(), 40);
    assert_eq!(k1.status, KeyStatus::Active);
    assert_eq!(k1.principal_arn, "arn:aws:iam::000000000000:user/eng/Bob");
    let owner = k1.user.clone().unwrap();
    assert_eq!(
        (owner.name.as_str(), owner.user_id.as_str()),
        ("Bob", bob.user_id.as_str())
    );

    // At rest the secret is sealed.
    let (bytes, stored) = raw_key(&h, &k1.access_key).await.unwrap();
    assert!(!contains(&bytes, k1.secret.as_bytes()));
    assert!(contains(&bytes, b"sealed:v1:"));
    assert!(stored.secret.starts_with("sealed:v1:"));
    assert_eq!(stored.user, k1.user);

    // An Inactive key still counts toward the quota.
    set_status(&h, Some("Bob"), &k1.access_key, KeyStatus::Inactive)
        .await
        .unwrap();
    let k2 = new_key(&h, Some("Bob")).await.unwrap();
    assert_eq!(
        message(new_key(&h, Some("Bob")).await.unwrap_err()),
        (
            ErrorCode::LimitExceeded,
            "Cannot exceed quota for AccessKeysPerUser: 2".into()
        )
    );
    assert_eq!(get(&h, "Bob").await.unwrap().access_keys.len(), 2);

    // Oldest first, secrets blanked, status as set.
    let listed = keys(&h, Some("Bob")).await;
    let ids: Vec<_> = listed.iter().map(|k| k.access_key.as_str()).collect();
    assert_eq!(ids, [k1.access_key.as_str(), k2.access_key.as_str()]);
    assert!(listed.iter().all(|k| k.secret.is_empty()));
    assert_eq!(listed[0].status, KeyStatus::Inactive);
    assert_eq!(listed[1].status, KeyStatus::Active);

    // The status round trip keeps the record sealed and openable with the same secret (it is
    // still sealed: the stored text differs from the plain one).
    set_status(&h, Some("Bob"), &k1.access_key, KeyStatus::Active)
        .await
        .unwrap();
    let (bytes, stored) = raw_key(&h, &k1.access_key).await.unwrap();
    assert_eq!(stored.status, KeyStatus::Active);
    assert!(!contains(&bytes, k1.secret.as_bytes()));
    assert!(stored.secret.starts_with("sealed:v1:"));
    assert_eq!(keys(&h, Some("Bob")).await[0].status, KeyStatus::Active);

    // Deleting one makes room again; the record and the listing are both gone.
    delete_key(&h, Some("Bob"), &k1.access_key).await.unwrap();
    assert!(raw_key(&h, &k1.access_key).await.is_none());
    assert_eq!(
        get(&h, "Bob").await.unwrap().access_keys,
        std::slice::from_ref(&k2.access_key)
    );
    assert_eq!(
        message(
            delete_key(&h, Some("Bob"), &k1.access_key)
                .await
                .unwrap_err()
        ),
        (
            ErrorCode::NoSuchEntity,
            format!("The Access Key with id {} cannot be found.", k1.access_key)
        )
    );
    new_key(&h, Some("Bob")).await.unwrap();
    assert_eq!(keys(&h, Some("Bob")).await.len(), 2);
}

#[tokio::test]
async fn key_calls_for_another_owner_find_no_such_key() {
    let h = common::start("idw.mrap").await;
    user(&h, "bob", "/").await;
    user(&h, "eve", "/").await;
    let bobs = new_key(&h, Some("bob")).await.unwrap();
    let roots = new_key(&h, None).await.unwrap();
    let nsk = |id: &str| {
        (
            ErrorCode::NoSuchEntity,
            format!("The Access Key with id {id} cannot be found."),
        )
    };

    // Another user, the root, another account: none of them may touch bob's key.
    for owner in [Some("eve"), None] {
        let e = set_status(&h, owner, &bobs.access_key, KeyStatus::Inactive).await;
        assert_eq!(message(e.unwrap_err()), nsk(&bobs.access_key));
        let e = delete_key(&h, owner, &bobs.access_key).await;
        assert_eq!(message(e.unwrap_err()), nsk(&bobs.access_key));
    }
    let foreign = call(
        &h,
        &DeleteAccessKey {
            account: AccountId::parse("111111111111").unwrap(),
            user: None,
            access_key: roots.access_key.clone(),
        },
    )
    .await;
    assert_eq!(message(foreign.unwrap_err()), nsk(&roots.access_key));
    // A user may not touch the root's key.
    let e = delete_key(&h, Some("bob"), &roots.access_key).await;
    assert_eq!(message(e.unwrap_err()), nsk(&roots.access_key));
    // An unknown user is reported as such.
    let e = delete_key(&h, Some("nobody"), &bobs.access_key).await;
    assert_eq!(
        message(e.unwrap_err()),
        (
            ErrorCode::NoSuchEntity,
            "The user with name nobody cannot be found.".into()
        )
    );
    let e = set_status(&h, Some("bob"), "AKIANOSUCHKEY0000000", KeyStatus::Active).await;
    assert_eq!(message(e.unwrap_err()), nsk("AKIANOSUCHKEY0000000"));

    // Nothing changed.
    let (_, stored) = raw_key(&h, &bobs.access_key).await.unwrap();
    assert_eq!(stored.status, KeyStatus::Active);
    assert!(raw_key(&h, &roots.access_key).await.is_some());
    assert!(keys(&h, Some("eve")).await.is_empty());

    // A user deleted and re-created under the same name does not inherit the old user's key.
    delete_key(&h, Some("bob"), &bobs.access_key).await.unwrap();
    delete_user(&h, "bob").await.unwrap();
    user(&h, "bob", "/").await;
    let old = new_key(&h, Some("bob")).await.unwrap();
    delete_key(&h, Some("bob"), &old.access_key).await.unwrap();
    delete_user(&h, "bob").await.unwrap();
    // The key record of a previous `bob` (written as if a delete had crashed half-way) is not
    // the new bob's to manage.
    let kv = jetstream::new(h.client.clone())
        .get_key_value(h.ns.kv(KvBucket::AccessKeys))
        .await
        .unwrap();
    kv.put(&old.access_key, mrap_proto::codec::encode(&old).unwrap())
        .await
        .unwrap();
    user(&h, "bob", "/").await;
    let e = set_status(&h, Some("bob"), &old.access_key, KeyStatus::Inactive).await;
    assert_eq!(message(e.unwrap_err()), nsk(&old.access_key));
}

#[tokio::test]
async fn root_keys_have_no_user_and_the_same_quota() {
    let h = common::start("idr.mrap").await;
    // The bootstrap key `k` is the root's first key.
    let listed = keys(&h, None).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].access_key, "k");
    assert!(listed[0].secret.is_empty());

    let second = new_key(&h, None).await.unwrap();
    assert_eq!(second.user, None);
    assert_eq!(second.principal_arn, "arn:aws:iam::000000000000:root");
    assert_eq!(second.secret.len(), 40);
    let (bytes, stored) = raw_key(&h, &second.access_key).await.unwrap();
    assert!(!contains(&bytes, second.secret.as_bytes()));
    assert!(stored.secret.starts_with("sealed:v1:"));

    // Bootstrap key + this one = 2.
    assert_eq!(
        message(new_key(&h, None).await.unwrap_err()),
        (
            ErrorCode::LimitExceeded,
            "Cannot exceed quota for AccessKeysPerUser: 2".into()
        )
    );
    // A user's keys are not the root's, and do not count toward its quota.
    user(&h, "bob", "/").await;
    new_key(&h, Some("bob")).await.unwrap();
    let ids: Vec<_> = keys(&h, None)
        .await
        .into_iter()
        .map(|k| k.access_key)
        .collect();
    assert_eq!(ids, ["k".to_owned(), second.access_key.clone()]);

    // Another account's root has a quota of its own.
    let other = AccountId::parse("111111111111").unwrap();
    let theirs = call(
        &h,
        &CreateAccessKey {
            account: other.clone(),
            user: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(theirs.principal_arn, "arn:aws:iam::111111111111:root");

    set_status(&h, None, &second.access_key, KeyStatus::Inactive)
        .await
        .unwrap();
    assert_eq!(keys(&h, None).await[1].status, KeyStatus::Inactive);
    delete_key(&h, None, "k").await.unwrap();
    assert!(raw_key(&h, "k").await.is_none());
    new_key(&h, None).await.unwrap();
    assert_eq!(keys(&h, None).await.len(), 2);
}

#[tokio::test]
async fn users_are_deleted_only_without_keys_and_policies() {
    let h = common::start("idd.mrap").await;
    user(&h, "bob", "/").await;
    let k = new_key(&h, Some("bob")).await.unwrap();
    put_policy(&h, "bob", "read", READ_ANY).await.unwrap();
    assert_eq!(
        message(delete_user(&h, "bob").await.unwrap_err()),
        (
            ErrorCode::DeleteConflict,
            "Cannot delete entity, must delete access keys first.".into()
        )
    );
    delete_key(&h, Some("bob"), &k.access_key).await.unwrap();
    assert_eq!(
        message(delete_user(&h, "BOB").await.unwrap_err()),
        (
            ErrorCode::DeleteConflict,
            "Cannot delete entity, must delete policies first.".into()
        )
    );
    assert!(get(&h, "bob").await.is_ok());
    delete_policy(&h, "bob", "read").await.unwrap();
    delete_user(&h, "Bob").await.unwrap();
    assert_eq!(
        code(get(&h, "bob").await.unwrap_err()),
        ErrorCode::NoSuchEntity
    );
    assert_eq!(
        message(delete_user(&h, "bob").await.unwrap_err()),
        (
            ErrorCode::NoSuchEntity,
            "The user with name bob cannot be found.".into()
        )
    );
    // The name is free again.
    user(&h, "bob", "/").await;
}

#[tokio::test]
async fn a_listed_key_without_a_record_blocks_nothing_forever() {
    // What an interrupted create (listed, record never written) or delete (record removed, still
    // listed) leaves: the id is shown Inactive, and deleting it clears it.
    let h = common::start("idx.mrap").await;
    user(&h, "bob", "/").await;
    let k = new_key(&h, Some("bob")).await.unwrap();
    let kv = jetstream::new(h.client.clone())
        .get_key_value(h.ns.kv(KvBucket::AccessKeys))
        .await
        .unwrap();
    kv.delete(&k.access_key).await.unwrap();

    let listed = keys(&h, Some("bob")).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].access_key, k.access_key);
    assert_eq!(listed[0].status, KeyStatus::Inactive);
    assert_eq!(
        code(delete_user(&h, "bob").await.unwrap_err()),
        ErrorCode::DeleteConflict
    );
    // Updating it finds nothing to update; deleting it finishes the job.
    let e = set_status(&h, Some("bob"), &k.access_key, KeyStatus::Active).await;
    assert_eq!(code(e.unwrap_err()), ErrorCode::NoSuchEntity);
    delete_key(&h, Some("bob"), &k.access_key).await.unwrap();
    assert!(get(&h, "bob").await.unwrap().access_keys.is_empty());
    delete_user(&h, "bob").await.unwrap();
}

#[tokio::test]
async fn inline_policies_are_validated_limited_replaced_and_deleted() {
    let h = common::start("idp.mrap").await;
    user(&h, "bob", "/").await;
    let u = put_policy(&h, "bob", "read", READ_ANY).await.unwrap();
    assert_eq!(u.policies.get("read").map(String::as_str), Some(READ_ANY));
    // Replaced by name.
    let u = put_policy(&h, "BOB", "read", LIST_ANY).await.unwrap();
    assert_eq!(u.policies.len(), 1);
    assert_eq!(u.policies["read"], LIST_ANY);
    let u = put_policy(&h, "bob", "list", LIST_ANY).await.unwrap();
    assert_eq!(u.policies.len(), 2);
    assert_eq!(get(&h, "bob").await.unwrap().policies, u.policies);

    // Not JSON, and a grammar error (a Principal in an identity policy).
    for bad in [
        "{\"Version\":",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#,
    ] {
        let (c, m) = message(put_policy(&h, "bob", "bad", bad).await.unwrap_err());
        assert_eq!(c, ErrorCode::MalformedPolicyDocument, "{bad}: {m}");
        assert!(!m.is_empty());
    }
    assert!(!get(&h, "bob").await.unwrap().policies.contains_key("bad"));

    // The aggregate limit counts all the user's policies, whitespace excluded.
    let sized = |n: usize| {
        let filler = "x".repeat(n);
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{filler}","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}]}}"#
        )
    };
    let used: usize = u
        .policies
        .values()
        .map(|p| p.chars().filter(|c| !c.is_whitespace()).count())
        .sum();
    let base = sized(0).len();
    let fits = sized(2048 - used - base);
    // Pretty-printed: the whitespace must not count.
    let fits_spaced = fits.replace(',', ",\n    ");
    put_policy(&h, "bob", "big", &fits_spaced).await.unwrap();
    let over = sized(2048 - used - base + 1);
    assert_eq!(
        message(put_policy(&h, "bob", "big", &over).await.unwrap_err()),
        (
            ErrorCode::LimitExceeded,
            "Maximum policy size of 2048 bytes exceeded for user bob".into()
        )
    );
    assert_eq!(
        get(&h, "bob").await.unwrap().policies["big"],
        fits_spaced,
        "a refused put leaves the old document"
    );

    // Delete.
    let u = delete_policy(&h, "bob", "big").await.unwrap();
    assert!(!u.policies.contains_key("big"));
    assert_eq!(
        message(delete_policy(&h, "bob", "big").await.unwrap_err()),
        (
            ErrorCode::NoSuchEntity,
            "The user policy with name big cannot be found.".into()
        )
    );
    for e in [
        put_policy(&h, "nobody", "p", READ_ANY).await.unwrap_err(),
        delete_policy(&h, "nobody", "p").await.unwrap_err(),
    ] {
        assert_eq!(
            message(e),
            (
                ErrorCode::NoSuchEntity,
                "The user with name nobody cannot be found.".into()
            )
        );
    }
}
