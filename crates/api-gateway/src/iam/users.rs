//! `CreateUser`, `GetUser`, `ListUsers`, `DeleteUser`.

use axum::response::Response;
use mrap_model::{ApiError, ErrorCode, identity::valid_path};
use mrap_proto::store;

use super::{IamRequest, Target, no_such_user, write_root, write_user};
use crate::query::params::{Checker, PATH_PATTERN, PATH_PREFIX_PATTERN};

/// `UserName` (1–64), `Path` (default `/`). Permissions boundaries and tags are not kept by this
/// emulator: a request naming them is refused rather than half done.
pub(crate) async fn create(req: IamRequest<'_>) -> Result<Response, ApiError> {
    let p = req.params();
    let mut c = Checker::default();
    let name = c.required_name(p, "UserName", "userName", 64);
    let path = p.get("Path").unwrap_or("/").to_owned();
    if c.length(&path, "path", 1, 512) {
        c.pattern(&path, "path", PATH_PATTERN, valid_path);
    }
    c.finish()?;
    if p.get("PermissionsBoundary").is_some() || !p.structures("Tags").is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidInput,
            "Permissions boundaries and tags are not supported by this endpoint.",
        ));
    }
    let auth = req
        .authorize(Target::NewUser {
            name: &name,
            path: &path,
        })
        .await?;
    let user = req
        .ctx
        .state
        .store(&store::CreateUser {
            account: auth.grant.account,
            name,
            path,
        })
        .await?;
    Ok(req.reply(Some(&|x| {
        x.open("User");
        write_user(x, &user);
        x.close("User");
    })))
}

/// `UserName` (1–128) optional: without it, the caller (the root shape for an account root).
pub(crate) async fn get(req: IamRequest<'_>) -> Result<Response, ApiError> {
    let mut c = Checker::default();
    let name = c.optional_name(req.params(), "UserName", "userName", 128);
    c.finish()?;
    let user = match &name {
        Some(name) => {
            let auth = req.authorize(Target::User(name)).await?;
            auth.user.ok_or_else(|| no_such_user(name))?
        }
        None => {
            let auth = req.authorize(Target::Myself).await?;
            match &auth.grant.user {
                Some(me) => {
                    req.ctx
                        .state
                        .store(&store::GetUser {
                            account: auth.grant.account.clone(),
                            name: me.name.clone(),
                        })
                        .await?
                }
                None => {
                    return Ok(req.reply(Some(&|x| {
                        x.open("User");
                        write_root(x, &auth.grant);
                        x.close("User");
                    })));
                }
            }
        }
    };
    Ok(req.reply(Some(&|x| {
        x.open("User");
        write_user(x, &user);
        x.close("User");
    })))
}

/// `PathPrefix` (default `/`), `Marker`, `MaxItems`; sorted by name case-insensitively, the
/// marker being the lower-cased name to resume at.
pub(crate) async fn list(req: IamRequest<'_>) -> Result<Response, ApiError> {
    let p = req.params();
    let mut c = Checker::default();
    let prefix = p.get("PathPrefix").unwrap_or("/").to_owned();
    if c.length(&prefix, "pathPrefix", 1, 512) {
        c.pattern(&prefix, "pathPrefix", PATH_PREFIX_PATTERN, |v| {
            v.starts_with('/') && v.chars().all(|c| ('\u{21}'..='\u{7f}').contains(&c))
        });
    }
    let page = c.page(p);
    c.finish()?;
    let auth = req.authorize(Target::Everything).await?;
    let users = req
        .ctx
        .state
        .store(&store::ListUsers {
            account: auth.grant.account,
            path_prefix: prefix,
        })
        .await?;
    let (users, next) = page.take(users, |u| u.name.to_lowercase());
    Ok(req.reply(Some(&|x| {
        x.list("Users", &users, write_user)
            .truncation(next.as_deref());
    })))
}

/// `UserName` (1–128). `DeleteConflict` while keys or inline policies remain (the store's).
pub(crate) async fn delete(req: IamRequest<'_>) -> Result<Response, ApiError> {
    let mut c = Checker::default();
    let name = c.required_name(req.params(), "UserName", "userName", 128);
    c.finish()?;
    let auth = req.authorize(Target::User(&name)).await?;
    if auth.user.is_none() {
        return Err(no_such_user(&name));
    }
    req.ctx
        .state
        .store(&store::DeleteUser {
            account: auth.grant.account,
            name,
        })
        .await?;
    Ok(req.reply(None))
}
