//! ARNs: parsing for validation, and segment-wise pattern matching for the
//! `Resource`/`NotResource` elements and the `Arn*` condition operators.
//!
//! Matching is case-sensitive and per colon-separated segment: a wildcard in
//! the region segment cannot swallow the account. The resource segment (the
//! sixth) takes the rest of the ARN, colons included. For `Resource` patterns
//! that stop early with a trailing `*` (`arn:aws:s3:*`), that `*` may extend
//! over the remaining colons, per the current IAM Resource-element docs; the
//! `Arn*` condition operators never allow this.

use std::collections::HashMap;

use crate::variables::Template;
use crate::wildcard::{ArnCuts, Glob};

/// The six fields of an ARN (`resource` keeps any further colons).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArnParts<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

/// Splits `s` into ARN fields; `None` if it has fewer than six fields or does
/// not start with `arn`.
pub fn parse_arn(s: &str) -> Option<ArnParts<'_>> {
    let mut it = s.splitn(6, ':');
    let prefix = it.next()?;
    if prefix != "arn" {
        return None;
    }
    Some(ArnParts {
        partition: it.next()?,
        service: it.next()?,
        region: it.next()?,
        account: it.next()?,
        resource: it.next()?,
    })
}

/// A compiled ARN pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArnPattern {
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// `*`: every resource.
    Any,
    /// No policy variables: the glob and its segment boundaries are
    /// computed once.
    Segments(Glob, ArnCuts),
    /// Has variables: resolved per request.
    Dynamic(Template),
}

impl ArnPattern {
    pub fn new(t: Template) -> Self {
        let kind = match t.into_static_glob() {
            Ok(g) if g.is_match_all() => Kind::Any,
            Ok(g) => {
                let cuts = g.arn_segments();
                Kind::Segments(g, cuts)
            }
            Err(t) => Kind::Dynamic(t),
        };
        ArnPattern { kind }
    }

    /// Whether the pattern has policy variables (resolved from each request's context).
    pub fn is_dynamic(&self) -> bool {
        matches!(self.kind, Kind::Dynamic(_))
    }

    /// Matches a request ARN. `cross_colon` enables the trailing-`*` rule
    /// (Resource element only).
    pub fn matches(
        &self,
        arn: &str,
        keys: &HashMap<String, Vec<String>>,
        cross_colon: bool,
    ) -> bool {
        match &self.kind {
            Kind::Any => true,
            Kind::Segments(g, cuts) => match_segments(g, cuts, arn, cross_colon),
            Kind::Dynamic(t) => match t.glob(keys) {
                // An unresolvable variable makes the pattern match nothing.
                None => false,
                Some(g) if g.is_match_all() => true,
                Some(g) => match_segments(&g, &g.arn_segments(), arn, cross_colon),
            },
        }
    }
}

fn match_segments(g: &Glob, cuts: &ArnCuts, arn: &str, cross_colon: bool) -> bool {
    // The request ARN splits like the pattern: at its first five colons.
    let n_parts = arn.bytes().filter(|b| *b == b':').take(5).count() + 1;
    let n_segs = cuts.len;
    let seg_matches = |(k, part): (usize, &str)| g.segment(cuts, k).matches(part.as_bytes(), false);
    if n_segs == n_parts {
        // Segment for segment (or, when neither side is a full ARN, the
        // same number of colon-separated pieces).
        return arn.splitn(6, ':').enumerate().all(seg_matches);
    }
    if n_parts == 6 && cross_colon && n_segs < 6 && g.segment(cuts, n_segs - 1).ends_with_star() {
        // `arn:aws:s3:*` style: all but the last segment match one for one,
        // the last one takes the remainder of the ARN.
        let mut parts = arn.splitn(n_segs, ':');
        let head_ok = parts.by_ref().take(n_segs - 1).enumerate().all(seg_matches);
        let rest = parts.next().unwrap_or_default();
        return head_ok && g.segment(cuts, n_segs - 1).matches(rest.as_bytes(), false);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pat: &str, arn: &str, cross: bool) -> bool {
        let (t, _) = Template::parse(pat, true);
        ArnPattern::new(t).matches(arn, &HashMap::new(), cross)
    }

    #[test]
    fn segment_rules() {
        let mrap = "arn:aws:s3::111122223333:accesspoint/mfzwi23gnjvgw.mrap";
        let ap = "arn:aws:s3:us-west-2:111122223333:accesspoint/ap1";
        assert!(m("arn:aws:s3::111122223333:accesspoint/*", mrap, true));
        assert!(!m("arn:aws:s3::111122223333:accesspoint/*", ap, true));
        assert!(!m(
            "arn:aws:s3:us-west-2:111122223333:accesspoint/*",
            mrap,
            true
        ));
        assert!(m("arn:aws:s3:*:111122223333:accesspoint/*", ap, true));
        assert!(m(
            "arn:aws:s3:::bucket/*",
            "arn:aws:s3:::bucket/a/b:c",
            true
        ));
        assert!(!m("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/a", true));
        // Region wildcard must not absorb the account.
        assert!(!m("arn:aws:s3:*:accesspoint/x", ap, false));
        // Trailing-* rule for short Resource patterns only.
        assert!(m("arn:aws:s3:*", ap, true));
        assert!(!m("arn:aws:s3:*", ap, false));
        assert!(m("*", ap, false));
        assert!(!m("arn:aws:s3:::bucket", "arn:aws:s3:::bucket/key", true));
    }

    #[test]
    fn parse() {
        let p = parse_arn("arn:aws:s3:::b/k:x").expect("arn");
        assert_eq!(p.resource, "b/k:x");
        assert!(parse_arn("arn:aws:s3").is_none());
        assert!(parse_arn("urn:aws:s3:::b").is_none());
    }
}
