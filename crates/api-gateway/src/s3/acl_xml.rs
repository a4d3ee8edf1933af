//! `AccessControlPolicy`, as GetBucketAcl / GetObjectAcl answer it and PutBucketAcl /
//! PutObjectAcl may send it; and the owner element (`ID`, `DisplayName`) other documents share.

use serde::{Deserialize, Serialize};

use crate::common::xml::S3_NS;

const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
pub(crate) const FULL_CONTROL: &str = "FULL_CONTROL";
pub(crate) const CANONICAL_USER: &str = "CanonicalUser";

/// An owner, initiator or grantee: shown by account id, which is also its display name (there
/// are no canonical user ids or display names here; ListBuckets shows owners the same way).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CanonicalUser {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "DisplayName")]
    display_name: String,
}

impl CanonicalUser {
    pub fn new(account: &str) -> Self {
        Self {
            id: account.to_owned(),
            display_name: account.to_owned(),
        }
    }
}

/// `AccessControlPolicy` as read: the owner in full control and nobody else (Object
/// Ownership `BucketOwnerEnforced` allows no other ACL).
#[derive(Debug, Serialize)]
#[serde(rename = "AccessControlPolicy")]
pub(crate) struct AccessControlPolicy {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "Owner")]
    owner: CanonicalUser,
    #[serde(rename = "AccessControlList")]
    access_control_list: AccessControlList,
}

#[derive(Debug, Serialize)]
struct AccessControlList {
    #[serde(rename = "Grant")]
    grants: Vec<Grant>,
}

#[derive(Debug, Serialize)]
struct Grant {
    #[serde(rename = "Grantee")]
    grantee: Grantee,
    #[serde(rename = "Permission")]
    permission: &'static str,
}

#[derive(Debug, Serialize)]
struct Grantee {
    #[serde(rename = "@xmlns:xsi")]
    xmlns_xsi: &'static str,
    #[serde(rename = "@xsi:type")]
    kind: &'static str,
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "DisplayName")]
    display_name: String,
}

impl AccessControlPolicy {
    pub fn owner_full_control(owner: &str) -> Self {
        Self {
            xmlns: S3_NS,
            owner: CanonicalUser::new(owner),
            access_control_list: AccessControlList {
                grants: vec![Grant {
                    grantee: Grantee {
                        xmlns_xsi: XSI_NS,
                        kind: CANONICAL_USER,
                        id: owner.to_owned(),
                        display_name: owner.to_owned(),
                    },
                    permission: FULL_CONTROL,
                }],
            },
        }
    }
}

pub(crate) const ACL_ROOT: &str = "AccessControlPolicy";

/// `AccessControlPolicy` as sent to PutBucketAcl / PutObjectAcl. Everything is optional so that
/// the handler decides what a missing member means.
#[derive(Debug, Deserialize)]
pub(crate) struct AccessControlPolicyIn {
    #[serde(rename = "Owner")]
    pub owner: Option<OwnerIn>,
    #[serde(rename = "AccessControlList")]
    pub access_control_list: Option<AccessControlListIn>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct OwnerIn {
    #[serde(rename = "ID")]
    pub id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AccessControlListIn {
    #[serde(rename = "Grant", default)]
    pub grants: Vec<GrantIn>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct GrantIn {
    #[serde(rename = "Grantee")]
    pub grantee: Option<GranteeIn>,
    #[serde(rename = "Permission")]
    pub permission: Option<String>,
}

/// A grantee: a canonical user (`ID`), a group (`URI`) or an e-mail address.
#[derive(Debug, Deserialize)]
pub(crate) struct GranteeIn {
    /// `xsi:type` (quick-xml matches attributes by local name).
    #[serde(rename = "@type")]
    pub kind: Option<String>,
    #[serde(rename = "ID")]
    pub id: Option<String>,
    #[serde(rename = "URI")]
    pub uri: Option<String>,
    #[serde(rename = "EmailAddress")]
    pub email_address: Option<String>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::common::xml::{from_xml, to_xml_with_header};

    #[test]
    fn owner_full_control() {
        assert_eq!(
            to_xml_with_header(&AccessControlPolicy::owner_full_control("123456789012")).unwrap(),
            r#"<?xml version="1.0" encoding="UTF-8"?><AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>123456789012</ID><DisplayName>123456789012</DisplayName></Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>123456789012</ID><DisplayName>123456789012</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>"#
        );
    }

    #[test]
    fn policy_as_sent() {
        // what botocore sends for put_object_acl(AccessControlPolicy=…), one canonical user and
        // one group
        let p: AccessControlPolicyIn = from_xml(
            br#"<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>123456789012</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList><Owner><ID>123456789012</ID></Owner></AccessControlPolicy>"#,
            ACL_ROOT,
        )
        .unwrap();
        assert_eq!(p.owner.and_then(|o| o.id).as_deref(), Some("123456789012"));
        let grants = p.access_control_list.unwrap().grants;
        assert_eq!(grants.len(), 2);
        let first = grants[0].grantee.as_ref().unwrap();
        assert_eq!(first.kind.as_deref(), Some("CanonicalUser"));
        assert_eq!(first.id.as_deref(), Some("123456789012"));
        assert_eq!(grants[0].permission.as_deref(), Some("FULL_CONTROL"));
        let second = grants[1].grantee.as_ref().unwrap();
        assert_eq!(second.kind.as_deref(), Some("Group"));
        assert_eq!(
            second.uri.as_deref(),
            Some("http://acs.amazonaws.com/groups/global/AllUsers")
        );
        assert_eq!(second.id, None);
        let bare: AccessControlPolicyIn = from_xml(b"<AccessControlPolicy/>", ACL_ROOT).unwrap();
        assert!(bare.owner.is_none() && bare.access_control_list.is_none());
        assert!(from_xml::<AccessControlPolicyIn>(b"<Acl/>", ACL_ROOT).is_err());
    }
}
