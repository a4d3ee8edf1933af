//! IAM Access Analyzer `ValidatePolicy` (`POST /policy/validation`, REST-JSON, signed for
//! `access-analyzer`) through the official Rust client and boto3: findings with issue codes,
//! paths and spans exactly as the workspace validator (`mrap-policy`) produces them, paging,
//! and request validation (`ValidationException`).

use crate::common::{
    policy::*,
    raw::{self, Signer},
    *,
};
use aws_sdk_accessanalyzer::{
    operation::validate_policy::ValidatePolicyOutput,
    types::{
        PathElement, PolicyType, ValidatePolicyFinding, ValidatePolicyFindingType,
        ValidatePolicyResourceType,
    },
};
use aws_smithy_runtime_api::client::result::SdkError;

/// `"Effect": "Maybe"` on line 5: the value string `"Maybe"` spans columns 16..23 of that
/// line, offsets 68..75 (line starts: 0, 2, 29, 46, 52).
const EFFECT_MAYBE: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Maybe",
      "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
      "Action": "s3:GetObject",
      "Resource": "arn:aws:s3::000000000000:accesspoint/mfzwi23gnjvgw.mrap/object/*"
    }
  ]
}"#;

/// The library's `clean_mrap_policy` golden case: no finding at all.
const CLEAN: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "Read",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:role/reader"},
    "Action": ["s3:GetObject", "s3:ListBucket"],
    "Resource": [
      "arn:aws:s3::111122223333:accesspoint/mfzwi23gnjvgw.mrap",
      "arn:aws:s3::111122223333:accesspoint/mfzwi23gnjvgw.mrap/object/*"
    ]
  }]
}"#;

/// The library's `grammar_errors` golden case: twelve findings on one line.
const MANY: &str = r#"{"Version":"2012-10-18","Extra":1,"Statement":[{"Effect":"allow","Action":"s3:GetObject","NotAction":"s3:PutObject","Principal":"me"},{"Sid":"x","Sid":"y","Resource":[],"Action":[],"Effect":"Deny","Foo":true,"Condition":{}}]}"#;

/// The library's `json_syntax_error_position` case: a trailing comma at 4:23.
const TRAILING_COMMA: &str =
    "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\",}\n  ]\n}";

/// One line per finding: type, code, path, span, details, link.
fn render_sdk(f: &ValidatePolicyFinding) -> String {
    let locs: Vec<String> = f
        .locations()
        .iter()
        .map(|l| {
            let path: Vec<String> = l
                .path()
                .iter()
                .map(|p| match p {
                    PathElement::Index(i) => format!("[{i}]"),
                    PathElement::Key(k) => format!("k:{k}"),
                    PathElement::Value(v) => v.clone(),
                    PathElement::Substring(s) => format!("sub({},{})", s.start(), s.length()),
                    other => format!("UNKNOWN({other:?})"),
                })
                .collect();
            let span = l.span();
            let pos = |p: Option<&aws_sdk_accessanalyzer::types::Position>| {
                p.map_or("?".to_owned(), |p| {
                    format!("{}:{}:{}", p.line(), p.column(), p.offset())
                })
            };
            format!(
                "{} @{}-{}",
                path.join("/"),
                pos(span.and_then(|s| s.start())),
                pos(span.and_then(|s| s.end()))
            )
        })
        .collect();
    format!(
        "{} {} {} | {} | {}",
        f.finding_type().as_str(),
        f.issue_code(),
        locs.join(" ; "),
        f.finding_details(),
        f.learn_more_link()
    )
}

fn render_lib(f: &mrap_policy::Finding) -> String {
    let locs: Vec<String> = f
        .locations
        .iter()
        .map(|l| {
            let path: Vec<String> = l
                .path
                .iter()
                .map(|p| match p {
                    mrap_policy::PathElement::Index(i) => format!("[{i}]"),
                    mrap_policy::PathElement::Key(k) => format!("k:{k}"),
                    mrap_policy::PathElement::Value(v) => v.clone(),
                    mrap_policy::PathElement::Substring { start, length } => {
                        format!("sub({start},{length})")
                    }
                })
                .collect();
            let (s, e) = (l.span.start, l.span.end);
            format!(
                "{} @{}:{}:{}-{}:{}:{}",
                path.join("/"),
                s.line,
                s.column,
                s.offset,
                e.line,
                e.column,
                e.offset
            )
        })
        .collect();
    format!(
        "{} {} {} | {} | {}",
        f.finding_type.api_name(),
        f.issue_code,
        locs.join(" ; "),
        f.finding_details,
        f.learn_more_link
    )
}

fn expected(text: &str, policy_type: mrap_policy::PolicyType, resource_type: &str) -> Vec<String> {
    mrap_policy::validate(text, policy_type, Some(resource_type))
        .iter()
        .map(render_lib)
        .collect()
}

async fn validate(
    client: &aws_sdk_accessanalyzer::Client,
    text: &str,
    policy_type: PolicyType,
    resource_type: ValidatePolicyResourceType,
) -> ValidatePolicyOutput {
    client
        .validate_policy()
        .policy_document(text)
        .policy_type(policy_type)
        .validate_policy_resource_type(resource_type)
        .send()
        .await
        .unwrap_or_else(|e| panic!("ValidatePolicy: {}", describe_err(&e)))
}

async fn validate_mrap(client: &aws_sdk_accessanalyzer::Client, text: &str) -> Vec<String> {
    let out = validate(
        client,
        text,
        PolicyType::ResourcePolicy,
        ValidatePolicyResourceType::S3MultiRegionAccessPoint,
    )
    .await;
    assert!(
        out.next_token().is_none(),
        "an unpaged call has a nextToken: {out:?}"
    );
    out.findings().iter().map(render_sdk).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_effect_is_an_error_at_its_span() -> TestResult {
    let stack = Stack::start().await?;
    let client = analyzer(&stack);

    let out = validate(
        &client,
        EFFECT_MAYBE,
        PolicyType::ResourcePolicy,
        ValidatePolicyResourceType::S3MultiRegionAccessPoint,
    )
    .await;
    let effect = out
        .findings()
        .iter()
        .find(|f| f.issue_code() == "INVALID_EFFECT")
        .unwrap_or_else(|| panic!("no INVALID_EFFECT finding: {out:#?}"));
    assert_eq!(effect.finding_type(), &ValidatePolicyFindingType::Error);
    assert!(!effect.finding_details().is_empty(), "{effect:?}");
    assert!(
        effect.learn_more_link().ends_with(
            "/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#access-analyzer-reference-policy-checks-error-invalid-effect"
        ),
        "{effect:?}"
    );
    let location = effect
        .locations()
        .first()
        .unwrap_or_else(|| panic!("INVALID_EFFECT without a location: {effect:?}"));
    assert_eq!(
        location.path(),
        &[
            PathElement::Value("Statement".into()),
            PathElement::Index(0),
            PathElement::Value("Effect".into()),
        ],
        "{effect:?}"
    );
    let span = location
        .span()
        .unwrap_or_else(|| panic!("no span: {effect:?}"));
    let (start, end) = (
        span.start().expect("a span start"),
        span.end().expect("a span end"),
    );
    assert_eq!(
        (start.line(), start.column(), start.offset()),
        (5, 16, 68),
        "{span:?}"
    );
    assert_eq!(
        (end.line(), end.column(), end.offset()),
        (5, 23, 75),
        "{span:?}"
    );

    // Every finding, exactly as the library produces it.
    assert_eq!(
        out.findings().iter().map(render_sdk).collect::<Vec<_>>(),
        expected(
            EFFECT_MAYBE,
            mrap_policy::PolicyType::Resource,
            MRAP_RESOURCE_TYPE
        )
    );

    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn findings_match_the_library() -> TestResult {
    let stack = Stack::start().await?;
    let client = analyzer(&stack);

    // A good policy: nothing at all (so certainly no ERROR).
    assert_eq!(validate_mrap(&client, CLEAN).await, Vec::<String>::new());

    // A JSON syntax error: one finding at the trailing comma.
    let syntax = validate_mrap(&client, TRAILING_COMMA).await;
    assert_eq!(syntax.len(), 1, "{syntax:#?}");
    assert!(
        syntax[0].starts_with("ERROR JSON_SYNTAX_ERROR  @4:23:69-4:23:69 | "),
        "{syntax:#?}"
    );

    // Many findings, in the library's order with its spans, details and links.
    let many = validate_mrap(&client, MANY).await;
    assert_eq!(many.len(), 12, "{many:#?}");
    assert_eq!(
        many,
        expected(MANY, mrap_policy::PolicyType::Resource, MRAP_RESOURCE_TYPE)
    );

    // validatePolicyResourceType reaches the validator: a bucket ARN is an error in an MRAP
    // policy and fine in a bucket policy.
    let bucket_arn = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    let as_mrap = validate_mrap(&client, bucket_arn).await;
    assert!(
        as_mrap
            .iter()
            .any(|f| f.starts_with("ERROR UNSUPPORTED_RESOURCE_ARN_IN_POLICY ")),
        "{as_mrap:#?}"
    );
    let as_bucket = validate(
        &client,
        bucket_arn,
        PolicyType::ResourcePolicy,
        ValidatePolicyResourceType::S3Bucket,
    )
    .await;
    assert!(
        as_bucket
            .findings()
            .iter()
            .all(|f| f.finding_type() != &ValidatePolicyFindingType::Error),
        "{as_bucket:#?}"
    );
    assert_eq!(
        as_bucket
            .findings()
            .iter()
            .map(render_sdk)
            .collect::<Vec<_>>(),
        expected(
            bucket_arn,
            mrap_policy::PolicyType::Resource,
            BUCKET_RESOURCE_TYPE
        )
    );

    // policyType reaches the validator: a Principal is an error in an identity policy, its
    // absence an error in a resource policy.
    let with_principal = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    let identity = client
        .validate_policy()
        .policy_document(with_principal)
        .policy_type(PolicyType::IdentityPolicy)
        .send()
        .await?;
    let codes: Vec<&str> = identity.findings().iter().map(|f| f.issue_code()).collect();
    assert!(codes.contains(&"UNSUPPORTED_PRINCIPAL"), "{identity:#?}");
    let without_principal = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    let resource = validate(
        &client,
        without_principal,
        PolicyType::ResourcePolicy,
        ValidatePolicyResourceType::S3Bucket,
    )
    .await;
    let codes: Vec<&str> = resource.findings().iter().map(|f| f.issue_code()).collect();
    assert!(codes.contains(&"MISSING_PRINCIPAL"), "{resource:#?}");
    let identity_ok = client
        .validate_policy()
        .policy_document(without_principal)
        .policy_type(PolicyType::IdentityPolicy)
        .send()
        .await?;
    assert!(
        identity_ok
            .findings()
            .iter()
            .all(|f| f.finding_type() != &ValidatePolicyFindingType::Error),
        "{identity_ok:#?}"
    );

    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn findings_are_paged() -> TestResult {
    let stack = Stack::start().await?;
    let client = analyzer(&stack);
    let all = validate_mrap(&client, MANY).await;
    assert_eq!(all.len(), 12, "{all:#?}");

    for page_size in [1, 5, 12, 100] {
        let mut seen: Vec<String> = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            pages += 1;
            assert!(pages <= 20, "more than 20 pages of size {page_size}");
            let out = client
                .validate_policy()
                .policy_document(MANY)
                .policy_type(PolicyType::ResourcePolicy)
                .validate_policy_resource_type(ValidatePolicyResourceType::S3MultiRegionAccessPoint)
                .max_results(page_size)
                .set_next_token(token.clone())
                .send()
                .await
                .unwrap_or_else(|e| {
                    panic!("page {pages} of size {page_size}: {}", describe_err(&e))
                });
            let size = usize::try_from(page_size).expect("a positive page size");
            assert!(
                out.findings().len() <= size,
                "page {pages}: {} findings with maxResults {page_size}",
                out.findings().len()
            );
            seen.extend(out.findings().iter().map(render_sdk));
            match out.next_token() {
                Some(t) => {
                    assert!(!t.is_empty(), "an empty nextToken");
                    assert!(
                        !out.findings().is_empty(),
                        "an empty page with a nextToken (page {pages}, size {page_size})"
                    );
                    token = Some(t.to_owned());
                }
                None => break,
            }
        }
        assert_eq!(seen, all, "pages of {page_size}");
        let want_pages = all.len().div_ceil(usize::try_from(page_size)?).max(1);
        assert_eq!(pages, want_pages, "number of pages of size {page_size}");
    }

    // The SDK's own paginator agrees.
    let items: Vec<ValidatePolicyFinding> = client
        .validate_policy()
        .policy_document(MANY)
        .policy_type(PolicyType::ResourcePolicy)
        .validate_policy_resource_type(ValidatePolicyResourceType::S3MultiRegionAccessPoint)
        .into_paginator()
        .page_size(3)
        .items()
        .send()
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    assert_eq!(items.iter().map(render_sdk).collect::<Vec<_>>(), all);

    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_requests_are_validation_exceptions() -> TestResult {
    let stack = Stack::start().await?;
    let client = analyzer(&stack);

    // policyType is required. aws-sdk-accessanalyzer 1.128 does not check it client-side and
    // sends the request without it: the service must refuse it.
    let r = client.validate_policy().policy_document("{}").send().await;
    if !matches!(r, Err(SdkError::ConstructionFailure(_))) {
        expect_error(r, "ValidationException", 400);
    }

    // An unknown policyType, by hand: 400 with x-amzn-ErrorType ValidationException.
    let body = br#"{"policyDocument":"{}","policyType":"NOPE"}"#;
    let resp = raw::json_request(
        &stack,
        "POST",
        "/policy/validation",
        "",
        body,
        "access-analyzer",
        Some(Signer::now(ACCESS_KEY, SECRET_KEY)),
    )
    .await;
    assert_eq!(resp.status, 400, "{resp:#?}");
    let error_type = resp
        .headers
        .get("x-amzn-ErrorType")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no x-amzn-ErrorType header: {resp:#?}"));
    assert!(
        error_type.starts_with("ValidationException"),
        "x-amzn-ErrorType {error_type:?}: {resp:#?}"
    );
    let json: serde_json::Value = serde_json::from_str(&resp.body)
        .unwrap_or_else(|e| panic!("the error body is not JSON ({e}): {resp:#?}"));
    assert!(json.is_object(), "{resp:#?}");

    // The same refusals through the SDK, which reads the error code.
    let r = client
        .validate_policy()
        .policy_document("{}")
        .policy_type(PolicyType::from("NOPE"))
        .send()
        .await;
    expect_error(r, "ValidationException", 400);
    let r = client
        .validate_policy()
        .policy_document(CLEAN)
        .policy_type(PolicyType::ResourcePolicy)
        .validate_policy_resource_type(ValidatePolicyResourceType::from("AWS::Nope::Thing"))
        .send()
        .await;
    expect_error(r, "ValidationException", 400);

    // Authentication failures use the JSON protocol's codes.
    let r = analyzer_as(&stack, ACCESS_KEY, "not-the-secret")
        .validate_policy()
        .policy_document(CLEAN)
        .policy_type(PolicyType::ResourcePolicy)
        .send()
        .await;
    expect_error(r, "InvalidSignatureException", 403);
    let r = analyzer_as(&stack, "AKIDNOBODY", "whatever")
        .validate_policy()
        .policy_document(CLEAN)
        .policy_type(PolicyType::ResourcePolicy)
        .send()
        .await;
    expect_error(r, "UnrecognizedClientException", 403);

    stack.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsigned_validation_request_is_refused() -> TestResult {
    let stack = Stack::start().await?;
    // Access Analyzer answers an unsigned request 403 (MissingAuthenticationTokenException);
    // `POST /policy/validation` is no S3 operation either, so it must not be read as one.
    let body = br#"{"policyDocument":"{}","policyType":"RESOURCE_POLICY"}"#;
    let resp = raw::json_request(
        &stack,
        "POST",
        "/policy/validation",
        "",
        body,
        "access-analyzer",
        None,
    )
    .await;
    assert_eq!(resp.status, 403, "{resp:#?}");
    stack.stop().await?;
    Ok(())
}

const BOTO3_SCRIPT: &str = r#"
import json, os, sys
import boto3
from botocore.config import Config

client = boto3.client(
    "accessanalyzer",
    endpoint_url=sys.argv[1],
    region_name="us-west-2",
    aws_access_key_id=os.environ["MRAP_KEY"],
    aws_secret_access_key=os.environ["MRAP_SECRET"],
    config=Config(retries={"max_attempts": 1}),
)
docs = json.loads(os.environ["MRAP_DOCS"])
out = {}
for name, doc in docs.items():
    r = client.validate_policy(
        policyDocument=doc,
        policyType="RESOURCE_POLICY",
        validatePolicyResourceType="AWS::S3::MultiRegionAccessPoint",
    )
    out[name] = {"findings": r["findings"], "nextToken": r.get("nextToken")}
paged = []
for page in client.get_paginator("validate_policy").paginate(
    policyDocument=docs["many"],
    policyType="RESOURCE_POLICY",
    validatePolicyResourceType="AWS::S3::MultiRegionAccessPoint",
    PaginationConfig={"PageSize": 5},
):
    paged.extend(page["findings"])
out["paged"] = {"findings": paged, "nextToken": None}
print(json.dumps(out))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_validate_policy() -> TestResult {
    let stack = Stack::start().await?;
    let docs = serde_json::json!({"maybe": EFFECT_MAYBE, "clean": CLEAN, "many": MANY});
    let docs = docs.to_string();
    let stdout = crate::common::python::run_boto3(
        &["-c", BOTO3_SCRIPT, &stack.endpoint],
        &[
            ("MRAP_KEY", ACCESS_KEY),
            ("MRAP_SECRET", SECRET_KEY),
            ("MRAP_DOCS", &docs),
        ],
    )
    .await;
    let got: serde_json::Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("boto3 output is not JSON ({e}): {stdout}"));

    // Effect Maybe: an ERROR INVALID_EFFECT first, and the whole list as the library has it.
    let maybe = &got["maybe"]["findings"];
    let want = serde_json::to_value(mrap_policy::validate(
        EFFECT_MAYBE,
        mrap_policy::PolicyType::Resource,
        Some(MRAP_RESOURCE_TYPE),
    ))?;
    assert_eq!(maybe, &want, "boto3 findings for Effect Maybe");
    assert_eq!(maybe[0]["issueCode"], "INVALID_EFFECT", "{maybe:#}");
    assert_eq!(maybe[0]["findingType"], "ERROR", "{maybe:#}");
    assert_eq!(
        maybe[0]["locations"][0]["span"]["start"],
        serde_json::json!({"line": 5, "column": 16, "offset": 68}),
        "{maybe:#}"
    );
    assert_eq!(got["maybe"]["nextToken"], serde_json::Value::Null);

    assert_eq!(got["clean"]["findings"], serde_json::json!([]), "{got:#}");

    let many = serde_json::to_value(mrap_policy::validate(
        MANY,
        mrap_policy::PolicyType::Resource,
        Some(MRAP_RESOURCE_TYPE),
    ))?;
    assert_eq!(many.as_array().map(Vec::len), Some(12));
    assert_eq!(got["many"]["findings"], many, "boto3, unpaged");
    assert_eq!(
        got["paged"]["findings"], many,
        "boto3 paginator, pages of 5"
    );

    stack.stop().await?;
    Ok(())
}
