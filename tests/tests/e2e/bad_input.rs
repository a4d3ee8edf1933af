//! Bad input gets a 4xx, never a 5xx, a hang or a dead service: every method on every route of
//! the S3 Control, S3 bucket and Access Analyzer APIs, signed with a valid key, with malformed,
//! oversized, deeply nested and binary bodies and malformed queries and names; plus malformed
//! Authorization headers. The one 5xx allowed is 501 `NotImplemented`, for operations not built.

use crate::common::{
    raw::{self, RawResponse, Signer},
    *,
};

const METHODS: [&str; 6] = ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH"];

/// (path, query) pairs: the real routes, with good and bad names, and paths that are none.
const ROUTES: &[(&str, &str)] = &[
    ("/v20180820/async-requests/mrap/create", ""),
    ("/v20180820/async-requests/mrap/delete", ""),
    ("/v20180820/async-requests/mrap/put-policy", ""),
    ("/v20180820/async-requests/mrap/%", ""),
    (
        "/v20180820/async-requests/mrap/arn%3Aaws%3As3%3Aus-west-2%3A000000000000%3Aasync-request%2Fmrap%2Fcreate%2Fzz",
        "",
    ),
    ("/v20180820/mrap/instances", ""),
    ("/v20180820/mrap/instances", "maxResults=-1&nextToken="),
    (
        "/v20180820/mrap/instances",
        "maxResults=99999999999999999999",
    ),
    ("/v20180820/mrap/instances/x", ""),
    ("/v20180820/mrap/instances/%ff%fe", ""),
    ("/v20180820/mrap/instances/x/policy", ""),
    ("/v20180820/mrap/instances/x/policystatus", ""),
    ("/v20180820/mrap/instances/x/routes", ""),
    (
        "/v20180820/mrap/instances/arn%3Aaws%3As3%3A%3A000000000000%3Aaccesspoint/mzzzzzzzzzzzz.mrap/routes",
        "",
    ),
    ("/mzzzzzzzzzzzz.mrap", "list-type=2"),
    ("/mzzzzzzzzzzzz.mrap/some/key", ""),
    ("/mzzzzzzzzzzzz.mrap/some/key", "uploads"),
    ("/v20180820/configuration/publicAccessBlock", ""),
    ("/v20180820//mrap", ""),
    ("/", ""),
    ("/junk-bucket", ""),
    ("/junk-bucket", "policy"),
    ("/junk-bucket", "policyStatus"),
    ("/junk-bucket", "publicAccessBlock"),
    ("/junk-bucket", "location"),
    ("/junk-bucket/some/key", "acl"),
    ("/Not_A_Bucket", "policy"),
    ("/%00", ""),
];

/// Bodies that are not what any operation expects.
fn bodies() -> Vec<Vec<u8>> {
    // A fixed xorshift sequence: the same "random" bytes on every run.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let junk: Vec<u8> = (0..200)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let nested = "<a>".repeat(10_000).into_bytes();
    let long_name = format!(
        "<CreateMultiRegionAccessPointRequest><Details><Name>{}</Name><Regions><Region><Bucket>b</Bucket></Region></Regions></Details></CreateMultiRegionAccessPointRequest>",
        "a".repeat(5_000)
    );
    let many_regions = format!(
        "<CreateMultiRegionAccessPointRequest><Details><Name>ok-name</Name><Regions>{}</Regions></Details></CreateMultiRegionAccessPointRequest>",
        "<Region><Bucket>b</Bucket></Region>".repeat(30)
    );
    let unbalanced_policy = format!(
        "<PutMultiRegionAccessPointPolicyRequest><Details><Name>zz</Name><Policy>{}</Policy></Details></PutMultiRegionAccessPointPolicyRequest>",
        "{".repeat(3_000)
    );
    vec![
        Vec::new(),
        b"<".to_vec(),
        junk,
        nested,
        b"<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>".to_vec(),
        "<a>\u{0}</a>".as_bytes().to_vec(),
        b"\xef\xbb\xbf<CreateMultiRegionAccessPointRequest/>".to_vec(),
        b"<CreateMultiRegionAccessPointRequest><Details><Name>ok-name</Name><PublicAccessBlock><BlockPublicAcls>maybe</BlockPublicAcls></PublicAccessBlock><Regions><Region><Bucket>b</Bucket></Region></Regions></Details></CreateMultiRegionAccessPointRequest>".to_vec(),
        long_name.into_bytes(),
        many_regions.into_bytes(),
        unbalanced_policy.into_bytes(),
        br#"{"Version":"2012-10-17","Statement":[]}"#.to_vec(),
        b"<CreateBucketConfiguration><LocationConstraint>xx-nowhere-1</LocationConstraint></CreateBucketConfiguration>".to_vec(),
    ]
}

/// A 5xx other than 501 NotImplemented, described for the failure message.
fn server_error(what: String, r: &RawResponse) -> Option<String> {
    let allowed = r.status == 501 && (r.body.is_empty() || r.body.contains("NotImplemented"));
    (r.status >= 500 && !allowed).then(|| format!("{what}: {} {}", r.status, r.body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_never_gets_a_server_error() -> TestResult {
    let stack = Stack::start().await?;
    create_bucket(&stack, "junk-bucket", "us-east-1").await;
    let bodies = bodies();
    let mut failures = Vec::new();
    let mut sent = 0;

    for method in METHODS {
        for (path, query) in ROUTES {
            for (i, body) in bodies.iter().enumerate() {
                let signer = Signer::now(ACCESS_KEY, SECRET_KEY);
                let r = raw::control_request(&stack, method, path, query, body, Some(signer)).await;
                sent += 1;
                failures.extend(server_error(
                    format!("{method} {path}?{query} body#{i}"),
                    &r,
                ));
            }
        }
    }

    // Access Analyzer: JSON that is not a ValidatePolicy request, and bad paging.
    let json_bodies: [&[u8]; 6] = [
        b"",
        b"{",
        b"[]",
        br#"{"policyDocument": 5}"#,
        br#"{"policyDocument":"{}","policyType":"RESOURCE_POLICY","validatePolicyResourceType":"AWS::S3::Nope"}"#,
        br#"{"policyDocument":"{\"Statement\":[{\"Effect\":\"Allow\"}]}","policyType":"IDENTITY_POLICY","locale":"xx"}"#,
    ];
    for query in [
        "",
        "maxResults=0",
        "maxResults=-5",
        "nextToken=zz",
        "nextToken=99999999999999999999",
    ] {
        for (i, body) in json_bodies.iter().enumerate() {
            let signer = Signer::now(ACCESS_KEY, SECRET_KEY);
            let r = raw::json_request(
                &stack,
                "POST",
                "/policy/validation",
                query,
                body,
                "access-analyzer",
                Some(signer),
            )
            .await;
            sent += 1;
            failures.extend(server_error(
                format!("ValidatePolicy ?{query} body#{i}"),
                &r,
            ));
        }
    }

    // Malformed credentials, in the header and in a presigned query.
    let host = format!("{ACCOUNT}.s3-control.test:{}", stack.addr.port());
    for authorization in [
        "AWS4-HMAC-SHA256",
        "garbage",
        "AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=, Signature=",
        "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=zz",
        "AWS4-ECDSA-P256-SHA256 Credential=test/20260101/s3/aws4_request, SignedHeaders=host, Signature=zz",
    ] {
        let headers = [
            ("host".to_owned(), host.clone()),
            ("x-amz-account-id".to_owned(), ACCOUNT.to_owned()),
            ("x-amz-date".to_owned(), "notadate".to_owned()),
            ("authorization".to_owned(), authorization.to_owned()),
        ];
        let r = raw::send(
            &stack,
            "GET",
            "/v20180820/mrap/instances",
            "",
            &headers,
            b"",
        )
        .await;
        sent += 1;
        failures.extend(server_error(format!("Authorization: {authorization}"), &r));
    }
    let presigned = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%2F&X-Amz-Signature=zz&X-Amz-Date=x&X-Amz-Expires=-1&X-Amz-SignedHeaders=host";
    let r = raw::send(&stack, "GET", "/junk-bucket", presigned, &[], b"").await;
    sent += 1;
    failures.extend(server_error("presigned".into(), &r));

    assert!(
        failures.is_empty(),
        "{} of {sent} requests got a server error:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Still serving.
    control(&stack)
        .list_multi_region_access_points()
        .account_id(ACCOUNT)
        .send()
        .await?;
    stack.stop().await?;
    Ok(())
}
