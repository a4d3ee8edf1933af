//! GetBucketAcl, PutBucketAcl, GetObjectAcl, PutObjectAcl as S3 answers them for a bucket with
//! Object Ownership `BucketOwnerEnforced` (the default since 2023): ACLs are disabled, the bucket
//! owner owns every object and has full control, and a PUT is accepted only when it asks for
//! exactly that (canned `private` / `bucket-owner-full-control`, or a body whose every grant is
//! FULL_CONTROL to the owner). Nothing is stored: the answer never changes.

use axum::{body::Body, response::Response};
use mrap_model::{ApiError, ErrorCode};

use crate::{
    common::{
        error::malformed_xml,
        xml::{from_xml, xml_response},
    },
    s3::{
        S3Request,
        acl_xml::{
            ACL_ROOT, AccessControlPolicy, AccessControlPolicyIn, CANONICAL_USER, FULL_CONTROL,
        },
        object_headers::{acl_not_supported, check_acl_headers},
        storage_error::to_api,
    },
};

/// Refuses with `NoSuchKey` unless the request's object exists.
async fn require_object(req: &S3Request<'_>) -> Result<(), ApiError> {
    let bucket = req.bucket()?;
    req.store()?
        .head_object(bucket.as_str(), &req.key)
        .await
        .map_err(|e| to_api(e, bucket.as_str()))?;
    Ok(())
}

pub(crate) async fn get_bucket_acl(req: S3Request<'_>) -> Result<Response, ApiError> {
    xml_response(&AccessControlPolicy::owner_full_control(&req.owner()?))
}

pub(crate) async fn get_object_acl(req: S3Request<'_>) -> Result<Response, ApiError> {
    let owner = req.owner()?;
    require_object(&req).await?;
    xml_response(&AccessControlPolicy::owner_full_control(&owner))
}

pub(crate) async fn put_bucket_acl(req: S3Request<'_>) -> Result<Response, ApiError> {
    let owner = req.owner()?;
    check_put(&req, &owner)?;
    Ok(Response::new(Body::empty()))
}

pub(crate) async fn put_object_acl(req: S3Request<'_>) -> Result<Response, ApiError> {
    let owner = req.owner()?;
    check_put(&req, &owner)?;
    require_object(&req).await?;
    Ok(Response::new(Body::empty()))
}

/// A PUT ACL request leaves the ACL as it is only if it grants nothing but the owner's full
/// control; anything else would need ACLs, which the bucket does not allow.
fn check_put(req: &S3Request<'_>, owner: &str) -> Result<(), ApiError> {
    let headers = &req.parts.headers;
    check_acl_headers(headers)?;
    if !req.body.trim_ascii().is_empty() {
        let policy: AccessControlPolicyIn =
            from_xml(&req.body, ACL_ROOT).map_err(|_| malformed_xml())?;
        return check_policy(&policy, owner);
    }
    let named_any = headers.contains_key("x-amz-acl")
        || headers
            .keys()
            .any(|name| name.as_str().starts_with("x-amz-grant-"));
    if !named_any {
        // Neither a canned ACL, nor grant headers, nor a body: nothing says what the ACL is.
        return Err(ApiError::new(
            ErrorCode::MissingSecurityHeader,
            "Your request was missing a required header",
        ));
    }
    Ok(())
}

/// A body ACL: every grant must be FULL_CONTROL to the owner's canonical id (and an owner
/// given must be the owner). An empty grant list would take the owner's control away.
fn check_policy(policy: &AccessControlPolicyIn, owner: &str) -> Result<(), ApiError> {
    if policy
        .owner
        .as_ref()
        .and_then(|o| o.id.as_deref())
        .is_some_and(|id| id.trim() != owner)
    {
        return Err(acl_not_supported());
    }
    let grants = policy
        .access_control_list
        .as_ref()
        .map(|l| l.grants.as_slice())
        .unwrap_or_default();
    let owner_only = !grants.is_empty()
        && grants.iter().all(|g| {
            let to_owner = g.grantee.as_ref().is_some_and(|grantee| {
                grantee.kind.as_deref().is_none_or(|k| k == CANONICAL_USER)
                    && grantee.uri.is_none()
                    && grantee.email_address.is_none()
                    && grantee.id.as_deref().is_some_and(|id| id.trim() == owner)
            });
            to_owner && g.permission.as_deref().map(str::trim) == Some(FULL_CONTROL)
        });
    if owner_only {
        Ok(())
    } else {
        Err(acl_not_supported())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const OWNER: &str = "123456789012";

    fn check(body: &str) -> Result<(), ErrorCode> {
        let policy: AccessControlPolicyIn = from_xml(body.as_bytes(), ACL_ROOT).unwrap();
        check_policy(&policy, OWNER).map_err(|e| e.code)
    }

    fn grant(grantee: &str, permission: &str) -> String {
        format!(
            r#"<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" {grantee}</Grantee><Permission>{permission}</Permission></Grant>"#
        )
    }

    fn policy(owner: &str, grants: &[String]) -> String {
        format!(
            r#"<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{owner}<AccessControlList>{}</AccessControlList></AccessControlPolicy>"#,
            grants.concat()
        )
    }

    #[test]
    fn only_owner_full_control_passes() {
        let owner_el = "<Owner><ID>123456789012</ID><DisplayName>x</DisplayName></Owner>";
        let me = r#"xsi:type="CanonicalUser"><ID>123456789012</ID><DisplayName>123456789012</DisplayName>"#;
        let other = r#"xsi:type="CanonicalUser"><ID>210987654321</ID>"#;
        let all_users =
            r#"xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI>"#;
        let email = r#"xsi:type="AmazonCustomerByEmail"><EmailAddress>a@b.c</EmailAddress>"#;
        // what GetBucketAcl returns, sent back
        assert_eq!(
            check(&policy(owner_el, &[grant(me, "FULL_CONTROL")])),
            Ok(())
        );
        assert_eq!(check(&policy("", &[grant(me, "FULL_CONTROL")])), Ok(()));
        assert_eq!(
            check(&policy(
                "",
                &[grant(me, "FULL_CONTROL"), grant(me, "FULL_CONTROL")]
            )),
            Ok(())
        );
        let refused = Err(ErrorCode::AccessControlListNotSupported);
        assert_eq!(check(&policy(owner_el, &[grant(me, "READ")])), refused);
        assert_eq!(
            check(&policy(owner_el, &[grant(other, "FULL_CONTROL")])),
            refused
        );
        assert_eq!(
            check(&policy(owner_el, &[grant(all_users, "FULL_CONTROL")])),
            refused
        );
        assert_eq!(
            check(&policy(owner_el, &[grant(email, "FULL_CONTROL")])),
            refused
        );
        assert_eq!(
            check(&policy(
                owner_el,
                &[grant(me, "FULL_CONTROL"), grant(all_users, "READ")]
            )),
            refused
        );
        assert_eq!(check(&policy(owner_el, &[])), refused);
        assert_eq!(
            check(&policy(
                "<Owner><ID>210987654321</ID></Owner>",
                &[grant(me, "FULL_CONTROL")]
            )),
            refused
        );
        assert_eq!(check("<AccessControlPolicy/>"), refused);
    }
}
