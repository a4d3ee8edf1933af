//! Access Analyzer–style policy validation (`ValidatePolicy`).
//!
//! Grammar findings come from the parser (`crate::parse`); the semantic
//! checks live in the `checks_*` files, grouped by the element they look at.
//! Findings are returned in document order of the checks' passes: grammar
//! first, then per statement: elements, actions, resources, conditions,
//! then whole-policy checks.

mod checks_actions;
mod checks_conditions;
mod checks_policy;
mod checks_resources;
mod checks_statement;

use std::collections::HashMap;

use crate::ast::Located;
use crate::catalog::{TypeSet, catalog};
use crate::finding::{Finding, FindingType, Location};
use crate::parse::build;
use crate::path::Paths;

/// Access Analyzer `policyType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyType {
    /// `IDENTITY_POLICY`: user/role/group policies (no Principal).
    Identity,
    /// `RESOURCE_POLICY`: bucket, access point and MRAP policies.
    Resource,
}

impl PolicyType {
    /// Parses the API spelling (`IDENTITY_POLICY`, `RESOURCE_POLICY`).
    pub fn from_api(s: &str) -> Option<PolicyType> {
        match s {
            "IDENTITY_POLICY" => Some(PolicyType::Identity),
            "RESOURCE_POLICY" => Some(PolicyType::Resource),
            _ => None,
        }
    }
}

/// The S3 resource a resource policy is attached to
/// (`validatePolicyResourceType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum S3Target {
    Bucket,
    AccessPoint,
    Mrap,
}

impl S3Target {
    fn from_api(s: &str) -> Option<S3Target> {
        match s {
            "AWS::S3::Bucket" => Some(S3Target::Bucket),
            "AWS::S3::AccessPoint" => Some(S3Target::AccessPoint),
            "AWS::S3::MultiRegionAccessPoint" => Some(S3Target::Mrap),
            _ => None,
        }
    }

    /// Resource types (catalogue names) an ARN in such a policy may have.
    pub(crate) fn allowed_types(self) -> &'static [&'static str] {
        match self {
            S3Target::Bucket => &["bucket", "object"],
            S3Target::AccessPoint => &["accesspoint", "accesspoint-object"],
            S3Target::Mrap => &["multiregionaccesspoint", "multiregionaccesspoint-object"],
        }
    }

    pub(crate) fn api_name(self) -> &'static str {
        match self {
            S3Target::Bucket => "AWS::S3::Bucket",
            S3Target::AccessPoint => "AWS::S3::AccessPoint",
            S3Target::Mrap => "AWS::S3::MultiRegionAccessPoint",
        }
    }
}

/// Shared state of one validation run over a policy that lives for `'a`.
pub(crate) struct Ctx<'a> {
    pub paths: &'a Paths,
    pub policy_type: PolicyType,
    pub target: Option<S3Target>,
    pub out: Vec<Finding>,
    /// Catalogue resource types per resource string: statements often
    /// repeat the same ARNs, and matching against every template is the
    /// costliest catalogue lookup.
    resource_types: HashMap<&'a str, TypeSet>,
}

impl<'a> Ctx<'a> {
    pub fn add(&mut self, t: FindingType, code: &str, details: String, loc: Location) {
        self.out.push(Finding::new(t, code, details, vec![loc]));
    }

    /// The finding location of a policy element (built only when a finding
    /// needs it).
    pub fn loc(&self, x: &impl Located) -> Location {
        self.paths.location(x.path(), x.span())
    }

    /// [`crate::catalog::Catalog::resource_type_set`], remembered.
    pub fn resource_types_for(&mut self, pattern: &'a str) -> TypeSet {
        *self
            .resource_types
            .entry(pattern)
            .or_insert_with(|| catalog().resource_type_set(pattern))
    }
}

/// Validates a policy document and returns every finding (an empty list
/// means no issue). Never panics; JSON syntax errors come back as a single
/// `JSON_SYNTAX_ERROR` finding. `resource_type` is the Access Analyzer
/// `validatePolicyResourceType` (`AWS::S3::Bucket`,
/// `AWS::S3::AccessPoint`, `AWS::S3::MultiRegionAccessPoint`; other values
/// only disable the resource-specific checks).
pub fn validate(text: &str, policy_type: PolicyType, resource_type: Option<&str>) -> Vec<Finding> {
    let built = build(text);
    let Some(policy) = built.policy else {
        return built.findings;
    };
    let mut ctx = Ctx {
        paths: &policy.paths,
        policy_type,
        target: resource_type.and_then(S3Target::from_api),
        out: built.findings,
        resource_types: HashMap::new(),
    };
    for st in &policy.statements {
        checks_statement::check(&mut ctx, st);
        checks_actions::check(&mut ctx, st);
        checks_resources::check(&mut ctx, st);
        checks_conditions::check(&mut ctx, st);
    }
    checks_policy::check(&mut ctx, &policy, text);
    ctx.out
}
