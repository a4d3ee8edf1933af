//! What Create, Delete and PutPolicy share: the `ClientToken` rules and handing the operation to
//! the policy-store, which names it after the client token.

use mrap_model::{AccountId, ApiError, RequestParams};
use mrap_proto::store::SubmitOp;

use crate::{
    common::{error::invalid_request, request_id::RequestIds},
    server::AppState,
};

/// Model rule for `MultiRegionAccessPointClientToken`: 1–64 characters matching `\S+`.
pub(crate) fn check_client_token(token: &str) -> Result<(), ApiError> {
    if token.is_empty() {
        return Err(invalid_request("ClientToken must not be empty."));
    }
    if token.chars().count() > 64 {
        return Err(invalid_request(
            "ClientToken must be at most 64 characters long.",
        ));
    }
    if token.chars().any(char::is_whitespace) {
        return Err(invalid_request("ClientToken must not contain whitespace."));
    }
    Ok(())
}

/// Records the operation; returns the request token ARN to answer with. The same `ClientToken` on
/// the same request names the same operation; the store refuses it on another request
/// (`ClientTokenConflict`), and refuses past its bounds (`TooManyMultiRegionAccessPoints`,
/// `SlowDown`).
pub(crate) async fn submit(
    state: &AppState,
    ids: &RequestIds,
    account: AccountId,
    client_token: String,
    params: RequestParams,
) -> Result<String, ApiError> {
    let reply = state
        .store(&SubmitOp {
            account,
            client_token,
            request_id: ids.request_id.clone(),
            params,
        })
        .await?;
    let arn = reply.arn();
    // On the HTTP span: a trace of the request names the operation it started.
    tracing::Span::current().record("mrap.request_token", arn.as_str());
    Ok(arn)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn client_token_rules() {
        assert!(check_client_token("0b7e6d1c-9a55-4a84-8d7c-2d5f3e6a1f00").is_ok());
        assert!(check_client_token(&"a".repeat(64)).is_ok());
        for bad in ["", "a b", "tab\there", &"a".repeat(65)] {
            assert_eq!(
                check_client_token(bad).unwrap_err().code,
                mrap_model::ErrorCode::InvalidRequest,
                "{bad:?}"
            );
        }
    }
}
