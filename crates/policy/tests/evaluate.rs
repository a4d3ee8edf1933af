//! Table-driven evaluation tests: every operator, qualifier, wildcard and
//! variable rule.

use mrap_policy::*;

const ACCT: &str = "111122223333";
const USER: &str = "arn:aws:iam::111122223333:user/ann";
const OBJ: &str = "arn:aws:s3:::bucket/key";

fn aws() -> RequestPrincipal {
    RequestPrincipal::Aws {
        account: ACCT.into(),
        arn: USER.into(),
    }
}

/// A policy allowing s3:GetObject on everything under one condition clause.
fn cond_policy(op: &str, key: &str, values: &str) -> Policy {
    let text = format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{{"{op}":{{"{key}":{values}}}}}}}}}"#
    );
    parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn ctx_with(key: &str, vals: Option<&[&str]>) -> RequestContext {
    let mut c = RequestContext::new(aws(), "s3:GetObject", OBJ);
    if let Some(vs) = vals {
        for v in vs {
            c = c.with_key(key, *v);
        }
    }
    c
}

type Row<'a> = (&'a str, &'a str, &'a str, Option<&'a [&'a str]>, bool);

fn run(rows: &[Row]) {
    for (i, (op, key, values, req, want)) in rows.iter().enumerate() {
        let p = cond_policy(op, key, values);
        let got = evaluate(&p, &ctx_with(key, *req)).decision == Decision::Allow;
        assert_eq!(got, *want, "row {i}: {op} {key} {values} vs {req:?}");
    }
}

#[test]
fn string_operators() {
    run(&[
        (
            "StringEquals",
            "s3:prefix",
            r#""home/""#,
            Some(&["home/"]),
            true,
        ),
        (
            "StringEquals",
            "s3:prefix",
            r#""home/""#,
            Some(&["Home/"]),
            false,
        ),
        (
            "StringEquals",
            "s3:prefix",
            r#"["a","b"]"#,
            Some(&["b"]),
            true,
        ),
        ("StringEquals", "s3:prefix", r#""a""#, None, false),
        (
            "StringEquals",
            "s3:prefix",
            r#""a*""#,
            Some(&["abc"]),
            false,
        ),
        ("StringEquals", "s3:prefix", r#""a*""#, Some(&["a*"]), true),
        ("StringNotEquals", "s3:prefix", r#""a""#, Some(&["b"]), true),
        (
            "StringNotEquals",
            "s3:prefix",
            r#"["a","b"]"#,
            Some(&["b"]),
            false,
        ),
        ("StringNotEquals", "s3:prefix", r#""a""#, None, true),
        (
            "StringEqualsIgnoreCase",
            "s3:prefix",
            r#""HOME""#,
            Some(&["home"]),
            true,
        ),
        (
            "StringNotEqualsIgnoreCase",
            "s3:prefix",
            r#""HOME""#,
            Some(&["home"]),
            false,
        ),
        (
            "StringNotEqualsIgnoreCase",
            "s3:prefix",
            r#""HOME""#,
            Some(&["x"]),
            true,
        ),
        (
            "StringLike",
            "s3:prefix",
            r#""home/*""#,
            Some(&["home/a/b"]),
            true,
        ),
        (
            "StringLike",
            "s3:prefix",
            r#""home/?""#,
            Some(&["home/ab"]),
            false,
        ),
        (
            "StringLike",
            "s3:prefix",
            r#""home/?""#,
            Some(&["home/a"]),
            true,
        ),
        ("StringLike", "s3:prefix", r#""home/*""#, None, false),
        (
            "StringNotLike",
            "s3:prefix",
            r#""home/*""#,
            Some(&["tmp/x"]),
            true,
        ),
        (
            "StringNotLike",
            "s3:prefix",
            r#""home/*""#,
            Some(&["home/x"]),
            false,
        ),
        ("StringNotLike", "s3:prefix", r#""home/*""#, None, true),
        // Condition key names are case-insensitive.
        ("StringEquals", "S3:PREFIX", r#""a""#, Some(&["a"]), true),
    ]);
}

#[test]
fn numeric_operators() {
    run(&[
        ("NumericEquals", "s3:max-keys", "10", Some(&["10"]), true),
        (
            "NumericEquals",
            "s3:max-keys",
            r#""10""#,
            Some(&["10.0"]),
            true,
        ),
        ("NumericEquals", "s3:max-keys", "10", Some(&["11"]), false),
        ("NumericNotEquals", "s3:max-keys", "10", Some(&["11"]), true),
        ("NumericNotEquals", "s3:max-keys", "10", None, true),
        ("NumericLessThan", "s3:max-keys", "10", Some(&["9"]), true),
        ("NumericLessThan", "s3:max-keys", "10", Some(&["10"]), false),
        (
            "NumericLessThanEquals",
            "s3:max-keys",
            "10",
            Some(&["10"]),
            true,
        ),
        (
            "NumericGreaterThan",
            "s3:max-keys",
            "10",
            Some(&["10.5"]),
            true,
        ),
        (
            "NumericGreaterThan",
            "s3:max-keys",
            "10",
            Some(&["-1"]),
            false,
        ),
        (
            "NumericGreaterThanEquals",
            "s3:max-keys",
            "10",
            Some(&["10"]),
            true,
        ),
        ("NumericGreaterThanEquals", "s3:max-keys", "10", None, false),
        ("NumericEquals", "s3:max-keys", "10", Some(&["ten"]), false),
        // An unparseable policy value never matches.
        (
            "NumericEquals",
            "s3:max-keys",
            r#""ten""#,
            Some(&["10"]),
            false,
        ),
    ]);
}

#[test]
fn date_operators() {
    let k = "aws:CurrentTime";
    run(&[
        (
            "DateEquals",
            k,
            r#""2024-01-01T00:00:00Z""#,
            Some(&["2024-01-01T00:00:00Z"]),
            true,
        ),
        (
            "DateEquals",
            k,
            r#""2024-01-01""#,
            Some(&["2024-01-01T00:00:00Z"]),
            true,
        ),
        (
            "DateEquals",
            k,
            r#""1704067200""#,
            Some(&["2024-01-01T00:00:00Z"]),
            true,
        ),
        (
            "DateNotEquals",
            k,
            r#""2024-01-01""#,
            Some(&["2024-01-02"]),
            true,
        ),
        (
            "DateLessThan",
            k,
            r#""2024-01-01""#,
            Some(&["2023-12-31T23:59:59Z"]),
            true,
        ),
        (
            "DateLessThan",
            k,
            r#""2024-01-01""#,
            Some(&["2024-01-01T00:00:00Z"]),
            false,
        ),
        (
            "DateLessThanEquals",
            k,
            r#""2024-01-01""#,
            Some(&["2024-01-01T00:00:00Z"]),
            true,
        ),
        (
            "DateGreaterThan",
            k,
            r#""2024-01-01""#,
            Some(&["2024-01-01T00:00:01Z"]),
            true,
        ),
        (
            "DateGreaterThanEquals",
            k,
            r#""2024-01-01""#,
            Some(&["2023-01-01"]),
            false,
        ),
        (
            "DateGreaterThan",
            k,
            r#""2024-01-01T10:00:00+02:00""#,
            Some(&["2024-01-01T08:30:00Z"]),
            true,
        ),
        ("DateLessThan", k, r#""2024-01-01""#, None, false),
    ]);
}

#[test]
fn bool_binary_ip_null() {
    run(&[
        (
            "Bool",
            "aws:SecureTransport",
            r#""true""#,
            Some(&["true"]),
            true,
        ),
        ("Bool", "aws:SecureTransport", "true", Some(&["TRUE"]), true),
        (
            "Bool",
            "aws:SecureTransport",
            r#""true""#,
            Some(&["false"]),
            false,
        ),
        ("Bool", "aws:SecureTransport", r#""false""#, None, false),
        (
            "BinaryEquals",
            "s3:x-amz-acl",
            r#""aGk=""#,
            Some(&["aGk="]),
            true,
        ),
        (
            "BinaryEquals",
            "s3:x-amz-acl",
            r#""aGk=""#,
            Some(&["aGE="]),
            false,
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            r#""203.0.113.0/24""#,
            Some(&["203.0.113.9"]),
            true,
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            r#""203.0.113.0/24""#,
            Some(&["203.0.114.9"]),
            false,
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            r#""203.0.113.7""#,
            Some(&["203.0.113.7"]),
            true,
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            r#"["10.0.0.0/8","2001:db8::/32"]"#,
            Some(&["2001:db8::1"]),
            true,
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            r#""2001:db8::/32""#,
            Some(&["2001:db9::1"]),
            false,
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            r#""203.0.113.0/24""#,
            None,
            false,
        ),
        (
            "NotIpAddress",
            "aws:SourceIp",
            r#""203.0.113.0/24""#,
            Some(&["198.51.100.1"]),
            true,
        ),
        (
            "NotIpAddress",
            "aws:SourceIp",
            r#""203.0.113.0/24""#,
            Some(&["203.0.113.1"]),
            false,
        ),
        (
            "NotIpAddress",
            "aws:SourceIp",
            r#""203.0.113.0/24""#,
            None,
            true,
        ),
        ("Null", "s3:x-amz-acl", r#""true""#, None, true),
        (
            "Null",
            "s3:x-amz-acl",
            r#""true""#,
            Some(&["private"]),
            false,
        ),
        ("Null", "s3:x-amz-acl", "false", Some(&["private"]), true),
        ("Null", "s3:x-amz-acl", r#""false""#, None, false),
        ("ForAnyValue:Null", "s3:x-amz-acl", r#""true""#, None, true),
    ]);
}

#[test]
fn arn_operators() {
    let k = "aws:SourceArn";
    let arn = "arn:aws:s3::111122223333:accesspoint/abc.mrap";
    run(&[
        ("ArnEquals", k, &format!("\"{arn}\""), Some(&[arn]), true),
        (
            "ArnLike",
            k,
            r#""arn:aws:s3::111122223333:accesspoint/*""#,
            Some(&[arn]),
            true,
        ),
        (
            "ArnLike",
            k,
            r#""arn:aws:s3:*:111122223333:accesspoint/*""#,
            Some(&[arn]),
            true,
        ),
        (
            "ArnLike",
            k,
            r#""arn:aws:s3:us-east-1:111122223333:accesspoint/*""#,
            Some(&[arn]),
            false,
        ),
        // A `*` may not absorb colons in Arn operators...
        ("ArnLike", k, r#""arn:aws:s3:*""#, Some(&[arn]), false),
        // ...but StringLike treats the ARN as plain text.
        ("StringLike", k, r#""arn:aws:s3:*""#, Some(&[arn]), true),
        (
            "ArnNotEquals",
            k,
            &format!("\"{arn}\""),
            Some(&[arn]),
            false,
        ),
        ("ArnNotLike", k, r#""arn:aws:s3:::*""#, Some(&[arn]), true),
        ("ArnNotLike", k, r#""arn:aws:s3:::*""#, None, true),
        ("ArnLike", k, r#""arn:aws:s3:::*""#, None, false),
        (
            "ArnEquals",
            k,
            r#""ARN:aws:s3::111122223333:accesspoint/abc.mrap""#,
            Some(&[arn]),
            false,
        ),
    ]);
}

#[test]
fn if_exists_and_qualifiers() {
    let tags = "aws:TagKeys";
    run(&[
        (
            "StringEqualsIfExists",
            "s3:x-amz-acl",
            r#""private""#,
            None,
            true,
        ),
        (
            "StringEqualsIfExists",
            "s3:x-amz-acl",
            r#""private""#,
            Some(&["public-read"]),
            false,
        ),
        (
            "StringNotEqualsIfExists",
            "s3:x-amz-acl",
            r#""private""#,
            None,
            true,
        ),
        ("NumericLessThanIfExists", "s3:max-keys", "5", None, true),
        (
            "IpAddressIfExists",
            "aws:SourceIp",
            r#""10.0.0.0/8""#,
            Some(&["11.0.0.1"]),
            false,
        ),
        (
            "BoolIfExists",
            "aws:SecureTransport",
            r#""true""#,
            None,
            true,
        ),
        (
            "ArnLikeIfExists",
            "aws:SourceArn",
            r#""arn:aws:s3:::*""#,
            None,
            true,
        ),
        (
            "DateLessThanIfExists",
            "aws:CurrentTime",
            r#""2024-01-01""#,
            None,
            true,
        ),
        (
            "ForAllValues:StringEquals",
            tags,
            r#"["a","b"]"#,
            Some(&["a", "b"]),
            true,
        ),
        (
            "ForAllValues:StringEquals",
            tags,
            r#"["a","b"]"#,
            Some(&["a", "c"]),
            false,
        ),
        (
            "ForAllValues:StringEquals",
            tags,
            r#"["a","b"]"#,
            None,
            true,
        ),
        (
            "ForAllValues:StringEquals",
            tags,
            r#"["a","b"]"#,
            Some(&[]),
            true,
        ),
        (
            "ForAnyValue:StringEquals",
            tags,
            r#"["a","b"]"#,
            Some(&["c", "b"]),
            true,
        ),
        (
            "ForAnyValue:StringEquals",
            tags,
            r#"["a","b"]"#,
            Some(&["c", "d"]),
            false,
        ),
        (
            "ForAnyValue:StringEquals",
            tags,
            r#"["a","b"]"#,
            None,
            false,
        ),
        (
            "ForAnyValue:StringEqualsIfExists",
            tags,
            r#""a""#,
            None,
            true,
        ),
        (
            "ForAllValues:StringNotEquals",
            tags,
            r#"["a","b"]"#,
            Some(&["c", "d"]),
            true,
        ),
        (
            "ForAllValues:StringNotEquals",
            tags,
            r#"["a","b"]"#,
            Some(&["c", "a"]),
            false,
        ),
        (
            "ForAnyValue:StringNotEquals",
            tags,
            r#"["a","b"]"#,
            Some(&["c", "a"]),
            true,
        ),
        (
            "ForAnyValue:StringNotEquals",
            tags,
            r#"["a","b"]"#,
            Some(&["a", "b"]),
            false,
        ),
        (
            "ForAnyValue:StringLike",
            tags,
            r#""team-*""#,
            Some(&["x", "team-a"]),
            true,
        ),
        (
            "ForAllValues:StringLike",
            tags,
            r#""team-*""#,
            Some(&["x", "team-a"]),
            false,
        ),
        (
            "ForAnyValue:NumericGreaterThan",
            "s3:max-keys",
            "5",
            Some(&["1", "9"]),
            true,
        ),
        (
            "ForAnyValue:IpAddress",
            "aws:SourceIp",
            r#""10.0.0.0/8""#,
            Some(&["10.1.1.1"]),
            true,
        ),
        // Unqualified multi-valued request: any value matching is enough,
        // and the negated form needs all of them to differ.
        ("StringEquals", tags, r#""a""#, Some(&["a", "b"]), true),
        ("StringNotEquals", tags, r#""a""#, Some(&["a", "b"]), false),
    ]);
}

#[test]
fn variables_in_conditions_and_resources() {
    // Substituted in String values.
    let p = cond_policy("StringLike", "s3:prefix", r#""home/${aws:username}/*""#);
    let c = ctx_with("s3:prefix", Some(&["home/ann/x"])).with_key("aws:username", "ann");
    assert_eq!(evaluate(&p, &c).decision, Decision::Allow);
    let c = ctx_with("s3:prefix", Some(&["home/bob/x"])).with_key("aws:username", "ann");
    assert_eq!(evaluate(&p, &c).decision, Decision::ImplicitDeny);
    // Unresolved variable: positive operator false...
    let c = ctx_with("s3:prefix", Some(&["home/ann/x"]));
    assert_eq!(evaluate(&p, &c).decision, Decision::ImplicitDeny);
    // ...negated operator true.
    let p = cond_policy("StringNotLike", "s3:prefix", r#""home/${aws:username}/*""#);
    assert_eq!(evaluate(&p, &c).decision, Decision::Allow);
    // A wildcard in the request value is literal after substitution.
    let p = cond_policy("StringLike", "s3:prefix", r#""${aws:username}""#);
    let c = ctx_with("s3:prefix", Some(&["anything"])).with_key("aws:username", "*");
    assert_eq!(evaluate(&p, &c).decision, Decision::ImplicitDeny);
    // Escapes and defaults.
    let p = cond_policy("StringEquals", "s3:prefix", r#""a${*}${?}${$}""#);
    assert_eq!(
        evaluate(&p, &ctx_with("s3:prefix", Some(&["a*?$"]))).decision,
        Decision::Allow
    );
    let p = cond_policy(
        "StringEquals",
        "s3:prefix",
        r#""${aws:PrincipalTag/team, 'none'}""#,
    );
    assert_eq!(
        evaluate(&p, &ctx_with("s3:prefix", Some(&["none"]))).decision,
        Decision::Allow
    );
    // ARN operators resolve variables too.
    let p = cond_policy(
        "ArnLike",
        "aws:SourceArn",
        r#""arn:aws:s3:::${aws:username}/*""#,
    );
    let c =
        ctx_with("aws:SourceArn", Some(&["arn:aws:s3:::ann/k"])).with_key("aws:username", "ann");
    assert_eq!(evaluate(&p, &c).decision, Decision::Allow);

    // Resource variables, and no expansion under Version 2008-10-17.
    let res = |version: &str| {
        parse(&format!(
            r#"{{"Version":"{version}","Statement":{{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${{aws:username}}/*"}}}}"#
        ))
    };
    let p = res("2012-10-17").expect("valid");
    let c = RequestContext::new(aws(), "s3:GetObject", "arn:aws:s3:::b/ann/f")
        .with_key("aws:username", "ann");
    assert_eq!(evaluate(&p, &c).decision, Decision::Allow);
    let c2 = RequestContext::new(aws(), "s3:GetObject", "arn:aws:s3:::b/bob/f")
        .with_key("aws:username", "ann");
    assert_eq!(evaluate(&p, &c2).decision, Decision::ImplicitDeny);
    let c3 = RequestContext::new(aws(), "s3:GetObject", "arn:aws:s3:::b/ann/f");
    assert_eq!(evaluate(&p, &c3).decision, Decision::ImplicitDeny);
    // With 2008-10-17 variables are an error for parse() (VARIABLE_UNSUPPORTED_IN_VERSION).
    assert_eq!(
        res("2008-10-17").expect_err("2008").code,
        "VARIABLE_UNSUPPORTED_IN_VERSION"
    );
}

fn simple(statement: &str) -> Policy {
    let text = format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#);
    parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn decide(p: &Policy, who: RequestPrincipal, action: &str, resource: &str) -> Decision {
    evaluate(p, &RequestContext::new(who, action, resource)).decision
}

#[test]
fn action_matching() {
    let rows: &[(&str, &str, Decision)] = &[
        (r#""s3:GetObject""#, "s3:GetObject", Decision::Allow),
        (r#""S3:getobject""#, "s3:GetObject", Decision::Allow),
        (r#""s3:Get*""#, "s3:GetObjectAcl", Decision::Allow),
        (r#""s3:Get*""#, "s3:PutObject", Decision::ImplicitDeny),
        (r#""s3:*Object""#, "s3:PutObject", Decision::Allow),
        (r#""s3:?etObject""#, "s3:GetObject", Decision::Allow),
        (r#""*""#, "iam:ListUsers", Decision::Allow),
        (r#"["iam:*","s3:List*"]"#, "s3:ListBucket", Decision::Allow),
        // Commas and whitespace make an action match nothing.
        (
            r#""s3:GetObject,s3:PutObject""#,
            "s3:GetObject",
            Decision::ImplicitDeny,
        ),
        (r#"" s3:GetObject""#, "s3:GetObject", Decision::ImplicitDeny),
        (r#""s3:""#, "s3:GetObject", Decision::ImplicitDeny),
    ];
    for (action, req, want) in rows {
        let p = simple(&format!(
            r#"{{"Effect":"Allow","Action":{action},"Resource":"*"}}"#
        ));
        assert_eq!(decide(&p, aws(), req, OBJ), *want, "{action} vs {req}");
    }
    // NotAction: everything except the listed ones; an unusable entry in
    // NotAction therefore excludes nothing.
    let p = simple(r#"{"Effect":"Allow","NotAction":"s3:Delete*","Resource":"*"}"#);
    assert_eq!(decide(&p, aws(), "s3:GetObject", OBJ), Decision::Allow);
    assert_eq!(
        decide(&p, aws(), "s3:DeleteObject", OBJ),
        Decision::ImplicitDeny
    );
    let p = simple(r#"{"Effect":"Allow","NotAction":"s3:Get Object","Resource":"*"}"#);
    assert_eq!(decide(&p, aws(), "s3:GetObject", OBJ), Decision::Allow);
}

#[test]
fn resource_matching() {
    let mrap = "arn:aws:s3::111122223333:accesspoint/abc.mrap";
    let rows: &[(&str, &str, Decision)] = &[
        ("arn:aws:s3:::bucket/*", OBJ, Decision::Allow),
        ("arn:aws:s3:::bucket", OBJ, Decision::ImplicitDeny),
        ("arn:aws:s3:::Bucket/*", OBJ, Decision::ImplicitDeny),
        ("arn:aws:s3:::b?cket/k*", OBJ, Decision::Allow),
        ("arn:aws:s3:::*", OBJ, Decision::Allow),
        ("*", OBJ, Decision::Allow),
        (
            "arn:aws:s3::111122223333:accesspoint/*",
            mrap,
            Decision::Allow,
        ),
        (
            "arn:aws:s3:*:111122223333:accesspoint/*",
            mrap,
            Decision::Allow,
        ),
        (
            "arn:aws:s3:us-west-2:111122223333:accesspoint/*",
            mrap,
            Decision::ImplicitDeny,
        ),
        (
            "arn:aws:s3::111122223333:accesspoint/abc.mrap/object/*",
            &format!("{mrap}/object/a/b"),
            Decision::Allow,
        ),
        (
            "arn:aws:s3::111122223333:accesspoint/abc.mrap/object/*",
            mrap,
            Decision::ImplicitDeny,
        ),
        (
            "arn:aws:s3:::bucket/a:b",
            "arn:aws:s3:::bucket/a:b",
            Decision::Allow,
        ),
        ("arn:aws:s3:*", mrap, Decision::Allow),
    ];
    for (res, req, want) in rows {
        let p = simple(&format!(
            r#"{{"Effect":"Allow","Action":"s3:*","Resource":"{res}"}}"#
        ));
        assert_eq!(
            decide(&p, aws(), "s3:GetObject", req),
            *want,
            "{res} vs {req}"
        );
    }
    let p = simple(r#"{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"}"#);
    assert_eq!(decide(&p, aws(), "s3:GetObject", OBJ), Decision::Allow);
    assert_eq!(
        decide(&p, aws(), "s3:GetObject", "arn:aws:s3:::secret/x"),
        Decision::ImplicitDeny
    );
}

#[test]
fn principal_matching() {
    let anon = RequestPrincipal::Anonymous;
    let other = RequestPrincipal::Aws {
        account: "444455556666".into(),
        arn: "arn:aws:iam::444455556666:user/eve".into(),
    };
    let session = RequestPrincipal::Aws {
        account: ACCT.into(),
        arn: "arn:aws:sts::111122223333:assumed-role/reader/s1".into(),
    };
    let svc = RequestPrincipal::Service("cloudtrail.amazonaws.com".into());
    let rows: Vec<(&str, RequestPrincipal, Decision)> = vec![
        (r#""*""#, anon.clone(), Decision::Allow),
        (r#"{"AWS":"*"}"#, anon.clone(), Decision::Allow),
        (r#"{"AWS":"111122223333"}"#, aws(), Decision::Allow),
        (
            r#"{"AWS":"111122223333"}"#,
            other.clone(),
            Decision::ImplicitDeny,
        ),
        (
            r#"{"AWS":"111122223333"}"#,
            anon.clone(),
            Decision::ImplicitDeny,
        ),
        (
            r#"{"AWS":"arn:aws:iam::111122223333:root"}"#,
            aws(),
            Decision::Allow,
        ),
        (
            r#"{"AWS":"arn:aws:iam::111122223333:root"}"#,
            session.clone(),
            Decision::Allow,
        ),
        (
            r#"{"AWS":["arn:aws:iam::111122223333:user/ann"]}"#,
            aws(),
            Decision::Allow,
        ),
        (
            r#"{"AWS":"arn:aws:iam::111122223333:user/Ann"}"#,
            aws(),
            Decision::ImplicitDeny,
        ),
        (
            r#"{"AWS":"arn:aws:iam::111122223333:role/reader"}"#,
            session.clone(),
            Decision::Allow,
        ),
        (
            r#"{"AWS":"arn:aws:iam::111122223333:role/writer"}"#,
            session.clone(),
            Decision::ImplicitDeny,
        ),
        (
            r#"{"Service":"cloudtrail.amazonaws.com"}"#,
            svc.clone(),
            Decision::Allow,
        ),
        (
            r#"{"Service":"cloudtrail.amazonaws.com"}"#,
            aws(),
            Decision::ImplicitDeny,
        ),
        (
            r#"{"CanonicalUser":"abc"}"#,
            RequestPrincipal::CanonicalUser("abc".into()),
            Decision::Allow,
        ),
        (
            r#"{"Federated":"cognito-identity.amazonaws.com"}"#,
            RequestPrincipal::Federated("cognito-identity.amazonaws.com".into()),
            Decision::Allow,
        ),
    ];
    for (pr, who, want) in rows {
        let p = simple(&format!(
            r#"{{"Effect":"Allow","Principal":{pr},"Action":"s3:*","Resource":"*"}}"#
        ));
        assert_eq!(
            decide(&p, who.clone(), "s3:GetObject", OBJ),
            want,
            "{pr} vs {who:?}"
        );
    }
    // NotPrincipal with Deny: everyone except the listed principals is denied.
    let p = simple(
        r#"{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*"},
           {"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}"#,
    );
    assert_eq!(decide(&p, aws(), "s3:GetObject", OBJ), Decision::Allow);
    assert_eq!(
        decide(&p, other, "s3:GetObject", OBJ),
        Decision::ExplicitDeny
    );
    assert_eq!(
        decide(&p, anon, "s3:GetObject", OBJ),
        Decision::ExplicitDeny
    );
}

#[test]
fn deny_wins_and_statement_refs() {
    let p = simple(
        r#"{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},
           {"Sid":"D","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"},
           {"Effect":"Allow","Action":"s3:Get*","Resource":"*"}"#,
    );
    let e = evaluate(&p, &RequestContext::new(aws(), "s3:DeleteObject", OBJ));
    assert_eq!(e.decision, Decision::ExplicitDeny);
    assert_eq!(
        e.statements,
        vec![StatementRef {
            policy: 0,
            index: 1,
            sid: Some("D".into())
        }]
    );
    let e = evaluate(&p, &RequestContext::new(aws(), "s3:GetObject", OBJ));
    assert_eq!(e.decision, Decision::Allow);
    assert_eq!(e.statements.len(), 2);
    assert_eq!(e.statements[1].sid, None);
    assert_eq!(e.statements[1].index, 2);
    let p = simple(r#"{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}"#);
    let e = evaluate(&p, &RequestContext::new(aws(), "s3:PutObject", OBJ));
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert!(e.statements.is_empty());
}

#[test]
fn combine_rules() {
    let allow = Evaluation {
        decision: Decision::Allow,
        statements: vec![StatementRef {
            policy: 0,
            index: 0,
            sid: None,
        }],
    };
    let deny = Evaluation {
        decision: Decision::ExplicitDeny,
        statements: vec![StatementRef {
            policy: 0,
            index: 3,
            sid: Some("x".into()),
        }],
    };
    let none = Evaluation {
        decision: Decision::ImplicitDeny,
        statements: vec![],
    };
    use PolicyRole::*;
    assert_eq!(
        combine(&[(Identity, &allow), (Resource, &none)], true).decision,
        Decision::Allow
    );
    assert_eq!(
        combine(&[(Identity, &none), (Resource, &allow)], true).decision,
        Decision::Allow
    );
    assert_eq!(
        combine(&[(Identity, &allow), (Resource, &none)], false).decision,
        Decision::ImplicitDeny
    );
    assert_eq!(
        combine(&[(Identity, &allow), (Resource, &allow)], false).decision,
        Decision::Allow
    );
    let e = combine(&[(Identity, &allow), (Resource, &deny)], true);
    assert_eq!(e.decision, Decision::ExplicitDeny);
    assert_eq!(e.statements[0].policy, 1);
    assert_eq!(combine(&[], true).decision, Decision::ImplicitDeny);
}

#[test]
fn principal_keys_of_a_root_and_of_a_user() {
    use mrap_policy::{Signer, principal_keys};
    let root = principal_keys(
        "111122223333",
        "arn:aws:iam::111122223333:root",
        Signer::Root,
    );
    assert_eq!(
        root,
        [
            (
                "aws:PrincipalArn",
                "arn:aws:iam::111122223333:root".to_owned()
            ),
            ("aws:PrincipalAccount", "111122223333".to_owned()),
            ("aws:PrincipalType", "Account".to_owned()),
            ("aws:userid", "111122223333".to_owned()),
        ]
    );
    let user = principal_keys(
        "111122223333",
        "arn:aws:iam::111122223333:user/eng/ann",
        Signer::User {
            name: "ann",
            user_id: Some("AIDAEXAMPLE"),
        },
    );
    assert_eq!(
        user[2..],
        [
            ("aws:PrincipalType", "User".to_owned()),
            ("aws:userid", "AIDAEXAMPLE".to_owned()),
            ("aws:username", "ann".to_owned()),
        ]
    );
}
