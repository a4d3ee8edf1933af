//! Authorization: may this principal perform the action on the resource?

use mrap_model::{ApiError, ErrorCode};
use mrap_proto::authz::{AuthzRequest, Grant, Resource};

use crate::{ReadModel, authn};

pub async fn check(model: &ReadModel, req: &AuthzRequest) -> Result<Grant, ApiError> {
    let now = mrap_model::time::now_millis() / 1000;
    let key = authn::authenticate(model, req, now).await?;
    let owner = match &req.resource {
        Resource::Account(a) => Some(a.clone()),
        Resource::CallerAccount => None,
        // An unknown bucket is not an authorization matter: the handler answers NoSuchBucket.
        Resource::Bucket(b) => model.bucket_owner(b.as_str()).await,
    };
    if let Some(owner) = owner
        && owner != key.account
    {
        tracing::info!(action = %req.action, principal = %key.principal_arn, "cross-account request denied");
        return Err(ApiError::new(ErrorCode::AccessDenied, "Access Denied"));
    }
    Ok(Grant {
        account: key.account,
        principal_arn: key.principal_arn,
        access_key: key.access_key,
    })
}
