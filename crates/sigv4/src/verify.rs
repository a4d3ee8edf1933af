//! String to sign, HMAC key chain, and the server-side checks.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::clock::parse_amz_date;
use crate::{Algorithm, Auth, Error, Options, Request, VerifierKey, canonical, v4a};

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// Accepted clock difference for header-signed requests (AWS: 15 minutes).
const MAX_SKEW_SECS: i64 = 15 * 60;
/// Longest validity of a presigned URL (AWS: 7 days).
const MAX_EXPIRES_SECS: u64 = 604_800;

pub(crate) fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return [0; 32],
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

pub(crate) fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_secret = format!("AWS4{secret}");
    let k_date = hmac(k_secret.as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

pub(crate) fn scope(auth: &Auth) -> String {
    match &auth.region {
        Some(region) => format!("{}/{}/{}/aws4_request", auth.date, region, auth.service),
        None => format!("{}/{}/aws4_request", auth.date, auth.service),
    }
}

pub(crate) fn string_to_sign(auth: &Auth, canonical_request: &str) -> String {
    format!(
        "{}\n{}\n{}\n{}",
        auth.algorithm.name(),
        auth.amz_date,
        scope(auth),
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    )
}

fn check_clock(auth: &Auth, now_unix: i64) -> Result<(), Error> {
    let signed_at = parse_amz_date(&auth.amz_date)
        .ok_or_else(|| Error::Malformed("invalid X-Amz-Date".to_owned()))?;
    match &auth.presigned {
        None => {
            if now_unix.abs_diff(signed_at) > MAX_SKEW_SECS.unsigned_abs() {
                return Err(Error::TimeSkewed);
            }
        }
        Some(p) => {
            if p.expires_secs == 0 || p.expires_secs > MAX_EXPIRES_SECS {
                return Err(Error::Malformed(
                    "X-Amz-Expires must be between 1 and 604800 seconds".to_owned(),
                ));
            }
            if signed_at.saturating_sub(now_unix) > MAX_SKEW_SECS {
                return Err(Error::TimeSkewed);
            }
            // expires_secs <= 604800, so the cast and the addition cannot overflow.
            let expires = i64::try_from(p.expires_secs).unwrap_or(0);
            if now_unix > signed_at.saturating_add(expires) {
                return Err(Error::Expired);
            }
        }
    }
    Ok(())
}

/// What a signature is checked with.
#[derive(Clone, Copy)]
pub(crate) enum Key<'a> {
    /// The access key's secret (and, for SigV4A, a cache of derived P-256 keys).
    Secret(&'a str, Option<&'a v4a::V4aKeys>),
    /// A key derived by whoever holds the secret (see [`VerifierKey`]).
    Derived(&'a VerifierKey),
}

/// The key that verifies `auth`'s signatures, derived from the access key's `secret` (SigV4A
/// public keys through `v4a_keys` when given).
pub(crate) fn derive(
    auth: &Auth,
    secret: &str,
    v4a_keys: Option<&v4a::V4aKeys>,
) -> Result<VerifierKey, Error> {
    match auth.algorithm {
        Algorithm::HmacSha256 => {
            let region = auth
                .region
                .as_deref()
                .ok_or_else(|| Error::Malformed("credential scope lacks a region".to_owned()))?;
            Ok(VerifierKey::SigV4Scope(signing_key(
                secret,
                &auth.date,
                region,
                &auth.service,
            )))
        }
        Algorithm::EcdsaP256Sha256 => {
            let key = match v4a_keys {
                Some(keys) => keys.get(&auth.access_key, secret),
                None => v4a::public_key(&auth.access_key, secret),
            };
            key.map(|k| VerifierKey::SigV4aPublic(k.to_bytes()))
                .ok_or_else(|| {
                    Error::Malformed("cannot derive a SigV4A key for this access key".to_owned())
                })
        }
    }
}

/// Checks `auth`'s signature; returns the key that verified it.
pub(crate) fn verify(
    req: &Request,
    auth: &Auth,
    payload_hash: &str,
    key: Key<'_>,
    now_unix: i64,
    accepted: &[Options],
) -> Result<VerifierKey, Error> {
    if !auth.signed_headers.iter().any(|h| h == "host") {
        return Err(Error::Malformed(
            "the host header must be signed".to_owned(),
        ));
    }
    check_clock(auth, now_unix)?;
    let accepted = if accepted.is_empty() {
        &[Options::S3][..]
    } else {
        accepted
    };
    let provided = hex::decode(&auth.signature)
        .map_err(|_| Error::Malformed("signature is not hex".to_owned()))?;

    let verifier = match key {
        Key::Secret(secret, v4a_keys) => derive(auth, secret, v4a_keys)?,
        Key::Derived(derived) => derived.clone(),
    };
    let checker: Box<dyn Fn(&str) -> bool> = match (auth.algorithm, &verifier) {
        (Algorithm::HmacSha256, VerifierKey::SigV4Scope(key)) => {
            let key = *key;
            Box::new(move |sts: &str| {
                HmacSha256::new_from_slice(&key)
                    .map(|mut mac| {
                        mac.update(sts.as_bytes());
                        // Constant-time comparison.
                        mac.verify_slice(&provided).is_ok()
                    })
                    .unwrap_or(false)
            })
        }
        (Algorithm::EcdsaP256Sha256, VerifierKey::SigV4aPublic(public)) => {
            let key = v4a::PublicKey::from_bytes(*public);
            Box::new(move |sts: &str| v4a::check(&key, sts, &provided))
        }
        (Algorithm::HmacSha256, VerifierKey::SigV4aPublic(_)) => {
            return Err(Error::Malformed(
                "an AWS4-HMAC-SHA256 signature needs the secret or the scope's signing key"
                    .to_owned(),
            ));
        }
        (Algorithm::EcdsaP256Sha256, VerifierKey::SigV4Scope(_)) => {
            return Err(Error::Malformed(
                "a SigV4A signature needs the secret or the key pair's public key".to_owned(),
            ));
        }
    };

    let mut first_failure = None;
    for &opts in accepted {
        let cr = canonical::for_auth(req, auth, payload_hash, opts)?;
        let sts = string_to_sign(auth, &cr);
        if checker(&sts) {
            return Ok(verifier);
        }
        first_failure.get_or_insert((sts, cr));
    }
    let (string_to_sign, canonical_request) = first_failure.unwrap_or_default();
    Err(Error::SignatureMismatch {
        string_to_sign,
        canonical_request,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_key_matches_aws_documentation_example() {
        // From the AWS "Deriving a signing key" example (iam service, 20120215).
        let key = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }
}
