//! Building the `Principal`, `Action` and `Resource` elements.

use super::Builder;
use crate::arn::ArnPattern;
use crate::ast::*;
use crate::finding::FindingType;
use crate::json::{JKind, JValue};
use crate::path::Path;
use crate::variables::Template;
use crate::wildcard::Glob;

impl Builder<'_> {
    pub(super) fn principal(
        &mut self,
        v: &JValue<'_>,
        negated: bool,
        path: Path,
    ) -> Option<PrincipalElem> {
        let mut el = PrincipalElem {
            negated,
            any: false,
            entries: Vec::new(),
            span: v.span,
            path,
        };
        match v.kind {
            JKind::Str("*") => el.any = true,
            JKind::Str(_) => {
                self.push(
                    FindingType::Error,
                    "INVALID_PRINCIPAL_FORMAT",
                    "The Principal element must be \"*\" or an object with AWS, Service, Federated or CanonicalUser keys.".into(),
                    self.at(path, v.span),
                );
                return None;
            }
            JKind::Obj(members) => {
                self.duplicates(members, path);
                if members.is_empty() {
                    self.push(
                        FindingType::Suggestion,
                        "EMPTY_OBJECT_PRINCIPAL",
                        "The Principal object is empty, so the statement applies to no principal; add principals or remove the statement.".into(),
                        self.at(path, v.span),
                    );
                }
                for m in members.iter() {
                    let p = self.paths.key(path, m.key);
                    let kind = match m.key {
                        "AWS" => PrincipalKind::Aws,
                        "Service" => PrincipalKind::Service,
                        "Federated" => PrincipalKind::Federated,
                        "CanonicalUser" => PrincipalKind::CanonicalUser,
                        other => {
                            self.push(
                                FindingType::Error,
                                "INVALID_PRINCIPAL_KEY",
                                format!("The {other} principal key is not valid. Use AWS, Service, Federated or CanonicalUser."),
                                self.at(p, m.key_span),
                            );
                            continue;
                        }
                    };
                    let empty = Some("EMPTY_ARRAY_PRINCIPAL");
                    self.string_list(&m.value, p, empty, &mut el.entries, |b, s| {
                        b.check_vars(&s, false, None);
                        PrincipalEntry { kind, value: s }
                    });
                }
            }
            _ => {
                self.type_mismatch("string or object", v, path);
                return None;
            }
        }
        Some(el)
    }

    pub(super) fn action(&mut self, v: &JValue<'_>, negated: bool, path: Path) -> ActionElem {
        let mut items = Vec::new();
        self.string_list(v, path, Some("EMPTY_ARRAY_ACTION"), &mut items, |b, s| {
            b.check_vars(&s, false, None);
            let usable = !s.value.is_empty()
                && !s.value.contains(',')
                && !s.value.contains(char::is_whitespace)
                && (s.value == "*" || s.value.split_once(':').is_some_and(|(_, n)| !n.is_empty()));
            ActionItem {
                glob: usable.then(|| Glob::from_text(s.value.clone())),
                text: s,
            }
        });
        ActionElem {
            negated,
            items,
            span: v.span,
            path,
        }
    }

    pub(super) fn resource(&mut self, v: &JValue<'_>, negated: bool, path: Path) -> ResourceElem {
        let mut items = Vec::new();
        self.string_list(v, path, Some("EMPTY_ARRAY_RESOURCE"), &mut items, |b, s| {
            // Resources always take variables, so there is a template.
            let template = b
                .check_vars(&s, true, None)
                .unwrap_or_else(|| Template::parse_text(&s.value, false).0);
            ResourceItem {
                pattern: ArnPattern::new(template),
                text: s,
            }
        });
        ResourceElem {
            negated,
            items,
            span: v.span,
            path,
        }
    }
}
