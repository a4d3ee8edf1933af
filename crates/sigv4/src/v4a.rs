//! SigV4A (AWS4-ECDSA-P256-SHA256): P-256 key derivation from the access key pair
//! and verification of the client's DER-encoded ECDSA signature.
//!
//! ECDSA signatures are randomised, so they are checked, not recomputed.

use p256::ecdsa::VerifyingKey;

use crate::verify::hmac;

/// Order of the P-256 group minus two, big-endian: derived scalars must be <= n-2
/// so that `k0 + 1` lies in [1, n-1].
const N_MINUS_TWO: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x4f,
];

const LABEL: &[u8] = b"AWS4-ECDSA-P256-SHA256";

/// The 32-byte private scalar SigV4A derives from the key pair: NIST SP 800-108
/// counter-mode KDF with HMAC-SHA256 keyed by `"AWS4A" + secret`, context
/// `access_key || counter`, retried with the next counter while the output > n-2.
fn private_scalar(access_key: &str, secret: &str) -> Option<[u8; 32]> {
    let input_key = format!("AWS4A{secret}");
    for counter in 1u8..=254 {
        let mut fixed = Vec::with_capacity(4 + LABEL.len() + 1 + access_key.len() + 1 + 4);
        fixed.extend_from_slice(&1u32.to_be_bytes()); // KDF iteration i = 1
        fixed.extend_from_slice(LABEL);
        fixed.push(0);
        fixed.extend_from_slice(access_key.as_bytes());
        fixed.push(counter);
        fixed.extend_from_slice(&256u32.to_be_bytes()); // output length in bits
        let mut k = hmac(input_key.as_bytes(), &fixed);
        // Equal-length big-endian arrays compare numerically.
        if k > N_MINUS_TWO {
            continue;
        }
        // k + 1 cannot carry out of the top byte because k <= n-2.
        for byte in k.iter_mut().rev() {
            let (v, carry) = byte.overflowing_add(1);
            *byte = v;
            if !carry {
                break;
            }
        }
        return Some(k);
    }
    None
}

/// The public key a SigV4A client with this key pair signs for.
pub(crate) fn verifying_key(access_key: &str, secret: &str) -> Option<VerifyingKey> {
    let scalar = private_scalar(access_key, secret)?;
    let secret_key = p256::SecretKey::from_slice(&scalar).ok()?;
    Some(VerifyingKey::from(secret_key.public_key()))
}

/// A public key as the verifier takes it: the uncompressed SEC1 point (`04 || x || y`).
#[derive(Clone, Copy)]
pub(crate) struct PublicKey([u8; 65]);

impl PublicKey {
    pub(crate) fn from_bytes(sec1: [u8; 65]) -> Self {
        PublicKey(sec1)
    }

    pub(crate) fn to_bytes(self) -> [u8; 65] {
        self.0
    }

    fn of(key: &VerifyingKey) -> Option<Self> {
        key.to_sec1_point(false)
            .as_bytes()
            .try_into()
            .ok()
            .map(PublicKey)
    }
}

/// The key pair's public key, ready for [`check`].
pub(crate) fn public_key(access_key: &str, secret: &str) -> Option<PublicKey> {
    PublicKey::of(&verifying_key(access_key, secret)?)
}

/// Checks a DER signature over `string_to_sign` (SHA-256 is applied inside). ring's P-256 is
/// assembly: a verification costs a fraction of p256's, which matters because every request
/// through an MRAP carries one.
pub(crate) fn check(key: &PublicKey, string_to_sign: &str, der_signature: &[u8]) -> bool {
    use ring::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &key.0[..])
        .verify(string_to_sign.as_bytes(), der_signature)
        .is_ok()
}

/// Uncompressed SEC1 coordinates (x, y) as lowercase hex, for tests against the
/// test suite's public-key.json.
#[cfg(test)]
pub(crate) fn public_xy_hex(key: &VerifyingKey) -> (String, String) {
    let point = key.to_sec1_point(false);
    let bytes = point.as_bytes();
    (
        hex::encode(bytes.get(1..33).unwrap_or_default()),
        hex::encode(bytes.get(33..65).unwrap_or_default()),
    )
}

/// Derived SigV4A public keys by access key and secret: verifying a SigV4A request then costs
/// one ECDSA verification, not a key derivation (an HMAC loop and a scalar multiplication) too.
/// The secret's SHA-256 is part of the key, so a changed secret never meets a stale entry; the
/// map is cleared when it reaches [`V4aKeys::CAPACITY`] entries, which bounds its memory.
#[derive(Default)]
pub struct V4aKeys(std::sync::Mutex<std::collections::HashMap<(String, [u8; 32]), PublicKey>>);

impl V4aKeys {
    pub const CAPACITY: usize = 10_000;

    pub(crate) fn get(&self, access_key: &str, secret: &str) -> Option<PublicKey> {
        use sha2::{Digest, Sha256};
        let id = (
            access_key.to_owned(),
            Sha256::digest(secret.as_bytes()).into(),
        );
        if let Ok(map) = self.0.lock()
            && let Some(key) = map.get(&id)
        {
            return Some(*key);
        }
        let key = public_key(access_key, secret)?;
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= Self::CAPACITY {
                map.clear();
            }
            map.insert(id, key);
        }
        Some(key)
    }
}

/// Signs `string_to_sign` with the key pair's SigV4A key (RFC 6979 deterministic nonces): the
/// client side, for the load harness and tests. DER, lowercase hex.
pub(crate) fn sign(access_key: &str, secret: &str, string_to_sign: &str) -> Option<String> {
    use p256::ecdsa::signature::Signer;
    let scalar = private_scalar(access_key, secret)?;
    let key = p256::ecdsa::SigningKey::from_slice(&scalar).ok()?;
    let sig: p256::ecdsa::Signature = key.sign(string_to_sign.as_bytes());
    Some(hex::encode(sig.to_der().as_bytes()))
}
