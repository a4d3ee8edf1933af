//! Runs the criterion benchmarks' workloads in a plain loop, for instruction
//! counting (`valgrind --tool=callgrind`), where criterion's own machinery
//! would drown the signal. Development aid; keep the policy text in step
//! with `benches/policy.rs`.
//!
//! `cargo run --release --example profile -- [validate|evaluate|json] [ITERATIONS]`

use mrap_policy::{
    Decision, PolicyType, RequestContext, RequestPrincipal, evaluate, parse, validate,
};

/// Same text as the benchmark's `statements(n)`.
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

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "validate".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100);
    match mode.as_str() {
        "evaluate" => {
            let Ok(policy) = parse(&statements(8)) else {
                eprintln!("policy does not parse");
                return;
            };
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
            let mut allowed = 0;
            for _ in 0..n {
                if evaluate(&policy, &ctx).decision == Decision::Allow {
                    allowed += 1;
                }
            }
            println!("{allowed}/{n} allowed");
        }
        "json" => {
            let text = statements(10);
            let ok = (0..n)
                .filter(|_| mrap_policy::json::parse_json(&text).is_ok())
                .count();
            println!("{ok}/{n} parsed");
        }
        _ => {
            let text = statements(10);
            let mut findings = 0;
            for _ in 0..n {
                let ok = parse(&text).is_ok();
                findings += validate(
                    &text,
                    PolicyType::Resource,
                    Some("AWS::S3::MultiRegionAccessPoint"),
                )
                .len();
                assert!(ok);
            }
            println!("{} bytes, {findings} findings", text.len());
        }
    }
}
