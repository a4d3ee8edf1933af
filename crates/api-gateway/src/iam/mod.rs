//! The IAM surface (query protocol, signed for `iam`): users, their access keys and inline
//! policies. The protocol, routing and envelopes are [`crate::query`]'s; the state is the
//! policy-store's (`mrap_proto::store`, "IAM identities").
//!
//! Every operation is authorised before the existence of what it names is checked, on the ARN of
//! the user it acts on — `iam:{Op}` on `arn:aws:iam::{caller account}:user{path}{name}` (reference
//! §5), `*` for `ListUsers`. The ARN needs the caller's account and the user's path, which the
//! request does not carry, so a request takes up to three round trips:
//!
//! 1. authentication (the authorizer with `Resource::Caller`): who is asking, in which account;
//! 2. for an existing user, a store lookup of its path (the result is shown to nobody before the
//!    decision: a caller without the permission learns nothing about the user); a user that does
//!    not exist is authorised as `user/{name}` (path `/` — a guess: AWS's own message for a
//!    missing user names no path);
//! 3. the authorization proper, on `Resource::Arn { owner: None, arn }`.
//!
//! A handler reaches the store's account only through [`IamRequest::authorize`], so it cannot
//! act before step 3. Names and values are validated (`ValidationError`) after authentication and
//! before authorization.

mod keys;
mod policies;
mod simulate;
mod users;

use axum::response::Response;
use mrap_model::{
    ApiError, ErrorCode, UserRecord,
    identity::{root_arn, user_arn},
};
use mrap_proto::{
    authz::{Grant, Resource},
    store,
};

use crate::{
    common::table::ResourceKind,
    query::{self, QueryCtx},
};

/// What a handler gets.
pub(crate) struct IamRequest<'a> {
    pub ctx: &'a QueryCtx<'a>,
    op: IamOp,
    /// The authenticated caller (step 1); its account is used only to build ARNs.
    caller: Grant,
}

operation_table! {
    /// Every IAM operation served. The route is `/` for all: the operation is in the body.
    pub(crate) enum IamOp for IamRequest<'_> {
        CreateUser {
            action: "iam:CreateUser", route: "/",
            resource: IamUser, body: Buffered, handler: users::create,
        },
        GetUser {
            action: "iam:GetUser", route: "/",
            resource: IamUser, body: Buffered, handler: users::get,
        },
        ListUsers {
            action: "iam:ListUsers", route: "/",
            resource: Everything, body: Buffered, handler: users::list,
        },
        DeleteUser {
            action: "iam:DeleteUser", route: "/",
            resource: IamUser, body: Buffered, handler: users::delete,
        },
        CreateAccessKey {
            action: "iam:CreateAccessKey", route: "/",
            resource: IamUser, body: Buffered, handler: keys::create,
        },
        ListAccessKeys {
            action: "iam:ListAccessKeys", route: "/",
            resource: IamUser, body: Buffered, handler: keys::list,
        },
        UpdateAccessKey {
            action: "iam:UpdateAccessKey", route: "/",
            resource: IamUser, body: Buffered, handler: keys::update,
        },
        DeleteAccessKey {
            action: "iam:DeleteAccessKey", route: "/",
            resource: IamUser, body: Buffered, handler: keys::delete,
        },
        PutUserPolicy {
            action: "iam:PutUserPolicy", route: "/",
            resource: IamUser, body: Buffered, handler: policies::put,
        },
        GetUserPolicy {
            action: "iam:GetUserPolicy", route: "/",
            resource: IamUser, body: Buffered, handler: policies::get,
        },
        ListUserPolicies {
            action: "iam:ListUserPolicies", route: "/",
            resource: IamUser, body: Buffered, handler: policies::list,
        },
        DeleteUserPolicy {
            action: "iam:DeleteUserPolicy", route: "/",
            resource: IamUser, body: Buffered, handler: policies::delete,
        },
        // Resource: the PolicySourceArn (a user of this account, or an account root).
        SimulatePrincipalPolicy {
            action: "iam:SimulatePrincipalPolicy", route: "/",
            resource: IamUser, body: Buffered, handler: simulate::principal,
        },
        SimulateCustomPolicy {
            action: "iam:SimulateCustomPolicy", route: "/",
            resource: Everything, body: Buffered, handler: simulate::custom,
        },
    }
}

/// The IAM pipeline: operation, authentication, handler (which validates and authorises).
pub(crate) async fn serve(ctx: &QueryCtx<'_>) -> Result<Response, ApiError> {
    let op = query::operation(ctx, IamOp::ALL, IamOp::name)?;
    let caller = ctx.authorize(op.action(), Resource::Caller).await?;
    op.call(IamRequest { ctx, op, caller }).await
}

/// What an operation acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target<'t> {
    /// The user a CreateUser will make.
    NewUser { name: &'t str, path: &'t str },
    /// A user the request names (which may not exist).
    User(&'t str),
    /// The caller itself (`UserName` omitted): its user, or the account root.
    Myself,
    /// `*`.
    Everything,
    /// An IAM ARN as given (`SimulatePrincipalPolicy`'s `PolicySourceArn` when it names no user
    /// of the caller's account: an account root).
    Arn(&'t str),
}

/// An authorised request.
pub(crate) struct Authorized {
    /// Its `account` is the caller's: every store call uses it.
    pub grant: Grant,
    /// For [`Target::User`]: the user as looked up before the decision (`None`: absent).
    pub user: Option<UserRecord>,
}

impl Authorized {
    /// The user a key operation acts on: the one named, else the caller's own (`None`: the root).
    pub fn key_owner(&self, named: Option<&str>) -> Option<String> {
        named
            .map(str::to_owned)
            .or_else(|| self.grant.user.as_ref().map(|u| u.name.clone()))
    }
}

impl IamRequest<'_> {
    pub fn params(&self) -> &query::Params {
        &self.ctx.params
    }

    /// Steps 2 and 3 of the module doc: the operation's action on `target`'s ARN.
    pub async fn authorize(&self, target: Target<'_>) -> Result<Authorized, ApiError> {
        let kind = match target {
            Target::Everything => ResourceKind::Everything,
            _ => ResourceKind::IamUser,
        };
        if kind != self.op.resource() {
            return Err(ApiError::internal(format!(
                "{} authorised on {target:?}, not its table resource",
                self.op.name()
            )));
        }
        let account = &self.caller.account;
        let (arn, user) = match target {
            Target::NewUser { name, path } => (user_arn(account, path, name), None),
            Target::User(name) => {
                let lookup = store::GetUser {
                    account: account.clone(),
                    name: name.to_owned(),
                };
                match self.ctx.state.store(&lookup).await {
                    Ok(user) => (user.arn(), Some(user)),
                    Err(e) if e.code == ErrorCode::NoSuchEntity => {
                        (user_arn(account, "/", name), None)
                    }
                    Err(e) => return Err(e),
                }
            }
            Target::Myself => (self.caller.principal_arn.clone(), None),
            Target::Everything => ("*".to_owned(), None),
            Target::Arn(arn) => (arn.to_owned(), None),
        };
        let grant = self
            .ctx
            .authorize(self.op.action(), Resource::Arn { owner: None, arn })
            .await?;
        Ok(Authorized { grant, user })
    }

    /// The 200 reply of this operation.
    pub fn reply(&self, result: Option<&dyn Fn(&mut query::xml::Xml)>) -> Response {
        self.ctx.reply(self.op.name(), result)
    }
}

/// `NoSuchEntity` for a user, in AWS's words.
pub(crate) fn no_such_user(name: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NoSuchEntity,
        format!("The user with name {name} cannot be found."),
    )
}

/// The `User` element (model order).
pub(crate) fn write_user(x: &mut query::xml::Xml, u: &UserRecord) {
    x.leaf("Path", &u.path)
        .leaf("UserName", &u.name)
        .leaf("UserId", &u.user_id)
        .leaf("Arn", &u.arn())
        .leaf("CreateDate", &query::xml::timestamp(u.created_ms));
}

/// The account root as `GetUser` shows it: no `UserName`, no `Path`; `UserId` is the account id.
/// Its creation time is not recorded anywhere, so `CreateDate` is the epoch.
pub(crate) fn write_root(x: &mut query::xml::Xml, grant: &Grant) {
    x.leaf("UserId", grant.account.as_str())
        .leaf("Arn", &root_arn(&grant.account))
        .leaf("CreateDate", &query::xml::timestamp(0));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_the_iam_actions() {
        for op in IamOp::ALL {
            assert_eq!(op.action(), format!("iam:{}", op.name()));
            assert_eq!(op.route(), "/");
        }
        assert_eq!(IamOp::ListUsers.resource(), ResourceKind::Everything);
        assert_eq!(IamOp::GetUser.resource(), ResourceKind::IamUser);
    }
}
