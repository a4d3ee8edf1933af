//! # mrap-policy
//!
//! IAM policy grammar, evaluation, S3 Block-Public-Access "is public"
//! analysis and Access Analyzer–style validation, for the MRAP emulator.
//! Pure library: no I/O, no async, never panics on input.
//!
//! ## Who calls what
//!
//! * **authorizer** — [`parse`] stored policies once, then per request build a
//!   [`RequestContext`] and call [`evaluate`] for each applicable policy
//!   (identity, MRAP, bucket); fold one IAM layer with [`combine`].
//! * **policy-store** — [`validate`] before saving (reject when any finding
//!   is [`FindingType::Error`]), and [`is_public`] on the parsed policy to
//!   enforce `BlockPublicPolicy`.
//! * **api-gateway** — Access Analyzer `ValidatePolicy`: [`validate`] and
//!   serialise the `Vec<Finding>` as the `findings` member; the JSON shape
//!   (camelCase, `locations[].path[]` unions, spans) is the AWS one.
//!   IAM `SimulatePrincipalPolicy` / `SimulateCustomPolicy`: [`parse`] each
//!   policy, then [`simulate()`] per action and resource; it evaluates and
//!   combines like the authorizer and adds the matched statements' positions
//!   and the missing context keys.
//!
//! ## API
//!
//! ```text
//! pub fn parse(text: &str) -> Result<Policy, ParseError>
//! pub fn evaluate(policy: &Policy, ctx: &RequestContext) -> Evaluation
//! pub fn combine(parts: &[(PolicyRole, &Evaluation)], same_account: bool) -> Evaluation
//! pub fn is_public(policy: &Policy) -> bool
//! pub fn validate(text: &str, policy_type: PolicyType, resource_type: Option<&str>) -> Vec<Finding>
//! pub fn simulate(input: &SimulationInput, action: &str, resource: &str) -> SimResult
//! ```
//!
//! ```
//! use mrap_policy::*;
//! let policy = parse(r#"{
//!   "Version": "2012-10-17",
//!   "Statement": [{
//!     "Effect": "Allow",
//!     "Principal": {"AWS": "111122223333"},
//!     "Action": "s3:GetObject",
//!     "Resource": "arn:aws:s3::111122223333:accesspoint/abc.mrap/object/*",
//!     "Condition": {"Bool": {"aws:SecureTransport": "true"}}
//!   }]
//! }"#).unwrap();
//! let ctx = RequestContext::new(
//!     RequestPrincipal::Aws { account: "111122223333".into(), arn: "arn:aws:iam::111122223333:user/ann".into() },
//!     "s3:GetObject",
//!     "arn:aws:s3::111122223333:accesspoint/abc.mrap/object/k",
//! ).with_key("aws:SecureTransport", "true");
//! assert_eq!(evaluate(&policy, &ctx).decision, Decision::Allow);
//! assert!(!is_public(&policy));
//! assert!(validate("{", PolicyType::Resource, None)[0].issue_code == "JSON_SYNTAX_ERROR");
//! ```
//!
//! ## `parse` vs `validate`
//!
//! [`parse`] fails (with the issue code and position) exactly when
//! [`validate`] would report a *grammar* ERROR (JSON syntax, duplicate keys,
//! unknown/missing elements, bad Effect/Version, unknown operator, variable
//! syntax, …) or the text exceeds [`MAX_POLICY_SIZE`]. Catalogue-based
//! problems (unknown S3 action, unknown key, ARN/resource-type mismatch) are
//! reported only by [`validate`]; at evaluation such items simply match
//! nothing. Condition values that do not parse for their operator
//! (`NumericEquals: "abc"`) are WARNINGs and never match.
//!
//! Module map: `json` (spanned JSON, flat node vector), `parse` (JSON →
//! [`Policy`] + grammar findings), `ast`, `text` (element strings: ranges
//! of one shared copy of the source), `path` (location paths, interned per
//! policy and turned into AWS path elements only for findings), `wildcard`,
//! `arn`, `variables`, `condition`, `evaluate`, `simulate` (IAM policy
//! simulation on top of `evaluate`), `public`, `catalog` (S3
//! actions/keys/resource types as data), `nfa` (bit-parallel ARN-template
//! matching), `validate` (the checks), `finding` (the AWS JSON shape);
//! `search` and `hash` are small helpers.
//!
//! Performance: parsing allocates little beyond the AST's vectors (strings
//! share the source), paths cost four bytes per element until a finding
//! needs one, and evaluation compiles nothing per request except templates
//! with policy variables. `examples/profile.rs` runs the benchmark
//! workloads for `valgrind --tool=callgrind`.

#![forbid(unsafe_code)]

pub mod arn;
pub mod ast;
pub mod catalog;
pub mod condition;
pub mod evaluate;
pub mod finding;
mod hash;
pub mod json;
mod nfa;
mod parse;
pub mod path;
pub mod public;
mod search;
pub mod simulate;
pub mod text;
pub mod validate;
pub mod variables;
pub mod wildcard;

pub use ast::{Effect, Policy, Statement};
pub use evaluate::{
    Decision, Evaluation, PolicyRole, RequestContext, RequestPrincipal, Signer, StatementRef,
    combine, evaluate, principal_keys,
};
pub use finding::{Finding, FindingType, Location, PathElement, Position, Span};
pub use parse::{MAX_POLICY_SIZE, ParseError};
pub use public::is_public;
pub use simulate::{
    MatchedStatement, SimPolicy, SimPosition, SimResult, SimulationInput, SourcePolicyType,
    simulate,
};
pub use validate::{PolicyType, validate};

/// Parses a policy document. Fails on JSON syntax errors, on any grammar
/// ERROR (the same ones [`validate`] reports) and on documents larger than
/// [`MAX_POLICY_SIZE`] bytes.
pub fn parse(text: &str) -> Result<Policy, ParseError> {
    if text.len() > MAX_POLICY_SIZE {
        return Err(ParseError {
            code: "POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA".into(),
            message: format!(
                "The policy is {} bytes; the limit is {MAX_POLICY_SIZE}.",
                text.len()
            ),
            position: Position::default(),
        });
    }
    let built = parse::build(text);
    if let Some(f) = built
        .findings
        .iter()
        .find(|f| f.finding_type == FindingType::Error)
    {
        return Err(ParseError {
            code: f.issue_code.clone(),
            message: f.finding_details.clone(),
            position: f
                .locations
                .first()
                .map(|l| l.span.start)
                .unwrap_or_default(),
        });
    }
    built.policy.ok_or_else(|| ParseError {
        code: "JSON_SYNTAX_ERROR".into(),
        message: "not a policy document".into(),
        position: Position::default(),
    })
}
