//! The outcome vocabulary of a job step.

use mrap_model::ErrorCode;
use mrap_proto::{RpcError, store::Failure};

/// Why a step did not complete.
#[derive(Debug)]
pub enum StepError {
    /// The operation cannot succeed: end it `FAILED` with this error.
    Fail(Failure),
    /// Something transient (a backend or NATS hiccup): redeliver the job later.
    Retry(String),
}

pub type Step<T> = Result<T, StepError>;

pub fn fail(code: ErrorCode, message: impl Into<String>, resource: impl Into<String>) -> StepError {
    StepError::Fail(Failure {
        code,
        message: message.into(),
        resource: resource.into(),
    })
}

/// A store refusal is final (with its code); anything else is worth retrying.
pub fn from_rpc(e: RpcError, resource: &str) -> StepError {
    match e {
        RpcError::Api(api) if api.is_retryable() => StepError::Retry(api.message),
        RpcError::Api(api) => fail(api.code, api.message, resource),
        other => StepError::Retry(other.to_string()),
    }
}
