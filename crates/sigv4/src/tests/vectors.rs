//! Runs every case of the AWS signing test suite (v4): canonical request, string to
//! sign, verification (and its failure modes) for header and presigned forms, and
//! `sign()` reproducing the expected signature.

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::http_text::{RawRequest, parse as parse_http};
use crate::{Error, Options, canonical_request, parse, sign, string_to_sign, verify};

const SUITE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/vectors/aws-signing-test-suite"
);

pub(crate) fn suite_dir(version: &str) -> PathBuf {
    let dir = Path::new(SUITE).join(version);
    assert!(
        dir.is_dir(),
        "AWS signing test suite not found at {} (expected shared/ beside the repository checkout)",
        dir.display()
    );
    dir
}

pub(crate) fn case_dirs(version: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(suite_dir(version))
        .expect("read suite dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

pub(crate) fn read(dir: &Path, file: &str) -> String {
    fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{}/{file}: {e}", dir.display()))
}

pub(crate) struct Context {
    pub access_key: String,
    pub secret: String,
    pub token: Option<String>,
    pub omit_session_token: bool,
    pub normalize: bool,
    pub region: String,
    pub service: String,
    pub sign_body: bool,
    pub expires: i64,
    pub now: i64,
}

pub(crate) fn context(dir: &Path) -> Context {
    let v: serde_json::Value =
        serde_json::from_str(&read(dir, "context.json")).expect("context.json is JSON");
    let s = |p: &str| {
        v.pointer(p)
            .and_then(|x| x.as_str())
            .unwrap_or_else(|| panic!("{}: context.json lacks {p}", dir.display()))
            .to_owned()
    };
    let b = |p: &str| v.pointer(p).and_then(|x| x.as_bool()).unwrap_or(false);
    let timestamp = time::OffsetDateTime::parse(
        &s("/timestamp"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("timestamp is RFC 3339");
    Context {
        access_key: s("/credentials/access_key_id"),
        secret: s("/credentials/secret_access_key"),
        token: v
            .pointer("/credentials/token")
            .and_then(|x| x.as_str())
            .map(str::to_owned),
        omit_session_token: b("/omit_session_token"),
        normalize: b("/normalize"),
        region: s("/region"),
        service: s("/service"),
        sign_body: b("/sign_body"),
        expires: v
            .pointer("/expiration_in_seconds")
            .and_then(|x| x.as_i64())
            .expect("expiration_in_seconds"),
        now: timestamp.unix_timestamp(),
    }
}

pub(crate) fn payload_hash(req: &RawRequest) -> String {
    hex::encode(Sha256::digest(&req.body))
}

fn flip_first_char(sig: &str) -> String {
    let mut out = String::from(if sig.starts_with('0') { "1" } else { "0" });
    out.push_str(sig.get(1..).unwrap_or_default());
    out
}

/// A case's name, its `{form}-signed-request.txt` ("header" or "query") as it was signed, and the
/// options the suite's signer canonicalised with (double encoding; path normalisation per case).
pub(crate) fn signed_request(
    dir: &Path,
    ctx: &Context,
    form: &str,
) -> (String, RawRequest, Options) {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut raw = parse_http(&read(dir, &format!("{form}-signed-request.txt")))
        .unwrap_or_else(|e| panic!("{name}: {form}-signed-request.txt: {e}"));
    if form == "query" && ctx.omit_session_token {
        // In this case the signer appended X-Amz-Security-Token *after* signing (an
        // option of the CRT signer for a few services). A server following AWS rules
        // signs every query parameter, so we verify the URL as it was signed.
        raw.query = raw
            .query
            .split('&')
            .filter(|p| !p.starts_with("X-Amz-Security-Token="))
            .collect::<Vec<_>>()
            .join("&");
    }
    let opts = Options {
        double_encode: true,
        normalize_path: ctx.normalize,
    };
    (name, raw, opts)
}

/// Runs one signed form ("header" or "query") of a case.
fn check_form(dir: &Path, ctx: &Context, form: &str, body_hash: &str) {
    let (name, raw, opts) = signed_request(dir, ctx, form);
    let req = raw.as_request();

    let auth = parse(&req).unwrap_or_else(|e| panic!("{name}/{form}: parse: {e}"));
    assert_eq!(auth.access_key, ctx.access_key, "{name}/{form}");
    assert_eq!(
        auth.region.as_deref(),
        Some(ctx.region.as_str()),
        "{name}/{form}"
    );
    assert_eq!(auth.service, ctx.service, "{name}/{form}");
    assert_eq!(auth.presigned.is_some(), form == "query", "{name}/{form}");

    let cr = canonical_request(&req, &auth, body_hash, opts)
        .unwrap_or_else(|e| panic!("{name}/{form}: canonical_request: {e}"));
    assert_eq!(
        cr,
        read(dir, &format!("{form}-canonical-request.txt")),
        "{name}/{form}: canonical request"
    );
    let sts = string_to_sign(&auth, &cr);
    assert_eq!(
        sts,
        read(dir, &format!("{form}-string-to-sign.txt")),
        "{name}/{form}: string to sign"
    );
    assert_eq!(
        auth.signature,
        read(dir, &format!("{form}-signature.txt")).trim(),
        "{name}/{form}: signature in the signed request"
    );

    let ok = verify(&req, &auth, body_hash, &ctx.secret, ctx.now, &[opts]);
    assert!(ok.is_ok(), "{name}/{form}: verify: {ok:?}");

    let mut bad = auth.clone();
    bad.signature = flip_first_char(&auth.signature);
    match verify(&req, &bad, body_hash, &ctx.secret, ctx.now, &[opts]) {
        Err(Error::SignatureMismatch {
            string_to_sign,
            canonical_request,
        }) => {
            assert_eq!(string_to_sign, sts, "{name}/{form}");
            assert_eq!(canonical_request, cr, "{name}/{form}");
        }
        other => panic!("{name}/{form}: flipped signature: {other:?}"),
    }
    let wrong_secret = verify(&req, &auth, body_hash, "not-the-secret", ctx.now, &[opts]);
    assert!(
        matches!(wrong_secret, Err(Error::SignatureMismatch { .. })),
        "{name}/{form}: wrong secret: {wrong_secret:?}"
    );

    let later = |secs: i64| verify(&req, &auth, body_hash, &ctx.secret, ctx.now + secs, &[opts]);
    if form == "header" {
        assert!(
            matches!(later(16 * 60), Err(Error::TimeSkewed)),
            "{name}: +16 min"
        );
        assert!(
            matches!(later(-16 * 60), Err(Error::TimeSkewed)),
            "{name}: -16 min"
        );
        assert!(later(14 * 60).is_ok(), "{name}: +14 min");
    } else {
        // A presigned URL is valid for X-Amz-Expires, not just the 15-minute skew.
        assert!(later(16 * 60).is_ok(), "{name}: presigned +16 min");
        assert!(later(ctx.expires).is_ok(), "{name}: presigned at expiry");
        assert!(
            matches!(later(ctx.expires + 1), Err(Error::Expired)),
            "{name}: presigned expired"
        );
        assert!(
            matches!(later(-16 * 60), Err(Error::TimeSkewed)),
            "{name}: presigned from the future"
        );
    }
}

/// `sign()` on request.txt must reproduce header-signature.txt.
fn check_sign(dir: &Path, ctx: &Context, raw: &RawRequest, body_hash: &str) {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut headers = raw.headers.clone();
    if ctx.sign_body {
        headers.push(("x-amz-content-sha256".to_owned(), body_hash.to_owned()));
    }
    if let (Some(token), false) = (&ctx.token, ctx.omit_session_token) {
        headers.push(("X-Amz-Security-Token".to_owned(), token.clone()));
    }
    let added = sign(
        &raw.method,
        &raw.path,
        &raw.query,
        &headers,
        body_hash,
        &ctx.access_key,
        &ctx.secret,
        &ctx.region,
        &ctx.service,
        ctx.now,
        Options {
            double_encode: true,
            normalize_path: ctx.normalize,
        },
    );
    let get = |n: &str| added.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    assert_eq!(get("x-amz-date"), Some("20150830T123600Z"), "{name}");
    assert_eq!(
        get("x-amz-content-sha256"),
        None,
        "{name}: not added for service 'service'"
    );
    let signed =
        parse_http(&read(dir, "header-signed-request.txt")).expect("signed request parses");
    assert_eq!(
        get("authorization"),
        signed.header("authorization"),
        "{name}: sign()"
    );
    let expected_sig = read(dir, "header-signature.txt");
    assert!(
        get("authorization")
            .is_some_and(|a| a.ends_with(&format!("Signature={}", expected_sig.trim()))),
        "{name}: signature"
    );
}

#[test]
fn every_v4_vector_case() {
    let dirs = case_dirs("v4");
    let mut cases = 0;
    let mut forms = 0;
    for dir in &dirs {
        let ctx = context(dir);
        let raw = parse_http(&read(dir, "request.txt"))
            .unwrap_or_else(|e| panic!("{}: request.txt: {e}", dir.display()));
        let body_hash = payload_hash(&raw);
        for form in ["header", "query"] {
            check_form(dir, &ctx, form, &body_hash);
            forms += 1;
        }
        check_sign(dir, &ctx, &raw, &body_hash);
        cases += 1;
    }
    assert_eq!(cases, dirs.len());
    assert_eq!(forms, 2 * dirs.len());
    // The suite as shipped: a vanished case directory must fail loudly.
    assert_eq!(cases, 38, "unexpected number of v4 vector cases");
}
