//! The compiled glob matcher agrees with a naive recursive reference.

use mrap_policy::wildcard::Glob;
use proptest::prelude::*;

/// Reference: direct recursion over characters.
fn reference(p: &[char], t: &[char]) -> bool {
    match p.first() {
        None => t.is_empty(),
        Some('*') => (0..=t.len()).any(|i| reference(&p[1..], &t[i..])),
        Some('?') => !t.is_empty() && reference(&p[1..], &t[1..]),
        Some(c) => t.first() == Some(c) && reference(&p[1..], &t[1..]),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn matches_reference(p in "[ab*?é/]{0,8}", t in "[abé/]{0,10}") {
        let pc: Vec<char> = p.chars().collect();
        let tc: Vec<char> = t.chars().collect();
        prop_assert_eq!(Glob::new(&p).matches(&t), reference(&pc, &tc), "pattern {} text {}", p, t);
    }

    #[test]
    fn ignore_case_matches_lowercased_reference(p in "[aB*?:]{0,8}", t in "[AbB:]{0,10}") {
        let pc: Vec<char> = p.to_ascii_lowercase().chars().collect();
        let tc: Vec<char> = t.to_ascii_lowercase().chars().collect();
        prop_assert_eq!(Glob::new(&p).matches_ignore_ascii_case(&t), reference(&pc, &tc));
    }
}
