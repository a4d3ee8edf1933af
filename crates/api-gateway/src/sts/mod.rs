//! The STS surface (query protocol, signed for `sts`): `GetCallerIdentity`, which needs no
//! permission and which no policy can deny (`Resource::Caller`: authentication only).

use axum::response::Response;
use mrap_model::ApiError;
use mrap_proto::authz::{Grant, Resource};

use crate::query::{self, QueryCtx};

/// What a handler gets.
pub(crate) struct StsRequest<'a> {
    pub ctx: &'a QueryCtx<'a>,
    pub grant: Grant,
}

operation_table! {
    /// Every STS operation served.
    pub(crate) enum StsOp for StsRequest<'_> {
        GetCallerIdentity {
            action: "sts:GetCallerIdentity", route: "/",
            resource: Caller, body: Buffered, handler: get_caller_identity,
        },
    }
}

/// The STS pipeline: operation, authentication, handler.
pub(crate) async fn serve(ctx: &QueryCtx<'_>) -> Result<Response, ApiError> {
    let op = query::operation(ctx, StsOp::ALL, StsOp::name)?;
    let grant = ctx.authorize(op.action(), Resource::Caller).await?;
    op.call(StsRequest { ctx, grant }).await
}

/// `UserId` is `aws:userid`: the account id for a root, the user's `AIDA…` id for a user; `Arn`
/// the principal's (a user's with its path).
async fn get_caller_identity(req: StsRequest<'_>) -> Result<Response, ApiError> {
    let g = &req.grant;
    let user_id = g
        .user
        .as_ref()
        .map_or(g.account.as_str(), |u| u.user_id.as_str());
    Ok(req.ctx.reply(
        "GetCallerIdentity",
        Some(&|x| {
            x.leaf("UserId", user_id)
                .leaf("Account", g.account.as_str())
                .leaf("Arn", &g.principal_arn);
        }),
    ))
}
