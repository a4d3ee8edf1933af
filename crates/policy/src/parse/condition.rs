//! Building `Condition` blocks: operators, keys and typed values.

use super::Builder;
use crate::arn::ArnPattern;
use crate::ast::*;
use crate::condition::{Family, Operator, Parsed, Qualifier};
use crate::finding::FindingType;
use crate::json::{JKind, JMember, JValue};
use crate::path::Path;
use crate::text::Text;

impl Builder<'_> {
    pub(super) fn condition(&mut self, v: &JValue<'_>, path: Path) -> Vec<Clause> {
        let JKind::Obj(ops) = v.kind else {
            self.type_mismatch("object", v, path);
            return Vec::new();
        };
        self.duplicates(ops, path);
        if ops.is_empty() {
            self.push(
                FindingType::Suggestion,
                "EMPTY_OBJECT_CONDITION",
                "The Condition object is empty and has no effect; remove it or add conditions."
                    .into(),
                self.at(path, v.span),
            );
        }
        let count = ops.iter().map(|om| match om.value.kind {
            JKind::Obj(keys) => keys.len(),
            _ => 0,
        });
        let mut clauses = Vec::with_capacity(count.sum());
        for om in ops.iter() {
            let op_path = self.paths.key(path, om.key);
            let op = Operator::parse(om.key);
            if op.is_none() {
                self.push(
                    FindingType::Error,
                    "INVALID_CONDITION_OPERATOR",
                    format!(
                        "The condition operator {} is not valid. Use a valid condition operator.",
                        om.key
                    ),
                    self.at(op_path, om.key_span),
                );
            }
            let JKind::Obj(keys) = om.value.kind else {
                self.type_mismatch("object", &om.value, op_path);
                continue;
            };
            self.duplicates(keys, op_path);
            if keys.is_empty() {
                self.push(
                    FindingType::Suggestion,
                    "EMPTY_OBJECT_CONDITION",
                    "The condition operator has no keys and has no effect.".into(),
                    self.at(op_path, om.value.span),
                );
            }
            for km in keys.iter() {
                clauses.push(self.clause(&om, op, &km, op_path));
            }
        }
        clauses
    }

    fn clause(
        &mut self,
        om: &JMember<'_>,
        op: Option<Operator>,
        km: &JMember<'_>,
        op_path: Path,
    ) -> Clause {
        let kp = self.paths.key(op_path, km.key);
        let mut values = Vec::with_capacity(match km.value.kind {
            JKind::Arr(items) => items.len(),
            _ => 1,
        });
        let is_scalar =
            |j: &JValue<'_>| matches!(j.kind, JKind::Str(_) | JKind::Num(_) | JKind::Bool(_));
        let scalar = |b: &Self, j: &JValue<'_>| match j.kind {
            JKind::Str(s) | JKind::Num(s) => Some(b.src.text(s)),
            JKind::Bool(v) => Some(Text::new(if v { "true" } else { "false" })),
            _ => None,
        };
        match km.value.kind {
            JKind::Arr(items) => {
                if items.is_empty() {
                    let code = match op {
                        Some(o) if o.if_exists => "EMPTY_ARRAY_CONDITION_IFEXISTS",
                        Some(Operator {
                            qualifier: Some(Qualifier::ForAllValues),
                            ..
                        }) => "EMPTY_ARRAY_CONDITION_FORALLVALUES",
                        Some(Operator {
                            qualifier: Some(Qualifier::ForAnyValue),
                            ..
                        }) => "EMPTY_ARRAY_CONDITION_FORANYVALUE",
                        _ => "EMPTY_ARRAY_CONDITION",
                    };
                    self.push(
                        FindingType::Suggestion,
                        code,
                        "The condition value array is empty, so the condition does not test any value.".into(),
                        self.at(kp, km.value.span),
                    );
                }
                let first_type = items.first().map(|i| i.kind.type_name());
                for (i, it) in items.iter().enumerate() {
                    let p = self.paths.index(kp, i);
                    if first_type.is_some_and(|t| t != it.kind.type_name()) && is_scalar(&it) {
                        self.push(
                            FindingType::Error,
                            "INVALID_CONDITION_DATA_TYPE",
                            "The condition values mix JSON data types; use one data type for all values.".into(),
                            self.at(p, it.span),
                        );
                    }
                    match scalar(self, &it) {
                        Some(s) => values.push(CondValue {
                            text: Spanned {
                                value: s,
                                span: it.span,
                                path: p,
                            },
                        }),
                        None => self.type_mismatch("string, number or boolean", &it, p),
                    }
                }
            }
            _ => match scalar(self, &km.value) {
                Some(s) => values.push(CondValue {
                    text: Spanned {
                        value: s,
                        span: km.value.span,
                        path: kp,
                    },
                }),
                None => self.type_mismatch("string, number, boolean or array", &km.value, kp),
            },
        }
        let family = op.map(|o| o.base.family());
        let vars_allowed = matches!(family, Some(Family::String | Family::Arn) | None);
        let mut parsed = Vec::with_capacity(values.len());
        for v in &values {
            let template = self.check_vars(&v.text, vars_allowed, op.map(|o| o.base.name()));
            let Some(f) = family else {
                parsed.push(Parsed::Invalid);
                continue;
            };
            // String and ARN values take variables: reuse the template
            // compiled while checking them.
            let p = match (f, template) {
                (Family::String, Some(t)) => Parsed::Str(t),
                (Family::Arn, Some(t)) => Parsed::Arn(ArnPattern::new(t)),
                _ => Parsed::for_family(f, &v.text.value, self.vars_enabled),
            };
            if p == Parsed::Invalid {
                let (code, what) = match f {
                    Family::Numeric => ("TYPE_MISMATCH_NUMBER", "a number"),
                    Family::Date => ("TYPE_MISMATCH_DATE", "an ISO 8601 date or epoch time"),
                    Family::Bool | Family::Null => ("TYPE_MISMATCH_BOOLEAN", "true or false"),
                    Family::Ip => ("TYPE_MISMATCH_IP_RANGE", "an IP address or CIDR range"),
                    _ => ("TYPE_MISMATCH_STRING", "a base64-encoded string"),
                };
                self.push(
                    FindingType::Warning,
                    code,
                    format!(
                        "The value {} for operator {} must be {what}; this condition never matches.",
                        v.text.value,
                        op.map_or("", |o| o.base.name())
                    ),
                    self.at(v.text.path, v.text.span),
                );
            }
            parsed.push(p);
        }
        Clause {
            operator: Spanned {
                value: self.src.text(om.key),
                span: om.key_span,
                path: op_path,
            },
            op,
            key: Spanned {
                value: self.src.text(km.key),
                span: km.key_span,
                path: kp,
            },
            // Shared unless lower-casing changes it.
            key_lower: if km.key.bytes().any(|b| b.is_ascii_uppercase()) {
                Text::from(km.key.to_ascii_lowercase())
            } else {
                self.src.text(km.key)
            },
            values,
            parsed,
            values_loc: Spanned {
                value: (),
                span: km.value.span,
                path: kp,
            },
        }
    }
}
