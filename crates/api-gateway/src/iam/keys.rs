//! `CreateAccessKey`, `ListAccessKeys`, `UpdateAccessKey`, `DeleteAccessKey`. Without `UserName`
//! each acts on the caller: its own user, or the account root (`user: None` in the store call).

use axum::response::Response;
use mrap_model::{AccessKeyRecord, ApiError, ErrorCode, KeyStatus};
use mrap_proto::store;

use super::{Authorized, IamRequest, Target};
use crate::query::{
    params::{Checker, KEY_ID_PATTERN},
    xml::{Xml, timestamp},
};

/// Validates the optional `UserName` and authorises on its user (or the caller).
async fn authorize(req: &IamRequest<'_>, name: Option<&str>) -> Result<Authorized, ApiError> {
    req.authorize(name.map_or(Target::Myself, Target::User))
        .await
}

/// `AccessKeyId`: 16–128 word characters.
fn key_id(c: &mut Checker, req: &IamRequest<'_>) -> String {
    let id = c
        .required(req.params(), "AccessKeyId", "accessKeyId")
        .to_owned();
    if req.params().get("AccessKeyId").is_some() && c.length(&id, "accessKeyId", 16, 128) {
        c.pattern(&id, "accessKeyId", KEY_ID_PATTERN, |v| {
            v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    }
    id
}

fn write_metadata(x: &mut Xml, k: &AccessKeyRecord) {
    x.leaf("UserName", k.owner_name())
        .leaf("AccessKeyId", &k.access_key)
        .leaf("Status", k.status.as_str())
        .leaf("CreateDate", &timestamp(k.created_ms));
}

pub(crate) async fn create(req: IamRequest<'_>) -> Result<Response, ApiError> {
    let mut c = Checker::default();
    let name = c.optional_name(req.params(), "UserName", "userName", 128);
    c.finish()?;
    let auth = authorize(&req, name.as_deref()).await?;
    let key = req
        .ctx
        .state
        .store(&store::CreateAccessKey {
            account: auth.grant.account.clone(),
            user: auth.key_owner(name.as_deref()),
        })
        .await?;
    Ok(req.reply(Some(&|x| {
        x.open("AccessKey")
            .leaf("UserName", key.owner_name())
            .leaf("AccessKeyId", &key.access_key)
            .leaf("Status", key.status.as_str())
            .leaf("SecretAccessKey", &key.secret)
            .leaf("CreateDate", &timestamp(key.created_ms))
            .close("AccessKey");
    })))
}

/// Oldest first; the marker is the creation time and id of the key to resume at.
pub(crate) async fn list(req: IamRequest<'_>) -> Result<Response, ApiError> {
    let mut c = Checker::default();
    let name = c.optional_name(req.params(), "UserName", "userName", 128);
    let page = c.page(req.params());
    c.finish()?;
    let auth = authorize(&req, name.as_deref()).await?;
    let keys = req
        .ctx
        .state
        .store(&store::ListAccessKeys {
            account: auth.grant.account.clone(),
            user: auth.key_owner(name.as_deref()),
        })
        .await?;
    let (keys, next) = page.take(keys, |k| {
        format!("{:020}.{}", k.created_ms.max(0), k.access_key)
    });
    Ok(req.reply(Some(&|x| {
        x.list("AccessKeyMetadata", &keys, write_metadata)
            .truncation(next.as_deref());
    })))
}

/// `Status`: `Active` or `Inactive` (`Expired` is in the model's enum but cannot be set).
pub(crate) async fn update(req: IamRequest<'_>) -> Result<Response, ApiError> {
    let mut c = Checker::default();
    let name = c.optional_name(req.params(), "UserName", "userName", 128);
    let access_key = key_id(&mut c, &req);
    let status_text = c.required(req.params(), "Status", "status").to_owned();
    if req.params().get("Status").is_some() {
        c.one_of(&status_text, "status", &["Active", "Inactive", "Expired"]);
    }
    c.finish()?;
    let status = KeyStatus::parse(&status_text).ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidInput,
            format!("An access key cannot be set to {status_text}."),
        )
    })?;
    let auth = authorize(&req, name.as_deref()).await?;
    req.ctx
        .state
        .store(&store::UpdateAccessKey {
            account: auth.grant.account.clone(),
            user: auth.key_owner(name.as_deref()),
            access_key,
            status,
        })
        .await?;
    Ok(req.reply(None))
}

pub(crate) async fn delete(req: IamRequest<'_>) -> Result<Response, ApiError> {
    let mut c = Checker::default();
    let name = c.optional_name(req.params(), "UserName", "userName", 128);
    let access_key = key_id(&mut c, &req);
    c.finish()?;
    let auth = authorize(&req, name.as_deref()).await?;
    req.ctx
        .state
        .store(&store::DeleteAccessKey {
            account: auth.grant.account.clone(),
            user: auth.key_owner(name.as_deref()),
            access_key,
        })
        .await?;
    Ok(req.reply(None))
}
