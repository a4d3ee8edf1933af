//! Rough timing of parse vs validate phases (development aid).
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).unwrap_or_default();
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let n = 200;
    if std::env::var("ONLY_PARSE").is_ok() {
        for _ in 0..2000 {
            let _ = mrap_policy::parse(&text);
        }
        return;
    }
    let t = Instant::now();
    for _ in 0..n {
        let _ = mrap_policy::json::parse_json(&text);
    }
    println!("json: {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        let _ = mrap_policy::variables::Template::parse(
            "arn:aws:s3::111122223333:accesspoint/mfzwi23gnjvgw.mrap/object/team1/*",
            true,
        );
    }
    println!("template: {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        let _ = mrap_policy::condition::Parsed::for_family(
            mrap_policy::condition::Family::Ip,
            "2001:db8::/32",
            true,
        );
    }
    println!("cidr: {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        let _ = mrap_policy::parse(&text);
    }
    println!("parse: {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        let _ = mrap_policy::validate(
            &text,
            mrap_policy::PolicyType::Resource,
            Some("AWS::S3::MultiRegionAccessPoint"),
        );
    }
    println!("validate: {:?}", t.elapsed() / n);
}
