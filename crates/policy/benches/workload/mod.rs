//! The benchmark workloads, shared by `benches/policy.rs` (criterion) and `examples/profile.rs`
//! (instruction counting) so both always measure the same policies and request.
#![allow(dead_code)] // each user takes what it needs

use mrap_policy::{RequestContext, RequestPrincipal};

/// `n + 2` statements, most with conditions, shaped like an MRAP policy.
pub fn statements(n: usize) -> String {
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

pub fn ten_statements() -> String {
    statements(8)
}

/// About 5 KB of the same shape (12 statements).
pub fn five_kb() -> String {
    let text = statements(10);
    assert!(text.len() > 5000, "{}", text.len());
    text
}

/// The request evaluated against `ten_statements()`: allowed by the `Reader` statement.
pub fn request() -> RequestContext {
    RequestContext::new(
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
    .with_key("aws:username", "ann")
}
