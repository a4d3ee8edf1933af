//! Extraction of the client's claims (`Auth`) from the Authorization header or,
//! for presigned URLs, from the `X-Amz-*` query parameters.

use crate::clock::{http_date_to_amz, parse_amz_date};
use crate::encode::decode;
use crate::{Algorithm, Auth, Error, Presigned, Request};

const HMAC_NAME: &str = "AWS4-HMAC-SHA256";
const ECDSA_NAME: &str = "AWS4-ECDSA-P256-SHA256";

fn malformed(msg: &str) -> Error {
    Error::Malformed(msg.to_owned())
}

pub(crate) fn header<'r>(req: &'r Request, name: &str) -> Option<&'r str> {
    req.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn query_param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .find(|(k, _)| decode(k) == name)
        .map(|(_, v)| decode(v))
}

pub(crate) fn parse(req: &Request) -> Result<Auth, Error> {
    let mut authz = req
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.as_str());
    let first = authz.next();
    if authz.next().is_some() {
        return Err(malformed("more than one Authorization header"));
    }
    let query_alg = query_param(req.query, "X-Amz-Algorithm");
    match (first, query_alg) {
        (Some(_), Some(_)) => Err(Error::Malformed(
            "only one auth mechanism allowed: Authorization header or X-Amz-Algorithm parameter"
                .to_owned(),
        )),
        (Some(value), None) => parse_header_auth(req, value),
        (None, Some(alg)) => parse_query_auth(req, &alg),
        (None, None) => Err(Error::Missing),
    }
}

fn algorithm(name: &str) -> Result<Algorithm, Error> {
    match name {
        HMAC_NAME => Ok(Algorithm::HmacSha256),
        ECDSA_NAME => Ok(Algorithm::EcdsaP256Sha256),
        // SigV2 ("AWS AK:sig") and other AWS4 variants are recognisable but not ours.
        "AWS" => Err(Error::UnsupportedAlgorithm(name.to_owned())),
        n if n.starts_with("AWS4-") && n.len() <= 64 => {
            Err(Error::UnsupportedAlgorithm(n.to_owned()))
        }
        _ => Err(malformed("unknown authorization scheme")),
    }
}

fn parse_header_auth(req: &Request, value: &str) -> Result<Auth, Error> {
    let value = value.trim();
    let (alg, rest) = value.split_once(' ').unwrap_or((value, ""));
    let algorithm = algorithm(alg)?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| malformed("authorization component without '='"))?;
        let slot = match k.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed,
            "Signature" => &mut signature,
            // Unknown components are ignored, as AWS does.
            _ => continue,
        };
        if slot.replace(v.trim()).is_some() {
            return Err(malformed("duplicate authorization component"));
        }
    }
    let credential = credential.ok_or_else(|| malformed("missing Credential"))?;
    let signed = signed.ok_or_else(|| malformed("missing SignedHeaders"))?;
    let signature = signature.ok_or_else(|| malformed("missing Signature"))?;

    let amz_date = match header(req, "x-amz-date") {
        Some(d) => d.trim().to_owned(),
        None => header(req, "date")
            .ok_or_else(|| malformed("missing X-Amz-Date or Date header"))
            .and_then(|d| http_date_to_amz(d).ok_or_else(|| malformed("invalid Date header")))?,
    };
    build_auth(algorithm, credential, signed, signature, amz_date, None)
}

fn parse_query_auth(req: &Request, alg: &str) -> Result<Auth, Error> {
    let algorithm = algorithm(alg)?;
    let get = |name: &str| {
        query_param(req.query, name).ok_or_else(|| Error::Malformed(format!("missing {name}")))
    };
    let credential = get("X-Amz-Credential")?;
    let signed = get("X-Amz-SignedHeaders")?;
    let signature = get("X-Amz-Signature")?;
    let amz_date = get("X-Amz-Date")?;
    let expires = get("X-Amz-Expires")?;
    let expires_secs = expires
        .parse::<u64>()
        .map_err(|_| malformed("X-Amz-Expires must be a non-negative integer"))?;
    build_auth(
        algorithm,
        &credential,
        &signed,
        &signature,
        amz_date,
        Some(Presigned { expires_secs }),
    )
}

fn build_auth(
    algorithm: Algorithm,
    credential: &str,
    signed: &str,
    signature: &str,
    amz_date: String,
    presigned: Option<Presigned>,
) -> Result<Auth, Error> {
    let parts: Vec<&str> = credential.split('/').collect();
    let (access_key, date, region, service) = match (algorithm, parts.as_slice()) {
        (Algorithm::HmacSha256, [ak, date, region, service, "aws4_request"]) => {
            (*ak, *date, Some(*region), *service)
        }
        (Algorithm::EcdsaP256Sha256, [ak, date, service, "aws4_request"]) => {
            (*ak, *date, None, *service)
        }
        _ => return Err(malformed("invalid Credential scope")),
    };
    if access_key.is_empty() || service.is_empty() || region.is_some_and(str::is_empty) {
        return Err(malformed("empty field in Credential"));
    }
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed("invalid date in Credential"));
    }
    if parse_amz_date(&amz_date).is_none() {
        return Err(malformed("invalid X-Amz-Date"));
    }
    if amz_date.get(..8) != Some(date) {
        return Err(malformed(
            "credential date does not match the request date (X-Amz-Date)",
        ));
    }
    let signed_headers: Vec<String> = signed.split(';').map(str::to_ascii_lowercase).collect();
    if signed_headers
        .iter()
        .any(|h| h.is_empty() || h.contains(char::is_whitespace))
    {
        return Err(malformed("invalid SignedHeaders"));
    }
    let valid_sig = match algorithm {
        Algorithm::HmacSha256 => signature.len() == 64,
        // Hex of a DER ECDSA P-256 signature: at most 72 bytes.
        Algorithm::EcdsaP256Sha256 => signature.len().is_multiple_of(2) && signature.len() <= 144,
    };
    if !valid_sig || signature.is_empty() || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(malformed("invalid Signature"));
    }
    Ok(Auth {
        algorithm,
        access_key: access_key.to_owned(),
        date: date.to_owned(),
        region: region.map(str::to_owned),
        service: service.to_owned(),
        signed_headers,
        signature: signature.to_ascii_lowercase(),
        amz_date,
        presigned,
    })
}
