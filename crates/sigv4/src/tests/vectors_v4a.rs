//! Runs every case of the AWS signing test suite's SigV4A (v4a) directory: derived
//! public key, canonical request, string to sign, and ECDSA verification of both the
//! signature embedded in the signed request and the one in *-signature.txt (ECDSA is
//! randomised, so they differ and both must verify).

use std::path::Path;

use super::http_text::parse as parse_http;
use super::vectors::{case_dirs, context, payload_hash, read, signed_request};
use crate::{Algorithm, Error, canonical_request, parse, string_to_sign, v4a, verify};

/// Replaces the last hex digit, which changes the DER integer `s` without breaking
/// the encoding, so the ECDSA check itself (not the DER parser) must reject it.
fn flip_last_char(sig: &str) -> String {
    let mut out = sig
        .get(..sig.len().saturating_sub(1))
        .unwrap_or_default()
        .to_owned();
    out.push(if sig.ends_with('0') { '1' } else { '0' });
    out
}

fn check_public_key(dir: &Path, access_key: &str, secret: &str) {
    let expected: serde_json::Value =
        serde_json::from_str(&read(dir, "public-key.json")).expect("public-key.json is JSON");
    let key = v4a::verifying_key(access_key, secret).expect("key derivation");
    let (x, y) = v4a::public_xy_hex(&key);
    assert_eq!(
        Some(x.as_str()),
        expected["X"].as_str(),
        "{}: X",
        dir.display()
    );
    assert_eq!(
        Some(y.as_str()),
        expected["Y"].as_str(),
        "{}: Y",
        dir.display()
    );
}

fn check_form(dir: &Path, form: &str, body_hash: &str) {
    let ctx = context(dir);
    let (name, raw, opts) = signed_request(dir, &ctx, form);
    let req = raw.as_request();

    let auth = parse(&req).unwrap_or_else(|e| panic!("{name}/{form}: parse: {e}"));
    assert_eq!(auth.algorithm, Algorithm::EcdsaP256Sha256, "{name}/{form}");
    assert_eq!(auth.region, None, "{name}/{form}");
    assert_eq!(auth.service, ctx.service, "{name}/{form}");
    let cr = canonical_request(&req, &auth, body_hash, opts).expect("canonical request");
    assert_eq!(
        cr,
        read(dir, &format!("{form}-canonical-request.txt")),
        "{name}/{form}"
    );
    let sts = string_to_sign(&auth, &cr);
    assert_eq!(
        sts,
        read(dir, &format!("{form}-string-to-sign.txt")),
        "{name}/{form}"
    );

    let ok = verify(&req, &auth, body_hash, &ctx.secret, ctx.now, &[opts]);
    assert!(ok.is_ok(), "{name}/{form}: embedded signature: {ok:?}");
    let mut other = auth.clone();
    other.signature = read(dir, &format!("{form}-signature.txt"))
        .trim()
        .to_owned();
    let ok = verify(&req, &other, body_hash, &ctx.secret, ctx.now, &[opts]);
    assert!(ok.is_ok(), "{name}/{form}: {form}-signature.txt: {ok:?}");

    let mut bad = auth.clone();
    bad.signature = flip_last_char(&auth.signature);
    match verify(&req, &bad, body_hash, &ctx.secret, ctx.now, &[opts]) {
        Err(Error::SignatureMismatch {
            string_to_sign,
            canonical_request,
        }) => {
            assert_eq!(
                (string_to_sign, canonical_request),
                (sts.clone(), cr.clone()),
                "{name}/{form}"
            );
        }
        other => panic!("{name}/{form}: flipped signature: {other:?}"),
    }
    let mut not_der = auth.clone();
    not_der.signature = format!("00{}", auth.signature.get(2..).unwrap_or_default());
    assert!(
        matches!(
            verify(&req, &not_der, body_hash, &ctx.secret, ctx.now, &[opts]),
            Err(Error::SignatureMismatch { .. })
        ),
        "{name}/{form}: broken DER"
    );
    assert!(
        matches!(
            verify(&req, &auth, body_hash, "wrong", ctx.now, &[opts]),
            Err(Error::SignatureMismatch { .. })
        ),
        "{name}/{form}: wrong secret"
    );
    let at = |secs: i64| verify(&req, &auth, body_hash, &ctx.secret, ctx.now + secs, &[opts]);
    if form == "header" {
        assert!(
            matches!(at(16 * 60), Err(Error::TimeSkewed)),
            "{name}: +16 min"
        );
    } else {
        assert!(
            matches!(at(ctx.expires + 1), Err(Error::Expired)),
            "{name}: expired"
        );
    }
}

#[test]
fn every_v4a_vector_case() {
    let dirs = case_dirs("v4a");
    let (mut complete, mut request_only) = (0, 0);
    for dir in &dirs {
        if !dir.join("header-canonical-request.txt").is_file() {
            // A few upstream cases ship only context.json + request.txt.
            assert!(
                dir.join("request.txt").is_file(),
                "{}: no request.txt",
                dir.display()
            );
            request_only += 1;
            continue;
        }
        let ctx = context(dir);
        check_public_key(dir, &ctx.access_key, &ctx.secret);
        let raw = parse_http(&read(dir, "request.txt")).expect("request.txt parses");
        let body_hash = payload_hash(&raw);
        check_form(dir, "header", &body_hash);
        check_form(dir, "query", &body_hash);
        complete += 1;
    }
    assert_eq!(complete + request_only, dirs.len());
    assert_eq!(
        (complete, request_only),
        (38, 2),
        "unexpected v4a suite layout"
    );
}
