//! Criterion benchmarks: evaluation of a 10-statement policy with conditions
//! (target ≤ 2 µs median) and parse + validate of a ~5 KB policy (target
//! ≤ 200 µs).

use criterion::{Criterion, black_box, criterion_group, criterion_main};
mod workload;

use mrap_policy::{Decision, PolicyType, evaluate, parse, validate};
use workload::{five_kb, ten_statements};

fn bench(c: &mut Criterion) {
    let text = ten_statements();
    let policy = parse(&text).expect("bench policy parses");
    let ctx = workload::request();
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
