//! Every subject, stream and KV bucket name, derived from one configurable prefix so that tests can
//! share a server (each test gets its own prefix) and a deployment can run two systems side by side.

/// The naming root. Default prefix `mrap` gives `mrap.v1.authz.check`, stream `MRAP_JOBS`, KV
/// bucket `mrap_mraps`, …
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    prefix: String,
}

impl Default for Namespace {
    fn default() -> Self {
        Self::new("mrap")
    }
}

/// The verbs that have a job subject.
pub const JOB_VERBS: [&str; 3] = ["create", "delete", "put-policy"];

impl Namespace {
    /// `prefix` may contain dots (subject tokens); stream and bucket names use it with every
    /// character other than `[A-Za-z0-9]` replaced by `_`.
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn flat(&self) -> String {
        self.prefix
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect()
    }

    // --- request/reply ---

    pub fn authz_check(&self) -> String {
        format!("{}.v1.authz.check", self.prefix)
    }

    /// `{prefix}.v1.store.{entity}.{verb}`
    pub fn store(&self, entity: &str, verb: &str) -> String {
        format!("{}.v1.store.{entity}.{verb}", self.prefix)
    }

    // --- jobs (JetStream work queue) ---

    /// `{prefix}.v1.jobs.{verb}` with verb `create`, `delete` or `put-policy`.
    pub fn job(&self, verb: &str) -> String {
        format!("{}.v1.jobs.{verb}", self.prefix)
    }

    pub fn jobs_wildcard(&self) -> String {
        format!("{}.v1.jobs.>", self.prefix)
    }

    pub fn jobs_stream(&self) -> String {
        format!("{}_JOBS", self.flat().to_ascii_uppercase())
    }

    /// The provisioner's durable pull consumer.
    pub fn jobs_consumer(&self) -> &'static str {
        "provisioner"
    }

    // --- events (core NATS, best effort) ---

    /// `{prefix}.v1.events.authz.changed`: an authorizer's view (keys, users, policies, buckets,
    /// accounts, MRAPs) changed; gateways forget the decisions they reuse. Published after the
    /// change is applied, by every authorizer replica.
    pub fn authz_changed(&self) -> String {
        format!("{}.v1.events.authz.changed", self.prefix)
    }

    // --- KV buckets ---

    pub fn kv(&self, bucket: KvBucket) -> String {
        format!("{}_{}", self.flat(), bucket.suffix())
    }
}

/// The KV buckets of the policy-store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KvBucket {
    /// bucket name → `BucketRecord`
    Buckets,
    /// `{account}.{name}` → `MrapRecord`
    Mraps,
    /// op id (`RequestToken::for_client_token`) → `AsyncOperation`; also the client token's claim
    Ops,
    /// alias → `AliasRecord`; never deleted, so an alias is never reused
    Aliases,
    /// access key id → `AccessKeyRecord`
    AccessKeys,
    /// account id → `AccountRecord` (account-level Block Public Access)
    Accounts,
    /// Region name → `RegionState` (an operator took it down or brought it back)
    RegionStates,
    /// `{account}.{user name, folded: mrap_model::identity::user_kv_key}` → `UserRecord`
    Users,
}

impl KvBucket {
    pub const ALL: [KvBucket; 8] = [
        KvBucket::Buckets,
        KvBucket::Mraps,
        KvBucket::Ops,
        KvBucket::Aliases,
        KvBucket::AccessKeys,
        KvBucket::Accounts,
        KvBucket::RegionStates,
        KvBucket::Users,
    ];

    fn suffix(self) -> &'static str {
        match self {
            KvBucket::Buckets => "buckets",
            KvBucket::Mraps => "mraps",
            KvBucket::Ops => "ops",
            KvBucket::Aliases => "aliases",
            KvBucket::AccessKeys => "access_keys",
            KvBucket::Accounts => "accounts",
            KvBucket::RegionStates => "region_states",
            KvBucket::Users => "users",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names() {
        let ns = Namespace::default();
        assert_eq!(ns.authz_check(), "mrap.v1.authz.check");
        assert_eq!(ns.authz_changed(), "mrap.v1.events.authz.changed");
        assert_eq!(ns.store("mrap", "get"), "mrap.v1.store.mrap.get");
        assert_eq!(ns.job("create"), "mrap.v1.jobs.create");
        assert_eq!(ns.jobs_wildcard(), "mrap.v1.jobs.>");
        assert_eq!(ns.jobs_stream(), "MRAP_JOBS");
        assert_eq!(ns.kv(KvBucket::Mraps), "mrap_mraps");
    }

    #[test]
    fn test_prefixes_isolate_everything() {
        let ns = Namespace::new("t-42.mrap");
        assert_eq!(ns.authz_check(), "t-42.mrap.v1.authz.check");
        assert_eq!(ns.jobs_stream(), "T_42_MRAP_JOBS");
        assert_eq!(ns.kv(KvBucket::Ops), "t_42_mrap_ops");
    }
}
