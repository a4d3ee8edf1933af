//! Prints the findings for a policy file: `cargo run --example validate_file -- FILE [IDENTITY|RESOURCE] [RESOURCE_TYPE]`.
use mrap_policy::{PolicyType, validate};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: validate_file FILE [IDENTITY_POLICY|RESOURCE_POLICY] [RESOURCE_TYPE]");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let pt = args
        .get(2)
        .and_then(|s| PolicyType::from_api(s))
        .unwrap_or(PolicyType::Resource);
    let findings = validate(&text, pt, args.get(3).map(String::as_str));
    println!(
        "{}",
        serde_json::to_string_pretty(&findings).unwrap_or_default()
    );
}
