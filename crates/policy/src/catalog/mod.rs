//! The S3 authorization catalogue (actions, resource types, condition keys)
//! and the global `aws:` condition keys, used by validation.
//!
//! The S3 part is data (`data/s3.catalog`, extracted from the Service
//! Authorization Reference as bundled by parliament 1.6.4), compiled into
//! the binary with `include_str!` and parsed once on first use into
//! indexed form: hash maps with a fast hasher (the tables are fixed, so hash
//! flooding is moot), sorted action names for wildcard lookups, and ARN
//! templates compiled to bit-parallel matchers (`resource_types`).

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use crate::condition::Family;
use crate::hash::FxBuild;
use crate::wildcard::GlobRef;

mod resource_types;

pub use resource_types::{ResourceType, TypeSet};

const S3_DATA: &str = include_str!("../../data/s3.catalog");
const PREFIX_DATA: &str = include_str!("../../data/service-prefixes.txt");

/// Global condition keys: (name, type). A trailing `/` marks a tag-style
/// prefix key (`aws:PrincipalTag/<tag-key>`).
const GLOBAL_KEYS: &[(&str, &str)] = &[
    ("aws:CalledVia", "ArrayOfString"),
    ("aws:CalledViaFirst", "String"),
    ("aws:CalledViaLast", "String"),
    ("aws:CurrentTime", "Date"),
    ("aws:EpochTime", "Date"),
    ("aws:FederatedProvider", "String"),
    ("aws:MultiFactorAuthAge", "Numeric"),
    ("aws:MultiFactorAuthPresent", "Bool"),
    ("aws:PrincipalAccount", "String"),
    ("aws:PrincipalArn", "ARN"),
    ("aws:PrincipalIsAWSService", "Bool"),
    ("aws:PrincipalOrgID", "String"),
    ("aws:PrincipalOrgPaths", "ArrayOfString"),
    ("aws:PrincipalServiceName", "String"),
    ("aws:PrincipalServiceNamesList", "ArrayOfString"),
    ("aws:PrincipalTag/", "String"),
    ("aws:PrincipalType", "String"),
    ("aws:Referer", "String"),
    ("aws:RequestedRegion", "String"),
    ("aws:RequestTag/", "String"),
    ("aws:ResourceAccount", "String"),
    ("aws:ResourceOrgID", "String"),
    ("aws:ResourceOrgPaths", "ArrayOfString"),
    ("aws:ResourceTag/", "String"),
    ("aws:SecureTransport", "Bool"),
    ("aws:SourceAccount", "String"),
    ("aws:SourceArn", "ARN"),
    ("aws:SourceIdentity", "String"),
    ("aws:SourceIp", "IPAddress"),
    ("aws:SourceOrgID", "String"),
    ("aws:SourceOrgPaths", "ArrayOfString"),
    ("aws:SourceOwner", "String"),
    ("aws:SourceVpc", "String"),
    ("aws:SourceVpcArn", "ARN"),
    ("aws:SourceVpce", "String"),
    ("aws:TagKeys", "ArrayOfString"),
    ("aws:TokenIssueTime", "Date"),
    ("aws:UserAgent", "String"),
    ("aws:userid", "String"),
    ("aws:username", "String"),
    ("aws:ViaAWSService", "Bool"),
    ("aws:VpcSourceIp", "IPAddress"),
    ("aws:VpceAccount", "String"),
    ("aws:VpceOrgID", "String"),
    ("aws:VpceOrgPaths", "ArrayOfString"),
    ("aws:Ec2InstanceSourceVpc", "String"),
    ("aws:Ec2InstanceSourcePrivateIPv4", "IPAddress"),
];

/// A condition key's declared type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyType {
    pub family: Family,
    /// `ArrayOf…`: multivalued, needs `ForAllValues:`/`ForAnyValue:`.
    pub multivalued: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// Canonical spelling, e.g. `s3:x-amz-acl`, `aws:PrincipalTag/`.
    pub name: String,
    pub key_type: KeyType,
    /// Prefix key (`…/<tag-key>` follows).
    pub prefix: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionInfo {
    pub name: String,
    pub access_level: String,
    /// (resource type, required)
    pub resource_types: Vec<(String, bool)>,
    /// Lower-cased condition keys the action supports.
    pub condition_keys: Vec<String>,
}

/// The loaded catalogue.
#[derive(Debug)]
pub struct Catalog {
    /// S3 actions by lower-case name (without `s3:`).
    actions: HashMap<String, ActionInfo, FxBuild>,
    /// The keys of `actions`, sorted (for wildcard lookups by prefix).
    action_names: Vec<String>,
    pub resource_types: Vec<ResourceType>,
    keys: HashMap<String, KeyInfo, FxBuild>,
    prefix_keys: Vec<(String, KeyInfo)>,
    services: HashSet<String, FxBuild>,
}

fn key_type(t: &str) -> KeyType {
    let (multivalued, base) = match t.strip_prefix("ArrayOf") {
        Some(b) => (true, b),
        None => (false, t),
    };
    let family = match base {
        "ARN" | "Arn" => Family::Arn,
        "Numeric" => Family::Numeric,
        "Date" => Family::Date,
        "Bool" => Family::Bool,
        "IPAddress" => Family::Ip,
        "Binary" => Family::Binary,
        _ => Family::String,
    };
    KeyType {
        family,
        multivalued,
    }
}

fn load() -> Catalog {
    let mut c = Catalog {
        actions: HashMap::default(),
        action_names: Vec::new(),
        resource_types: Vec::new(),
        keys: HashMap::default(),
        prefix_keys: Vec::new(),
        services: PREFIX_DATA
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(str::to_string)
            .collect(),
    };
    let add_key = |c: &mut Catalog, name: &str, t: &str| {
        let (base, prefix) = match name.find('/') {
            Some(i) => (&name[..=i], true),
            None => (name, false),
        };
        let info = KeyInfo {
            name: base.to_string(),
            key_type: key_type(t),
            prefix,
        };
        if prefix {
            c.prefix_keys.push((base.to_ascii_lowercase(), info));
        } else {
            c.keys.insert(base.to_ascii_lowercase(), info);
        }
    };
    for (n, t) in GLOBAL_KEYS {
        add_key(&mut c, n, t);
    }
    for line in S3_DATA.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        match f.as_slice() {
            ["resource", name, arn] => c.resource_types.push(ResourceType::new(name, arn)),
            ["key", name, t] => add_key(&mut c, name, t),
            ["action", name, level, rts, keys] => {
                let resource_types = rts
                    .split(',')
                    .filter(|r| *r != "-")
                    .map(|r| match r.strip_suffix('*') {
                        Some(n) => (n.to_string(), true),
                        None => (r.to_string(), false),
                    })
                    .collect();
                let condition_keys = keys
                    .split(',')
                    .filter(|k| *k != "-")
                    .map(str::to_ascii_lowercase)
                    .collect();
                c.actions.insert(
                    name.to_ascii_lowercase(),
                    ActionInfo {
                        name: name.to_string(),
                        access_level: level.replace('_', " "),
                        resource_types,
                        condition_keys,
                    },
                );
            }
            _ => {}
        }
    }
    // Objects reached through an access point or an MRAP are written
    // `…:accesspoint/NAME/object/KEY`; the SAR does not list these forms but
    // S3 accepts them for object actions (policy-eval.md §1.6).
    // They get their own names so a policy's resource type can be checked;
    // [`satisfies`] treats them as `object`.
    for (name, arn) in [
        (
            "accesspoint-object",
            "arn:${Partition}:s3:${Region}:${Account}:accesspoint/${AccessPointName}/object/${ObjectName}",
        ),
        (
            "multiregionaccesspoint-object",
            "arn:${Partition}:s3::${Account}:accesspoint/${AccessPointAlias}/object/${ObjectName}",
        ),
    ] {
        c.resource_types.push(ResourceType::new(name, arn));
    }
    c.action_names = c.actions.keys().cloned().collect();
    c.action_names.sort_unstable();
    c
}

/// Whether an ARN of resource type `found` can serve an action that needs
/// `required`: objects through an access point/MRAP count as objects, and an
/// access point or MRAP stands in for the bucket behind it (ListBucket etc.).
pub fn satisfies(required: &str, found: &str) -> bool {
    found == required
        || (required == "object" && found.ends_with("-object"))
        || (required == "bucket" && (found == "accesspoint" || found == "multiregionaccesspoint"))
}

/// The catalogue (parsed on first use).
pub fn catalog() -> &'static Catalog {
    static C: LazyLock<Catalog> = LazyLock::new(load);
    &C
}

impl Catalog {
    /// Looks up a condition key (case-insensitive; tag keys by prefix).
    pub fn key(&self, name: &str) -> Option<&KeyInfo> {
        with_lowercase(name, |lower| {
            if let Some(k) = self.keys.get(lower) {
                return Some(k);
            }
            self.prefix_keys
                .iter()
                .find(|(p, _)| lower.starts_with(p.as_str()) && lower.len() > p.len())
                .map(|(_, k)| k)
        })
    }

    /// Whether `prefix` is a known IAM service prefix (case-insensitive).
    pub fn is_service(&self, prefix: &str) -> bool {
        with_lowercase(prefix, |lower| self.services.contains(lower))
    }

    /// S3 action by name without the `s3:` prefix (case-insensitive).
    pub fn s3_action(&self, name: &str) -> Option<&ActionInfo> {
        with_lowercase(name, |lower| self.actions.get(lower))
    }

    /// All S3 actions, in no particular order.
    pub fn s3_actions(&self) -> impl Iterator<Item = &ActionInfo> {
        self.actions.values()
    }

    /// Whether some S3 action name matches `glob` (`*`/`?` wildcards, ASCII
    /// case-insensitive). Only names starting with the glob's literal head
    /// can match, and those are a contiguous run of the sorted names.
    pub fn any_s3_action_matches(&self, glob: &str) -> bool {
        let head_len = glob.find(['*', '?']).unwrap_or(glob.len());
        let g = GlobRef::plain(glob);
        with_lowercase(&glob[..head_len], |head| {
            let start = self.action_names.partition_point(|n| n.as_str() < head);
            self.action_names[start..]
                .iter()
                .take_while(|n| n.starts_with(head))
                .any(|n| g.matches(n.as_bytes(), true))
        })
    }
}

/// Runs `f` on the ASCII-lower-cased `s` without allocating for names of
/// ordinary length (catalogue lookups happen for every action and key).
fn with_lowercase<R>(s: &str, f: impl FnOnce(&str) -> R) -> R {
    let mut buf = [0u8; 96];
    if let Some(dst) = buf.get_mut(..s.len()) {
        dst.copy_from_slice(s.as_bytes());
        dst.make_ascii_lowercase();
        // Lower-casing ASCII bytes keeps UTF-8 valid.
        if let Ok(lower) = std::str::from_utf8(dst) {
            return f(lower);
        }
    }
    f(&s.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads() {
        let c = catalog();
        assert!(c.actions.len() > 150);
        let g = c.s3_action("getobject").expect("GetObject");
        assert_eq!(g.resource_types, vec![("object".to_string(), true)]);
        assert!(c.key("S3:X-AMZ-ACL").is_some());
        assert!(c.key("s3:ExistingObjectTag/team").is_some());
        assert!(c.key("aws:PrincipalTag/x").is_some());
        assert!(c.key("aws:PrincipalTag/").is_none());
        assert!(c.key("aws:TagKeys").is_some_and(|k| k.key_type.multivalued));
        assert!(c.is_service("s3") && c.is_service("iam") && !c.is_service("s4"));
        assert_eq!(c.resource_types_for("arn:aws:s3:::b"), vec!["bucket"]);
        assert_eq!(c.resource_types_for("arn:aws:s3:::b/*"), vec!["object"]);
        assert_eq!(
            c.resource_types_for("arn:aws:s3::111122223333:accesspoint/x.mrap"),
            vec!["multiregionaccesspoint"]
        );
        assert_eq!(
            c.resource_types_for("arn:aws:s3::111122223333:accesspoint/x.mrap/object/k"),
            vec!["multiregionaccesspoint-object"]
        );
        let any = c.resource_types_for("arn:aws:s3:::*");
        assert!(any.contains(&"bucket") && any.contains(&"object"));
        // TypeSet has a bit per resource type, and names are unique.
        assert!(c.resource_types.len() <= 128);
        let mut names: Vec<&str> = c.resource_types.iter().map(|r| r.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), c.resource_types.len());
        assert!(c.s3_action(&"GetObject".repeat(20)).is_none());
        assert!(c.s3_action("GETOBJECT").is_some());
        for (glob, any) in [
            ("List*", true),
            ("gET*", true),
            ("*Tagging", true),
            ("Lisp*", false),
            ("*", true),
            ("GetObjec?", true),
            ("GetObject?", false),
            ("Zz*", false),
        ] {
            let slow = c
                .actions
                .values()
                .any(|a| crate::wildcard::Glob::new(glob).matches_ignore_ascii_case(&a.name));
            assert_eq!(c.any_s3_action_matches(glob), slow, "{glob}");
            assert_eq!(slow, any, "{glob}");
        }
    }
}
