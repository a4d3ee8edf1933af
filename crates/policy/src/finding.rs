//! Validation findings in the exact JSON shape of Access Analyzer's
//! `ValidatePolicy` response (`ValidatePolicyFinding`), so the api-gateway can
//! return them unchanged.

use serde::{Deserialize, Serialize};

/// A point in the policy text: `line` is 1-based, `column` and `offset` are
/// 0-based and counted in characters (not bytes), as in the AWS API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Position {
    pub line: u32,
    pub column: u32,
    pub offset: u32,
}

/// `start` inclusive, `end` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Span {
    pub start: Position,
    pub end: Position,
}

/// One step of a location path. Serialises as a one-member object
/// (`{"value":"Statement"}`, `{"index":0}`, ...), like the AWS union type.
/// Object keys along a path are reported with `Value`, as real responses do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PathElement {
    Index(u32),
    Key(String),
    Value(String),
    Substring { start: u32, length: u32 },
}

/// A path into the document plus the span it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub path: Vec<PathElement>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FindingType {
    Error,
    SecurityWarning,
    Warning,
    Suggestion,
}

impl FindingType {
    /// The wire value (`ERROR`, `SECURITY_WARNING`, `WARNING`, `SUGGESTION`).
    pub fn api_name(self) -> &'static str {
        match self {
            FindingType::Error => "ERROR",
            FindingType::SecurityWarning => "SECURITY_WARNING",
            FindingType::Warning => "WARNING",
            FindingType::Suggestion => "SUGGESTION",
        }
    }

    /// The slug used in the check reference anchors.
    fn anchor(self) -> &'static str {
        match self {
            FindingType::Error => "error",
            FindingType::SecurityWarning => "security-warning",
            FindingType::Warning => "general-warning",
            FindingType::Suggestion => "suggestion",
        }
    }
}

/// One finding, field names as in `ValidatePolicyFinding`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub finding_details: String,
    pub finding_type: FindingType,
    pub issue_code: String,
    pub learn_more_link: String,
    pub locations: Vec<Location>,
}

const LINK_BASE: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html";

impl Finding {
    /// Builds a finding; the learn-more link follows the check reference's
    /// anchor scheme (`#access-analyzer-reference-policy-checks-<type>-<code-in-kebab-case>`).
    pub fn new(
        finding_type: FindingType,
        issue_code: &str,
        details: impl Into<String>,
        locations: Vec<Location>,
    ) -> Self {
        let kebab = issue_code.to_ascii_lowercase().replace('_', "-");
        Finding {
            finding_details: details.into(),
            finding_type,
            issue_code: issue_code.to_string(),
            learn_more_link: format!(
                "{LINK_BASE}#access-analyzer-reference-policy-checks-{}-{kebab}",
                finding_type.anchor()
            ),
            locations,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_in_aws_shape() {
        let f = Finding::new(
            FindingType::SecurityWarning,
            "ALLOW_WITH_NOT_PRINCIPAL",
            "x",
            vec![Location {
                path: vec![
                    PathElement::Value("Statement".into()),
                    PathElement::Index(0),
                    PathElement::Substring {
                        start: 1,
                        length: 2,
                    },
                ],
                span: Span::default(),
            }],
        );
        let j = serde_json::to_string(&f).expect("serialise");
        assert_eq!(
            j,
            r#"{"findingDetails":"x","findingType":"SECURITY_WARNING","issueCode":"ALLOW_WITH_NOT_PRINCIPAL","learnMoreLink":"https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#access-analyzer-reference-policy-checks-security-warning-allow-with-not-principal","locations":[{"path":[{"value":"Statement"},{"index":0},{"substring":{"start":1,"length":2}}],"span":{"start":{"line":0,"column":0,"offset":0},"end":{"line":0,"column":0,"offset":0}}}]}"#
        );
        let back: Finding = serde_json::from_str(&j).expect("round trip");
        assert_eq!(back, f);
    }
}
