//! `SimulatePrincipalPolicy` and `SimulateCustomPolicy` (reference §3.1): the decision the
//! authorizer would make, computed by [`mrap_policy::simulate`] over the policies the request
//! names, with the deciding statements and the condition keys the context lacks.
//!
//! What is simulated, and how it matches the authorizer (`mrap-authorizer`'s `decide.rs`):
//!
//! - The identity side: `PolicyInputList` (`SourcePolicyId` `PolicyInputList.N`) and, for
//!   `SimulatePrincipalPolicy`, the source user's inline policies (`SourcePolicyId` = the policy
//!   name, in name order). An account root as `PolicySourceArn` allows everything, as the
//!   authorizer's root does; that allow is no statement, so it is never in `MatchedStatements`
//!   (input policies still count, so their denies win).
//! - One resource policy (`ResourcePolicy`), applied to every resource, owned by `ResourceOwner`
//!   (an ARN `arn:aws:iam::ACCT:root` or a bare account id; default: the caller's account):
//!   same-account either side allows, cross-account both must (`mrap_policy::combine`).
//! - The caller: `CallerArn` (an IAM user ARN), else the source principal (Principal), else the
//!   requesting principal (Custom).
//! - The context: `ContextEntries` as given, plus — unless the request gives them — the principal
//!   keys the authorizer always sets (`aws:PrincipalArn`, `aws:PrincipalAccount`,
//!   `aws:PrincipalType`, `aws:userid`, `aws:username`), so `${aws:username}` and friends behave
//!   as in a real request. Nothing else is added: `aws:SourceIp`, `aws:CurrentTime`,
//!   `aws:SecureTransport`, `s3:prefix`… are what the request says, or missing.
//!
//! Not modelled: permissions boundaries (refused, `InvalidInput`), Organizations,
//! `ResourceHandlingOption` (ignored), Block Public Access and the owner root's lasting right to
//! the bucket-policy actions of its own buckets (the authorizer's `OWNER_ALWAYS`).
//!
//! Results: one `EvaluationResults` member per action × resource (actions outer, in request
//! order). With explicit `ResourceArns` each member also has a `ResourceSpecificResults` entry for
//! its resource, which carries the `MissingContextValues` (the top-level list is then empty, as
//! AWS moves it there); `EvalDecisionDetails` has the `IAM Policy` / `Resource Policy` decisions
//! for cross-account simulations and is present but empty for same-account ones with explicit
//! resources. `MaxItems`/`Marker` page the members; the marker is the member's index.

use std::collections::HashMap;

use axum::response::Response;
use mrap_model::{AccountId, ApiError, ErrorCode, KeyOwner, identity::root_arn};
use mrap_policy::Signer;
use mrap_policy::{Decision, Policy, SimPolicy, SimResult, SimulationInput, simulate};
use mrap_proto::store;

use super::{IamRequest, Target};
use crate::query::{
    Params,
    params::{Checker, Page},
    xml::Xml,
};

/// `ContextKeyType` values.
const CONTEXT_TYPES: [&str; 12] = [
    "string",
    "stringList",
    "numeric",
    "numericList",
    "boolean",
    "booleanList",
    "ip",
    "ipList",
    "binary",
    "binaryList",
    "date",
    "dateList",
];

/// The identity side of an account root: everything. Its id is never reported.
const ROOT_POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
const ROOT_POLICY_ID: &str = "\u{0}root";

/// The parameters both operations share, validated.
struct Request {
    inputs: Vec<String>,
    actions: Vec<String>,
    /// `None`: `*` (no `ResourceArns`).
    resources: Option<Vec<String>>,
    resource_policy: Option<String>,
    resource_owner: Option<String>,
    caller_arn: Option<String>,
    context: HashMap<String, Vec<String>>,
    page: Page,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidInput, message)
}

/// Reads and validates (`ValidationError`) the shared parameters.
fn read(p: &Params, custom: bool) -> Result<Request, ApiError> {
    let mut c = Checker::default();
    let inputs = if custom {
        c.required_list(p, "PolicyInputList", "policyInputList")
    } else {
        p.list("PolicyInputList")
    };
    let actions = c.required_list(p, "ActionNames", "actionNames");
    for action in &actions {
        c.length(action, "actionNames.member", 3, 128);
    }
    let resources = p.list("ResourceArns");
    for arn in &resources {
        c.length(arn, "resourceArns.member", 1, 2048);
    }
    let resources = (!resources.is_empty()).then_some(resources);
    let resource_policy = p.get("ResourcePolicy").map(str::to_owned);
    if let Some(text) = &resource_policy {
        c.length(text, "resourcePolicy", 1, 131_072);
    }
    let mut context: HashMap<String, Vec<String>> = HashMap::new();
    for (i, entry) in p.structures("ContextEntries").iter().enumerate() {
        let n = i + 1;
        let name = entry.get("ContextKeyName").unwrap_or_default();
        c.length(
            name,
            &format!("contextEntries.{n}.member.contextKeyName"),
            5,
            256,
        );
        if let Some(kind) = entry.get("ContextKeyType") {
            c.one_of(
                kind,
                &format!("contextEntries.{n}.member.contextKeyType"),
                &CONTEXT_TYPES,
            );
        }
        context
            .entry(name.to_ascii_lowercase())
            .or_default()
            .extend(entry.list("ContextKeyValues"));
    }
    let page = c.page(p);
    c.finish()?;
    if !p.list("PermissionsBoundaryPolicyInputList").is_empty() {
        return Err(invalid(
            "Permissions boundaries are not supported by this endpoint.",
        ));
    }
    Ok(Request {
        inputs,
        actions,
        resources,
        resource_policy,
        resource_owner: p.get("ResourceOwner").map(str::to_owned),
        caller_arn: p.get("CallerArn").map(str::to_owned),
        context,
        page,
    })
}

/// What an IAM ARN names: `arn:aws:iam::{account}:{rest}`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum IamArn {
    Root { account: String },
    User { account: String, name: String },
    Other,
}

fn parse_iam_arn(arn: &str) -> IamArn {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, _partition, service, region, account, rest] = parts.as_slice() else {
        return IamArn::Other;
    };
    if *prefix != "arn"
        || *service != "iam"
        || !region.is_empty()
        || account.len() != 12
        || !account.bytes().all(|b| b.is_ascii_digit())
    {
        return IamArn::Other;
    }
    let account = (*account).to_owned();
    if *rest == "root" {
        return IamArn::Root { account };
    }
    match rest.strip_prefix("user/") {
        Some(path_name) if !path_name.is_empty() && !path_name.ends_with('/') => IamArn::User {
            account,
            name: path_name.rsplit('/').next().unwrap_or_default().to_owned(),
        },
        _ => IamArn::Other,
    }
}

/// `ResourceOwner`: an account root's ARN or a bare account id.
fn resource_owner(value: &str) -> Result<String, ApiError> {
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(value.to_owned());
    }
    match parse_iam_arn(value) {
        IamArn::Root { account } => Ok(account),
        _ => Err(invalid(format!(
            "Invalid ResourceOwner {value}: it must be an account's ARN, arn:aws:iam::ACCOUNT:root."
        ))),
    }
}

/// The simulated caller: its ARN, account, and the user behind it (`None`: a root, or a user
/// unknown here).
struct Caller {
    arn: String,
    account: String,
    user: Option<KeyOwner>,
    is_root: bool,
}

impl Caller {
    /// The principal keys the authorizer always sets (`mrap_policy::principal_keys`).
    fn keys(&self) -> Vec<(&'static str, String)> {
        let keys = |signer| mrap_policy::principal_keys(&self.account, &self.arn, signer);
        if self.is_root {
            return keys(Signer::Root);
        }
        if let Some(user) = &self.user {
            return keys(Signer::User {
                name: &user.name,
                user_id: Some(&user.user_id),
            });
        }
        match parse_iam_arn(&self.arn) {
            IamArn::User { name, .. } => keys(Signer::User {
                name: &name,
                user_id: None,
            }),
            // Not a user ARN (callers are roots or users): a user with no name to give.
            _ => keys(Signer::User {
                name: "",
                user_id: None,
            })
            .into_iter()
            .filter(|(k, _)| *k != "aws:username")
            .collect(),
        }
    }
}

/// `CallerArn`: an IAM user; its id is looked up when it is a user of the caller's account.
async fn caller_from_arn(
    req: &IamRequest<'_>,
    own_account: &AccountId,
    arn: &str,
) -> Result<Caller, ApiError> {
    let IamArn::User { account, name } = parse_iam_arn(arn) else {
        return Err(invalid(format!(
            "Invalid CallerArn {arn}: it must be the ARN of an IAM user."
        )));
    };
    let mut user = None;
    if account == own_account.as_str() {
        match req
            .ctx
            .state
            .store(&store::GetUser {
                account: own_account.clone(),
                name: name.clone(),
            })
            .await
        {
            Ok(record) if record.arn() == arn => {
                user = Some(KeyOwner {
                    name: record.name,
                    user_id: record.user_id,
                });
            }
            Ok(_) => {}
            Err(e) if e.code == ErrorCode::NoSuchEntity => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Caller {
        arn: arn.to_owned(),
        account,
        user,
        is_root: false,
    })
}

fn malformed(which: &str, e: mrap_policy::ParseError) -> ApiError {
    ApiError::new(
        ErrorCode::MalformedPolicyDocument,
        format!("{which}: {}", e.message),
    )
}

/// Wildcard actions cannot be simulated: every action is decided on its own.
fn check_actions(actions: &[String]) -> Result<(), ApiError> {
    match actions.iter().find(|a| a.contains(['*', '?'])) {
        Some(a) => Err(invalid(format!(
            "Actions or resources cannot contain wildcards: {a}."
        ))),
        None => Ok(()),
    }
}

/// One simulated (action, resource) pair, with the per-side decisions of a cross-account one.
struct Evaluated {
    action: String,
    resource: String,
    result: SimResult,
    /// (`IAM Policy`, `Resource Policy`) decisions, for cross-account simulations.
    details: Option<(Decision, Option<Decision>)>,
}

/// Everything after authorization: parse the policies, simulate, page and reply.
fn run(
    req: &IamRequest<'_>,
    r: Request,
    own: Vec<(String, String)>,
    root_source: bool,
    caller: Caller,
) -> Result<Response, ApiError> {
    check_actions(&r.actions)?;
    let inputs: Vec<Policy> = r
        .inputs
        .iter()
        .enumerate()
        .map(|(i, text)| {
            mrap_policy::parse(text)
                .map_err(|e| malformed(&format!("PolicyInputList.{}", i + 1), e))
        })
        .collect::<Result<_, _>>()?;
    let own_parsed: Vec<(String, Policy)> = own
        .into_iter()
        .map(|(name, text)| {
            mrap_policy::parse(&text)
                .map(|p| (name.clone(), p))
                .map_err(|e| ApiError::internal(format!("stored policy {name}: {}", e.message)))
        })
        .collect::<Result<_, _>>()?;
    let resource_policy = r
        .resource_policy
        .as_deref()
        .map(mrap_policy::parse)
        .transpose()
        .map_err(|e| malformed("ResourcePolicy", e))?;
    let resource_owner = r
        .resource_owner
        .as_deref()
        .map(resource_owner)
        .transpose()?;
    let root_policy = if root_source {
        Some(mrap_policy::parse(ROOT_POLICY).map_err(|e| ApiError::internal(e.message))?)
    } else {
        None
    };

    let mut context = r.context;
    for (key, value) in caller.keys() {
        context
            .entry(key.to_ascii_lowercase())
            .or_insert_with(|| vec![value]);
    }
    let mut identity: Vec<SimPolicy<'_>> = Vec::new();
    if let Some(p) = &root_policy {
        identity.push(SimPolicy {
            id: ROOT_POLICY_ID.to_owned(),
            policy: p,
        });
    }
    identity.extend(own_parsed.iter().map(|(name, policy)| SimPolicy {
        id: name.clone(),
        policy,
    }));
    identity.extend(inputs.iter().enumerate().map(|(i, policy)| SimPolicy {
        id: format!("PolicyInputList.{}", i + 1),
        policy,
    }));
    let input = SimulationInput {
        identity,
        resource_policy: resource_policy.as_ref().map(|policy| SimPolicy {
            id: "ResourcePolicy".to_owned(),
            policy,
        }),
        caller_account: caller.account.clone(),
        caller_arn: caller.arn.clone(),
        resource_owner,
        context,
    };
    let cross_account = input
        .resource_owner
        .as_deref()
        .is_some_and(|o| o != input.caller_account);
    let explicit = r.resources.is_some();
    let resources = r.resources.unwrap_or_else(|| vec!["*".to_owned()]);

    let mut all = Vec::with_capacity(r.actions.len() * resources.len());
    for action in &r.actions {
        for resource in &resources {
            let mut result = simulate(&input, action, resource);
            result
                .matched
                .retain(|m| m.source_policy_id != ROOT_POLICY_ID);
            let details = cross_account.then(|| side_decisions(&input, action, resource));
            all.push(Evaluated {
                action: action.clone(),
                resource: resource.clone(),
                result,
                details,
            });
        }
    }
    let indexed: Vec<(usize, Evaluated)> = all.into_iter().enumerate().collect();
    let (page, next) = r.page.take(indexed, |(i, _)| format!("{i:08}"));
    Ok(req.reply(Some(&|x| {
        write_results(x, &page, explicit, next.as_deref())
    })))
}

/// The identity side alone and the resource policy alone, for `EvalDecisionDetails`.
fn side_decisions(
    input: &SimulationInput<'_>,
    action: &str,
    resource: &str,
) -> (Decision, Option<Decision>) {
    let identity_only = SimulationInput {
        resource_policy: None,
        resource_owner: None,
        ..input.clone()
    };
    let identity = simulate(&identity_only, action, resource).decision;
    let resource_side = input.resource_policy.as_ref().map(|rp| {
        let resource_only = SimulationInput {
            identity: Vec::new(),
            resource_policy: Some(rp.clone()),
            resource_owner: None,
            ..input.clone()
        };
        simulate(&resource_only, action, resource).decision
    });
    (identity, resource_side)
}

fn decision_str(d: Decision) -> &'static str {
    match d {
        Decision::Allow => "allowed",
        Decision::ExplicitDeny => "explicitDeny",
        Decision::ImplicitDeny => "implicitDeny",
    }
}

fn write_matched(x: &mut Xml, r: &SimResult) {
    x.list("MatchedStatements", &r.matched, |x, m| {
        x.leaf("SourcePolicyId", &m.source_policy_id)
            .leaf("SourcePolicyType", m.source_policy_type.as_str())
            .open("StartPosition")
            .leaf("Line", &m.start.line.to_string())
            .leaf("Column", &m.start.column.to_string())
            .close("StartPosition")
            .open("EndPosition")
            .leaf("Line", &m.end.line.to_string())
            .leaf("Column", &m.end.column.to_string())
            .close("EndPosition");
    });
}

fn write_missing(x: &mut Xml, keys: &[String]) {
    x.list("MissingContextValues", keys, |x, k| {
        x.text(k);
    });
}

/// The children of `Simulate…Result`.
fn write_results(x: &mut Xml, page: &[(usize, Evaluated)], explicit: bool, next: Option<&str>) {
    x.list("EvaluationResults", page, |x, (_, e)| {
        x.leaf("EvalActionName", &e.action)
            .leaf("EvalResourceName", &e.resource)
            .leaf("EvalDecision", e.result.eval_decision());
        write_matched(x, &e.result);
        write_missing(
            x,
            if explicit {
                &[]
            } else {
                &e.result.missing_context
            },
        );
        match &e.details {
            Some((identity, resource)) => {
                x.open("EvalDecisionDetails");
                let mut entry = |key: &str, d: Decision| {
                    x.open("entry")
                        .leaf("key", key)
                        .leaf("value", decision_str(d))
                        .close("entry");
                };
                entry("IAM Policy", *identity);
                if let Some(d) = resource {
                    entry("Resource Policy", *d);
                }
                x.close("EvalDecisionDetails");
            }
            None if explicit => {
                x.empty("EvalDecisionDetails");
            }
            None => {}
        }
        if explicit {
            x.open("ResourceSpecificResults")
                .open("member")
                .leaf("EvalResourceName", &e.resource)
                .leaf("EvalResourceDecision", e.result.eval_decision());
            write_matched(x, &e.result);
            write_missing(x, &e.result.missing_context);
            x.close("member").close("ResourceSpecificResults");
        }
    })
    .truncation(next);
}

pub(crate) async fn principal(req: IamRequest<'_>) -> Result<Response, ApiError> {
    let p = req.params();
    let mut c = Checker::default();
    let source = c
        .required(p, "PolicySourceArn", "policySourceArn")
        .to_owned();
    if p.get("PolicySourceArn").is_some() {
        c.length(&source, "policySourceArn", 20, 2048);
    }
    c.finish()?;
    let r = read(p, false)?;
    let parsed = parse_iam_arn(&source);
    let (own, root_source, source_caller) = match &parsed {
        IamArn::User { account, name } if *account == req.caller.account.as_str() => {
            let auth = req.authorize(Target::User(name)).await?;
            let record = auth
                .user
                .filter(|u| u.arn() == source)
                .ok_or_else(|| super::no_such_user(name))?;
            let own: Vec<(String, String)> = record.policies.clone().into_iter().collect();
            let caller = Caller {
                arn: record.arn(),
                account: record.account.to_string(),
                user: Some(KeyOwner {
                    name: record.name.clone(),
                    user_id: record.user_id.clone(),
                }),
                is_root: false,
            };
            (own, false, caller)
        }
        IamArn::Root { account } if *account == req.caller.account.as_str() => {
            req.authorize(Target::Arn(&source)).await?;
            let caller = Caller {
                arn: source.clone(),
                account: account.clone(),
                user: None,
                is_root: true,
            };
            (Vec::new(), true, caller)
        }
        // Another account's principal: none of ours, after the same authorization.
        IamArn::User { name, .. } => {
            req.authorize(Target::Arn(&source)).await?;
            return Err(super::no_such_user(name));
        }
        IamArn::Root { .. } => {
            req.authorize(Target::Arn(&source)).await?;
            return Err(ApiError::new(
                ErrorCode::NoSuchEntity,
                format!("The account {source} cannot be found."),
            ));
        }
        IamArn::Other => {
            return Err(invalid(format!(
                "Invalid PolicySourceArn {source}: only IAM users and account roots can be simulated."
            )));
        }
    };
    let caller = match &r.caller_arn {
        Some(arn) if *arn != source_caller.arn => {
            caller_from_arn(&req, &req.caller.account, arn).await?
        }
        _ => source_caller,
    };
    run(&req, r, own, root_source, caller)
}

pub(crate) async fn custom(req: IamRequest<'_>) -> Result<Response, ApiError> {
    let r = read(req.params(), true)?;
    let auth = req.authorize(Target::Everything).await?;
    let caller = match &r.caller_arn {
        Some(arn) => caller_from_arn(&req, &auth.grant.account, arn).await?,
        None => Caller {
            arn: auth.grant.principal_arn.clone(),
            account: auth.grant.account.to_string(),
            is_root: auth.grant.user.is_none()
                && auth.grant.principal_arn == root_arn(&auth.grant.account),
            user: auth.grant.user.clone(),
        },
    };
    run(&req, r, Vec::new(), false, caller)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::query::xml::success_body;

    #[test]
    fn iam_arns() {
        assert_eq!(
            parse_iam_arn("arn:aws:iam::111122223333:root"),
            IamArn::Root {
                account: "111122223333".into()
            }
        );
        assert_eq!(
            parse_iam_arn("arn:aws:iam::111122223333:user/eng/alice"),
            IamArn::User {
                account: "111122223333".into(),
                name: "alice".into()
            }
        );
        for bad in [
            "arn:aws:iam::1111:root",
            "arn:aws:s3:::bucket",
            "arn:aws:iam::111122223333:role/r",
            "arn:aws:iam::111122223333:user/",
            "nonsense",
        ] {
            assert_eq!(parse_iam_arn(bad), IamArn::Other, "{bad}");
        }
        assert_eq!(resource_owner("444455556666").unwrap(), "444455556666");
        assert_eq!(
            resource_owner("arn:aws:iam::444455556666:root").unwrap(),
            "444455556666"
        );
        assert_eq!(
            resource_owner("arn:aws:iam::444455556666:user/x")
                .unwrap_err()
                .code,
            ErrorCode::InvalidInput
        );
    }

    #[test]
    fn wildcard_actions_are_refused() {
        assert!(check_actions(&["s3:GetObject".into()]).is_ok());
        assert_eq!(
            check_actions(&["s3:Get*".into()]).unwrap_err().code,
            ErrorCode::InvalidInput
        );
    }

    /// The exact document for one small case: an allow matched at its position, a deny whose
    /// condition key is missing, an explicit resource (so a `ResourceSpecificResults` entry
    /// holding the missing key), no truncation.
    #[test]
    fn the_result_document() {
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Deny","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}"#;
        let policy = mrap_policy::parse(text).unwrap();
        let input = SimulationInput {
            identity: vec![SimPolicy {
                id: "PolicyInputList.1".into(),
                policy: &policy,
            }],
            caller_account: "111122223333".into(),
            caller_arn: "arn:aws:iam::111122223333:user/ann".into(),
            ..SimulationInput::default()
        };
        let page = vec![(
            0,
            Evaluated {
                action: "s3:GetObject".into(),
                resource: "arn:aws:s3:::b/k".into(),
                result: simulate(&input, "s3:GetObject", "arn:aws:s3:::b/k"),
                details: None,
            },
        )];
        let body = success_body(
            "https://iam.amazonaws.com/doc/2010-05-08/",
            "SimulateCustomPolicy",
            "REQ",
            Some(&|x: &mut Xml| write_results(x, &page, true, None)),
        );
        let matched = concat!(
            "<MatchedStatements><member><SourcePolicyId>PolicyInputList.1</SourcePolicyId>",
            "<SourcePolicyType>IAM Policy</SourcePolicyType>",
            "<StartPosition><Line>1</Line><Column>39</Column></StartPosition>",
            "<EndPosition><Line>1</Line><Column>95</Column></EndPosition>",
            "</member></MatchedStatements>"
        );
        assert_eq!(
            body,
            format!(
                concat!(
                    r#"<SimulateCustomPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><SimulateCustomPolicyResult>"#,
                    "<EvaluationResults><member>",
                    "<EvalActionName>s3:GetObject</EvalActionName>",
                    "<EvalResourceName>arn:aws:s3:::b/k</EvalResourceName>",
                    "<EvalDecision>allowed</EvalDecision>{m}",
                    "<MissingContextValues/><EvalDecisionDetails/>",
                    "<ResourceSpecificResults><member><EvalResourceName>arn:aws:s3:::b/k</EvalResourceName>",
                    "<EvalResourceDecision>allowed</EvalResourceDecision>{m}",
                    "<MissingContextValues><member>aws:RequestedRegion</member></MissingContextValues>",
                    "</member></ResourceSpecificResults></member></EvaluationResults>",
                    "<IsTruncated>false</IsTruncated>",
                    "</SimulateCustomPolicyResult><ResponseMetadata><RequestId>REQ</RequestId></ResponseMetadata></SimulateCustomPolicyResponse>"
                ),
                m = matched
            )
        );
    }

    #[test]
    fn principal_keys() {
        let user = Caller {
            arn: "arn:aws:iam::111122223333:user/eng/ann".into(),
            account: "111122223333".into(),
            user: None,
            is_root: false,
        };
        assert!(user.keys().contains(&("aws:username", "ann".to_owned())));
        let root = Caller {
            arn: "arn:aws:iam::111122223333:root".into(),
            account: "111122223333".into(),
            user: None,
            is_root: true,
        };
        assert!(
            root.keys()
                .contains(&("aws:userid", "111122223333".to_owned()))
        );
        assert!(!root.keys().iter().any(|(k, _)| *k == "aws:username"));
    }
}
