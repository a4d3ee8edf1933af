//! Validated identifiers. Each `parse` enforces the documented AWS rule and returns a message that
//! the gateway can put into an `InvalidRequest` / `InvalidBucketName` error as is.

use std::fmt;

use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

string_id!(
    /// A 12-digit AWS account id.
    AccountId
);
string_id!(
    /// An MRAP name: 3–50 chars of `[a-z0-9-]`, not starting or ending with `-`.
    MrapName
);
string_id!(
    /// A general-purpose S3 bucket name.
    BucketName
);
string_id!(
    /// An MRAP alias such as `mfzwi23gnjvgw.mrap`.
    Alias
);
string_id!(
    /// A Region code such as `us-east-1` (membership in the deployment is checked elsewhere).
    RegionName
);

impl AccountId {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!("Account id '{s}' must be exactly 12 digits"))
        }
    }
}

impl MrapName {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok_chars = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !(3..=50).contains(&s.len()) {
            return Err(format!(
                "Multi-Region Access Point name '{s}' must be between 3 and 50 characters long"
            ));
        }
        if !ok_chars {
            return Err(format!(
                "Multi-Region Access Point name '{s}' may contain only lowercase letters, numbers and hyphens"
            ));
        }
        if s.starts_with('-') || s.ends_with('-') {
            return Err(format!(
                "Multi-Region Access Point name '{s}' must not begin or end with a hyphen"
            ));
        }
        Ok(Self(s.to_owned()))
    }
}

impl BucketName {
    /// The general-purpose bucket naming rules.
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = |why: &str| Err(format!("The specified bucket '{s}' is not valid: {why}"));
        if !(3..=63).contains(&s.len()) {
            return bad("names must be between 3 and 63 characters long");
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        {
            return bad("names may contain only lowercase letters, numbers, dots and hyphens");
        }
        let first = s.as_bytes()[0];
        let last = s.as_bytes()[s.len() - 1];
        if !first.is_ascii_alphanumeric() || !last.is_ascii_alphanumeric() {
            return bad("names must begin and end with a letter or number");
        }
        if s.contains("..") {
            return bad("names must not contain two adjacent periods");
        }
        if s.split('.').count() == 4 && s.split('.').all(|p| p.parse::<u8>().is_ok()) {
            return bad("names must not be formatted as an IP address");
        }
        for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
            if s.starts_with(prefix) {
                return bad("names must not start with a reserved prefix");
            }
        }
        for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
            if s.ends_with(suffix) {
                return bad("names must not end with a reserved suffix");
            }
        }
        Ok(Self(s.to_owned()))
    }
}

const ALIAS_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

impl Alias {
    /// `m` + 12 random `[a-z0-9]` + `.mrap`: the shape of every alias AWS has been seen to mint.
    pub fn generate(rng: &mut impl Rng) -> Self {
        let body: String = (0..12)
            .map(|_| ALIAS_ALPHABET[rng.random_range(0..ALIAS_ALPHABET.len())] as char)
            .collect();
        Self(format!("m{body}.mrap"))
    }

    /// Accepts the model pattern `^[a-z][a-z0-9]*[.]mrap$`, at most 63 characters.
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = s.len() <= 63
            && s.strip_suffix(".mrap").is_some_and(|body| {
                body.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
                    && body
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!("'{s}' is not a Multi-Region Access Point alias"))
        }
    }

    /// `arn:aws:s3::{account}:accesspoint/{alias}`: the MRAP ARN (empty Region field).
    pub fn arn(&self, account: &AccountId) -> String {
        format!("arn:aws:s3::{account}:accesspoint/{self}")
    }
}

impl RegionName {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = (1..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!("'{s}' is not a valid Region name"))
        }
    }
}

/// The verbs that appear in request-token ARNs.
pub const TOKEN_VERBS: [&str; 3] = ["create", "delete", "put-policy"];

/// A request token ARN: `arn:aws:s3:us-west-2:{account}:async-request/mrap/{verb}/{id}`. The
/// control plane's home Region is US West (Oregon) whatever Region the caller signed for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RequestToken {
    pub account: AccountId,
    pub verb: String,
    /// 32 lowercase hex characters; also the operation's key in the store.
    pub id: String,
}

impl RequestToken {
    /// The token of the request `client_token` names: the operation's id is the first 16 bytes of
    /// SHA-256 over the account, the verb and the client token, so a request sent again with its
    /// client token names the operation it started (the record of that operation is the client
    /// token's claim), and two verbs or two accounts never share one.
    pub fn for_client_token(account: AccountId, verb: &str, client_token: &str) -> Self {
        let digest = Sha256::new()
            .chain_update(account.as_str())
            .chain_update([0])
            .chain_update(verb)
            .chain_update([0])
            .chain_update(client_token)
            .finalize();
        let id = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        Self {
            account,
            verb: verb.to_owned(),
            id,
        }
    }

    pub fn arn(&self) -> String {
        format!(
            "arn:aws:s3:us-west-2:{}:async-request/mrap/{}/{}",
            self.account, self.verb, self.id
        )
    }

    pub fn parse_arn(arn: &str) -> Option<Self> {
        let rest = arn.strip_prefix("arn:aws:s3:us-west-2:")?;
        let (account, rest) = rest.split_once(':')?;
        let rest = rest.strip_prefix("async-request/mrap/")?;
        let (verb, id) = rest.split_once('/')?;
        let id_ok = id.len() == 32
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !TOKEN_VERBS.contains(&verb) || !id_ok {
            return None;
        }
        Some(Self {
            account: AccountId::parse(account).ok()?,
            verb: verb.to_owned(),
            id: id.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mrap_names_follow_the_model_pattern() {
        for ok in ["abc", "my-mrap-1", "0ab", &"a".repeat(50)] {
            assert!(MrapName::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "-abc",
            "abc-",
            "Abc",
            "a_bc",
            "a.bc",
            &"a".repeat(51),
            "",
        ] {
            assert!(MrapName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bucket_names_follow_the_general_purpose_rules() {
        for ok in ["abc", "my.bucket-1", "a1b"] {
            assert!(BucketName::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "ABC",
            "a..b",
            "-ab",
            "ab-",
            "192.168.5.4",
            "xn--ab",
            "abc.mrap",
            "a_b",
        ] {
            assert!(BucketName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn aliases_have_the_documented_shape() {
        let mut rng = rand::rng();
        for _ in 0..200 {
            let a = Alias::generate(&mut rng);
            assert_eq!(a.as_str().len(), 18);
            assert!(Alias::parse(a.as_str()).is_ok(), "{a}");
        }
        assert!(Alias::parse("mfzwi23gnjvgw.mrap").is_ok());
        assert!(Alias::parse("1abc.mrap").is_err());
        assert!(Alias::parse("mabc").is_err());
        let acct = AccountId::parse("123456789012").unwrap();
        assert_eq!(
            Alias::parse("mfzwi23gnjvgw.mrap").unwrap().arn(&acct),
            "arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap"
        );
    }

    #[test]
    fn request_token_arns_round_trip() {
        let acct = AccountId::parse("000000000000").unwrap();
        let t = RequestToken::for_client_token(acct.clone(), "create", "ct-1");
        assert_eq!(t.id.len(), 32);
        assert_eq!(
            t,
            RequestToken::for_client_token(acct.clone(), "create", "ct-1")
        );
        assert_ne!(
            t,
            RequestToken::for_client_token(acct.clone(), "create", "ct-2")
        );
        assert_ne!(
            t.id,
            RequestToken::for_client_token(acct.clone(), "delete", "ct-1").id
        );
        let arn = t.arn();
        assert!(arn.starts_with("arn:aws:s3:us-west-2:000000000000:async-request/mrap/create/"));
        assert_eq!(RequestToken::parse_arn(&arn), Some(t));
        assert_eq!(
            RequestToken::parse_arn(
                "arn:aws:s3:us-west-2:000000000000:async-request/mrap/create/xyz"
            ),
            None
        );
        assert_eq!(RequestToken::parse_arn("garbage"), None);
    }

    #[test]
    fn account_ids_are_twelve_digits() {
        assert!(AccountId::parse("000000000000").is_ok());
        assert!(AccountId::parse("12345").is_err());
        assert!(AccountId::parse("12345678901a").is_err());
    }
}
