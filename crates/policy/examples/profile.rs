//! Runs the criterion benchmarks' workloads in a plain loop, for instruction
//! counting (`valgrind --tool=callgrind`), where criterion's own machinery
//! would drown the signal. Development aid; the workloads are the benchmark's own
//! (`benches/workload`).
//!
//! `cargo run --release --example profile -- [validate|evaluate|json] [ITERATIONS]`

#[path = "../benches/workload/mod.rs"]
mod workload;

use mrap_policy::{Decision, PolicyType, evaluate, parse, validate};

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "validate".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100);
    match mode.as_str() {
        "evaluate" => {
            let Ok(policy) = parse(&workload::ten_statements()) else {
                eprintln!("policy does not parse");
                return;
            };
            let ctx = workload::request();
            let mut allowed = 0;
            for _ in 0..n {
                if evaluate(&policy, &ctx).decision == Decision::Allow {
                    allowed += 1;
                }
            }
            println!("{allowed}/{n} allowed");
        }
        "json" => {
            let text = workload::five_kb();
            let ok = (0..n)
                .filter(|_| mrap_policy::json::parse_json(&text).is_ok())
                .count();
            println!("{ok}/{n} parsed");
        }
        _ => {
            let text = workload::five_kb();
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
