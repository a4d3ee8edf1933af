//! Query-protocol parameters: `Action=CreateUser&Version=2010-05-08&UserName=alice`, from a
//! form-encoded POST body or a GET query string, and their validation in AWS's words.
//!
//! Decoding: `+` is a space (botocore writes spaces so), `%XX` a byte; names and values are UTF-8
//! (invalid sequences replaced, so they name nothing that exists). Lists are `Name.member.N`
//! (N from 1, contiguous), structures in lists `Name.member.N.Field`, and an empty list is sent as
//! `Name=` (key with an empty value), which reads as `[]`.
//!
//! Validation messages follow AWS's Coral form: `1 validation error detected: Value 'bad name!'
//! at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern:
//! [\w+=,.@-]+` — every violation of a request is collected and reported in one
//! `ValidationError`, as AWS does.

use std::collections::BTreeMap;

use mrap_model::{ApiError, ErrorCode};
use percent_encoding::percent_decode;

/// The decoded parameters of one request, or of one structure in a list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Params {
    values: BTreeMap<String, String>,
}

impl Params {
    /// Parses `application/x-www-form-urlencoded` text (a body or a query string). A repeated
    /// name keeps its last value.
    pub fn parse(text: &[u8]) -> Self {
        let mut values = BTreeMap::new();
        for pair in text.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &b""[..]),
            };
            values.insert(decode(name), decode(value));
        }
        Params { values }
    }

    /// A scalar parameter; `None` when absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// `Name.member.1 … Name.member.N` (stops at the first gap); `Name=` alone is `[]`.
    pub fn list(&self, name: &str) -> Vec<String> {
        (1..)
            .map_while(|n| self.get(&format!("{name}.member.{n}")).map(str::to_owned))
            .collect()
    }

    /// `Name.member.N.Field…` as one [`Params`] per member (fields without the prefix), in order.
    pub fn structures(&self, name: &str) -> Vec<Params> {
        (1..)
            .map_while(|n| {
                let prefix = format!("{name}.member.{n}.");
                let values: BTreeMap<String, String> = self
                    .values
                    .range(prefix.clone()..)
                    .take_while(|(k, _)| k.starts_with(&prefix))
                    .map(|(k, v)| (k[prefix.len()..].to_owned(), v.clone()))
                    .collect();
                (!values.is_empty()).then_some(Params { values })
            })
            .collect()
    }
}

/// `+` → space, then percent-decoding (so `%2B` stays a plus).
fn decode(raw: &[u8]) -> String {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_decode(&spaced).decode_utf8_lossy().into_owned()
}

/// `[\w+=,.@-]+`: user and policy names.
pub(crate) const NAME_PATTERN: &str = r"[\w+=,.@-]+";
/// A path (`/` or `/a/b/`).
pub(crate) const PATH_PATTERN: &str = r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)";
/// A path prefix.
pub(crate) const PATH_PREFIX_PATTERN: &str = r"\u002F[\u0021-\u007F]*";
/// `Marker`.
pub(crate) const MARKER_PATTERN: &str = r"[\u0020-\u00FF]+";
/// An access key id.
pub(crate) const KEY_ID_PATTERN: &str = r"[\w]+";
/// A policy document.
pub(crate) const DOCUMENT_PATTERN: &str = r"[\u0009\u000A\u000D\u0020-\u00FF]+";

/// Collects the constraint violations of one request.
#[derive(Debug, Default)]
pub(crate) struct Checker {
    violations: Vec<String>,
}

impl Checker {
    fn fail(&mut self, value: Option<&str>, member: &str, constraint: &str) {
        let value = value.map_or_else(|| "null".to_owned(), |v| format!("'{v}'"));
        self.violations.push(format!(
            "Value {value} at '{member}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// A required parameter: `Value null at 'userName' failed to satisfy constraint: Member must
    /// not be null` when absent. Returns the value (empty when absent).
    pub fn required<'p>(&mut self, params: &'p Params, name: &str, member: &str) -> &'p str {
        match params.get(name) {
            Some(v) => v,
            None => {
                self.fail(None, member, "Member must not be null");
                ""
            }
        }
    }

    /// A required list (`Name.member.N`): `Member must not be null` when neither a member nor the
    /// empty-list form `Name=` is sent. Returns the members.
    pub fn required_list(&mut self, params: &Params, name: &str, member: &str) -> Vec<String> {
        let items = params.list(name);
        if items.is_empty() && params.get(name).is_none() {
            self.fail(None, member, "Member must not be null");
        }
        items
    }

    /// Length in characters within `min..=max`.
    pub fn length(&mut self, value: &str, member: &str, min: usize, max: usize) -> bool {
        let len = value.chars().count();
        if len < min {
            self.fail(
                Some(value),
                member,
                &format!("Member must have length greater than or equal to {min}"),
            );
            false
        } else if len > max {
            self.fail(
                Some(value),
                member,
                &format!("Member must have length less than or equal to {max}"),
            );
            false
        } else {
            true
        }
    }

    /// Every character satisfies `ok`, else the pattern violation.
    pub fn pattern(
        &mut self,
        value: &str,
        member: &str,
        pattern: &str,
        ok: impl Fn(&str) -> bool,
    ) -> bool {
        if ok(value) {
            true
        } else {
            self.fail(
                Some(value),
                member,
                &format!("Member must satisfy regular expression pattern: {pattern}"),
            );
            false
        }
    }

    /// A user or policy name of 1–`max` characters of `[\w+=,.@-]`.
    pub fn name(&mut self, value: &str, member: &str, max: usize) {
        if self.length(value, member, 1, max) {
            self.pattern(value, member, NAME_PATTERN, |v| {
                mrap_model::identity::valid_user_name(v, max)
            });
        }
    }

    /// A required name parameter.
    pub fn required_name(
        &mut self,
        params: &Params,
        name: &str,
        member: &str,
        max: usize,
    ) -> String {
        let value = self.required(params, name, member);
        if params.get(name).is_some() {
            self.name(value, member, max);
        }
        value.to_owned()
    }

    /// An optional name parameter.
    pub fn optional_name(
        &mut self,
        params: &Params,
        name: &str,
        member: &str,
        max: usize,
    ) -> Option<String> {
        let value = params.get(name)?;
        self.name(value, member, max);
        Some(value.to_owned())
    }

    /// A value of an enum; `allowed` is listed in the message.
    pub fn one_of(&mut self, value: &str, member: &str, allowed: &[&str]) -> bool {
        if allowed.contains(&value) {
            true
        } else {
            self.fail(
                Some(value),
                member,
                &format!(
                    "Member must satisfy enum value set: [{}]",
                    allowed.join(", ")
                ),
            );
            false
        }
    }

    /// `Marker` (1–320 characters U+0020–U+00FF) and `MaxItems` (1–1000, default 100).
    pub fn page(&mut self, params: &Params) -> Page {
        let marker = params.get("Marker").map(str::to_owned);
        if let Some(m) = &marker
            && self.length(m, "marker", 1, 320)
        {
            self.pattern(m, "marker", MARKER_PATTERN, |v| {
                v.chars().all(|c| ('\u{20}'..='\u{ff}').contains(&c))
            });
        }
        let max_items = match params.get("MaxItems") {
            None => DEFAULT_MAX_ITEMS,
            Some(text) => match text.parse::<i64>() {
                Ok(n) if n < 1 => {
                    self.fail(
                        Some(text),
                        "maxItems",
                        "Member must have value greater than or equal to 1",
                    );
                    DEFAULT_MAX_ITEMS
                }
                Ok(n) if n > 1000 => {
                    self.fail(
                        Some(text),
                        "maxItems",
                        "Member must have value less than or equal to 1000",
                    );
                    DEFAULT_MAX_ITEMS
                }
                Ok(n) => usize::try_from(n).unwrap_or(DEFAULT_MAX_ITEMS),
                Err(_) => {
                    self.fail(Some(text), "maxItems", "Member must be a number");
                    DEFAULT_MAX_ITEMS
                }
            },
        };
        Page { marker, max_items }
    }

    /// `Ok` when nothing was violated, else one `ValidationError` listing every violation.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.violations.len() {
            0 => Ok(()),
            n => Err(ApiError::new(
                ErrorCode::ValidationError,
                format!(
                    "{n} validation error{} detected: {}",
                    if n == 1 { "" } else { "s" },
                    self.violations.join("; ")
                ),
            )),
        }
    }
}

/// `MaxItems` when the request names none.
pub(crate) const DEFAULT_MAX_ITEMS: usize = 100;

/// One page request of a list operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Page {
    pub marker: Option<String>,
    pub max_items: usize,
}

impl Page {
    /// The page of `items` (sorted by `key`) starting at the first item whose key is at or after
    /// the marker, and the marker of the next page (the key of the first item left out) when the
    /// list is truncated. A marker is the sort key of where to resume, so an item deleted between
    /// two pages does not break the listing.
    pub fn take<T>(
        &self,
        mut items: Vec<T>,
        key: impl Fn(&T) -> String,
    ) -> (Vec<T>, Option<String>) {
        items.sort_by_key(&key);
        let start = self.marker.as_deref().map_or(0, |m| {
            items
                .iter()
                .position(|t| key(t).as_str() >= m)
                .unwrap_or(items.len())
        });
        let mut rest = items.split_off(start);
        let next = (rest.len() > self.max_items).then(|| key(&rest[self.max_items]));
        rest.truncate(self.max_items);
        (rest, next)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn forms_decode_plus_as_space_and_percent_escapes() {
        let p = Params::parse(
            b"Action=PutUserPolicy&Version=2010-05-08&PolicyDocument=%7B%22a%22%3A+%22b+c%2B%22%7D&Flag&Empty=",
        );
        assert_eq!(p.get("Action"), Some("PutUserPolicy"));
        assert_eq!(p.get("PolicyDocument"), Some(r#"{"a": "b c+"}"#));
        assert_eq!(p.get("Flag"), Some(""));
        assert_eq!(p.get("Empty"), Some(""));
        assert_eq!(p.get("Missing"), None);
        // Rust SDK style: %20 for spaces
        assert_eq!(Params::parse(b"A=x%20y").get("A"), Some("x y"));
    }

    #[test]
    fn lists_and_structures() {
        let p = Params::parse(
            b"Names.member.1=a&Names.member.2=b&Names.member.4=d&Empty=&\
              Ctx.member.1.Name=k1&Ctx.member.1.Values.member.1=v&Ctx.member.2.Name=k2&Ctx.member.2.Values=",
        );
        assert_eq!(p.list("Names"), vec!["a", "b"]);
        assert!(p.list("Empty").is_empty());
        assert!(p.list("Absent").is_empty());
        let ctx = p.structures("Ctx");
        assert_eq!(ctx.len(), 2);
        assert_eq!(ctx[0].get("Name"), Some("k1"));
        assert_eq!(ctx[0].list("Values"), vec!["v"]);
        assert_eq!(ctx[1].get("Name"), Some("k2"));
        assert!(ctx[1].list("Values").is_empty());
    }

    #[test]
    fn violations_read_as_aws_writes_them() {
        let p = Params::parse(b"UserName=bad+name%21");
        let mut c = Checker::default();
        c.required_name(&p, "UserName", "userName", 64);
        assert_eq!(
            c.finish().unwrap_err().message,
            r"1 validation error detected: Value 'bad name!' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+"
        );
        let mut c = Checker::default();
        c.required_name(&Params::default(), "UserName", "userName", 64);
        c.one_of("Bogus", "status", &["Active", "Inactive"]);
        let err = c.finish().unwrap_err();
        assert_eq!(err.code, ErrorCode::ValidationError);
        assert_eq!(
            err.message,
            "2 validation errors detected: Value null at 'userName' failed to satisfy constraint: Member must not be null; Value 'Bogus' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]"
        );
        let mut c = Checker::default();
        c.name(&"a".repeat(65), "userName", 64);
        assert!(
            c.finish()
                .unwrap_err()
                .message
                .ends_with("Member must have length less than or equal to 64")
        );
    }

    #[test]
    fn pages() {
        let mut c = Checker::default();
        let page = c.page(&Params::parse(b"MaxItems=0"));
        assert_eq!(page.max_items, DEFAULT_MAX_ITEMS);
        assert!(c.finish().is_err());
        let mut c = Checker::default();
        assert!(c.page(&Params::parse(b"MaxItems=1001")).max_items == DEFAULT_MAX_ITEMS);
        assert!(c.finish().is_err());

        let items = vec!["c", "a", "b", "d", "e"];
        let key = |s: &&str| (*s).to_owned();
        let page = Page {
            marker: None,
            max_items: 2,
        };
        assert_eq!(
            page.take(items.clone(), key),
            (vec!["a", "b"], Some("c".to_owned()))
        );
        let page = Page {
            marker: Some("c".into()),
            max_items: 2,
        };
        assert_eq!(
            page.take(items.clone(), key),
            (vec!["c", "d"], Some("e".to_owned()))
        );
        let page = Page {
            marker: Some("e".into()),
            max_items: 2,
        };
        assert_eq!(page.take(items.clone(), key), (vec!["e"], None));
        // the marker's own item was deleted meanwhile: resume after where it was
        let page = Page {
            marker: Some("bb".into()),
            max_items: 10,
        };
        assert_eq!(page.take(items, key), (vec!["c", "d", "e"], None));
    }
}
