//! Helpers shared by the unit tests.
#![allow(clippy::unwrap_used)]

use axum::http::{HeaderMap, HeaderName, HeaderValue};

use crate::common::request_id::RequestIds;

/// Request ids with fixed values, for exact comparisons of error documents.
pub(crate) fn fixed_ids() -> RequestIds {
    RequestIds::new("0123456789ABCDEF".into(), "aG9zdA==".into())
}

/// A header map from `(name, value)` pairs, in order (repeated names are appended).
pub(crate) fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            HeaderName::try_from(*k).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    h
}
