//! `SimulatePrincipalPolicy` agrees with the authorizer: for a table of cases (an inline policy
//! of a user, maybe a bucket policy on a bucket of this or another account, one S3 or S3 Control
//! request made for real by the user), the simulated `EvalDecision` is `allowed` exactly when
//! the real request was let through, `explicitDeny` exactly when the refusal names an explicit
//! deny. Each case also states the outcome it is meant to have, so the table keeps covering
//! allows, implicit denies and explicit denies. Plus `SimulateCustomPolicy` details: missing
//! context values, positions, paging, and its refusals.

use std::time::{Duration, SystemTime};

use aws_sdk_iam::types::{ContextEntry, ContextKeyTypeEnum, EvaluationResult};
use aws_smithy_types::date_time::{DateTime, Format};
use serde_json::{Value, json};

use crate::common::*;

const USER: &str = "simu";
/// The MRAP `GetMultiRegionAccessPoint` asks for: none such (an allowed request is a 404).
const MRAP: &str = "no-such-mrap";
const MAIN_BUCKET: &str = "sim-main";
const OTHER_BUCKET: &str = "sim-other";
/// The second account's access key id (local-accounts mode: a 12-digit key id is that
/// account's root, secret `test`).
const SECOND: &str = "111111111111";
/// A public range added to every `aws:SourceIp` condition: the policy validator refuses a
/// condition on private (or loopback) ranges only, as they never match on AWS.
const PUBLIC: &str = "203.0.113.0/24";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Allowed,
    Implicit,
    Explicit,
}
use Outcome::*;

impl Outcome {
    fn from_sim(decision: &str) -> Self {
        match decision {
            "allowed" => Allowed,
            "explicitDeny" => Explicit,
            "implicitDeny" => Implicit,
            other => panic!("unexpected EvalDecision {other:?}"),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Bucket {
    Main,
    Other,
}

impl Bucket {
    fn name(self) -> &'static str {
        match self {
            Bucket::Main => MAIN_BUCKET,
            Bucket::Other => OTHER_BUCKET,
        }
    }
    fn owner(self) -> &'static str {
        match self {
            Bucket::Main => ACCOUNT,
            Bucket::Other => SECOND,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Get(&'static str),
    Put(&'static str),
    Delete(&'static str),
    List(&'static str),
    GetBucketPolicy,
    ListMraps,
    GetMrap,
}

impl Op {
    fn action(self) -> &'static str {
        match self {
            Op::Get(_) => "s3:GetObject",
            Op::Put(_) => "s3:PutObject",
            Op::Delete(_) => "s3:DeleteObject",
            Op::List(_) => "s3:ListBucket",
            Op::GetBucketPolicy => "s3:GetBucketPolicy",
            Op::ListMraps => "s3:ListMultiRegionAccessPoints",
            Op::GetMrap => "s3:GetMultiRegionAccessPoint",
        }
    }

    /// The resource the authorizer decides on (`None`: `*`, as for `ListMultiRegionAccessPoints`).
    fn resource(self, bucket: Bucket) -> Option<String> {
        let b = bucket.name();
        match self {
            Op::Get(k) | Op::Put(k) | Op::Delete(k) => Some(format!("arn:aws:s3:::{b}/{k}")),
            Op::List(_) | Op::GetBucketPolicy => Some(format!("arn:aws:s3:::{b}")),
            Op::ListMraps => None,
            Op::GetMrap => Some(format!("arn:aws:s3::{ACCOUNT}:accesspoint/{MRAP}")),
        }
    }
}

struct Case {
    name: &'static str,
    identity: Value,
    bucket: Bucket,
    bucket_policy: Option<Value>,
    op: Op,
    expect: Outcome,
}

fn doc(statements: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn allow(action: Value, resource: Value) -> Value {
    json!({"Effect": "Allow", "Action": action, "Resource": resource})
}

fn deny(action: Value, resource: Value) -> Value {
    json!({"Effect": "Deny", "Action": action, "Resource": resource})
}

fn with_condition(mut statement: Value, condition: Value) -> Value {
    statement["Condition"] = condition;
    statement
}

fn user_arn() -> String {
    format!("arn:aws:iam::{ACCOUNT}:user/{USER}")
}

/// A bucket-policy statement for the test user (or `principal`).
fn grant(effect: &str, principal: &str, action: Value, resource: Value) -> Value {
    json!({"Effect": effect, "Principal": {"AWS": principal}, "Action": action, "Resource": resource})
}

fn obj(bucket: &str) -> Value {
    json!(format!("arn:aws:s3:::{bucket}/*"))
}

fn bkt(bucket: &str) -> Value {
    json!(format!("arn:aws:s3:::{bucket}"))
}

fn cases() -> Vec<Case> {
    let me = user_arn();
    let main_obj = obj(MAIN_BUCKET);
    let other_obj = obj(OTHER_BUCKET);
    let all = json!("*");
    let mut c = Vec::new();
    let mut case = |name, identity, bucket, bucket_policy, op, expect| {
        c.push(Case {
            name,
            identity,
            bucket,
            bucket_policy,
            op,
            expect,
        })
    };
    use Bucket::{Main, Other};

    // Plain allows and their absence.
    let get = doc(vec![allow(json!("s3:GetObject"), main_obj.clone())]);
    case(
        "get allowed",
        get.clone(),
        Main,
        None,
        Op::Get("data/a.txt"),
        Allowed,
    );
    case(
        "put not in the policy",
        get.clone(),
        Main,
        None,
        Op::Put("data/b.txt"),
        Implicit,
    );
    case(
        "get on another bucket's ARN",
        doc(vec![allow(json!("s3:GetObject"), obj("elsewhere"))]),
        Main,
        None,
        Op::Get("data/a.txt"),
        Implicit,
    );
    case(
        "get with an object-ARN policy, listing",
        get.clone(),
        Main,
        None,
        Op::List("data/"),
        Implicit,
    );
    case(
        "list allowed",
        doc(vec![allow(json!("s3:ListBucket"), bkt(MAIN_BUCKET))]),
        Main,
        None,
        Op::List("data/"),
        Allowed,
    );
    case(
        "list on another bucket",
        doc(vec![allow(json!("s3:ListBucket"), bkt("elsewhere"))]),
        Main,
        None,
        Op::List("data/"),
        Implicit,
    );
    case(
        "delete allowed",
        doc(vec![allow(json!("s3:DeleteObject"), main_obj.clone())]),
        Main,
        None,
        Op::Delete("tmp/x"),
        Allowed,
    );
    case(
        "get bucket policy allowed (none set: 404)",
        doc(vec![allow(json!("s3:GetBucketPolicy"), bkt(MAIN_BUCKET))]),
        Main,
        None,
        Op::GetBucketPolicy,
        Allowed,
    );
    case(
        "get bucket policy not allowed",
        get.clone(),
        Main,
        None,
        Op::GetBucketPolicy,
        Implicit,
    );
    case(
        "only an unrelated IAM action",
        doc(vec![allow(json!("iam:GetUser"), json!("*"))]),
        Main,
        None,
        Op::Get("data/a.txt"),
        Implicit,
    );

    // Wildcards.
    case(
        "s3:Get*",
        doc(vec![allow(json!("s3:Get*"), all.clone())]),
        Main,
        None,
        Op::Get("data/a.txt"),
        Allowed,
    );
    case(
        "s3:*Object put",
        doc(vec![allow(json!("s3:*Object"), all.clone())]),
        Main,
        None,
        Op::Put("data/b.txt"),
        Allowed,
    );
    case(
        "s3:*Object does not list",
        doc(vec![allow(json!("s3:*Object"), all.clone())]),
        Main,
        None,
        Op::List("data/"),
        Implicit,
    );
    case(
        "bucket wildcard sim-*",
        doc(vec![allow(
            json!("s3:GetObject"),
            json!("arn:aws:s3:::sim-*/*"),
        )]),
        Main,
        None,
        Op::Get("data/a.txt"),
        Allowed,
    );
    case(
        "key wildcard data/?.txt",
        doc(vec![allow(
            json!("s3:GetObject"),
            json!("arn:aws:s3:::sim-main/data/?.txt"),
        )]),
        Main,
        None,
        Op::Get("data/a.txt"),
        Allowed,
    );
    case(
        "key wildcard not matching",
        doc(vec![allow(
            json!("s3:GetObject"),
            json!("arn:aws:s3:::sim-main/logs/*"),
        )]),
        Main,
        None,
        Op::Get("data/a.txt"),
        Implicit,
    );
    case(
        "action case-insensitive",
        doc(vec![allow(json!("S3:getobject"), all.clone())]),
        Main,
        None,
        Op::Get("data/a.txt"),
        Allowed,
    );
    case(
        "action list",
        doc(vec![allow(
            json!(["s3:PutObject", "s3:DeleteObject"]),
            all.clone(),
        )]),
        Main,
        None,
        Op::Delete("tmp/x"),
        Allowed,
    );

    // NotAction / NotResource.
    let not_delete = doc(vec![
        json!({"Effect": "Allow", "NotAction": "s3:DeleteObject", "Resource": "*"}),
    ]);
    case(
        "NotAction allows get",
        not_delete.clone(),
        Main,
        None,
        Op::Get("data/a.txt"),
        Allowed,
    );
    case(
        "NotAction excludes delete",
        not_delete,
        Main,
        None,
        Op::Delete("tmp/x"),
        Implicit,
    );
    let not_secret = doc(vec![
        json!({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::sim-main/secret/*"}),
    ]);
    case(
        "NotResource allows elsewhere",
        not_secret.clone(),
        Main,
        None,
        Op::Get("data/a.txt"),
        Allowed,
    );
    case(
        "NotResource excludes secret",
        not_secret,
        Main,
        None,
        Op::Get("secret/x"),
        Implicit,
    );
    case(
        "deny NotAction",
        doc(vec![
            allow(json!("s3:*"), all.clone()),
            json!({"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"}),
        ]),
        Main,
        None,
        Op::Put("data/b.txt"),
        Explicit,
    );
    case(
        "deny NotAction spares get",
        doc(vec![
            allow(json!("s3:*"), all.clone()),
            json!({"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"}),
        ]),
        Main,
        None,
        Op::Get("data/a.txt"),
        Allowed,
    );

    // Explicit denies in the identity policy.
    case(
        "deny beats allow",
        doc(vec![
            allow(json!("s3:*"), all.clone()),
            deny(json!("s3:GetObject"), main_obj.clone()),
        ]),
        Main,
        None,
        Op::Get("data/a.txt"),
        Explicit,
    );
    case(
        "deny of another key",
        doc(vec![
            allow(json!("s3:*"), all.clone()),
            deny(
                json!("s3:GetObject"),
                json!("arn:aws:s3:::sim-main/secret/*"),
            ),
        ]),
        Main,
        None,
        Op::Get("data/a.txt"),
        Allowed,
    );
    case(
        "deny alone",
        doc(vec![deny(json!("s3:*"), all.clone())]),
        Main,
        None,
        Op::List("data/"),
        Explicit,
    );

    // Conditions: source IP (the requests come from 127.0.0.1).
    let ip = |cidr: &str| {
        doc(vec![with_condition(
            allow(json!("s3:GetObject"), all.clone()),
            json!({"IpAddress": {"aws:SourceIp": [cidr, PUBLIC]}}),
        )])
    };
    case(
        "source ip 127.0.0.1/32",
        ip("127.0.0.1/32"),
        Main,
        None,
        Op::Get("data/a.txt"),
        Allowed,
    );
    case(
        "source ip 10.0.0.0/8",
        ip("10.0.0.0/8"),
        Main,
        None,
        Op::Get("data/a.txt"),
        Implicit,
    );
    case(
        "deny outside 10.0.0.0/8",
        doc(vec![
            allow(json!("s3:*"), all.clone()),
            with_condition(
                deny(json!("s3:*"), all.clone()),
                json!({"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", PUBLIC]}}),
            ),
        ]),
        Main,
        None,
        Op::Get("data/a.txt"),
        Explicit,
    );
    case(
        "deny outside 127.0.0.0/8",
        doc(vec![
            allow(json!("s3:*"), all.clone()),
            with_condition(
                deny(json!("s3:*"), all.clone()),
                json!({"NotIpAddress": {"aws:SourceIp": ["127.0.0.0/8", PUBLIC]}}),
            ),
        ]),
        Main,
        None,
        Op::Get("data/a.txt"),
        Allowed,
    );

    // Conditions: current time.
    let time = |op: &str, date: &str| {
        doc(vec![with_condition(
            allow(json!("s3:GetObject"), all.clone()),
            json!({op: {"aws:CurrentTime": date}}),
        )])
    };
    case(
        "after a past date",
        time("DateGreaterThan", "2020-01-01T00:00:00Z"),
        Main,
        None,
        Op::Get("data/a.txt"),
        Allowed,
    );
    case(
        "after a future date",
        time("DateGreaterThan", "2099-01-01T00:00:00Z"),
        Main,
        None,
        Op::Get("data/a.txt"),
        Implicit,
    );
    case(
        "before a future date",
        time("DateLessThan", "2099-01-01T00:00:00Z"),
        Main,
        None,
        Op::Get("data/a.txt"),
        Allowed,
    );
    case(
        "before a past date",
        time("DateLessThan", "2020-01-01T00:00:00Z"),
        Main,
        None,
        Op::Get("data/a.txt"),
        Implicit,
    );
    case(
        "deny after a past date",
        doc(vec![
            allow(json!("s3:*"), all.clone()),
            with_condition(
                deny(json!("s3:GetObject"), all.clone()),
                json!({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}),
            ),
        ]),
        Main,
        None,
        Op::Get("data/a.txt"),
        Explicit,
    );

    // Conditions: the principal's keys (set by the authorizer, and by the simulation).
    let username = |name: &str| {
        doc(vec![with_condition(
            allow(json!("s3:GetObject"), all.clone()),
            json!({"StringEquals": {"aws:username": name}}),
        )])
    };
    case(
        "username equals",
        username(USER),
        Main,
        None,
        Op::Get("data/a.txt"),
        Allowed,
    );
    case(
        "username differs",
        username("bob"),
        Main,
        None,
        Op::Get("data/a.txt"),
        Implicit,
    );
    case(
        "principal arn equals",
        doc(vec![with_condition(
            allow(json!("s3:GetObject"), all.clone()),
            json!({"ArnEquals": {"aws:PrincipalArn": me.clone()}}),
        )]),
        Main,
        None,
        Op::Get("data/a.txt"),
        Allowed,
    );
    case(
        "principal type User",
        doc(vec![with_condition(
            allow(json!("s3:GetObject"), all.clone()),
            json!({"StringEquals": {"aws:PrincipalType": "User"}}),
        )]),
        Main,
        None,
        Op::Get("data/a.txt"),
        Allowed,
    );
    let home = doc(vec![allow(
        json!("s3:PutObject"),
        json!("arn:aws:s3:::sim-main/home/${aws:username}/*"),
    )]);
    case(
        "own home via ${aws:username}",
        home.clone(),
        Main,
        None,
        Op::Put("home/simu/x"),
        Allowed,
    );
    case(
        "another's home via ${aws:username}",
        home,
        Main,
        None,
        Op::Put("home/bob/x"),
        Implicit,
    );

    // Conditions: s3:prefix.
    let prefix = doc(vec![with_condition(
        allow(json!("s3:ListBucket"), bkt(MAIN_BUCKET)),
        json!({"StringLike": {"s3:prefix": "data/*"}}),
    )]);
    case(
        "prefix inside",
        prefix.clone(),
        Main,
        None,
        Op::List("data/"),
        Allowed,
    );
    case(
        "prefix outside",
        prefix,
        Main,
        None,
        Op::List("other/"),
        Implicit,
    );
    case(
        "deny a prefix",
        doc(vec![
            allow(json!("s3:ListBucket"), all.clone()),
            with_condition(
                deny(json!("s3:ListBucket"), all.clone()),
                json!({"StringEquals": {"s3:prefix": "secret/"}}),
            ),
        ]),
        Main,
        None,
        Op::List("secret/"),
        Explicit,
    );

    // Conditions: aws:SecureTransport (plain HTTP here).
    case(
        "insecure allowed",
        doc(vec![with_condition(
            allow(json!("s3:GetObject"), all.clone()),
            json!({"Bool": {"aws:SecureTransport": "false"}}),
        )]),
        Main,
        None,
        Op::Get("data/a.txt"),
        Allowed,
    );
    case(
        "secure only",
        doc(vec![with_condition(
            allow(json!("s3:GetObject"), all.clone()),
            json!({"Bool": {"aws:SecureTransport": "true"}}),
        )]),
        Main,
        None,
        Op::Get("data/a.txt"),
        Implicit,
    );
    case(
        "deny insecure",
        doc(vec![
            allow(json!("s3:*"), all.clone()),
            with_condition(
                deny(json!("s3:*"), all.clone()),
                json!({"Bool": {"aws:SecureTransport": "false"}}),
            ),
        ]),
        Main,
        None,
        Op::Put("data/b.txt"),
        Explicit,
    );

    // Same-account bucket policies: either side may allow, a deny anywhere wins.
    let bp_get = doc(vec![grant(
        "Allow",
        &me,
        json!("s3:GetObject"),
        main_obj.clone(),
    )]);
    case(
        "bucket policy alone allows (same account)",
        doc(vec![allow(json!("iam:GetUser"), json!("*"))]),
        Main,
        Some(bp_get.clone()),
        Op::Get("data/a.txt"),
        Allowed,
    );
    case(
        "bucket policy for another action",
        doc(vec![allow(json!("iam:GetUser"), json!("*"))]),
        Main,
        Some(bp_get.clone()),
        Op::Put("data/b.txt"),
        Implicit,
    );
    case(
        "bucket policy denies",
        get.clone(),
        Main,
        Some(doc(vec![grant(
            "Deny",
            &me,
            json!("s3:GetObject"),
            main_obj.clone(),
        )])),
        Op::Get("data/a.txt"),
        Explicit,
    );
    case(
        "bucket policy denies the account",
        get.clone(),
        Main,
        Some(doc(vec![grant(
            "Deny",
            ACCOUNT,
            json!("s3:*"),
            json!([bkt(MAIN_BUCKET), main_obj.clone()]),
        )])),
        Op::Get("data/a.txt"),
        Explicit,
    );
    case(
        "bucket policy for someone else",
        doc(vec![allow(json!("iam:GetUser"), json!("*"))]),
        Main,
        Some(doc(vec![grant(
            "Allow",
            &format!("arn:aws:iam::{ACCOUNT}:user/bob"),
            json!("s3:GetObject"),
            main_obj.clone(),
        )])),
        Op::Get("data/a.txt"),
        Implicit,
    );
    case(
        "bucket policy allows listing with a prefix",
        doc(vec![allow(json!("iam:GetUser"), json!("*"))]),
        Main,
        Some(doc(vec![with_condition(
            grant("Allow", &me, json!("s3:ListBucket"), bkt(MAIN_BUCKET)),
            json!({"StringLike": {"s3:prefix": "data/*"}}),
        )])),
        Op::List("data/"),
        Allowed,
    );
    case(
        "bucket policy denies outside 10/8",
        get.clone(),
        Main,
        Some(doc(vec![with_condition(
            grant(
                "Deny",
                &me,
                json!("s3:*"),
                json!([bkt(MAIN_BUCKET), main_obj.clone()]),
            ),
            json!({"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", PUBLIC]}}),
        )])),
        Op::Get("data/a.txt"),
        Explicit,
    );
    case(
        "bucket policy allows get bucket policy",
        doc(vec![allow(json!("iam:GetUser"), json!("*"))]),
        Main,
        Some(doc(vec![grant(
            "Allow",
            &me,
            json!("s3:GetBucketPolicy"),
            bkt(MAIN_BUCKET),
        )])),
        Op::GetBucketPolicy,
        Allowed,
    );

    // Cross-account: both sides must allow.
    let get_other = doc(vec![allow(json!("s3:GetObject"), other_obj.clone())]);
    let bp_other = doc(vec![grant(
        "Allow",
        &me,
        json!("s3:GetObject"),
        other_obj.clone(),
    )]);
    case(
        "cross-account, identity only",
        get_other.clone(),
        Other,
        None,
        Op::Get("data/a.txt"),
        Implicit,
    );
    case(
        "cross-account, bucket policy only",
        doc(vec![allow(json!("iam:GetUser"), json!("*"))]),
        Other,
        Some(bp_other.clone()),
        Op::Get("data/a.txt"),
        Implicit,
    );
    case(
        "cross-account, both",
        get_other.clone(),
        Other,
        Some(bp_other.clone()),
        Op::Get("data/a.txt"),
        Allowed,
    );
    case(
        "cross-account, bucket policy to the account",
        get_other.clone(),
        Other,
        Some(doc(vec![grant(
            "Allow",
            ACCOUNT,
            json!("s3:GetObject"),
            other_obj.clone(),
        )])),
        Op::Get("data/a.txt"),
        Allowed,
    );
    case(
        "cross-account, other action",
        get_other.clone(),
        Other,
        Some(bp_other.clone()),
        Op::Put("data/b.txt"),
        Implicit,
    );
    case(
        "cross-account, bucket policy denies",
        doc(vec![allow(json!("s3:*"), all.clone())]),
        Other,
        Some(doc(vec![
            grant(
                "Allow",
                &me,
                json!("s3:*"),
                json!([bkt(OTHER_BUCKET), other_obj.clone()]),
            ),
            grant("Deny", &me, json!("s3:PutObject"), other_obj.clone()),
        ])),
        Op::Put("data/b.txt"),
        Explicit,
    );
    case(
        "cross-account, identity denies",
        doc(vec![
            allow(json!("s3:*"), all.clone()),
            deny(json!("s3:ListBucket"), bkt(OTHER_BUCKET)),
        ]),
        Other,
        Some(doc(vec![grant(
            "Allow",
            &me,
            json!("s3:ListBucket"),
            bkt(OTHER_BUCKET),
        )])),
        Op::List("data/"),
        Explicit,
    );
    case(
        "cross-account listing with prefix",
        doc(vec![allow(json!("s3:ListBucket"), all.clone())]),
        Other,
        Some(doc(vec![with_condition(
            grant("Allow", &me, json!("s3:ListBucket"), bkt(OTHER_BUCKET)),
            json!({"StringLike": {"s3:prefix": "data/*"}}),
        )])),
        Op::List("data/"),
        Allowed,
    );
    case(
        "cross-account listing, prefix outside",
        doc(vec![allow(json!("s3:ListBucket"), all.clone())]),
        Other,
        Some(doc(vec![with_condition(
            grant("Allow", &me, json!("s3:ListBucket"), bkt(OTHER_BUCKET)),
            json!({"StringLike": {"s3:prefix": "data/*"}}),
        )])),
        Op::List("other/"),
        Implicit,
    );
    case(
        "cross-account get bucket policy",
        doc(vec![allow(json!("s3:GetBucketPolicy"), all.clone())]),
        Other,
        Some(doc(vec![grant(
            "Allow",
            &me,
            json!("s3:GetBucketPolicy"),
            bkt(OTHER_BUCKET),
        )])),
        Op::GetBucketPolicy,
        Allowed,
    );
    case(
        "cross-account delete, identity wildcard",
        doc(vec![allow(json!("s3:*"), all.clone())]),
        Other,
        Some(doc(vec![grant(
            "Allow",
            &me,
            json!("s3:DeleteObject"),
            other_obj.clone(),
        )])),
        Op::Delete("tmp/x"),
        Allowed,
    );

    // S3 Control (resource `*`; an unknown MRAP is a 404 once allowed).
    case(
        "list MRAPs allowed",
        doc(vec![allow(
            json!("s3:ListMultiRegionAccessPoints"),
            all.clone(),
        )]),
        Main,
        None,
        Op::ListMraps,
        Allowed,
    );
    case(
        "list MRAPs not allowed",
        get.clone(),
        Main,
        None,
        Op::ListMraps,
        Implicit,
    );
    case(
        "list MRAPs via s3:List*",
        doc(vec![allow(json!("s3:List*"), all.clone())]),
        Main,
        None,
        Op::ListMraps,
        Allowed,
    );
    case(
        "get MRAP allowed on its ARN",
        doc(vec![allow(
            json!("s3:GetMultiRegionAccessPoint"),
            json!(format!("arn:aws:s3::{ACCOUNT}:accesspoint/*")),
        )]),
        Main,
        None,
        Op::GetMrap,
        Allowed,
    );
    case(
        "get MRAP on another MRAP's ARN",
        doc(vec![allow(
            json!("s3:GetMultiRegionAccessPoint"),
            json!(format!("arn:aws:s3::{ACCOUNT}:accesspoint/other-*")),
        )]),
        Main,
        None,
        Op::GetMrap,
        Implicit,
    );
    case(
        "list MRAPs denied",
        doc(vec![
            allow(json!("s3:*"), all.clone()),
            deny(json!("s3:ListMultiRegionAccessPoints"), all.clone()),
        ]),
        Main,
        None,
        Op::ListMraps,
        Explicit,
    );
    case(
        "get MRAP allowed (404)",
        doc(vec![allow(
            json!("s3:GetMultiRegionAccessPoint"),
            all.clone(),
        )]),
        Main,
        None,
        Op::GetMrap,
        Allowed,
    );
    case(
        "get MRAP not allowed",
        doc(vec![allow(
            json!("s3:ListMultiRegionAccessPoints"),
            all.clone(),
        )]),
        Main,
        None,
        Op::GetMrap,
        Implicit,
    );
    case(
        "get MRAP from 10/8 only",
        doc(vec![with_condition(
            allow(json!("s3:GetMultiRegionAccessPoint"), all.clone()),
            json!({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", PUBLIC]}}),
        )]),
        Main,
        None,
        Op::GetMrap,
        Implicit,
    );
    case(
        "get MRAP as simu only",
        doc(vec![with_condition(
            allow(json!("s3:*"), all.clone()),
            json!({"StringEquals": {"aws:username": USER}}),
        )]),
        Main,
        None,
        Op::GetMrap,
        Allowed,
    );
    c
}

/// What the real request came to.
async fn real(
    s3: &aws_sdk_s3::Client,
    ctl: &aws_sdk_s3control::Client,
    bucket: Bucket,
    op: Op,
) -> (Outcome, String) {
    use aws_sdk_s3::error::ProvideErrorMetadata;
    fn judge<T, E: ProvideErrorMetadata + std::fmt::Debug>(
        r: Result<
            T,
            aws_smithy_runtime_api::client::result::SdkError<
                E,
                aws_smithy_runtime_api::client::orchestrator::HttpResponse,
            >,
        >,
    ) -> (Outcome, String) {
        match r {
            Ok(_) => (Allowed, "ok".into()),
            Err(e) => {
                let text = describe_err(&e);
                match status_of(&e) {
                    Some(403) => {
                        assert_eq!(e.code(), Some("AccessDenied"), "{text}");
                        if e.message().unwrap_or_default().contains("explicit deny") {
                            (Explicit, text)
                        } else {
                            (Implicit, text)
                        }
                    }
                    Some(s) if (200..300).contains(&s) || s == 404 => (Allowed, text),
                    _ => panic!("unexpected answer: {text}"),
                }
            }
        }
    }
    let b = bucket.name();
    match op {
        Op::Get(k) => judge(s3.get_object().bucket(b).key(k).send().await),
        Op::Put(k) => judge(
            s3.put_object()
                .bucket(b)
                .key(k)
                .body(b"v".to_vec().into())
                .send()
                .await,
        ),
        Op::Delete(k) => judge(s3.delete_object().bucket(b).key(k).send().await),
        Op::List(p) => judge(s3.list_objects_v2().bucket(b).prefix(p).send().await),
        Op::GetBucketPolicy => judge(s3.get_bucket_policy().bucket(b).send().await),
        Op::ListMraps => judge(
            ctl.list_multi_region_access_points()
                .account_id(ACCOUNT)
                .send()
                .await,
        ),
        Op::GetMrap => {
            let r = ctl
                .get_multi_region_access_point()
                .account_id(ACCOUNT)
                .name(MRAP)
                .send()
                .await;
            if let Err(e) = &r
                && status_of(e) == Some(404)
            {
                use aws_sdk_s3control::error::ProvideErrorMetadata;
                assert_eq!(
                    e.code(),
                    Some("NoSuchMultiRegionAccessPoint"),
                    "{}",
                    describe_err(e)
                );
            }
            judge(r)
        }
    }
}

fn entry(name: &str, kind: ContextKeyTypeEnum, value: &str) -> ContextEntry {
    ContextEntry::builder()
        .context_key_name(name)
        .context_key_type(kind)
        .context_key_values(value)
        .build()
}

/// `aws:CurrentTime` as the authorizer writes it, to the second.
fn now() -> String {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    DateTime::from_secs(i64::try_from(secs).expect("fits"))
        .fmt(Format::DateTime)
        .expect("formats")
}

#[tokio::test]
async fn simulation_agrees_with_the_authorizer() -> TestResult {
    let stack = Stack::start().await?;
    let root_iam = iam(&stack);
    let main_root = s3(&stack, "us-east-1");
    let second_root = s3_as(&stack, "us-east-1", SECOND, "test");
    create_bucket(&stack, MAIN_BUCKET, "us-east-1").await;
    create_bucket_with(&second_root, OTHER_BUCKET, "us-east-1").await;
    for (client, b) in [(&main_root, MAIN_BUCKET), (&second_root, OTHER_BUCKET)] {
        client
            .put_object()
            .bucket(b)
            .key("data/a.txt")
            .body(b"a".to_vec().into())
            .send()
            .await?;
    }
    root_iam.create_user().user_name(USER).send().await?;
    let key = root_iam.create_access_key().user_name(USER).send().await?;
    let key = key.access_key().expect("a key");
    let (id, secret) = (key.access_key_id(), key.secret_access_key());
    let s3 = s3_as(&stack, "us-east-1", id, secret);
    let ctl = control_as(&stack, id, secret);

    let cases = cases();
    assert!(cases.len() >= 50, "{} cases", cases.len());
    let mut seen = std::collections::HashSet::new();
    let mut policies: [Option<String>; 2] = [None, None];
    let mut failures = Vec::new();
    for case in &cases {
        let identity = case.identity.to_string();
        root_iam
            .put_user_policy()
            .user_name(USER)
            .policy_name("case")
            .policy_document(&identity)
            .send()
            .await
            .map_err(|e| format!("{}: PutUserPolicy: {}", case.name, describe_err(&e)))?;
        let (owner_client, slot) = match case.bucket {
            Bucket::Main => (&main_root, 0),
            Bucket::Other => (&second_root, 1),
        };
        let bucket_policy = case.bucket_policy.as_ref().map(Value::to_string);
        if policies[slot] != bucket_policy {
            match &bucket_policy {
                Some(p) => {
                    owner_client
                        .put_bucket_policy()
                        .bucket(case.bucket.name())
                        .policy(p)
                        .send()
                        .await
                        .map_err(|e| {
                            format!("{}: PutBucketPolicy: {}", case.name, describe_err(&e))
                        })?;
                }
                None => {
                    owner_client
                        .delete_bucket_policy()
                        .bucket(case.bucket.name())
                        .send()
                        .await?;
                }
            }
            policies[slot] = bucket_policy.clone();
        }
        // The authorizer's mirror follows the store by a KV watch: give it a moment, then take
        // the answer once two consecutive requests agree.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut answer = real(&s3, &ctl, case.bucket, case.op).await;
        for _ in 0..5 {
            let again = real(&s3, &ctl, case.bucket, case.op).await;
            if again.0 == answer.0 {
                break;
            }
            answer = again;
        }

        let mut sim = root_iam
            .simulate_principal_policy()
            .policy_source_arn(user_arn())
            .action_names(case.op.action())
            .resource_owner(format!("arn:aws:iam::{}:root", case.bucket.owner()))
            .context_entries(entry("aws:SourceIp", ContextKeyTypeEnum::Ip, "127.0.0.1"))
            .context_entries(entry("aws:CurrentTime", ContextKeyTypeEnum::Date, &now()))
            .context_entries(entry(
                "aws:SecureTransport",
                ContextKeyTypeEnum::Boolean,
                "false",
            ));
        let resource = case.op.resource(case.bucket);
        if let Some(arn) = &resource {
            sim = sim.resource_arns(arn);
        }
        if let Some(p) = &bucket_policy {
            sim = sim.resource_policy(p);
        }
        if let Op::List(prefix) = case.op {
            sim = sim.context_entries(entry("s3:prefix", ContextKeyTypeEnum::String, prefix));
        }
        let out = sim
            .send()
            .await
            .map_err(|e| format!("{}: Simulate: {}", case.name, describe_err(&e)))?;
        let results = out.evaluation_results();
        assert_eq!(results.len(), 1, "{}: {out:?}", case.name);
        let result: &EvaluationResult = &results[0];
        assert_eq!(result.eval_action_name(), case.op.action());
        assert_eq!(
            result.eval_resource_name(),
            Some(resource.as_deref().unwrap_or("*"))
        );
        let simulated = Outcome::from_sim(result.eval_decision().as_str());
        if resource.is_some() {
            let specific = result.resource_specific_results();
            assert_eq!(specific.len(), 1, "{}", case.name);
            assert_eq!(
                specific[0].eval_resource_decision().as_str(),
                result.eval_decision().as_str()
            );
        }
        // The decision rests on no missing key: the context has all the table uses.
        let missing: Vec<&str> = result
            .missing_context_values()
            .iter()
            .chain(
                result
                    .resource_specific_results()
                    .iter()
                    .flat_map(|r| r.missing_context_values()),
            )
            .map(String::as_str)
            .collect();
        if simulated != answer.0 || answer.0 != case.expect || !missing.is_empty() {
            failures.push(format!(
                "{}: real {:?} ({}), simulated {simulated:?}, expected {:?}, missing {missing:?}; policy {identity}, bucket policy {bucket_policy:?}",
                case.name, answer.0, answer.1, case.expect
            ));
        }
        // A matched statement for every allow and explicit deny, none for an implicit deny.
        assert_eq!(
            result.matched_statements().is_empty(),
            simulated == Implicit,
            "{}: {result:?}",
            case.name
        );
        // SimulateCustomPolicy with the same identity policy as input, the user as the caller.
        let mut custom = root_iam
            .simulate_custom_policy()
            .policy_input_list(&identity)
            .caller_arn(user_arn())
            .action_names(case.op.action())
            .resource_owner(format!("arn:aws:iam::{}:root", case.bucket.owner()))
            .context_entries(entry("aws:SourceIp", ContextKeyTypeEnum::Ip, "127.0.0.1"))
            .context_entries(entry("aws:CurrentTime", ContextKeyTypeEnum::Date, &now()))
            .context_entries(entry(
                "aws:SecureTransport",
                ContextKeyTypeEnum::Boolean,
                "false",
            ));
        if let Some(arn) = &resource {
            custom = custom.resource_arns(arn);
        }
        if let Some(p) = &bucket_policy {
            custom = custom.resource_policy(p);
        }
        if let Op::List(prefix) = case.op {
            custom = custom.context_entries(entry("s3:prefix", ContextKeyTypeEnum::String, prefix));
        }
        let custom_out = custom
            .send()
            .await
            .map_err(|e| format!("{}: SimulateCustom: {}", case.name, describe_err(&e)))?;
        let custom_decision = custom_out
            .evaluation_results()
            .first()
            .map(|r| Outcome::from_sim(r.eval_decision().as_str()));
        if custom_decision != Some(answer.0) {
            failures.push(format!(
                "{}: real {:?}, SimulateCustomPolicy {custom_decision:?}",
                case.name, answer.0
            ));
        }
        seen.insert(format!("{:?}", case.expect));
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases disagree:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert_eq!(seen.len(), 3, "the table covers every outcome");
    eprintln!(
        "{} cases: the real request, SimulatePrincipalPolicy and SimulateCustomPolicy agree",
        cases.len()
    );
    stack.stop().await?;
    Ok(())
}

#[tokio::test]
async fn custom_simulation_details() -> TestResult {
    let stack = Stack::start().await?;
    let iam = iam(&stack);
    let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}"#;
    let start = u32::try_from(text.find("[{").expect("a statement") + 3)?;
    let end = u32::try_from(text.rfind("}]").expect("a statement") + 2)?;

    // No context: implicit deny, the key reported missing (under the resource).
    let out = iam
        .simulate_custom_policy()
        .policy_input_list(text)
        .action_names("s3:GetObject")
        .resource_arns("arn:aws:s3:::b/k")
        .send()
        .await?;
    let r = &out.evaluation_results()[0];
    assert_eq!(r.eval_decision().as_str(), "implicitDeny");
    assert!(r.matched_statements().is_empty());
    assert!(r.missing_context_values().is_empty());
    assert_eq!(
        r.resource_specific_results()[0].missing_context_values(),
        ["aws:SourceIp"]
    );
    assert!(!out.is_truncated());

    // Without ResourceArns the missing key is on the result itself.
    let out = iam
        .simulate_custom_policy()
        .policy_input_list(text)
        .action_names("s3:GetObject")
        .send()
        .await?;
    let r = &out.evaluation_results()[0];
    assert_eq!(r.eval_resource_name(), Some("*"));
    assert_eq!(r.missing_context_values(), ["aws:SourceIp"]);
    assert!(r.resource_specific_results().is_empty());

    // With the key: allowed, the statement matched at its position.
    let out = iam
        .simulate_custom_policy()
        .policy_input_list(text)
        .action_names("s3:GetObject")
        .action_names("s3:PutObject")
        .context_entries(entry("aws:SourceIp", ContextKeyTypeEnum::Ip, "203.0.113.9"))
        .send()
        .await?;
    let rs = out.evaluation_results();
    assert_eq!(rs.len(), 2);
    assert_eq!(rs[0].eval_decision().as_str(), "allowed");
    assert_eq!(rs[1].eval_decision().as_str(), "implicitDeny");
    let m = &rs[0].matched_statements()[0];
    assert_eq!(m.source_policy_id(), Some("PolicyInputList.1"));
    assert_eq!(
        m.source_policy_type().map(|t| t.as_str()),
        Some("IAM Policy")
    );
    let (s, e) = (
        m.start_position().expect("start"),
        m.end_position().expect("end"),
    );
    assert_eq!((s.line(), s.column()), (1, i32::try_from(start)?));
    assert_eq!((e.line(), e.column()), (1, i32::try_from(end)?));

    // Paging: one result per page, the marker leads to the second.
    let first = iam
        .simulate_custom_policy()
        .policy_input_list(text)
        .action_names("s3:GetObject")
        .action_names("s3:PutObject")
        .max_items(1)
        .send()
        .await?;
    assert!(first.is_truncated());
    assert_eq!(
        first.evaluation_results()[0].eval_action_name(),
        "s3:GetObject"
    );
    let second = iam
        .simulate_custom_policy()
        .policy_input_list(text)
        .action_names("s3:GetObject")
        .action_names("s3:PutObject")
        .max_items(1)
        .marker(first.marker().expect("a marker"))
        .send()
        .await?;
    assert!(!second.is_truncated());
    assert_eq!(second.marker(), None);
    assert_eq!(
        second.evaluation_results()[0].eval_action_name(),
        "s3:PutObject"
    );

    // A resource policy of another account, for a caller given by ARN: cross-account, both
    // sides reported, and ${aws:username} resolved for the caller.
    let rp = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{ACCOUNT}"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*"}}]}}"#
    );
    let own = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/${aws:username}/*"}]}"#;
    let run = |key: &'static str| {
        iam.simulate_custom_policy()
            .policy_input_list(own)
            .action_names("s3:GetObject")
            .resource_arns(format!("arn:aws:s3:::shared/{key}"))
            .resource_policy(&rp)
            .resource_owner(format!("arn:aws:iam::{SECOND}:root"))
            .caller_arn(format!("arn:aws:iam::{ACCOUNT}:user/carol"))
            .send()
    };
    let out = run("carol/x").await?;
    let r = &out.evaluation_results()[0];
    assert_eq!(r.eval_decision().as_str(), "allowed", "{r:?}");
    let types: Vec<&str> = r
        .matched_statements()
        .iter()
        .filter_map(|m| m.source_policy_type().map(|t| t.as_str()))
        .collect();
    assert_eq!(types, ["IAM Policy", "Resource Policy"]);
    let details = r.eval_decision_details().expect("details");
    assert_eq!(
        details.get("IAM Policy").map(|d| d.as_str()),
        Some("allowed")
    );
    assert_eq!(
        details.get("Resource Policy").map(|d| d.as_str()),
        Some("allowed")
    );
    let out = run("dave/x").await?;
    assert_eq!(
        out.evaluation_results()[0].eval_decision().as_str(),
        "implicitDeny"
    );

    // Refusals.
    expect_error(
        iam.simulate_custom_policy()
            .policy_input_list(text)
            .action_names("s3:Get*")
            .send()
            .await,
        "InvalidInput",
        400,
    );
    expect_error(
        iam.simulate_custom_policy()
            .policy_input_list("{not json")
            .action_names("s3:GetObject")
            .send()
            .await,
        "MalformedPolicyDocument",
        400,
    );
    expect_error(
        iam.simulate_principal_policy()
            .policy_source_arn(format!("arn:aws:iam::{ACCOUNT}:user/nobody"))
            .action_names("s3:GetObject")
            .send()
            .await,
        "NoSuchEntity",
        404,
    );

    // The account root as the source: everything allowed, no statement matched, yet a deny of
    // an input policy or of the resource policy still wins.
    let root = format!("arn:aws:iam::{ACCOUNT}:root");
    let out = iam
        .simulate_principal_policy()
        .policy_source_arn(&root)
        .action_names("s3:DeleteBucket")
        .send()
        .await?;
    let r = &out.evaluation_results()[0];
    assert_eq!(r.eval_decision().as_str(), "allowed");
    assert!(r.matched_statements().is_empty());
    let out = iam
        .simulate_principal_policy()
        .policy_source_arn(&root)
        .action_names("s3:DeleteBucket")
        .policy_input_list(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}"#)
        .send()
        .await?;
    assert_eq!(
        out.evaluation_results()[0].eval_decision().as_str(),
        "explicitDeny"
    );
    stack.stop().await?;
    Ok(())
}

/// A user simulates as far as its policy allows: itself (its inline policy under its name), not
/// the root; a custom simulation's caller is the requesting user.
#[tokio::test]
async fn users_simulate_as_far_as_their_policy_allows() -> TestResult {
    let stack = Stack::start().await?;
    let root = iam(&stack);
    let name = "lim";
    let me = format!("arn:aws:iam::{ACCOUNT}:user/{name}");
    root.create_user().user_name(name).send().await?;
    let policy = doc(vec![
        allow(json!("iam:SimulatePrincipalPolicy"), json!(me)),
        allow(json!("iam:SimulateCustomPolicy"), json!("*")),
    ])
    .to_string();
    root.put_user_policy()
        .user_name(name)
        .policy_name("self-sim")
        .policy_document(&policy)
        .send()
        .await?;
    let key = root.create_access_key().user_name(name).send().await?;
    let key = key.access_key().expect("a key");
    let lim = iam_as(&stack, key.access_key_id(), key.secret_access_key());

    let out = crate::common::mrap::eventually("the user may simulate itself", || {
        let lim = lim.clone();
        let me = me.clone();
        async move {
            lim.simulate_principal_policy()
                .policy_source_arn(me)
                .action_names("iam:SimulateCustomPolicy")
                .action_names("iam:CreateUser")
                .send()
                .await
                .ok()
        }
    })
    .await;
    let rs = out.evaluation_results();
    assert_eq!(rs[0].eval_decision().as_str(), "allowed");
    let m = &rs[0].matched_statements()[0];
    assert_eq!(m.source_policy_id(), Some("self-sim"));
    let start = m.start_position().expect("start");
    let brace = policy.find("},{").expect("two statements") + 2;
    assert_eq!(
        (start.line(), start.column()),
        (1, i32::try_from(brace + 2)?)
    );
    assert_eq!(rs[1].eval_decision().as_str(), "implicitDeny");

    let message = expect_error(
        lim.simulate_principal_policy()
            .policy_source_arn(format!("arn:aws:iam::{ACCOUNT}:root"))
            .action_names("s3:GetObject")
            .send()
            .await,
        "AccessDenied",
        403,
    );
    assert!(message.contains("iam:SimulatePrincipalPolicy"), "{message}");

    // The caller defaults to the requesting user: ${aws:username} is lim.
    let own = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::home/${aws:username}/*"}]}"#;
    for (key, decision) in [("lim/x", "allowed"), ("bob/x", "implicitDeny")] {
        let out = lim
            .simulate_custom_policy()
            .policy_input_list(own)
            .action_names("s3:PutObject")
            .resource_arns(format!("arn:aws:s3:::home/{key}"))
            .send()
            .await?;
        assert_eq!(
            out.evaluation_results()[0].eval_decision().as_str(),
            decision,
            "{key}"
        );
    }
    stack.stop().await?;
    Ok(())
}
