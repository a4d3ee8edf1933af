//! Parse errors: JSON syntax positions and grammar errors, never a panic.

use mrap_policy::{PolicyType, Position, parse, validate};
use proptest::prelude::*;

fn pos(line: u32, column: u32, offset: u32) -> Position {
    Position {
        line,
        column,
        offset,
    }
}

#[test]
fn json_syntax_error_positions() {
    let rows: &[(&str, Position)] = &[
        ("", pos(1, 0, 0)),
        ("{", pos(1, 1, 1)),
        ("{\"Version\" \"2012-10-17\"}", pos(1, 11, 11)),
        ("{\n  \"a\": tru\n}", pos(2, 10, 12)),
        ("{\"a\": \"x\n\"}", pos(1, 8, 8)),
        ("{\"é\": [1,]}", pos(1, 9, 9)),
        ("{} x", pos(1, 3, 3)),
        ("{\"a\": 01}", pos(1, 7, 7)),
        ("{\"a\": \"\\q\"}", pos(1, 8, 8)),
    ];
    for (text, want) in rows {
        let e = parse(text).expect_err(text);
        assert_eq!(e.code, "JSON_SYNTAX_ERROR", "{text}");
        assert_eq!(e.position, *want, "{text}: {}", e.message);
        let f = validate(text, PolicyType::Resource, None);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].locations[0].span.start, *want);
    }
}

#[test]
fn grammar_errors_fail_parse_with_position() {
    let e = parse(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Alow","Action":"s3:*","Resource":"*"}}"#,
    )
    .expect_err("bad effect");
    assert_eq!(e.code, "INVALID_EFFECT");
    assert_eq!(e.position, pos(1, 46, 46));
    let e = parse(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Effect":"Deny"}}"#)
        .expect_err("duplicate key");
    assert_eq!(e.code, "DUPLICATE_KEYS");
    assert_eq!(e.position, pos(1, 85, 85));
    let e = parse(r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqual":{"a:b":"c"}}}}"#)
        .expect_err("unknown operator");
    assert_eq!(e.code, "INVALID_CONDITION_OPERATOR");
    // Warnings do not fail parse().
    assert!(
        parse(r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObjekt","Resource":"*"}}"#).is_ok()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_arbitrary_text(s in "\\PC{0,200}") {
        let _ = parse(&s);
        let _ = validate(&s, PolicyType::Resource, Some("AWS::S3::Bucket"));
    }

    #[test]
    fn never_panics_on_policy_like_text(
        parts in proptest::collection::vec(prop_oneof![
            Just("{"), Just("}"), Just("["), Just("]"), Just(","), Just(":"),
            Just("\"Statement\""), Just("\"Effect\""), Just("\"Allow\""), Just("\"Action\""),
            Just("\"s3:*\""), Just("\"Resource\""), Just("\"*\""), Just("\"Condition\""),
            Just("\"StringLike\""), Just("\"${aws:x\""), Just("\"${\""), Just("1"), Just("true"),
            Just("\"Principal\""), Just("\"IpAddress\""), Just("\"aws:SourceIp\""), Just("\"::/0\""),
            Just("\"arn:aws:s3:::*\""), Just("\"é\""), Just("\"\\ud83d\\ude00\""),
        ], 0..60)
    ) {
        let s: String = parts.concat();
        let _ = parse(&s);
        let _ = validate(&s, PolicyType::Identity, None);
    }
}
