//! `DescribeMultiRegionAccessPointOperation`: the state of an asynchronous operation, at every
//! stage (`NEW`, `IN_PROGRESS`, `SUCCEEDED`, `FAILED`).

use axum::response::Response;
use mrap_model::{AccountId, ApiError, RequestToken};
use mrap_proto::store::GetOp;

use crate::{
    common::xml::xml_response,
    s3control::{ControlRequest, error::no_such_async_request, xml::responses::DescribeResult},
};

pub(crate) async fn handle(req: ControlRequest<'_>) -> Result<Response, ApiError> {
    let token = token_for(&req.account, &req.label)?;
    tracing::Span::current().record("mrap.request_token", req.label.as_str());
    let op = match req.state.operations.get(&token.id).await {
        Some(read) => read.ok_or_else(no_such_async_request)?,
        None => {
            tracing::Span::current().record("mrap.operation.read", "store");
            let get = GetOp {
                account: req.account,
                op_id: token.id.clone(),
            };
            req.state.store(&get).await?
        }
    };
    // The id alone finds the operation; the whole ARN (account and verb included) must match
    // what was minted.
    if op.token != token {
        return Err(no_such_async_request());
    }
    xml_response(&DescribeResult::new(&op))
}

/// A token of another account is reported exactly like an unknown one.
pub(crate) fn token_for(account: &AccountId, token_arn: &str) -> Result<RequestToken, ApiError> {
    RequestToken::parse_arn(token_arn)
        .filter(|t| &t.account == account)
        .ok_or_else(no_such_async_request)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use mrap_model::ErrorCode;

    use super::*;

    #[test]
    fn only_well_formed_tokens_of_the_caller_account_are_looked_up() {
        let acct = AccountId::parse("123456789012").unwrap();
        let arn = "arn:aws:s3:us-west-2:123456789012:async-request/mrap/create/0123456789abcdef0123456789abcdef";
        assert_eq!(
            token_for(&acct, arn).unwrap().id,
            "0123456789abcdef0123456789abcdef"
        );
        for bad in [
            "",
            "create",
            "arn:aws:s3:us-west-2:111122223333:async-request/mrap/create/0123456789abcdef0123456789abcdef",
            "arn:aws:s3:us-west-2:123456789012:async-request/mrap/create/nothex",
            "arn:aws:s3:us-east-1:123456789012:async-request/mrap/create/0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(
                token_for(&acct, bad).unwrap_err().code,
                ErrorCode::NoSuchAsyncRequest,
                "{bad}"
            );
        }
    }
}
