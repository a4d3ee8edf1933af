//! Secret access keys at rest: sealed with AES-256-GCM under the deployment's master key before
//! the policy-store writes them to KV, opened by the authorizer in memory. A KV dump shows only
//! `sealed:v1:` envelopes; the access key id is the additional authenticated data, so a sealed
//! secret moved onto another key record does not open.
//!
//! The master key: `MRAP_MASTER_KEY` (64 hex digits) or `MRAP_MASTER_KEY_FILE` (a file holding
//! them). There is no default: the policy-store and the authorizer refuse to start without one
//! (`deploy/local/up` generates one in its data directory).

use base64::{Engine, engine::general_purpose::STANDARD};
use mrap_model::AccessKeyRecord;
use ring::{
    aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey},
    rand::{SecureRandom, SystemRandom},
};

const PREFIX: &str = "sealed:v1:";

/// The key that seals secrets. `Debug` never shows it.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error(
        "no master key: set MRAP_MASTER_KEY (64 hex digits) or MRAP_MASTER_KEY_FILE; `openssl rand -hex 32` makes one"
    )]
    Missing,
    #[error("{0}: the master key must be 64 hex digits (32 bytes)")]
    Malformed(&'static str),
    #[error("MRAP_MASTER_KEY_FILE {path}: {error}")]
    File { path: String, error: String },
    #[error("the secret of access key {0} is not sealed with this deployment's master key")]
    Unopenable(String),
}

impl MasterKey {
    pub fn from_hex(text: &str, source: &'static str) -> Result<Self, SecretError> {
        let bytes = hex::decode(text.trim()).map_err(|_| SecretError::Malformed(source))?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| SecretError::Malformed(source))?;
        Ok(MasterKey(key))
    }

    /// From `MRAP_MASTER_KEY` or `MRAP_MASTER_KEY_FILE`.
    pub fn from_env() -> Result<Self, SecretError> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        match (var("MRAP_MASTER_KEY"), var("MRAP_MASTER_KEY_FILE")) {
            (Some(hex), _) => Self::from_hex(&hex, "MRAP_MASTER_KEY"),
            (None, Some(path)) => {
                let text = std::fs::read_to_string(&path).map_err(|e| SecretError::File {
                    path: path.clone(),
                    error: e.to_string(),
                })?;
                Self::from_hex(&text, "MRAP_MASTER_KEY_FILE")
            }
            (None, None) => Err(SecretError::Missing),
        }
    }

    /// A fresh random key (tests, and the local stack's first start).
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        // SystemRandom fails only without an OS random source, where nothing here could run.
        SystemRandom::new()
            .fill(&mut key)
            .expect("the OS random source works");
        MasterKey(key)
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    fn aead(&self) -> LessSafeKey {
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &self.0).expect("32-byte AES-256 key"))
    }

    /// The record as stored: its secret replaced by a sealed envelope.
    pub fn seal(&self, record: &AccessKeyRecord) -> AccessKeyRecord {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .expect("the OS random source works");
        let mut data = record.secret.as_bytes().to_vec();
        self.aead()
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(record.access_key.as_bytes()),
                &mut data,
            )
            .expect("AES-GCM seals any secret of sane length");
        let mut envelope = nonce.to_vec();
        envelope.extend_from_slice(&data);
        AccessKeyRecord {
            secret: format!("{PREFIX}{}", STANDARD.encode(envelope)),
            ..record.clone()
        }
    }

    /// The record with its secret in the clear; a secret that is not a sealed envelope of this
    /// key (a plain one included) is refused, so a record written around the store never works.
    pub fn open(&self, mut record: AccessKeyRecord) -> Result<AccessKeyRecord, SecretError> {
        let unopenable = || SecretError::Unopenable(record.access_key.clone());
        let envelope = record
            .secret
            .strip_prefix(PREFIX)
            .and_then(|b64| STANDARD.decode(b64).ok())
            .filter(|e| e.len() > NONCE_LEN)
            .ok_or_else(unopenable)?;
        let (nonce, sealed) = envelope.split_at(NONCE_LEN);
        let mut sealed = sealed.to_vec();
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| unopenable())?;
        let plain = self
            .aead()
            .open_in_place(nonce, Aad::from(record.access_key.as_bytes()), &mut sealed)
            .map_err(|_| unopenable())?;
        record.secret = String::from_utf8(plain.to_vec()).map_err(|_| unopenable())?;
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use mrap_model::AccountId;

    use super::*;

    fn record(key: &str) -> AccessKeyRecord {
        AccessKeyRecord::root(
            AccountId::parse("111122223333").unwrap(),
            key.into(),
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        )
    }

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_record() {
        let master = MasterKey::generate();
        let sealed = master.seal(&record("AKIA1"));
        assert!(sealed.secret.starts_with("sealed:v1:"), "{}", sealed.secret);
        assert!(!sealed.secret.contains("EXAMPLEKEY"));
        assert_eq!(master.open(sealed.clone()).unwrap(), record("AKIA1"));
        // another master key
        assert_eq!(
            MasterKey::generate().open(sealed.clone()),
            Err(SecretError::Unopenable("AKIA1".into()))
        );
        // the envelope moved onto another key id
        let moved = AccessKeyRecord {
            access_key: "AKIA2".into(),
            ..sealed
        };
        assert!(master.open(moved).is_err());
        // a plain secret written around the store
        assert!(master.open(record("AKIA3")).is_err());
    }

    #[test]
    fn master_keys_are_64_hex_digits_and_never_shown() {
        let k = MasterKey::generate();
        let again = MasterKey::from_hex(&k.to_hex(), "test").unwrap();
        assert_eq!(again.0, k.0);
        assert_eq!(
            MasterKey::from_hex("abcd", "MRAP_MASTER_KEY").unwrap_err(),
            SecretError::Malformed("MRAP_MASTER_KEY")
        );
        assert!(!format!("{k:?}").contains(&k.to_hex()));
    }
}
