//! Authentication: who signed this request, and is the signature right?

use mrap_model::{AccessKeyRecord, ApiError, ErrorCode};
use mrap_proto::authz::AuthzRequest;
use mrap_sigv4::{Error as SigError, Options, Request};

use crate::ReadModel;

/// Options::S3 plus the double-encoded form aws-sdk-rust produces with a custom endpoint resolver.
const S3_CONTROL: [Options; 2] = [
    Options::S3,
    Options {
        double_encode: true,
        normalize_path: false,
    },
];

pub async fn authenticate(
    model: &ReadModel,
    req: &AuthzRequest,
    now_unix: i64,
) -> Result<AccessKeyRecord, ApiError> {
    let wire = Request {
        method: &req.method,
        path: &req.path,
        query: &req.query,
        headers: &req.headers,
    };
    let auth = mrap_sigv4::parse(&wire).map_err(to_api)?;
    let service = req.signing_service.as_deref().unwrap_or("s3");
    if auth.service != service {
        return Err(ApiError::new(
            ErrorCode::AuthorizationHeaderMalformed,
            format!(
                "The authorization header is malformed; incorrect service \"{}\". This endpoint belongs to \"{service}\".",
                auth.service
            ),
        ));
    }
    let key = model.access_key(&auth.access_key).await.ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidAccessKeyId,
            "The AWS Access Key Id you provided does not exist in our records.",
        )
    })?;
    let accepted: &[Options] = match (service, req.s3_control) {
        ("s3", true) => &S3_CONTROL,
        ("s3", false) => &[Options::S3],
        // Other services canonicalise the generic way (double encoding, normalised path).
        _ => &[Options::DEFAULT, Options::S3],
    };
    // A presigned URL cannot carry a body hash: S3 signs it as UNSIGNED-PAYLOAD unless the
    // client sent (and signed) an explicit x-amz-content-sha256.
    let declared = req
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("x-amz-content-sha256"));
    let payload_hash = if auth.presigned.is_some() && !declared {
        "UNSIGNED-PAYLOAD"
    } else {
        req.payload_hash.as_str()
    };
    mrap_sigv4::verify(&wire, &auth, payload_hash, &key.secret, now_unix, accepted)
        .map_err(to_api)?;
    Ok(key)
}

fn to_api(e: SigError) -> ApiError {
    match e {
        SigError::Missing => ApiError::new(
            ErrorCode::AccessDenied,
            "Anonymous access is forbidden for this operation",
        ),
        SigError::Malformed(m) => ApiError::new(
            ErrorCode::AuthorizationHeaderMalformed,
            format!("The authorization header is malformed; {m}"),
        ),
        SigError::UnsupportedAlgorithm(a) => ApiError::new(
            ErrorCode::InvalidArgument,
            format!("Unsupported Authorization Type: {a}"),
        ),
        SigError::TimeSkewed => ApiError::new(
            ErrorCode::RequestTimeTooSkewed,
            "The difference between the request time and the current time is too large.",
        ),
        SigError::Expired => ApiError::new(ErrorCode::AccessDenied, "Request has expired"),
        SigError::SignatureMismatch { .. } => ApiError::new(
            ErrorCode::SignatureDoesNotMatch,
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        ),
    }
}
