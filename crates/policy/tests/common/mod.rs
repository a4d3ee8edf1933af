//! Shared helper for the golden tests: renders a finding compactly.
use mrap_policy::{Finding, PathElement};

pub fn render(f: &Finding) -> String {
    let locs: Vec<String> = f
        .locations
        .iter()
        .map(|l| {
            let path: Vec<String> = l
                .path
                .iter()
                .map(|p| match p {
                    PathElement::Index(i) => format!("[{i}]"),
                    PathElement::Key(k) => format!("k:{k}"),
                    PathElement::Value(v) => v.clone(),
                    PathElement::Substring { start, length } => format!("sub({start},{length})"),
                })
                .collect();
            let (s, e) = (l.span.start, l.span.end);
            format!(
                "{} @{}:{}:{}-{}:{}:{}",
                path.join("/"),
                s.line,
                s.column,
                s.offset,
                e.line,
                e.column,
                e.offset
            )
        })
        .collect();
    format!("{:?} {} {}", f.finding_type, f.issue_code, locs.join(" ; "))
}
