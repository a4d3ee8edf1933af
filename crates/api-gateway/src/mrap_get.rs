//! `GetMultiRegionAccessPoint` and `ListMultiRegionAccessPoints`.

use axum::response::Response;
use mrap_model::{AccountId, ApiError, MrapName};
use mrap_proto::store::{GetMrap, ListMraps};

use crate::{
    error::no_such_mrap,
    server::AppState,
    xml::{
        mrap_responses::{GetResult, ListResult},
        xml_response,
    },
};

pub(crate) async fn get(
    state: &AppState,
    account: AccountId,
    name: &str,
) -> Result<Response, ApiError> {
    // As on AWS, a name that breaks the naming rules simply names nothing.
    let name = MrapName::parse(name).map_err(|_| no_such_mrap(name))?;
    let record = state.store(&GetMrap { account, name }).await?;
    xml_response(&GetResult::new(&record))
}

/// All of the account's MRAPs in one page (`maxResults` / `nextToken` are accepted and ignored:
/// AWS documents them as unused and an account holds at most 100 MRAPs).
pub(crate) async fn list(state: &AppState, account: AccountId) -> Result<Response, ApiError> {
    let mut records = state.store(&ListMraps { account }).await?;
    records.sort_by(|a, b| a.name.cmp(&b.name));
    xml_response(&ListResult::new(&records))
}
