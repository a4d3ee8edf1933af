//! IAM Access Analyzer `ValidatePolicy` (`POST /policy/validation`, REST-JSON, signed for
//! `access-analyzer`): the findings of [`mrap_policy::validate`], in the exact
//! `ValidatePolicyFinding` shape, a page at a time.
//!
//! Request: JSON body `{"policyDocument", "policyType", "validatePolicyResourceType"?, "locale"?}`,
//! query `maxResults` and `nextToken` (the service model binds both to the query string).
//! Response: 200 `{"findings":[…],"nextToken"?:"…"}`. Refusals are `ValidationException`s (see
//! [`super::error`] for how codes map onto reasons).
//!
//! - `maxResults`: a positive integer; without it every finding comes back in one page.
//! - `nextToken`: opaque to clients; here the decimal index of the next finding, checked to be
//!   within the findings of the document sent with it.
//! - `policyType`: `IDENTITY_POLICY` and `RESOURCE_POLICY` are validated; the two organization
//!   policy types (`SERVICE_CONTROL_POLICY`, `RESOURCE_CONTROL_POLICY`) are valid API values this
//!   emulator has no checks for, refused with reason `notSupported`.
//! - `validatePolicyResourceType` selects the S3 resource-specific checks (bucket, access point,
//!   MRAP); the other documented values run the generic resource-policy checks, as AWS does for
//!   types it has no specific checks for. It is ignored for identity policies.
//! - `locale`: any documented value is accepted; findings are always in English.

use axum::{
    body::Body,
    http::{HeaderValue, header},
    response::Response,
};
use mrap_model::{ApiError, ErrorCode};
use mrap_policy::{Finding, PolicyType};
use percent_encoding::percent_decode_str;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::access_analyzer::AaRequest;

const POLICY_TYPES: [&str; 4] = [
    "IDENTITY_POLICY",
    "RESOURCE_POLICY",
    "SERVICE_CONTROL_POLICY",
    "RESOURCE_CONTROL_POLICY",
];

const RESOURCE_TYPES: [&str; 6] = [
    "AWS::S3::Bucket",
    "AWS::S3::AccessPoint",
    "AWS::S3::MultiRegionAccessPoint",
    "AWS::S3ObjectLambda::AccessPoint",
    "AWS::IAM::AssumeRolePolicyDocument",
    "AWS::DynamoDB::Table",
];

const LOCALES: [&str; 10] = [
    "DE", "EN", "ES", "FR", "IT", "JA", "KO", "PT_BR", "ZH_CN", "ZH_TW",
];

/// A request that passed validation.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ValidateRequest {
    pub policy_document: String,
    pub policy_type: PolicyType,
    /// Only for resource policies.
    pub resource_type: Option<String>,
    pub max_results: Option<usize>,
    /// Index of the first finding of the page (`nextToken`).
    pub start: usize,
}

/// `ValidatePolicyResponse`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ValidatePolicyResponse {
    findings: Vec<Finding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

pub(crate) async fn handle(req: AaRequest) -> Result<Response, ApiError> {
    let (query, body) = (req.query.as_str(), &req.body[..]);
    let request = parse(query, body)?;
    let resource_type = request.resource_type.as_deref();
    let findings =
        mrap_policy::validate(&request.policy_document, request.policy_type, resource_type);
    let page = page(findings, request.max_results, request.start)?;
    let json = serde_json::to_vec(&page)
        .map_err(|e| ApiError::internal(format!("could not serialise findings: {e}")))?;
    let mut response = Response::new(Body::from(json));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// The page of `findings` starting at `start`.
pub(crate) fn page(
    mut findings: Vec<Finding>,
    max_results: Option<usize>,
    start: usize,
) -> Result<ValidatePolicyResponse, ApiError> {
    let total = findings.len();
    if start > total {
        return Err(invalid_token());
    }
    let end = max_results.map_or(total, |m| start.saturating_add(m).min(total));
    findings.truncate(end);
    let findings = findings.split_off(start);
    Ok(ValidatePolicyResponse {
        findings,
        next_token: (end < total).then(|| end.to_string()),
    })
}

pub(crate) fn parse(query: &str, body: &[u8]) -> Result<ValidateRequest, ApiError> {
    let (max_results, start) = query_params(query)?;
    let value: Value = if body.trim_ascii().is_empty() {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice(body)
            .map_err(|e| cannot_parse(format!("The request body is not valid JSON: {e}")))?
    };
    let Value::Object(members) = value else {
        return Err(cannot_parse("The request body must be a JSON object."));
    };
    let policy_document = string_member(&members, "policyDocument")?
        .ok_or_else(|| missing("policyDocument"))?
        .to_owned();
    let policy_type =
        string_member(&members, "policyType")?.ok_or_else(|| missing("policyType"))?;
    let resource_type = string_member(&members, "validatePolicyResourceType")?;
    let locale = string_member(&members, "locale")?;

    let policy_type = match PolicyType::from_api(policy_type) {
        Some(t) => t,
        None if POLICY_TYPES.contains(&policy_type) => {
            return Err(ApiError::new(
                ErrorCode::InvalidArgument,
                format!(
                    "policyType {policy_type} is not supported by this endpoint; use IDENTITY_POLICY or RESOURCE_POLICY."
                ),
            ));
        }
        None => return Err(not_in_enum("policyType", policy_type, &POLICY_TYPES)),
    };
    if let Some(r) = resource_type
        && !RESOURCE_TYPES.contains(&r)
    {
        return Err(not_in_enum(
            "validatePolicyResourceType",
            r,
            &RESOURCE_TYPES,
        ));
    }
    if let Some(l) = locale
        && !LOCALES.contains(&l)
    {
        return Err(not_in_enum("locale", l, &LOCALES));
    }
    Ok(ValidateRequest {
        policy_document,
        policy_type,
        resource_type: resource_type
            .filter(|_| policy_type == PolicyType::Resource)
            .map(str::to_owned),
        max_results,
        start,
    })
}

/// `maxResults` and `nextToken` (first occurrence of each; other parameters are ignored).
fn query_params(query: &str) -> Result<(Option<usize>, usize), ApiError> {
    let mut max_results = None;
    let mut start = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode_str(value).decode_utf8_lossy();
        match &*percent_decode_str(key).decode_utf8_lossy() {
            "maxResults" if max_results.is_none() => {
                let n = value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| {
                        ApiError::new(
                            ErrorCode::InvalidRequest,
                            format!(
                                "1 validation error detected: Value '{value}' at 'maxResults' failed to satisfy constraint: Member must be a positive integer"
                            ),
                        )
                    })?;
                max_results = Some(n);
            }
            "nextToken" if start.is_none() => {
                let n = (!value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| value.parse::<usize>().ok())
                    .flatten()
                    .ok_or_else(invalid_token)?;
                start = Some(n);
            }
            _ => {}
        }
    }
    Ok((max_results, start.unwrap_or(0)))
}

/// A member that must be a string when present (`null` counts as absent).
fn string_member<'a>(
    members: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, ApiError> {
    match members.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(cannot_parse(format!("{name} must be a JSON string."))),
    }
}

fn cannot_parse(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::MalformedXML, message)
}

fn missing(name: &str) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidRequest,
        format!(
            "1 validation error detected: Value null at '{name}' failed to satisfy constraint: Member must not be null"
        ),
    )
}

fn not_in_enum(name: &str, value: &str, allowed: &[&str]) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidRequest,
        format!(
            "1 validation error detected: Value '{value}' at '{name}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            allowed.join(", ")
        ),
    )
}

fn invalid_token() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidRequest,
        "The nextToken is not valid for this request.",
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;

    fn body(members: &[(&str, &str)]) -> Vec<u8> {
        let map: Map<String, Value> = members
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
            .collect();
        serde_json::to_vec(&Value::Object(map)).unwrap()
    }

    fn code(query: &str, body: &[u8]) -> Option<ErrorCode> {
        parse(query, body).err().map(|e| e.code)
    }

    #[test]
    fn a_request_as_the_sdks_send_it() {
        let b = body(&[
            ("policyDocument", POLICY),
            ("policyType", "RESOURCE_POLICY"),
            ("validatePolicyResourceType", "AWS::S3::Bucket"),
            ("locale", "EN"),
        ]);
        assert_eq!(
            parse("maxResults=2&nextToken=4", &b).unwrap(),
            ValidateRequest {
                policy_document: POLICY.into(),
                policy_type: PolicyType::Resource,
                resource_type: Some("AWS::S3::Bucket".into()),
                max_results: Some(2),
                start: 4,
            }
        );
        // the resource type is ignored for identity policies; null members are absent
        let b = br#"{"policyDocument":"{}","policyType":"IDENTITY_POLICY","validatePolicyResourceType":"AWS::S3::Bucket","locale":null}"#;
        let r = parse("", b).unwrap();
        assert_eq!(
            (r.policy_type, r.resource_type, r.max_results, r.start),
            (PolicyType::Identity, None, None, 0)
        );
    }

    #[test]
    fn refusals() {
        use ErrorCode::*;
        let ok = body(&[
            ("policyDocument", POLICY),
            ("policyType", "IDENTITY_POLICY"),
        ]);
        let cases: Vec<(&str, Vec<u8>, Option<ErrorCode>)> = vec![
            ("", ok.clone(), None),
            ("", b"".to_vec(), Some(InvalidRequest)),
            ("", b"{}".to_vec(), Some(InvalidRequest)),
            ("", b"not json".to_vec(), Some(MalformedXML)),
            ("", b"[1]".to_vec(), Some(MalformedXML)),
            (
                "",
                br#"{"policyDocument":{},"policyType":"IDENTITY_POLICY"}"#.to_vec(),
                Some(MalformedXML),
            ),
            (
                "",
                body(&[("policyDocument", POLICY)]),
                Some(InvalidRequest),
            ),
            (
                "",
                body(&[("policyType", "IDENTITY_POLICY")]),
                Some(InvalidRequest),
            ),
            (
                "",
                body(&[
                    ("policyDocument", POLICY),
                    ("policyType", "identity_policy"),
                ]),
                Some(InvalidRequest),
            ),
            (
                "",
                body(&[
                    ("policyDocument", POLICY),
                    ("policyType", "SERVICE_CONTROL_POLICY"),
                ]),
                Some(InvalidArgument),
            ),
            (
                "",
                body(&[
                    ("policyDocument", POLICY),
                    ("policyType", "RESOURCE_CONTROL_POLICY"),
                ]),
                Some(InvalidArgument),
            ),
            (
                "",
                body(&[
                    ("policyDocument", POLICY),
                    ("policyType", "RESOURCE_POLICY"),
                    ("validatePolicyResourceType", "AWS::S3::Object"),
                ]),
                Some(InvalidRequest),
            ),
            (
                "",
                body(&[
                    ("policyDocument", POLICY),
                    ("policyType", "RESOURCE_POLICY"),
                    ("locale", "XX"),
                ]),
                Some(InvalidRequest),
            ),
            ("maxResults=0", ok.clone(), Some(InvalidRequest)),
            ("maxResults=-1", ok.clone(), Some(InvalidRequest)),
            ("maxResults=many", ok.clone(), Some(InvalidRequest)),
            ("maxResults=", ok.clone(), Some(InvalidRequest)),
            ("nextToken=", ok.clone(), Some(InvalidRequest)),
            ("nextToken=abc", ok.clone(), Some(InvalidRequest)),
            ("nextToken=%2B1", ok.clone(), Some(InvalidRequest)),
            (
                "nextToken=99999999999999999999999",
                ok.clone(),
                Some(InvalidRequest),
            ),
            ("maxResults=100&nextToken=0&other=x", ok.clone(), None),
        ];
        for (query, b, want) in cases {
            assert_eq!(
                code(query, &b),
                want,
                "{query} {}",
                String::from_utf8_lossy(&b)
            );
        }
    }

    fn findings(n: usize) -> Vec<Finding> {
        (0..n)
            .map(|i| {
                Finding::new(
                    mrap_policy::FindingType::Suggestion,
                    "EMPTY_ARRAY_ACTION",
                    format!("finding {i}"),
                    vec![],
                )
            })
            .collect()
    }

    fn details(page: &ValidatePolicyResponse) -> Vec<&str> {
        page.findings
            .iter()
            .map(|f| f.finding_details.as_str())
            .collect()
    }

    #[test]
    fn paging() {
        let all = page(findings(5), None, 0).unwrap();
        assert_eq!(all.findings.len(), 5);
        assert_eq!(all.next_token, None);

        let p1 = page(findings(5), Some(2), 0).unwrap();
        assert_eq!(details(&p1), ["finding 0", "finding 1"]);
        assert_eq!(p1.next_token.as_deref(), Some("2"));
        let p3 = page(findings(5), Some(2), 4).unwrap();
        assert_eq!(details(&p3), ["finding 4"]);
        assert_eq!(p3.next_token, None);
        // exactly at the end: an empty last page
        let end = page(findings(4), Some(2), 4).unwrap();
        assert!(end.findings.is_empty() && end.next_token.is_none());
        assert_eq!(
            page(findings(4), Some(2), 5).unwrap_err().code,
            ErrorCode::InvalidRequest
        );
        let huge = page(findings(3), Some(usize::MAX), 1).unwrap();
        assert_eq!(details(&huge), ["finding 1", "finding 2"]);
    }

    #[test]
    fn the_response_is_the_access_analyzer_json() {
        let f = mrap_policy::validate("{", PolicyType::Identity, None);
        let json = serde_json::to_value(page(f, Some(1), 0).unwrap()).unwrap();
        let first = &json["findings"][0];
        assert_eq!(first["findingType"], "ERROR");
        assert_eq!(first["issueCode"], "JSON_SYNTAX_ERROR");
        assert!(first["learnMoreLink"].as_str().unwrap().starts_with("https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#"));
        assert!(first["locations"].is_array());
        assert!(first["findingDetails"].is_string());
        let empty = serde_json::to_string(&page(vec![], None, 0).unwrap()).unwrap();
        assert_eq!(empty, r#"{"findings":[]}"#);
        let two = serde_json::to_string(&page(findings(2), Some(1), 0).unwrap()).unwrap();
        assert_eq!(
            two,
            r#"{"findings":[{"findingDetails":"finding 0","findingType":"SUGGESTION","issueCode":"EMPTY_ARRAY_ACTION","learnMoreLink":"https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#access-analyzer-reference-policy-checks-suggestion-empty-array-action","locations":[]}],"nextToken":"1"}"#
        );
    }
}
