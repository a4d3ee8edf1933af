//! The SigV4 credential scope's service name, read (not verified) from a request so that the
//! gateway can tell an Access Analyzer call from an S3 one.
//!
//! `Credential=AKID/20260101/us-east-1/access-analyzer/aws4_request` (SigV4, header form),
//! `Credential=AKID/20260101/access-analyzer/aws4_request` (SigV4A) or the presigned
//! `X-Amz-Credential` query parameter: the service is the label before `aws4_request`.
//! Whether the signature is right is the authorizer's business; a request that lies about its
//! service here is routed to that service's endpoint and then refused there.

use axum::http::{HeaderMap, header};
use percent_encoding::percent_decode_str;

/// The service of the request's credential scope, if it names one.
pub(crate) fn service(headers: &HeaderMap, query: &str) -> Option<String> {
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        return from_authorization(auth);
    }
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| k.eq_ignore_ascii_case("X-Amz-Credential"))
        .and_then(|(_, v)| service_of(&percent_decode_str(v).decode_utf8_lossy()))
}

fn from_authorization(value: &str) -> Option<String> {
    let start = value.find("Credential=")? + "Credential=".len();
    let credential = value[start..]
        .split(|c: char| c == ',' || c.is_whitespace())
        .next()?;
    service_of(credential)
}

/// `AKID/date/[region/]service/aws4_request` → `service`.
fn service_of(credential: &str) -> Option<String> {
    let mut labels = credential.rsplit('/');
    if labels.next()? != "aws4_request" {
        return None;
    }
    let service = labels.next()?;
    // At least access key and date before it.
    (labels.count() >= 2 && !service.is_empty()).then(|| service.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use axum::http::HeaderValue;

    use super::*;

    fn with_auth(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn the_service_comes_from_the_authorization_header() {
        let h = with_auth(
            "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/access-analyzer/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
        );
        assert_eq!(service(&h, "").as_deref(), Some("access-analyzer"));
        let h = with_auth(
            "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=00",
        );
        assert_eq!(service(&h, "").as_deref(), Some("s3"));
        // SigV4A: no Region in the scope
        let h = with_auth(
            "AWS4-ECDSA-P256-SHA256 Credential=AKID/20260101/s3/aws4_request, SignedHeaders=host, Signature=00",
        );
        assert_eq!(service(&h, "").as_deref(), Some("s3"));
    }

    #[test]
    fn presigned_urls_name_it_in_the_query() {
        let q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=00";
        assert_eq!(service(&HeaderMap::new(), q).as_deref(), Some("s3"));
    }

    #[test]
    fn anything_else_names_no_service() {
        assert_eq!(service(&HeaderMap::new(), ""), None);
        assert_eq!(service(&HeaderMap::new(), "policy"), None);
        for bad in [
            "x",
            "AWS4-HMAC-SHA256 Credential=",
            "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3",
            "AWS4-HMAC-SHA256 Credential=s3/aws4_request",
            "AWS4-HMAC-SHA256 Credential=AKID/20260101//aws4_request",
            "AWS AKID:signature",
        ] {
            assert_eq!(service(&with_auth(bad), ""), None, "{bad}");
        }
    }
}
