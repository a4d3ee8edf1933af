//! Criterion benchmarks: evaluation of a 10-statement policy with conditions
//! (target ≤ 2 µs median) and parse + validate of a ~5 KB policy (target
//! ≤ 200 µs).

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use mrap_policy::{
    Decision, PolicyType, RequestContext, RequestPrincipal, evaluate, parse, validate,
};

/// `n + 2` statements, most with conditions, shaped like an MRAP policy.
fn statements(n: usize) -> String {
    let mut st = Vec::new();
    for i in 0..n {
        st.push(format!(
            r#"{{"Sid":"S{i}","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::111122223333:role/app{i}"}},
"Action":["s3:GetObject","s3:PutObject","s3:List*"],
"Resource":["arn:aws:s3::111122223333:accesspoint/mfzwi23gnjvgw.mrap","arn:aws:s3::111122223333:accesspoint/mfzwi23gnjvgw.mrap/object/team{i}/*"],
"Condition":{{"Bool":{{"aws:SecureTransport":"true"}},"IpAddress":{{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}},"StringLike":{{"s3:prefix":["team{i}/*","shared/${{aws:username}}/*"]}}}}}}"#
        ));
    }
    st.push(r#"{"Sid":"DenyOld","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:TlsVersion":"1.2"}}}"#.into());
    st.push(r#"{"Sid":"Reader","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/ann"},"Action":"s3:GetObject","Resource":"arn:aws:s3::111122223333:accesspoint/mfzwi23gnjvgw.mrap/object/*","Condition":{"StringEquals":{"s3:DataAccessPointAccount":"111122223333"},"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}"#.into());
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        st.join(",\n")
    )
}

fn ten_statements() -> String {
    statements(8)
}

/// About 5 KB of the same shape (12 statements).
fn five_kb() -> String {
    let text = statements(10);
    assert!(text.len() > 5000, "{}", text.len());
    text
}

fn bench(c: &mut Criterion) {
    let text = ten_statements();
    let policy = parse(&text).expect("bench policy parses");
    let ctx = RequestContext::new(
        RequestPrincipal::Aws {
            account: "111122223333".into(),
            arn: "arn:aws:iam::111122223333:user/ann".into(),
        },
        "s3:GetObject",
        "arn:aws:s3::111122223333:accesspoint/mfzwi23gnjvgw.mrap/object/report.csv",
    )
    .with_key("aws:SecureTransport", "true")
    .with_key("aws:SourceIp", "203.0.113.7")
    .with_key("aws:CurrentTime", "2026-11-28T10:00:00Z")
    .with_key("s3:DataAccessPointAccount", "111122223333")
    .with_key("s3:TlsVersion", "1.3")
    .with_key("aws:username", "ann");
    assert_eq!(evaluate(&policy, &ctx).decision, Decision::Allow);
    c.bench_function("evaluate_10_statements", |b| {
        b.iter(|| evaluate(black_box(&policy), black_box(&ctx)))
    });

    let big = five_kb();
    println!("parse+validate input: {} bytes", big.len());
    c.bench_function("parse_validate_5kb", |b| {
        b.iter(|| {
            let p = parse(black_box(&big));
            let f = validate(
                black_box(&big),
                PolicyType::Resource,
                Some("AWS::S3::MultiRegionAccessPoint"),
            );
            (p.is_ok(), f.len())
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
