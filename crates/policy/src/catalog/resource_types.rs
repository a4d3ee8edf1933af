//! S3 resource types: ARN templates compiled for matching policy `Resource`
//! patterns, and the [`TypeSet`] a pattern can denote.

use super::{Catalog, catalog};
use crate::nfa::TemplateNfa;
use crate::wildcard::{CTok, Class, ctoks, intersects};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceType {
    pub name: String,
    pub arn_template: String,
    toks: Vec<CTok>,
    /// The same tokens compiled for fast matching (all S3 templates fit).
    nfa: Option<TemplateNfa>,
    /// The template's service, region and account fields, for a quick
    /// rejection of patterns whose fields are spelled out.
    header: [Field; 3],
}

/// What a template's ARN field can hold.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Field {
    Empty,
    Literal(String),
    /// One `${Placeholder}`: any non-empty text without `/` or `:`.
    Name,
    /// Anything else: not used for rejection.
    Other,
}

impl Field {
    fn of(f: &str) -> Field {
        let placeholder = f.starts_with("${") && f.ends_with('}') && f.matches("${").count() == 1;
        match f {
            "" => Field::Empty,
            _ if placeholder => Field::Name,
            _ if !f.contains("${") => Field::Literal(f.to_string()),
            _ => Field::Other,
        }
    }

    /// Whether the literal pattern field `p` can be this field.
    fn admits(&self, p: &str) -> bool {
        match self {
            Field::Empty => p.is_empty(),
            Field::Literal(l) => p == l,
            Field::Name => !p.is_empty() && !p.contains('/'),
            Field::Other => true,
        }
    }
}

impl ResourceType {
    pub(super) fn new(name: &str, arn_template: &str) -> ResourceType {
        let toks = template_toks(arn_template);
        let mut fields = arn_template.split(':').skip(2).map(Field::of);
        let mut next = || fields.next().unwrap_or(Field::Other);
        ResourceType {
            name: name.to_string(),
            arn_template: arn_template.to_string(),
            nfa: TemplateNfa::new(&toks),
            toks,
            header: [next(), next(), next()],
        }
    }

    /// Whether some ARN matched by `pattern` has this type's form.
    /// `header` is [`spelled_out_header`] of the pattern.
    fn admits(&self, pattern: &str, header: Option<[&str; 3]>) -> bool {
        if let Some(h) = header
            && !self.header.iter().zip(h).all(|(t, p)| t.admits(p))
        {
            return false;
        }
        match &self.nfa {
            Some(nfa) => nfa.intersects(pattern),
            None => intersects(&ctoks(pattern, false), &self.toks),
        }
    }
}

/// The service, region and account fields of an ARN pattern whose first
/// five fields have no wildcard. The colons between those fields then line
/// up with a template's (neither side can put a `:` inside them), so each
/// field must fit the template's on its own.
fn spelled_out_header(pattern: &str) -> Option<[&str; 3]> {
    let mut parts = pattern.splitn(6, ':');
    let mut field = || parts.next().filter(|f| !f.contains(['*', '?']));
    let (_arn, _partition) = (field()?, field()?);
    let header = [field()?, field()?, field()?];
    parts.next()?;
    Some(header)
}

/// Turns a SAR ARN template into pattern tokens: `${ObjectName}` may hold
/// anything, other placeholders one or more name characters (no `/`, `:`).
fn template_toks(t: &str) -> Vec<CTok> {
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(i) = crate::search::find(rest, "${") {
        out.extend(ctoks(&rest[..i], false));
        let after = &rest[i + 2..];
        let end = after.find('}').unwrap_or(after.len());
        let class = if &after[..end] == "ObjectName" {
            Class::Any
        } else {
            Class::Seg
        };
        out.push(CTok {
            class,
            repeat: false,
        });
        out.push(CTok {
            class,
            repeat: true,
        });
        rest = after.get(end + 1..).unwrap_or("");
    }
    out.extend(ctoks(rest, false));
    out
}

impl Catalog {
    /// Resource types whose ARN form some string matching `pattern` has,
    /// in catalogue order.
    pub fn resource_types_for(&self, pattern: &str) -> Vec<&str> {
        self.resource_type_set(pattern).names().collect()
    }

    /// [`Self::resource_types_for`] as a set.
    pub fn resource_type_set(&self, pattern: &str) -> TypeSet {
        let mut set = TypeSet::default();
        let header = spelled_out_header(pattern);
        for (i, r) in self.resource_types.iter().enumerate().take(128) {
            if r.admits(pattern, header) {
                set.0 |= 1u128 << i;
            }
        }
        set
    }
}

/// A set of catalogue resource types (bit `i`: `resource_types[i]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TypeSet(u128);

impl TypeSet {
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The type names, in catalogue order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        let types = &catalog().resource_types;
        (0..types.len().min(128))
            .filter(move |i| self.0 & (1u128 << i) != 0)
            .filter_map(move |i| types.get(i).map(|r| r.name.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_templates_agree_with_product_search() {
        let patterns = [
            "*",
            "arn:aws:s3:::b",
            "arn:aws:s3:::b/*",
            "arn:aws:s3:*",
            "arn:aws:s3:us-west-2:111122223333:job/*",
            "arn:aws:s3::111122223333:accesspoint/*",
            "arn:aws:s3::111122223333:accesspoint/x.mrap/object/k",
            "arn:aws:s3:us-west-2:111122223333:accesspoint/ap/object/*",
            "arn:aws:s3:us-west-2:111122223333:access-grants/default/grant/?",
            "arn:aws:s3-object-lambda:*:*:accesspoint/*",
            "arn:aws:s3:::b:c",
            "arn:aws:s3:us-west-2:111122223333:async-request/mrap/x/y",
            "arn:aws:s3:eu-west-1:111122223333:async-request/mrap/x/y",
            "arn:aws:s3:r/x:111122223333:job/j",
            "arn:aws:s3-object-lambda:us-east-1:111122223333:accesspoint/o",
            "arn:aws:s3::111122223333:accesspoint/x.mrap/object/${aws:username}",
            "arn:aws:s3::*:accesspoint/x",
            "arn:aws:s3::1:accesspoint",
        ];
        for r in &catalog().resource_types {
            assert!(r.nfa.is_some(), "{} not compiled", r.name);
            for p in patterns {
                assert_eq!(
                    r.admits(p, spelled_out_header(p)),
                    intersects(&ctoks(p, false), &r.toks),
                    "{p} vs {}",
                    r.arn_template
                );
            }
        }
    }
}
