//! mrap-sigv4: AWS Signature Version 4 (and SigV4A verification) — server-side
//! verification and client-side signing, with the S3 / S3 Control canonicalisation switches,
//! and the decoding of `aws-chunked` bodies with their chunk signatures ([`chunked`]).
//!
//! Pure functions only: no I/O, no clock (callers pass `now_unix`), no logging.
//! Secrets and signatures never appear in `Display` output.

mod canonical;
pub mod chunked;
mod clock;
mod encode;
mod parse;
mod sign;
mod v4a;
mod verify;

pub use v4a::V4aKeys;

#[cfg(test)]
mod tests;

/// A received HTTP request, as raw as possible.
pub struct Request<'a> {
    pub method: &'a str,
    /// Path exactly as on the wire (still percent-encoded), without the query.
    pub path: &'a str,
    /// Raw query string without the leading '?', "" if none.
    pub query: &'a str,
    /// Headers in received order, names in any case, values raw.
    pub headers: &'a [(String, String)],
}

/// The signing algorithm named by the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `AWS4-HMAC-SHA256`
    HmacSha256,
    /// `AWS4-ECDSA-P256-SHA256` (SigV4A)
    EcdsaP256Sha256,
}

impl Algorithm {
    /// The name used in the Authorization header and the string to sign.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::HmacSha256 => "AWS4-HMAC-SHA256",
            Algorithm::EcdsaP256Sha256 => "AWS4-ECDSA-P256-SHA256",
        }
    }
}

/// What the client claims: parsed from the Authorization header, or from X-Amz-* query params (presigned).
#[derive(Debug, Clone)]
pub struct Auth {
    pub algorithm: Algorithm,
    pub access_key: String,
    /// YYYYMMDD from the credential scope.
    pub date: String,
    /// None for SigV4A (scope is `<date>/<service>/aws4_request`).
    pub region: Option<String>,
    pub service: String,
    /// Lowercase, as listed by the client.
    pub signed_headers: Vec<String>,
    /// Lowercase hex.
    pub signature: String,
    /// The x-amz-date header (or Date header fallback) / X-Amz-Date param, e.g. 20150830T123600Z.
    pub amz_date: String,
    /// Some for query-string auth.
    pub presigned: Option<Presigned>,
}

impl Auth {
    /// When the request was signed (`amz_date`), in Unix seconds; `None` if it does not parse.
    pub fn signed_at(&self) -> Option<i64> {
        clock::parse_amz_date(&self.amz_date)
    }
}

/// Query-string (presigned URL) specifics.
#[derive(Debug, Clone)]
pub struct Presigned {
    pub expires_secs: u64,
}

/// Canonicalisation switches. S3 (and S3 Control) use neither double encoding nor path normalisation;
/// the generic AWS default (and most test vectors) use both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// URI-encode the wire path (already encoded) once more.
    pub double_encode: bool,
    /// Remove `.`/`..` and empty segments before encoding.
    pub normalize_path: bool,
}

impl Options {
    pub const S3: Options = Options {
        double_encode: false,
        normalize_path: false,
    };
    pub const DEFAULT: Options = Options {
        double_encode: true,
        normalize_path: true,
    };

    /// The canonicalisations a request signed for `service` is accepted with: S3 its own way,
    /// S3 Control (`s3_control`) also double-encoded (aws-sdk-rust signs that way with a custom
    /// endpoint resolver), any other service the generic way or S3's.
    pub fn accepted(service: &str, s3_control: bool) -> &'static [Options] {
        const S3_CONTROL: [Options; 2] = [
            Options::S3,
            Options {
                double_encode: true,
                normalize_path: false,
            },
        ];
        match (service, s3_control) {
            ("s3", true) => &S3_CONTROL,
            ("s3", false) => &[Options::S3],
            _ => &[Options::DEFAULT, Options::S3],
        }
    }
}

/// Why a request's authentication was rejected.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No Authorization header and no X-Amz-Algorithm parameter: an anonymous request.
    #[error("request is not signed")]
    Missing,
    /// → AuthorizationHeaderMalformed / InvalidArgument
    #[error("malformed authorization: {0}")]
    Malformed(String),
    #[error("unsupported signing algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// → RequestTimeTooSkewed
    #[error("request time too skewed")]
    TimeSkewed,
    /// → AccessDenied
    #[error("request has expired")]
    Expired,
    /// → SignatureDoesNotMatch; the fields are what AWS echoes back (no secrets).
    #[error("signature does not match")]
    SignatureMismatch {
        string_to_sign: String,
        canonical_request: String,
    },
}

/// Extracts the client's claims. `Error::Missing` when there is no auth at all (anonymous request).
pub fn parse(req: &Request) -> Result<Auth, Error> {
    parse::parse(req)
}

/// The canonical request for `auth`'s signed headers. Fails (Malformed) if a signed
/// header is absent from the request.
pub fn canonical_request(
    req: &Request,
    auth: &Auth,
    payload_hash: &str,
    opts: Options,
) -> Result<String, Error> {
    canonical::for_auth(req, auth, payload_hash, opts)
}

/// `<algorithm>\n<amz_date>\n<scope>\n<hex sha256(canonical_request)>`.
pub fn string_to_sign(auth: &Auth, canonical_request: &str) -> String {
    verify::string_to_sign(auth, canonical_request)
}

/// The SigV4 HMAC key chain: `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request")`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    verify::signing_key(secret, date, region, service)
}

/// Verifies `auth` against `secret`, trying each canonicalisation in `accepted` in
/// order (an empty slice means `[Options::S3]`).
///
/// Checks, in order: `host` is among the signed headers (else Malformed); the clock —
/// header form: |now - amz_date| > 15 min → TimeSkewed; presigned: expires of 0 or
/// above 604800 → Malformed, amz_date more than 15 min in the future → TimeSkewed,
/// now > amz_date + expires → Expired; then the signature (→ SignatureMismatch, carrying
/// the string to sign and canonical request of the first option tried).
///
/// Other present-but-unsigned `x-amz-*` headers are tolerated (lenient on purpose).
///
/// Both algorithms are handled: `AWS4-HMAC-SHA256` is recomputed and compared in
/// constant time; for SigV4A (`AWS4-ECDSA-P256-SHA256`) the P-256 key is derived from
/// `auth.access_key` + `secret` on every call (one scalar multiplication) and the
/// client's DER signature is checked. An undecodable DER signature is a mismatch.
pub fn verify(
    req: &Request,
    auth: &Auth,
    payload_hash: &str,
    secret: &str,
    now_unix: i64,
    accepted: &[Options],
) -> Result<(), Error> {
    verify::verify(
        req,
        auth,
        payload_hash,
        verify::Key::Secret(secret, None),
        now_unix,
        accepted,
    )
    .map(|_| ())
}

/// [`verify`], with SigV4A keys taken from (and added to) `v4a_keys` instead of derived on
/// every call: what a server verifying many SigV4A requests should use. Returns the key that
/// verified the signature (for a verifier that may check this key's later requests without the
/// secret: [`verify_with`]).
pub fn verify_cached(
    req: &Request,
    auth: &Auth,
    payload_hash: &str,
    secret: &str,
    now_unix: i64,
    accepted: &[Options],
    v4a_keys: &V4aKeys,
) -> Result<VerifierKey, Error> {
    verify::verify(
        req,
        auth,
        payload_hash,
        verify::Key::Secret(secret, Some(v4a_keys)),
        now_unix,
        accepted,
    )
}

/// What verifies a request's signature without the secret, derived by whoever holds it: for
/// `AWS4-HMAC-SHA256` the signing key of the request's credential scope (one date, Region and
/// service), for SigV4A the key pair's public key. Neither reveals the secret.
#[derive(Clone, PartialEq, Eq)]
pub enum VerifierKey {
    /// [`signing_key`] of the scope.
    SigV4Scope([u8; 32]),
    /// The uncompressed SEC1 point (`04 || x || y`).
    SigV4aPublic([u8; 65]),
}

// A scope key verifies (and forges) that scope's signatures: never shown.
impl std::fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            VerifierKey::SigV4Scope(_) => "SigV4Scope(<redacted>)",
            VerifierKey::SigV4aPublic(_) => "SigV4aPublic(..)",
        })
    }
}

impl VerifierKey {
    /// The key that verifies `auth`'s signatures, from the access key's `secret` (SigV4A public
    /// keys through `v4a_keys`); `None` for a scope without a Region or a key that cannot be
    /// derived.
    pub fn for_auth(auth: &Auth, secret: &str, v4a_keys: &V4aKeys) -> Option<VerifierKey> {
        verify::derive(auth, secret, Some(v4a_keys)).ok()
    }

    /// Which algorithm's signatures it verifies.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            VerifierKey::SigV4Scope(_) => Algorithm::HmacSha256,
            VerifierKey::SigV4aPublic(_) => Algorithm::EcdsaP256Sha256,
        }
    }

    /// The key's bytes (32 for a scope key, 65 for a public key) and back.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            VerifierKey::SigV4Scope(k) => k,
            VerifierKey::SigV4aPublic(k) => k,
        }
    }

    pub fn from_bytes(algorithm: Algorithm, bytes: &[u8]) -> Option<VerifierKey> {
        match algorithm {
            Algorithm::HmacSha256 => bytes.try_into().ok().map(VerifierKey::SigV4Scope),
            Algorithm::EcdsaP256Sha256 => bytes.try_into().ok().map(VerifierKey::SigV4aPublic),
        }
    }
}

/// [`verify`] with a [`VerifierKey`] instead of the secret: what a verifier that was handed a
/// derived key, never the secret, can check. The caller makes sure the key is the one of
/// `auth`'s access key (and, for SigV4, scope); a key of the other algorithm is Malformed.
pub fn verify_with(
    req: &Request,
    auth: &Auth,
    payload_hash: &str,
    key: &VerifierKey,
    now_unix: i64,
    accepted: &[Options],
) -> Result<(), Error> {
    verify::verify(
        req,
        auth,
        payload_hash,
        verify::Key::Derived(key),
        now_unix,
        accepted,
    )
    .map(|_| ())
}

/// Client side (our load harness signs with it): returns the headers to add —
/// `x-amz-date`, `x-amz-content-sha256` (only for service `s3`, and only if `headers`
/// does not already carry it), and `authorization`.
///
/// `headers` must already contain `host`. Every header given is signed except
/// `authorization`, `x-amz-date` (replaced) and headers proxies commonly rewrite
/// (`user-agent`, `expect`, `transfer-encoding`, `connection`, `x-amzn-trace-id`).
#[allow(clippy::too_many_arguments)] // the signature is fixed by the workspace contract
pub fn sign(
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    payload_hash: &str,
    access_key: &str,
    secret: &str,
    region: &str,
    service: &str,
    now_unix: i64,
    opts: Options,
) -> Vec<(String, String)> {
    sign::sign(sign::SignInput {
        method,
        path,
        query,
        headers,
        payload_hash,
        access_key,
        secret,
        region,
        service,
        now_unix,
        opts,
        algorithm: Algorithm::HmacSha256,
    })
}

/// [`sign`] with SigV4A (`AWS4-ECDSA-P256-SHA256`), as SDKs sign requests through an MRAP:
/// the scope has no Region and `X-Amz-Region-Set: {region_set}` (e.g. `*`) is added and signed.
#[allow(clippy::too_many_arguments)] // the same request parts as `sign`
pub fn sign_v4a(
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    payload_hash: &str,
    access_key: &str,
    secret: &str,
    region_set: &str,
    service: &str,
    now_unix: i64,
    opts: Options,
) -> Vec<(String, String)> {
    sign::sign(sign::SignInput {
        method,
        path,
        query,
        headers,
        payload_hash,
        access_key,
        secret,
        region: region_set,
        service,
        now_unix,
        opts,
        algorithm: Algorithm::EcdsaP256Sha256,
    })
}
