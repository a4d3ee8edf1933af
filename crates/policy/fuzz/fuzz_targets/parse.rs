#![no_main]
//! Feeds arbitrary UTF-8 to the parser and validator: neither may panic, and
//! a policy that parses must also evaluate and analyse without panicking.

use libfuzzer_sys::fuzz_target;
use mrap_policy::{PolicyType, RequestContext, RequestPrincipal, evaluate, is_public, parse, validate};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = validate(text, PolicyType::Resource, Some("AWS::S3::MultiRegionAccessPoint"));
    let _ = validate(text, PolicyType::Identity, None);
    if let Ok(policy) = parse(text) {
        let _ = is_public(&policy);
        let ctx = RequestContext::new(RequestPrincipal::Anonymous, "s3:GetObject", "arn:aws:s3:::b/k")
            .with_key("aws:SourceIp", "203.0.113.1")
            .with_key("aws:username", "a*");
        let _ = evaluate(&policy, &ctx);
    }
});
