//! Client-side signing (header form), used by our load harness.

use crate::clock::format_amz_date;
use crate::verify::{hmac, signing_key, string_to_sign};
use crate::{Algorithm, Auth, Options, Request, canonical};

pub(crate) struct SignInput<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a [(String, String)],
    pub payload_hash: &'a str,
    pub access_key: &'a str,
    pub secret: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    pub now_unix: i64,
    pub opts: Options,
    /// For SigV4A, `region` is the Region set (`X-Amz-Region-Set`).
    pub algorithm: Algorithm,
}

/// Headers that are never signed: the signature itself, the date we replace, and
/// headers that proxies or HTTP stacks commonly add or rewrite in transit.
const UNSIGNED: &[&str] = &[
    "authorization",
    "x-amz-date",
    "user-agent",
    "expect",
    "transfer-encoding",
    "connection",
    "x-amzn-trace-id",
];

pub(crate) fn sign(input: SignInput) -> Vec<(String, String)> {
    let amz_date = format_amz_date(input.now_unix);
    let mut added = vec![("x-amz-date".to_owned(), amz_date.clone())];
    let v4a = input.algorithm == Algorithm::EcdsaP256Sha256;
    if v4a {
        added.push(("x-amz-region-set".to_owned(), input.region.to_owned()));
    }
    let has_content_sha = input
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("x-amz-content-sha256"));
    // S3 (and S3 Control, which signs as "s3") rejects requests without it; other
    // services do not expect it (and the generic test vectors do not sign it).
    if input.service == "s3" && !has_content_sha {
        added.push((
            "x-amz-content-sha256".to_owned(),
            input.payload_hash.to_owned(),
        ));
    }

    let mut all: Vec<(String, String)> = input
        .headers
        .iter()
        .filter(|(n, _)| !UNSIGNED.iter().any(|u| n.eq_ignore_ascii_case(u)))
        .cloned()
        .chain(added.iter().cloned())
        .collect();
    for (name, _) in &mut all {
        name.make_ascii_lowercase();
    }
    let mut signed_headers: Vec<String> = all.iter().map(|(n, _)| n.clone()).collect();
    signed_headers.sort_unstable();
    signed_headers.dedup();

    let auth = Auth {
        algorithm: input.algorithm,
        access_key: input.access_key.to_owned(),
        date: amz_date.get(..8).unwrap_or_default().to_owned(),
        region: (!v4a).then(|| input.region.to_owned()),
        service: input.service.to_owned(),
        signed_headers,
        signature: String::new(),
        amz_date,
        presigned: None,
    };
    let req = Request {
        method: input.method,
        path: input.path,
        query: input.query,
        headers: &all,
    };
    // Cannot fail: every signed header name was taken from `all`.
    let cr = canonical::for_auth(&req, &auth, input.payload_hash, input.opts).unwrap_or_default();
    let sts = string_to_sign(&auth, &cr);
    let signature = if v4a {
        // Only a secret whose derivation never succeeds (probability ~2^-254 per counter, 254
        // counters) has no key: such a request goes unsigned and is refused by the server.
        crate::v4a::sign(input.access_key, input.secret, &sts).unwrap_or_default()
    } else {
        let key = signing_key(input.secret, &auth.date, input.region, input.service);
        hex::encode(hmac(&key, sts.as_bytes()))
    };
    added.push((
        "authorization".to_owned(),
        format!(
            "{} Credential={}/{}, SignedHeaders={}, Signature={}",
            auth.algorithm.name(),
            input.access_key,
            crate::verify::scope(&auth),
            auth.signed_headers.join(";"),
            signature
        ),
    ));
    added
}
