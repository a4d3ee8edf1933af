//! S3 / S3 Control specifics: single vs double encoded paths, UNSIGNED-PAYLOAD,
//! presigned S3 URLs, and rejection of malformed or missing auth.

use crate::encode::encode_component;
use crate::{
    Algorithm, Auth, Error, Options, Presigned, Request, V4aKeys, VerifierKey, canonical_request,
    parse, sign, signing_key, string_to_sign, verify, verify_with,
};

const AK: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// 2015-08-30T12:36:00Z
const NOW: i64 = 1_440_938_160;
const MRAP_PATH: &str = "/v20180820/async-requests/mrap/arn%3Aaws%3As3%3Aus-west-2%3A123456789012%3Aasync-request/mrap/create/abc";
const EMPTY_SHA: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const DOUBLE_NO_NORMALIZE: Options = Options {
    double_encode: true,
    normalize_path: false,
};

fn base_headers() -> Vec<(String, String)> {
    vec![
        ("Host".to_owned(), "127.0.0.1:4566".to_owned()),
        ("x-amz-account-id".to_owned(), "123456789012".to_owned()),
        (
            "Content-MD5".to_owned(),
            "1B2M2Y8AsgTpgAmY7PhCfg==".to_owned(),
        ),
        ("x-amz-user-agent".to_owned(), "aws-sdk-rust/1.3".to_owned()),
        ("User-Agent".to_owned(), "harness".to_owned()),
    ]
}

/// Signs a request the way a client would and returns the full header list.
fn signed_headers_for(
    path: &str,
    query: &str,
    payload: &str,
    opts: Options,
) -> Vec<(String, String)> {
    let mut headers = base_headers();
    headers.extend(sign(
        "GET",
        path,
        query,
        &headers,
        payload,
        AK,
        SECRET,
        "us-west-2",
        "s3",
        NOW,
        opts,
    ));
    headers
}

fn get<'a>(path: &'a str, query: &'a str, headers: &'a [(String, String)]) -> Request<'a> {
    Request {
        method: "GET",
        path,
        query,
        headers,
    }
}

#[test]
fn single_encoded_mrap_path_verifies_under_s3_options() {
    let headers = signed_headers_for(MRAP_PATH, "", EMPTY_SHA, Options::S3);
    let req = get(MRAP_PATH, "", &headers);
    let auth = parse(&req).expect("parses");
    assert_eq!(auth.algorithm, Algorithm::HmacSha256);
    assert_eq!(auth.region.as_deref(), Some("us-west-2"));
    assert_eq!(auth.service, "s3");
    // User-Agent is left unsigned; x-amz-content-sha256 is added for s3.
    assert_eq!(
        auth.signed_headers,
        [
            "content-md5",
            "host",
            "x-amz-account-id",
            "x-amz-content-sha256",
            "x-amz-date",
            "x-amz-user-agent"
        ]
    );
    let cr = canonical_request(&req, &auth, EMPTY_SHA, Options::S3).expect("canonical");
    assert_eq!(
        cr.lines().nth(1),
        Some(MRAP_PATH),
        "S3 canonical URI is the wire path"
    );
    assert!(verify(&req, &auth, EMPTY_SHA, SECRET, NOW, &[Options::S3]).is_ok());
    assert!(
        verify(
            &req,
            &auth,
            EMPTY_SHA,
            SECRET,
            NOW,
            &[Options::S3, DOUBLE_NO_NORMALIZE]
        )
        .is_ok()
    );
    assert!(
        verify(&req, &auth, EMPTY_SHA, SECRET, NOW, &[]).is_ok(),
        "empty list means S3"
    );
}

#[test]
fn double_encoded_client_accepted_only_when_listed() {
    // aws-sdk-rust with a custom endpoint resolver double-encodes the canonical URI.
    let headers = signed_headers_for(MRAP_PATH, "", EMPTY_SHA, DOUBLE_NO_NORMALIZE);
    let req = get(MRAP_PATH, "", &headers);
    let auth = parse(&req).expect("parses");
    let cr = canonical_request(&req, &auth, EMPTY_SHA, DOUBLE_NO_NORMALIZE).expect("canonical");
    assert!(cr.contains("arn%253Aaws%253As3"), "{cr}");
    match verify(&req, &auth, EMPTY_SHA, SECRET, NOW, &[Options::S3]) {
        Err(Error::SignatureMismatch {
            canonical_request, ..
        }) => {
            assert!(
                canonical_request.contains("arn%3Aaws%3As3"),
                "reports the first option tried"
            );
        }
        other => panic!("expected mismatch, got {other:?}"),
    }
    assert!(
        verify(
            &req,
            &auth,
            EMPTY_SHA,
            SECRET,
            NOW,
            &[Options::S3, DOUBLE_NO_NORMALIZE]
        )
        .is_ok()
    );
}

#[test]
fn unsigned_payload_is_just_another_payload_hash() {
    let headers = signed_headers_for("/bucket/key", "", "UNSIGNED-PAYLOAD", Options::S3);
    let req = get("/bucket/key", "", &headers);
    assert!(
        headers
            .iter()
            .any(|(n, v)| n == "x-amz-content-sha256" && v == "UNSIGNED-PAYLOAD")
    );
    let auth = parse(&req).expect("parses");
    assert!(verify(&req, &auth, "UNSIGNED-PAYLOAD", SECRET, NOW, &[Options::S3]).is_ok());
    assert!(matches!(
        verify(&req, &auth, EMPTY_SHA, SECRET, NOW, &[Options::S3]),
        Err(Error::SignatureMismatch { .. })
    ));
}

/// The key with which the secret verified an S3 request with an empty body at `NOW` (`None`: it
/// did not verify).
fn verified_with_secret(req: &Request<'_>, auth: &crate::Auth) -> Option<VerifierKey> {
    crate::verify_cached(
        req,
        auth,
        EMPTY_SHA,
        SECRET,
        NOW,
        &[Options::S3],
        &V4aKeys::default(),
    )
    .ok()
}

#[test]
fn a_scope_signing_key_verifies_what_the_secret_does_and_nothing_else() {
    let headers = signed_headers_for("/bucket/key", "", EMPTY_SHA, Options::S3);
    let req = get("/bucket/key", "", &headers);
    let auth = parse(&req).expect("parses");
    let key = VerifierKey::for_auth(&auth, SECRET, &V4aKeys::default()).expect("derives");
    assert_eq!(
        key,
        VerifierKey::SigV4Scope(signing_key(SECRET, "20150830", "us-west-2", "s3"))
    );
    // The key the secret verified with is the one handed out.
    let verified_with = verified_with_secret(&req, &auth);
    assert_eq!(verified_with, Some(key.clone()));
    let with = |key: &VerifierKey, payload: &str, now: i64| {
        verify_with(&req, &auth, payload, key, now, &[Options::S3])
    };
    assert!(with(&key, EMPTY_SHA, NOW).is_ok());
    // Another scope's key, another payload, a stale clock: refused as with the secret.
    let other_day = VerifierKey::SigV4Scope(signing_key(SECRET, "20150831", "us-west-2", "s3"));
    assert!(matches!(
        with(&other_day, EMPTY_SHA, NOW),
        Err(Error::SignatureMismatch { .. })
    ));
    assert!(matches!(
        with(&key, "UNSIGNED-PAYLOAD", NOW),
        Err(Error::SignatureMismatch { .. })
    ));
    assert!(matches!(
        with(&key, EMPTY_SHA, NOW + 16 * 60),
        Err(Error::TimeSkewed)
    ));
    // Never shown.
    assert_eq!(format!("{key:?}"), "SigV4Scope(<redacted>)");
}

#[test]
fn a_public_key_verifies_sigv4a_and_a_scope_key_never_does() {
    let mut headers = base_headers();
    headers.extend(crate::sign_v4a(
        "GET",
        "/bucket/key",
        "",
        &headers,
        EMPTY_SHA,
        AK,
        SECRET,
        "*",
        "s3",
        NOW,
        Options::S3,
    ));
    let req = get("/bucket/key", "", &headers);
    let auth = parse(&req).expect("parses");
    let public = VerifierKey::for_auth(&auth, SECRET, &V4aKeys::default()).expect("derives");
    assert!(matches!(public, VerifierKey::SigV4aPublic(_)));
    let verified_with = verified_with_secret(&req, &auth);
    assert_eq!(verified_with, Some(public.clone()));
    assert!(verify_with(&req, &auth, EMPTY_SHA, &public, NOW, &[Options::S3]).is_ok());
    assert!(matches!(
        verify_with(
            &req,
            &auth,
            "UNSIGNED-PAYLOAD",
            &public,
            NOW,
            &[Options::S3]
        ),
        Err(Error::SignatureMismatch { .. })
    ));
    // Another key pair's public key does not verify it; nor does a SigV4 scope key.
    let other = VerifierKey::for_auth(
        &Auth {
            access_key: "AKIDOTHER".to_owned(),
            ..auth.clone()
        },
        SECRET,
        &V4aKeys::default(),
    )
    .expect("derives");
    assert!(matches!(
        verify_with(&req, &auth, EMPTY_SHA, &other, NOW, &[Options::S3]),
        Err(Error::SignatureMismatch { .. })
    ));
    let scope = VerifierKey::SigV4Scope(signing_key(SECRET, "20150830", "us-west-2", "s3"));
    assert!(matches!(
        verify_with(&req, &auth, EMPTY_SHA, &scope, NOW, &[Options::S3]),
        Err(Error::Malformed(_))
    ));
    // Bytes round trip, per algorithm.
    assert_eq!(
        VerifierKey::from_bytes(public.algorithm(), public.as_bytes()),
        Some(public.clone())
    );
    assert_eq!(
        VerifierKey::from_bytes(Algorithm::HmacSha256, public.as_bytes()),
        None
    );
}

#[test]
fn accepted_canonicalisations_per_service() {
    assert_eq!(Options::accepted("s3", false), [Options::S3]);
    assert_eq!(
        Options::accepted("s3", true),
        [Options::S3, DOUBLE_NO_NORMALIZE]
    );
    assert_eq!(
        Options::accepted("access-analyzer", false),
        [Options::DEFAULT, Options::S3]
    );
}

/// Builds a presigned S3 URL query with the public building blocks.
fn presign(path: &str, extra_query: &str, headers: &[(String, String)], expires: u64) -> String {
    let credential = format!("{AK}/20150830/us-west-2/s3/aws4_request");
    let mut query = format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={}&X-Amz-Date=20150830T123600Z&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host",
        encode_component(&credential)
    );
    if !extra_query.is_empty() {
        query = format!("{extra_query}&{query}");
    }
    let auth = Auth {
        algorithm: Algorithm::HmacSha256,
        access_key: AK.to_owned(),
        date: "20150830".to_owned(),
        region: Some("us-west-2".to_owned()),
        service: "s3".to_owned(),
        signed_headers: vec!["host".to_owned()],
        signature: String::new(),
        amz_date: "20150830T123600Z".to_owned(),
        presigned: Some(Presigned {
            expires_secs: expires,
        }),
    };
    let cr = canonical_request(
        &get(path, &query, headers),
        &auth,
        "UNSIGNED-PAYLOAD",
        Options::S3,
    )
    .expect("canonical");
    let key = signing_key(SECRET, "20150830", "us-west-2", "s3");
    let sig = hex::encode(crate::verify::hmac(
        &key,
        string_to_sign(&auth, &cr).as_bytes(),
    ));
    format!("{query}&X-Amz-Signature={sig}")
}

#[test]
fn presigned_s3_url_with_unsigned_payload() {
    let headers = vec![("host".to_owned(), "bucket.s3.amazonaws.com".to_owned())];
    let query = presign("/my%20key", "versionId=3%2B4", &headers, 300);
    let req = get("/my%20key", &query, &headers);
    let auth = parse(&req).expect("parses");
    assert_eq!(auth.presigned.as_ref().map(|p| p.expires_secs), Some(300));
    assert!(
        verify(
            &req,
            &auth,
            "UNSIGNED-PAYLOAD",
            SECRET,
            NOW + 299,
            &[Options::S3]
        )
        .is_ok()
    );
    assert!(matches!(
        verify(
            &req,
            &auth,
            "UNSIGNED-PAYLOAD",
            SECRET,
            NOW + 301,
            &[Options::S3]
        ),
        Err(Error::Expired)
    ));
    let tampered = query.replace("versionId=3%2B4", "versionId=5");
    let req = get("/my%20key", &tampered, &headers);
    assert!(matches!(
        verify(&req, &auth, "UNSIGNED-PAYLOAD", SECRET, NOW, &[Options::S3]),
        Err(Error::SignatureMismatch { .. })
    ));
}

#[test]
fn presigned_expiry_limits_are_malformed() {
    let headers = vec![("host".to_owned(), "h".to_owned())];
    for expires in [0, 604_801] {
        let query = presign("/k", "", &headers, expires);
        let req = get("/k", &query, &headers);
        let auth = parse(&req).expect("parses");
        assert!(
            matches!(
                verify(&req, &auth, "UNSIGNED-PAYLOAD", SECRET, NOW, &[Options::S3]),
                Err(Error::Malformed(_))
            ),
            "expires={expires}"
        );
    }
}

#[test]
fn host_must_be_signed() {
    let mut headers = base_headers();
    headers.push(("x-amz-date".to_owned(), "20150830T123600Z".to_owned()));
    headers.push((
        "Authorization".to_owned(),
        format!("AWS4-HMAC-SHA256 Credential={AK}/20150830/us-west-2/s3/aws4_request, SignedHeaders=x-amz-date, Signature={}", "a".repeat(64)),
    ));
    let req = get("/", "", &headers);
    let auth = parse(&req).expect("parses");
    assert!(matches!(
        verify(&req, &auth, EMPTY_SHA, SECRET, NOW, &[Options::S3]),
        Err(Error::Malformed(_))
    ));
}

#[test]
fn signed_header_absent_from_request_is_malformed() {
    let mut headers = signed_headers_for("/", "", EMPTY_SHA, Options::S3);
    headers.retain(|(n, _)| n != "x-amz-account-id");
    let req = get("/", "", &headers);
    let auth = parse(&req).expect("parses");
    assert!(matches!(
        verify(&req, &auth, EMPTY_SHA, SECRET, NOW, &[Options::S3]),
        Err(Error::Malformed(_))
    ));
}

fn parse_with_authorization(value: &str) -> Result<Auth, Error> {
    let headers = vec![
        ("host".to_owned(), "h".to_owned()),
        ("x-amz-date".to_owned(), "20150830T123600Z".to_owned()),
        ("authorization".to_owned(), value.to_owned()),
    ];
    parse(&get("/", "", &headers))
}

#[test]
fn garbage_authorization_is_malformed() {
    let sig = "a".repeat(64);
    for value in [
        "",
        "garbage",
        "Bearer abc",
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 garbage",
        "AWS4-HMAC-SHA256 Credential=AK/20150830/us-west-2/s3/aws4_request, SignedHeaders=host",
        &format!(
            "AWS4-HMAC-SHA256 Credential=AK/20150830/us-west-2/s3, SignedHeaders=host, Signature={sig}"
        ),
        &format!(
            "AWS4-HMAC-SHA256 Credential=AK/20150830/s3/aws4_request, SignedHeaders=host, Signature={sig}"
        ),
        &format!(
            "AWS4-HMAC-SHA256 Credential=AK/20150831/us-west-2/s3/aws4_request, SignedHeaders=host, Signature={sig}"
        ),
        &format!(
            "AWS4-HMAC-SHA256 Credential=/20150830/us-west-2/s3/aws4_request, SignedHeaders=host, Signature={sig}"
        ),
        &format!(
            "AWS4-HMAC-SHA256 Credential=AK/2015083x/us-west-2/s3/aws4_request, SignedHeaders=host, Signature={sig}"
        ),
        &format!(
            "AWS4-HMAC-SHA256 Credential=AK/20150830/us-west-2/s3/aws4_request, SignedHeaders=host;;x, Signature={sig}"
        ),
        "AWS4-HMAC-SHA256 Credential=AK/20150830/us-west-2/s3/aws4_request, SignedHeaders=host, Signature=zz",
        &format!(
            "AWS4-HMAC-SHA256 Credential=AK/20150830/us-west-2/s3/aws4_request, Credential=AK/20150830/us-west-2/s3/aws4_request, SignedHeaders=host, Signature={sig}"
        ),
    ] {
        let got = parse_with_authorization(value);
        assert!(
            matches!(got, Err(Error::Malformed(_))),
            "{value:?} → {got:?}"
        );
    }
}

#[test]
fn other_schemes_are_unsupported() {
    for value in [
        "AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
        "AWS4-HMAC-SHA512 Credential=x",
    ] {
        let got = parse_with_authorization(value);
        assert!(
            matches!(got, Err(Error::UnsupportedAlgorithm(_))),
            "{value:?} → {got:?}"
        );
    }
}

#[test]
fn anonymous_request_is_missing() {
    let headers = vec![("host".to_owned(), "h".to_owned())];
    assert!(matches!(
        parse(&get("/b/k", "versionId=1", &headers)),
        Err(Error::Missing)
    ));
    assert!(matches!(parse(&get("/", "", &[])), Err(Error::Missing)));
}

#[test]
fn header_and_query_auth_together_are_malformed() {
    let headers = signed_headers_for("/", "", EMPTY_SHA, Options::S3);
    let got = parse(&get("/", "X-Amz-Algorithm=AWS4-HMAC-SHA256", &headers));
    assert!(matches!(got, Err(Error::Malformed(_))), "{got:?}");
}

#[test]
fn date_header_is_a_fallback_for_x_amz_date() {
    let mut headers = signed_headers_for("/", "", EMPTY_SHA, Options::S3);
    for (n, v) in &mut headers {
        if n == "x-amz-date" {
            *n = "Date".to_owned();
            *v = "Sun, 30 Aug 2015 12:36:00 GMT".to_owned();
        }
    }
    let req = get("/", "", &headers);
    let auth = parse(&req).expect("parses");
    assert_eq!(auth.amz_date, "20150830T123600Z");
    // The signed header list names x-amz-date, which is now absent.
    assert!(matches!(
        verify(&req, &auth, EMPTY_SHA, SECRET, NOW, &[Options::S3]),
        Err(Error::Malformed(_))
    ));
}

#[test]
fn error_display_never_leaks_secrets_or_signatures() {
    let headers = signed_headers_for("/", "", EMPTY_SHA, Options::S3);
    let req = get("/", "", &headers);
    let auth = parse(&req).expect("parses");
    let err = verify(&req, &auth, EMPTY_SHA, "other", NOW, &[Options::S3]).expect_err("mismatch");
    let shown = err.to_string();
    assert_eq!(shown, "signature does not match");
    assert!(!format!("{err:?}").contains(&auth.signature));
    assert!(!format!("{err:?}").contains(SECRET));
}

#[test]
fn sign_keeps_a_caller_supplied_content_sha() {
    let mut headers = base_headers();
    headers.push(("X-Amz-Content-Sha256".to_owned(), EMPTY_SHA.to_owned()));
    let added = sign(
        "PUT",
        "/b/k",
        "",
        &headers,
        EMPTY_SHA,
        AK,
        SECRET,
        "us-west-2",
        "s3",
        NOW,
        Options::S3,
    );
    let names: Vec<&str> = added.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["x-amz-date", "authorization"]);
}

#[test]
fn sigv4a_mrap_data_plane_request_verifies_under_s3_options() {
    // Shape of an SDK GetObject through an MRAP: no region in the scope, region set "*".
    let path = "/k/x%20y.txt";
    let mut headers = vec![
        (
            "Host".to_owned(),
            "mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com".to_owned(),
        ),
        (
            "X-Amz-Content-SHA256".to_owned(),
            "UNSIGNED-PAYLOAD".to_owned(),
        ),
        ("X-Amz-Date".to_owned(), "20150830T123600Z".to_owned()),
        ("X-Amz-Region-Set".to_owned(), "*".to_owned()),
    ];
    let mut auth = Auth {
        algorithm: Algorithm::EcdsaP256Sha256,
        access_key: AK.to_owned(),
        date: "20150830".to_owned(),
        region: None,
        service: "s3".to_owned(),
        signed_headers: [
            "host",
            "x-amz-content-sha256",
            "x-amz-date",
            "x-amz-region-set",
        ]
        .map(str::to_owned)
        .to_vec(),
        signature: String::new(),
        amz_date: "20150830T123600Z".to_owned(),
        presigned: None,
    };
    let cr = canonical_request(
        &get(path, "", &headers),
        &auth,
        "UNSIGNED-PAYLOAD",
        Options::S3,
    )
    .expect("canonical");
    let sts = string_to_sign(&auth, &cr);
    assert!(
        sts.starts_with("AWS4-ECDSA-P256-SHA256\n20150830T123600Z\n20150830/s3/aws4_request\n")
    );
    auth.signature = crate::v4a::sign(AK, SECRET, &sts).expect("signs");
    headers.push((
        "Authorization".to_owned(),
        format!(
            "AWS4-ECDSA-P256-SHA256 Credential={AK}/20150830/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-region-set, Signature={}",
            auth.signature
        ),
    ));
    let req = get(path, "", &headers);
    let parsed = parse(&req).expect("parses");
    assert_eq!(parsed.algorithm, Algorithm::EcdsaP256Sha256);
    assert_eq!(parsed.region, None);
    assert!(
        verify(
            &req,
            &parsed,
            "UNSIGNED-PAYLOAD",
            SECRET,
            NOW,
            &[Options::S3]
        )
        .is_ok()
    );
    assert!(matches!(
        verify(
            &req,
            &parsed,
            "UNSIGNED-PAYLOAD",
            "other-secret",
            NOW,
            &[Options::S3]
        ),
        Err(Error::SignatureMismatch { .. })
    ));
    // A region-scoped credential is not SigV4A.
    headers.retain(|(n, _)| n != "Authorization");
    headers.push((
        "Authorization".to_owned(),
        format!("AWS4-ECDSA-P256-SHA256 Credential={AK}/20150830/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=3044"),
    ));
    assert!(matches!(
        parse(&get(path, "", &headers)),
        Err(Error::Malformed(_))
    ));
}

#[test]
fn sign_v4a_round_trips_through_verify_and_the_key_cache() {
    let path = "/mfzwi23gnjvgw.mrap/k";
    let mut headers = vec![("host".to_owned(), "127.0.0.1:4566".to_owned())];
    let added = crate::sign_v4a(
        "GET",
        path,
        "",
        &headers,
        "UNSIGNED-PAYLOAD",
        AK,
        SECRET,
        "*",
        "s3",
        NOW,
        Options::S3,
    );
    headers.extend(added);
    let req = get(path, "", &headers);
    let auth = parse(&req).expect("parses");
    assert_eq!(auth.algorithm, Algorithm::EcdsaP256Sha256);
    assert_eq!(auth.region, None);
    assert!(auth.signed_headers.iter().any(|h| h == "x-amz-region-set"));
    let keys = crate::V4aKeys::default();
    for _ in 0..2 {
        let ok = crate::verify_cached(&req, &auth, "UNSIGNED-PAYLOAD", SECRET, NOW, &[], &keys);
        assert!(ok.is_ok(), "{ok:?}");
    }
    // A cached key never answers for another secret.
    let wrong = crate::verify_cached(&req, &auth, "UNSIGNED-PAYLOAD", "other", NOW, &[], &keys);
    assert!(
        matches!(wrong, Err(Error::SignatureMismatch { .. })),
        "{wrong:?}"
    );
}
