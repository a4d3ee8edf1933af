//! Access keys: who signs requests. Kept by the policy-store, read by the authorizer.

use serde::{Deserialize, Serialize};

use crate::AccountId;

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKeyRecord {
    pub access_key: String,
    /// The HMAC secret. Never logged: `Debug` below leaves it out.
    pub secret: String,
    pub account: AccountId,
    /// `arn:aws:iam::{account}:root` for an account's root key.
    pub principal_arn: String,
}

impl AccessKeyRecord {
    pub fn root(account: AccountId, access_key: String, secret: String) -> Self {
        let principal_arn = format!("arn:aws:iam::{account}:root");
        Self {
            access_key,
            secret,
            account,
            principal_arn,
        }
    }
}

impl std::fmt::Debug for AccessKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKeyRecord")
            .field("access_key", &self.access_key)
            .field("account", &self.account)
            .field("principal_arn", &self.principal_arn)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_secret() {
        let k = AccessKeyRecord::root(
            AccountId::parse("000000000000").unwrap(),
            "AK".into(),
            "s3cr3t".into(),
        );
        let shown = format!("{k:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert_eq!(k.principal_arn, "arn:aws:iam::000000000000:root");
    }
}
