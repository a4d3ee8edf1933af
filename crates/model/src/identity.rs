//! Identities: IAM users and the access keys that sign requests. Kept by the policy-store, read
//! by the authorizer (in memory, fed by KV watches) and the gateway's IAM surface.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::AccountId;

/// At most this many access keys per user (and per account root), Active and Inactive alike.
pub const MAX_ACCESS_KEYS: usize = 2;

/// The total size of a user's inline policies, whitespace not counted (IAM's quota).
pub const MAX_USER_INLINE_POLICY_CHARS: usize = 2048;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStatus {
    #[default]
    Active,
    Inactive,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::Inactive => "Inactive",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "Active" => Some(KeyStatus::Active),
            "Inactive" => Some(KeyStatus::Inactive),
            _ => None,
        }
    }
}

/// The IAM user an access key belongs to (`None` on an [`AccessKeyRecord`]: the account root).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyOwner {
    /// As created (user names are unique case-insensitively, kept in their original case).
    pub name: String,
    /// `AIDA…`: `aws:userid`.
    pub user_id: String,
}

/// An access key. The secret is plain text only in memory: the store keeps it sealed with the
/// deployment's master key (see `mrap_proto::secrets`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKeyRecord {
    pub access_key: String,
    /// The HMAC secret. Never logged: `Debug` below leaves it out.
    pub secret: String,
    pub account: AccountId,
    /// `arn:aws:iam::{account}:root` for an account's root key, the user's ARN otherwise.
    pub principal_arn: String,
    /// The user; `None` for the account root.
    #[serde(default)]
    pub user: Option<KeyOwner>,
    #[serde(default)]
    pub status: KeyStatus,
    #[serde(default)]
    pub created_ms: i64,
}

impl AccessKeyRecord {
    pub fn root(account: AccountId, access_key: String, secret: String) -> Self {
        let principal_arn = root_arn(&account);
        Self {
            access_key,
            secret,
            account,
            principal_arn,
            user: None,
            status: KeyStatus::Active,
            created_ms: 0,
        }
    }

    /// The owner's name as IAM shows it: the user's, or the account id for the root.
    pub fn owner_name(&self) -> &str {
        self.user
            .as_ref()
            .map_or(self.account.as_str(), |u| u.name.as_str())
    }
}

impl std::fmt::Debug for AccessKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKeyRecord")
            .field("access_key", &self.access_key)
            .field("account", &self.account)
            .field("principal_arn", &self.principal_arn)
            .field("user", &self.user)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// `arn:aws:iam::{account}:root`.
pub fn root_arn(account: &AccountId) -> String {
    format!("arn:aws:iam::{account}:root")
}

/// An IAM user and its inline policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    pub account: AccountId,
    /// As created; unique in the account case-insensitively.
    pub name: String,
    /// `/` or `/a/b/`.
    pub path: String,
    /// `AIDA` + 17 characters.
    pub user_id: String,
    pub created_ms: i64,
    /// Inline policies: name → document as submitted (validated when stored).
    #[serde(default)]
    pub policies: BTreeMap<String, String>,
    /// Ids of the user's access keys (at most [`MAX_ACCESS_KEYS`]).
    #[serde(default)]
    pub access_keys: Vec<String>,
}

impl UserRecord {
    /// `arn:aws:iam::{account}:user{path}{name}`.
    pub fn arn(&self) -> String {
        user_arn(&self.account, &self.path, &self.name)
    }

    /// The KV key of this user.
    pub fn kv_key(&self) -> String {
        user_kv_key(&self.account, &self.name)
    }
}

pub fn user_arn(account: &AccountId, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:user{path}{name}")
}

/// `{account}.{name}`, the name lower-cased (names are unique case-insensitively) and its
/// characters outside the KV key alphabet written `=XX` (`+ , @ = .`), so every valid user name
/// has one key and no two share it.
pub fn user_kv_key(account: &AccountId, name: &str) -> String {
    let mut key = format!("{account}.");
    for c in name.chars() {
        match c {
            'A'..='Z' => key.push(c.to_ascii_lowercase()),
            'a'..='z' | '0'..='9' | '_' | '-' => key.push(c),
            other => {
                let mut buf = [0u8; 4];
                for b in other.encode_utf8(&mut buf).bytes() {
                    key.push_str(&format!("={b:02X}"));
                }
            }
        }
    }
    key
}

/// A user name as IAM accepts it: 1–`max` characters of `[\w+=,.@-]` (ASCII word characters).
pub fn valid_user_name(name: &str, max: usize) -> bool {
    (1..=max).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

/// A path as IAM accepts it: `/`, or `/…/` of 1–512 characters U+0021–U+007E.
pub fn valid_path(path: &str) -> bool {
    (1..=512).contains(&path.len())
        && path.starts_with('/')
        && path.ends_with('/')
        && path.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c))
}

/// A new unique id: `prefix` + 17 characters of `A–Z2–7` (`AIDA` users, `AKIA` keys take 16).
pub fn new_id(prefix: &str, len: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut rng = rand::rng();
    let mut id = prefix.to_owned();
    for _ in 0..len {
        id.push(ALPHABET[rng.random_range(0..ALPHABET.len())] as char);
    }
    id
}

/// A new 40-character secret of `[A-Za-z0-9+/]`.
pub fn new_secret() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rng = rand::rng();
    (0..40)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn acct() -> AccountId {
        AccountId::parse("000000000000").unwrap()
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let k = AccessKeyRecord::root(acct(), "AK".into(), "s3cr3t".into());
        let shown = format!("{k:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert_eq!(k.principal_arn, "arn:aws:iam::000000000000:root");
        assert_eq!(k.owner_name(), "000000000000");
    }

    #[test]
    fn user_keys_fold_case_and_escape_what_kv_refuses() {
        assert_eq!(user_kv_key(&acct(), "Alice"), "000000000000.alice");
        assert_eq!(user_kv_key(&acct(), "ALICE"), user_kv_key(&acct(), "alice"));
        assert_eq!(
            user_kv_key(&acct(), "a.b+c,d@e=f_g-h"),
            "000000000000.a=2Eb=2Bc=2Cd=40e=3Df_g-h"
        );
        // `=` is escaped too, so an escape can never be forged by a name
        assert_ne!(user_kv_key(&acct(), "a=2E"), user_kv_key(&acct(), "a."));
    }

    #[test]
    fn names_and_paths_follow_iam_rules() {
        assert!(valid_user_name("bob+ops@example.com", 64));
        assert!(!valid_user_name("bad name!", 64));
        assert!(!valid_user_name("", 64));
        assert!(!valid_user_name(&"a".repeat(65), 64));
        assert!(valid_path("/"));
        assert!(valid_path("/eng/team-a/"));
        assert!(!valid_path("/eng"));
        assert!(!valid_path("eng/"));
        assert!(!valid_path("/a b/"));
    }

    #[test]
    fn user_arns_carry_the_path() {
        let u = UserRecord {
            account: acct(),
            name: "alice".into(),
            path: "/eng/".into(),
            user_id: new_id("AIDA", 17),
            created_ms: 0,
            policies: BTreeMap::new(),
            access_keys: Vec::new(),
        };
        assert_eq!(u.arn(), "arn:aws:iam::000000000000:user/eng/alice");
        assert_eq!(u.user_id.len(), 21);
        assert!(u.user_id.starts_with("AIDA"));
        assert_eq!(new_secret().len(), 40);
    }
}
