//! `SimulatePrincipalPolicy` and `SimulateCustomPolicy`: not served yet (the simulation library
//! is being written). The rows exist in the table so that the operations are recognised (not
//! `InvalidAction`), authenticated, and named on spans; implementing them is writing these two
//! handlers (reference §3.1 has the request and result shapes).

use axum::response::Response;
use mrap_model::{ApiError, ErrorCode};

use super::IamRequest;

fn not_yet(operation: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NotImplemented,
        format!("{operation} is not implemented by this endpoint yet."),
    )
}

pub(crate) async fn principal(_req: IamRequest<'_>) -> Result<Response, ApiError> {
    Err(not_yet("SimulatePrincipalPolicy"))
}

pub(crate) async fn custom(_req: IamRequest<'_>) -> Result<Response, ApiError> {
    Err(not_yet("SimulateCustomPolicy"))
}
