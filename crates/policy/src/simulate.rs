//! IAM policy simulation, for the `SimulatePrincipalPolicy` /
//! `SimulateCustomPolicy` handlers (iam-sts-query-api.md §3.1).
//!
//! [`simulate`] decides one (action, resource) pair exactly as the
//! authorizer decides one IAM layer: every policy is evaluated with
//! [`evaluate`] against the same [`RequestContext`], and the results are
//! folded with [`combine`] — identity policies as [`PolicyRole::Identity`],
//! the resource policy as [`PolicyRole::Resource`], `same_account` when the
//! resource owner is the caller's account. On top of the decision it reports
//! what the API returns with it: the deciding statements with their
//! positions in the policy text (`MatchedStatements`) and the condition keys
//! the context lacks (`MissingContextValues`).
//!
//! The handler loops over `ActionNames` × `ResourceArns` (rejecting
//! wildcard actions for `SimulateCustomPolicy` itself) and serialises each
//! [`SimResult`]; permissions boundaries and Organizations policies are not
//! modelled here.

use std::collections::{BTreeMap, HashMap};

use crate::ast::{Policy, Statement};
use crate::evaluate::{
    Decision, Evaluation, PolicyRole, RequestContext, RequestPrincipal, combine, evaluate,
    statement_in_scope,
};
use crate::finding::Span;

/// Where a matched statement came from: the `SourcePolicyType` AWS actually
/// returns (not the model's enum, see §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourcePolicyType {
    /// An identity policy of the principal (input, inline or attached).
    IamPolicy,
    /// The simulated resource policy.
    ResourcePolicy,
}

impl SourcePolicyType {
    /// The wire value: `IAM Policy` or `Resource Policy`.
    pub fn as_str(self) -> &'static str {
        match self {
            SourcePolicyType::IamPolicy => "IAM Policy",
            SourcePolicyType::ResourcePolicy => "Resource Policy",
        }
    }
}

/// One policy taking part in a simulation. Its type follows from where it
/// sits in [`SimulationInput`]; positions come from the spans `policy` was
/// parsed with, so it must be the parse of the text the caller sent or
/// stored (character columns, as Access Analyzer counts them).
#[derive(Debug, Clone)]
pub struct SimPolicy<'a> {
    /// The `SourcePolicyId`: `PolicyInputList.1` (1-based) for input
    /// policies, `ResourcePolicy` for the resource policy, the policy name
    /// for a principal's inline or managed policies.
    pub id: String,
    pub policy: &'a Policy,
}

/// Everything a simulation holds fixed across actions and resources.
#[derive(Debug, Clone, Default)]
pub struct SimulationInput<'a> {
    /// The principal's identity policies (`PolicyInputList` and, for
    /// `SimulatePrincipalPolicy`, its own policies).
    pub identity: Vec<SimPolicy<'a>>,
    /// `ResourcePolicy`, applied to every simulated resource.
    pub resource_policy: Option<SimPolicy<'a>>,
    /// Account id of the simulated caller.
    pub caller_account: String,
    /// ARN of the simulated caller (`CallerArn`, or the source user).
    pub caller_arn: String,
    /// Account id owning the resources and the resource policy
    /// (`ResourceOwner`); `None` means the caller's account.
    pub resource_owner: Option<String>,
    /// `ContextEntries`: key name → values. Names may be in any case (they
    /// are compared case-insensitively, values of names differing only in
    /// case are merged); an empty list counts as absent.
    pub context: HashMap<String, Vec<String>>,
}

/// A reported position: `line` 1-based, `column` **one past** the 1-based
/// column of the brace it points at, counted in characters — what AWS
/// returns (`{` at column 37 is reported as 38).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SimPosition {
    pub line: u32,
    pub column: u32,
}

/// One deciding statement (`StatementType` in the API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedStatement {
    pub source_policy_id: String,
    pub source_policy_type: SourcePolicyType,
    /// The statement object's `{`.
    pub start: SimPosition,
    /// The statement object's closing `}`.
    pub end: SimPosition,
}

/// The result for one (action, resource) pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimResult {
    pub decision: Decision,
    /// The deciding statements, identity policies first in input order, then
    /// the resource policy: on `ExplicitDeny` only the matching Deny
    /// statements, on `Allow` the matching Allow statements, on
    /// `ImplicitDeny` none.
    pub matched: Vec<MatchedStatement>,
    /// Condition keys (as first written in the policies; deduplicated
    /// case-insensitively; sorted by lower-cased name) used in a condition of
    /// a statement whose principal, action and resource match the request,
    /// for which the context has no value. Every operator counts, `Null` and
    /// `…IfExists` included: their outcome, too, rests on the key's absence.
    pub missing_context: Vec<String>,
}

impl SimResult {
    /// The `EvalDecision` wire value: `allowed`, `explicitDeny` or
    /// `implicitDeny`.
    pub fn eval_decision(&self) -> &'static str {
        match self.decision {
            Decision::Allow => "allowed",
            Decision::ExplicitDeny => "explicitDeny",
            Decision::ImplicitDeny => "implicitDeny",
        }
    }
}

/// Simulates `action` on `resource` (an ARN, or `*`) for the input's caller.
pub fn simulate(input: &SimulationInput<'_>, action: &str, resource: &str) -> SimResult {
    let mut keys: HashMap<String, Vec<String>> = HashMap::with_capacity(input.context.len());
    for (name, values) in &input.context {
        keys.entry(name.to_ascii_lowercase())
            .or_default()
            .extend(values.iter().cloned());
    }
    let ctx = RequestContext {
        principal: RequestPrincipal::Aws {
            account: input.caller_account.clone(),
            arn: input.caller_arn.clone(),
        },
        action: action.to_string(),
        resource: resource.to_string(),
        keys,
    };

    let sources: Vec<(&SimPolicy<'_>, SourcePolicyType, PolicyRole)> = input
        .identity
        .iter()
        .map(|p| (p, SourcePolicyType::IamPolicy, PolicyRole::Identity))
        .chain(
            input
                .resource_policy
                .iter()
                .map(|p| (p, SourcePolicyType::ResourcePolicy, PolicyRole::Resource)),
        )
        .collect();
    let evaluations: Vec<Evaluation> = sources
        .iter()
        .map(|(p, _, _)| evaluate(p.policy, &ctx))
        .collect();
    let parts: Vec<(PolicyRole, &Evaluation)> = sources
        .iter()
        .zip(&evaluations)
        .map(|((_, _, role), e)| (*role, e))
        .collect();
    let same_account = input
        .resource_owner
        .as_deref()
        .is_none_or(|owner| owner == input.caller_account);
    let combined = combine(&parts, same_account);

    let matched = combined
        .statements
        .iter()
        .filter_map(|r| {
            let (p, kind, _) = sources.get(r.policy)?;
            let st = statement(p.policy, r.index)?;
            Some(MatchedStatement {
                source_policy_id: p.id.clone(),
                source_policy_type: *kind,
                start: start_position(st.span),
                end: end_position(st.span),
            })
        })
        .collect();

    let mut missing: BTreeMap<&str, &str> = BTreeMap::new();
    for (p, _, _) in &sources {
        for st in &p.policy.statements {
            // Statements without an Effect take no part in evaluation.
            if st.effect.is_none() || !statement_in_scope(st, &ctx) {
                continue;
            }
            for clause in &st.condition {
                let lower = clause.key_lower.as_str();
                if ctx.keys.get(lower).is_none_or(|v| v.is_empty()) {
                    missing.entry(lower).or_insert(clause.key.value.as_str());
                }
            }
        }
    }

    SimResult {
        decision: combined.decision,
        matched,
        missing_context: missing.into_values().map(str::to_string).collect(),
    }
}

/// The statement with `Statement` array index `index`.
fn statement(policy: &Policy, index: usize) -> Option<&Statement> {
    match policy.statements.get(index) {
        Some(st) if st.index == index => Some(st),
        _ => policy.statements.iter().find(|st| st.index == index),
    }
}

/// Spans hold 0-based columns with an exclusive end: the `{` at 0-based
/// column c is reported as c + 2, the `}` ending before column e as e + 1.
fn start_position(span: Span) -> SimPosition {
    SimPosition {
        line: span.start.line,
        column: span.start.column.saturating_add(2),
    }
}

fn end_position(span: Span) -> SimPosition {
    SimPosition {
        line: span.end.line,
        column: span.end.column.saturating_add(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    const ACCT: &str = "111122223333";
    const OTHER: &str = "444455556666";
    const USER: &str = "arn:aws:iam::111122223333:user/ann";
    const OBJ: &str = "arn:aws:s3:::amzn-s3-demo-bucket/key";

    fn pol(text: &str) -> Policy {
        parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn input<'a>(identity: &[(&'a str, &'a Policy)]) -> SimulationInput<'a> {
        SimulationInput {
            identity: identity
                .iter()
                .map(|(id, policy)| SimPolicy {
                    id: id.to_string(),
                    policy,
                })
                .collect(),
            resource_policy: None,
            caller_account: ACCT.into(),
            caller_arn: USER.into(),
            resource_owner: None,
            context: HashMap::new(),
        }
    }

    fn pos(line: u32, column: u32) -> SimPosition {
        SimPosition { line, column }
    }

    fn m(id: &str, kind: SourcePolicyType, start: (u32, u32), end: (u32, u32)) -> MatchedStatement {
        MatchedStatement {
            source_policy_id: id.into(),
            source_policy_type: kind,
            start: pos(start.0, start.1),
            end: pos(end.0, end.1),
        }
    }

    /// Single-line policies whose (only) statement object spans columns
    /// 37..=(36 + statement length), 1-based.
    fn one_line(statement: &str) -> String {
        format!(r#"{{"Version":"2012-10-17","Statement":{statement}}}"#)
    }

    const ALLOW_GET: &str = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}"#;

    #[test]
    fn source_policy_type_and_decision_wire_values() {
        assert_eq!(SourcePolicyType::IamPolicy.as_str(), "IAM Policy");
        assert_eq!(SourcePolicyType::ResourcePolicy.as_str(), "Resource Policy");
        let r = |decision| SimResult {
            decision,
            matched: Vec::new(),
            missing_context: Vec::new(),
        };
        assert_eq!(r(Decision::Allow).eval_decision(), "allowed");
        assert_eq!(r(Decision::ExplicitDeny).eval_decision(), "explicitDeny");
        assert_eq!(r(Decision::ImplicitDeny).eval_decision(), "implicitDeny");
    }

    #[test]
    fn allow_by_identity_policy() {
        let p = pol(&one_line(ALLOW_GET));
        let inp = input(&[("PolicyInputList.1", &p)]);
        let r = simulate(&inp, "s3:GetObject", OBJ);
        assert_eq!(r.decision, Decision::Allow);
        // Statement length 90: `{` at column 37, `}` at 126.
        assert_eq!(
            r.matched,
            [m(
                "PolicyInputList.1",
                SourcePolicyType::IamPolicy,
                (1, 38),
                (1, 127)
            )]
        );
        assert!(r.missing_context.is_empty());
        // Another action, another bucket: nothing matches.
        assert_eq!(
            simulate(&inp, "s3:PutObject", OBJ).decision,
            Decision::ImplicitDeny
        );
        assert_eq!(
            simulate(&inp, "s3:GetObject", "arn:aws:s3:::other/key").decision,
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn explicit_deny_beats_allow_and_only_the_deny_is_matched() {
        let allow = pol(&one_line(
            r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#,
        ));
        // Two statements: an unrelated Deny first, the deciding one second.
        let deny = pol(concat!(
            r#"{"Version":"2012-10-17","Statement":["#,
            r#"{"Effect":"Deny","Action":"s3:PutObject","Resource":"*"},"#,
            r#"{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}"#
        ));
        let inp = input(&[("PolicyInputList.1", &allow), ("PolicyInputList.2", &deny)]);
        let r = simulate(&inp, "s3:DeleteObject", OBJ);
        assert_eq!(r.decision, Decision::ExplicitDeny);
        // First statement `{` at 37, its `}` at 93, `,` at 94; second `{` at
        // 95, `}` at 153.
        assert_eq!(
            r.matched,
            [m(
                "PolicyInputList.2",
                SourcePolicyType::IamPolicy,
                (1, 96),
                (1, 154)
            )]
        );
        // Without a deny the allow decides and is what is matched.
        let r = simulate(&inp, "s3:GetObject", OBJ);
        assert_eq!(r.decision, Decision::Allow);
        assert_eq!(
            r.matched,
            [m(
                "PolicyInputList.1",
                SourcePolicyType::IamPolicy,
                (1, 38),
                (1, 86)
            )]
        );
    }

    #[test]
    fn implicit_deny_matches_nothing() {
        let p = pol(&one_line(ALLOW_GET));
        let inp = input(&[("PolicyInputList.1", &p)]);
        let r = simulate(&inp, "s3:DeleteObject", OBJ);
        assert_eq!(r.decision, Decision::ImplicitDeny);
        assert!(r.matched.is_empty());
        // No policies at all.
        let r = simulate(&input(&[]), "s3:GetObject", OBJ);
        assert_eq!(r.decision, Decision::ImplicitDeny);
        assert!(r.matched.is_empty());
    }

    fn bucket_policy(principal: &str) -> String {
        one_line(&format!(
            r#"{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}}"#
        ))
    }

    #[test]
    fn same_account_resource_policy_alone_allows() {
        let rp = pol(&bucket_policy(USER));
        let mut inp = input(&[]);
        inp.resource_policy = Some(SimPolicy {
            id: "ResourcePolicy".into(),
            policy: &rp,
        });
        let r = simulate(&inp, "s3:GetObject", OBJ);
        assert_eq!(r.decision, Decision::Allow);
        // Statement length 147: `{` at 37, `}` at 183.
        assert_eq!(
            r.matched,
            [m(
                "ResourcePolicy",
                SourcePolicyType::ResourcePolicy,
                (1, 38),
                (1, 184)
            )]
        );
        // Explicitly the caller's own account: the same.
        inp.resource_owner = Some(ACCT.into());
        assert_eq!(
            simulate(&inp, "s3:GetObject", OBJ).decision,
            Decision::Allow
        );
        // A policy naming someone else grants the caller nothing.
        let other = pol(&bucket_policy("arn:aws:iam::111122223333:user/bob"));
        inp.resource_policy = Some(SimPolicy {
            id: "ResourcePolicy".into(),
            policy: &other,
        });
        assert_eq!(
            simulate(&inp, "s3:GetObject", OBJ).decision,
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn cross_account_needs_identity_and_resource_policy() {
        let identity = pol(&one_line(ALLOW_GET));
        let rp = pol(&bucket_policy(ACCT));
        let resource = SimPolicy {
            id: "ResourcePolicy".into(),
            policy: &rp,
        };

        // Resource policy alone.
        let mut inp = input(&[]);
        inp.resource_owner = Some(OTHER.into());
        inp.resource_policy = Some(resource.clone());
        let r = simulate(&inp, "s3:GetObject", OBJ);
        assert_eq!(r.decision, Decision::ImplicitDeny);
        assert!(r.matched.is_empty());
        // The same inputs within one account allow.
        inp.resource_owner = None;
        assert_eq!(
            simulate(&inp, "s3:GetObject", OBJ).decision,
            Decision::Allow
        );

        // Identity policy alone.
        let mut inp = input(&[("PolicyInputList.1", &identity)]);
        inp.resource_owner = Some(OTHER.into());
        assert_eq!(
            simulate(&inp, "s3:GetObject", OBJ).decision,
            Decision::ImplicitDeny
        );

        // Both: allowed, both statements reported, identity first.
        inp.resource_policy = Some(resource);
        let r = simulate(&inp, "s3:GetObject", OBJ);
        assert_eq!(r.decision, Decision::Allow);
        assert_eq!(
            r.matched,
            [
                m(
                    "PolicyInputList.1",
                    SourcePolicyType::IamPolicy,
                    (1, 38),
                    (1, 127)
                ),
                m(
                    "ResourcePolicy",
                    SourcePolicyType::ResourcePolicy,
                    (1, 38),
                    (1, 162)
                ),
            ]
        );
    }

    #[test]
    fn conditions_on_source_ip_and_current_time() {
        let p = pol(&one_line(
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"},"DateGreaterThan":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}}"#,
        ));
        let with = |ip: &str, time: &str| {
            let mut inp = input(&[("PolicyInputList.1", &p)]);
            // Names as a client writes them; matching is case-insensitive.
            inp.context.insert("aws:SourceIp".into(), vec![ip.into()]);
            inp.context
                .insert("AWS:CURRENTTIME".into(), vec![time.into()]);
            simulate(&inp, "s3:GetObject", OBJ)
        };
        let r = with("203.0.113.7", "2024-06-01T12:00:00Z");
        assert_eq!(r.decision, Decision::Allow);
        assert_eq!(r.matched.len(), 1);
        assert!(r.missing_context.is_empty());
        // Outside the range, or on/before the date: implicit deny.
        assert_eq!(
            with("198.51.100.7", "2024-06-01T12:00:00Z").decision,
            Decision::ImplicitDeny
        );
        assert_eq!(
            with("203.0.113.7", "2023-12-31T23:59:59Z").decision,
            Decision::ImplicitDeny
        );
        assert_eq!(
            with("203.0.113.7", "2024-01-01T00:00:00Z").decision,
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn deny_with_condition_given_via_context() {
        let allow = pol(&one_line(
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#,
        ));
        let deny = pol(&one_line(
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}}"#,
        ));
        let mut inp = input(&[("PolicyInputList.1", &allow), ("PolicyInputList.2", &deny)]);
        inp.context
            .insert("aws:sourceip".into(), vec!["2001:db8::1".into()]);
        assert_eq!(
            simulate(&inp, "s3:GetObject", OBJ).decision,
            Decision::Allow
        );
        inp.context
            .insert("aws:sourceip".into(), vec!["192.0.2.1".into()]);
        let r = simulate(&inp, "s3:GetObject", OBJ);
        assert_eq!(r.decision, Decision::ExplicitDeny);
        assert_eq!(r.matched.len(), 1);
        assert_eq!(r.matched[0].source_policy_id, "PolicyInputList.2");
        // Absent, the negated operator is true: denied, and the key is missing.
        inp.context.clear();
        let r = simulate(&inp, "s3:GetObject", OBJ);
        assert_eq!(r.decision, Decision::ExplicitDeny);
        assert_eq!(r.missing_context, ["aws:SourceIp"]);
    }

    #[test]
    fn position_of_the_reference_sample() {
        // The shape of the AWS sample: braces at columns 37 and 166 are
        // reported as 38 and 167.
        let text = one_line(
            r#"{"Sid":"AllowGet","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket-xxxxxxxxxxxxxxxxxxxxxx/*"}"#,
        );
        let chars: Vec<char> = text.chars().collect();
        assert_eq!((chars[36], chars[165], chars.len()), ('{', '}', 167));
        let p = pol(&text);
        let r = simulate(
            &input(&[("PolicyInputList.1", &p)]),
            "s3:GetObject",
            "arn:aws:s3:::amzn-s3-demo-bucket-xxxxxxxxxxxxxxxxxxxxxx/k",
        );
        assert_eq!(
            r.matched,
            [m(
                "PolicyInputList.1",
                SourcePolicyType::IamPolicy,
                (1, 38),
                (1, 167)
            )]
        );
        // `json.dumps` spacing: `{` at column 40 is reported as 41.
        let text = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}"#;
        assert_eq!(text.find("{\"Effect"), Some(39));
        let p = pol(text);
        let r = simulate(&input(&[("x", &p)]), "s3:GetObject", OBJ);
        assert_eq!(r.matched[0].start, pos(1, 41));
        assert_eq!(r.matched[0].end, pos(1, text.len() as u32));
    }

    #[test]
    fn positions_in_a_pretty_printed_policy() {
        let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Sid\": \"Café\",\n      \"Effect\": \"Allow\",\n      \"Action\": \"s3:PutObject\",\n      \"Resource\": \"*\"\n    },\n    {\n      \"Sid\": \"Read\",\n      \"Effect\": \"Allow\",\n      \"Action\": [\"s3:GetObject\", \"s3:ListBucket\"],\n      \"Resource\": \"*\"\n    }\n  ]\n}\n";
        let p = pol(text);
        let inp = input(&[("Inline", &p)]);
        // Second statement: `{` on line 10 and `}` on line 15, both at
        // column 5.
        let r = simulate(&inp, "s3:GetObject", OBJ);
        assert_eq!(
            r.matched,
            [m("Inline", SourcePolicyType::IamPolicy, (10, 6), (15, 6))]
        );
        // First statement: lines 4 to 9.
        let r = simulate(&inp, "s3:PutObject", OBJ);
        assert_eq!(
            r.matched,
            [m("Inline", SourcePolicyType::IamPolicy, (4, 6), (9, 6))]
        );

        // Columns count characters, not bytes: `é` (two bytes) before a
        // statement on the same line moves it by one column.
        let text = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"Caf\u{e9}\",\"Effect\":\"Deny\",\"Action\":\"s3:PutObject\",\"Resource\":\"*\"},{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}";
        let p = pol(text);
        let brace = text.find("},{").expect("two statements") + 2;
        assert_eq!(brace, 108);
        let r = simulate(&input(&[("Inline", &p)]), "s3:GetObject", OBJ);
        // Byte 108 is character 107 (0-based), i.e. 1-based column 108
        // (counting bytes would say 109); the statement is 57 characters.
        assert_eq!(r.matched[0].start, pos(1, 109));
        assert_eq!(r.matched[0].end, pos(1, 109 + 56));
    }

    #[test]
    fn missing_context_values() {
        let p = pol(r#"{"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":"s3:GetObject","Resource":"*",
               "Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}},
              {"Effect":"Deny","Action":"s3:GetObject","Resource":"*",
               "Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"},
                            "NotIpAddress":{"AWS:SOURCEIP":"10.0.0.0/8"}}},
              {"Effect":"Allow","Action":"s3:PutObject","Resource":"*",
               "Condition":{"StringEquals":{"s3:x-amz-acl":"private"}}},
              {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::elsewhere/*",
               "Condition":{"StringEquals":{"aws:PrincipalTag/team":"x"}}}
            ]}"#);
        let mut inp = input(&[("PolicyInputList.1", &p)]);
        // Nothing given: the keys of the two in-scope statements, once each,
        // spelt as first written, sorted; not those of the PutObject
        // statement nor of the statement on another resource.
        let r = simulate(&inp, "s3:GetObject", OBJ);
        assert_eq!(r.decision, Decision::ImplicitDeny);
        assert_eq!(
            r.missing_context,
            ["aws:MultiFactorAuthPresent", "aws:SourceIp"]
        );
        // Given values are not missing; an empty list is.
        inp.context
            .insert("aws:sourceip".into(), vec!["203.0.113.9".into()]);
        inp.context
            .insert("aws:MultiFactorAuthPresent".into(), Vec::new());
        let r = simulate(&inp, "s3:GetObject", OBJ);
        assert_eq!(r.decision, Decision::Allow);
        assert_eq!(r.missing_context, ["aws:MultiFactorAuthPresent"]);
        inp.context
            .insert("aws:MultiFactorAuthPresent".into(), vec!["true".into()]);
        let r = simulate(&inp, "s3:GetObject", OBJ);
        assert_eq!(r.decision, Decision::Allow);
        assert!(r.missing_context.is_empty());
        // The other action reports its own key.
        let r = simulate(&inp, "s3:PutObject", OBJ);
        assert_eq!(r.missing_context, ["s3:x-amz-acl"]);
    }

    #[test]
    fn missing_context_considers_the_principal() {
        // A resource-policy statement for another principal is out of scope.
        let rp = pol(r#"{"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},
               "Action":"s3:GetObject","Resource":"*",
               "Condition":{"StringEquals":{"aws:PrincipalTag/team":"x"}}},
              {"Effect":"Allow","Principal":{"AWS":"111122223333"},
               "Action":"s3:GetObject","Resource":"*",
               "Condition":{"StringLike":{"s3:prefix":"home/*"}}}
            ]}"#);
        let mut inp = input(&[]);
        inp.resource_policy = Some(SimPolicy {
            id: "ResourcePolicy".into(),
            policy: &rp,
        });
        let r = simulate(&inp, "s3:GetObject", OBJ);
        assert_eq!(r.decision, Decision::ImplicitDeny);
        assert_eq!(r.missing_context, ["s3:prefix"]);
    }
}
