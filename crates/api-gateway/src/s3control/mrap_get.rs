//! `GetMultiRegionAccessPoint` and `ListMultiRegionAccessPoints`.

use axum::response::Response;
use mrap_model::{ApiError, MrapName, MrapRecord};
use mrap_proto::store::{GetMrap, ListMraps};

use crate::{
    common::xml::xml_response,
    s3control::{
        ControlRequest,
        xml::responses::{GetResult, ListResult},
    },
};

pub(crate) async fn get(req: ControlRequest<'_>) -> Result<Response, ApiError> {
    // As on AWS, a name that breaks the naming rules simply names nothing.
    let name = MrapName::parse(&req.label).map_err(|_| ApiError::no_such_mrap(&req.label))?;
    let account = req.account;
    let key = MrapRecord::key(&account, &name);
    let record = match req.state.mrap_records.get::<MrapRecord>(&key).await {
        Some(read) => read.ok_or_else(|| ApiError::no_such_mrap(name.as_str()))?,
        None => req.state.store(&GetMrap { account, name }).await?,
    };
    xml_response(&GetResult::new(&record))
}

/// All of the account's MRAPs in one page (`maxResults` / `nextToken` are accepted and ignored:
/// AWS documents them as unused and an account holds at most 100 MRAPs).
pub(crate) async fn list(req: ControlRequest<'_>) -> Result<Response, ApiError> {
    let account = req.account;
    let mut records = req.state.store(&ListMraps { account }).await?;
    records.sort_by(|a, b| a.name.cmp(&b.name));
    xml_response(&ListResult::new(&records))
}
