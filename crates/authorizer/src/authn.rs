//! Authentication: who signed this request, and is the signature right?

use std::sync::Arc;

use mrap_model::{AccessKeyRecord, ApiError, ErrorCode, KeyStatus};
use mrap_proto::authz::{AuthzRequest, ChunkSigning};
use mrap_sigv4::chunked::{ChunkSigningContext, ChunkedMode};
use mrap_sigv4::{Auth, Error as SigError, Options, Request, VerifierKey};

use crate::{ReadModel, read_model::UserView};

/// A request whose signature checked out.
pub struct Authenticated {
    pub key: Arc<AccessKeyRecord>,
    /// The IAM user who signed, with their policies; `None` for an account root.
    pub user: Option<Arc<UserView>>,
    /// Set when the body is signed aws-chunked: see `Grant::chunk_signing`.
    pub chunk_signing: Option<ChunkSigning>,
    /// `s3:signatureversion`: `AWS4-HMAC-SHA256` or `AWS4-ECDSA-P256-SHA256`.
    pub signature_version: &'static str,
    /// `s3:authType`: `REST-HEADER` or `REST-QUERY-STRING` (presigned).
    pub auth_type: &'static str,
    /// The credential scope's Region (`aws:RequestedRegion`); `None` for SigV4A.
    pub region: Option<String>,
    /// When the request was signed, Unix seconds (`s3:signatureAge`).
    pub signed_at: Option<i64>,
    /// What verifies this access key's signatures without the secret, for a header-signed
    /// request (what a reusable grant hands the gateway); `None` for presigned URLs.
    pub verifier: Option<VerifierKey>,
}

/// `Ok(None)`: the request carries no signature at all (anonymous).
pub async fn authenticate(
    model: &ReadModel,
    req: &AuthzRequest,
    now_unix: i64,
) -> Result<Option<Authenticated>, ApiError> {
    let wire = Request {
        method: &req.method,
        path: &req.path,
        query: &req.query,
        headers: &req.headers,
    };
    let auth = match mrap_sigv4::parse(&wire) {
        Ok(auth) => auth,
        Err(SigError::Missing) => return Ok(None),
        Err(e) => return Err(to_api(e)),
    };
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
    let unknown_key = || {
        ApiError::new(
            ErrorCode::InvalidAccessKeyId,
            "The AWS Access Key Id you provided does not exist in our records.",
        )
    };
    // An inactive key is refused like an unknown one (AWS does not say which it is).
    let key = model
        .access_key(&auth.access_key)
        .await?
        .filter(|k| k.status == KeyStatus::Active)
        .ok_or_else(unknown_key)?;
    // A user's key works only while that very user exists (not a namesake created later).
    let user = match &key.user {
        None => None,
        Some(owner) => Some(
            model
                .user(&key.account, &owner.name)
                .await?
                .filter(|u| u.record.user_id == owner.user_id)
                .ok_or_else(unknown_key)?,
        ),
    };
    let accepted = Options::accepted(service, req.s3_control);
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
    let verified_with = mrap_sigv4::verify_cached(
        &wire,
        &auth,
        payload_hash,
        &key.secret,
        now_unix,
        accepted,
        model.v4a_keys(),
    )
    .map_err(to_api)?;
    let chunk_signing = chunk_signing(&auth, payload_hash, &key.secret);
    // A presigned URL's signature is the query's; only header-signed requests are reused.
    let verifier = auth.presigned.is_none().then_some(verified_with);
    Ok(Some(Authenticated {
        verifier,
        key,
        user,
        chunk_signing,
        region: auth.region.clone(),
        signed_at: auth.signed_at(),
        signature_version: auth.algorithm.name(),
        auth_type: if auth.presigned.is_some() {
            "REST-QUERY-STRING"
        } else {
            "REST-HEADER"
        },
    }))
}

/// What the gateway needs to verify the chunk signatures of a signed aws-chunked body, derived
/// here because only the authorizer holds the secret. `None` for other bodies, and for requests
/// whose chunks an HMAC key cannot verify (presigned URLs, SigV4A): the gateway refuses those.
fn chunk_signing(auth: &Auth, payload_hash: &str, secret: &str) -> Option<ChunkSigning> {
    match ChunkedMode::from_content_sha256(payload_hash)? {
        ChunkedMode::Signed | ChunkedMode::SignedTrailer => {}
        ChunkedMode::UnsignedTrailer | ChunkedMode::SignedEcdsa => return None,
    }
    let ctx = ChunkSigningContext::for_request(auth, secret)?;
    Some(ChunkSigning {
        signing_key: ctx.signing_key.to_vec(),
        amz_date: ctx.amz_date,
        scope: ctx.scope,
        seed_signature: ctx.seed_signature,
    })
}

/// The refusal of an anonymous request that no public policy allows.
pub fn anonymous_forbidden() -> ApiError {
    ApiError::new(
        ErrorCode::AccessDenied,
        "Anonymous access is forbidden for this operation",
    )
}

fn to_api(e: SigError) -> ApiError {
    match e {
        SigError::Missing => anonymous_forbidden(),
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

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use mrap_sigv4::chunked::{ChunkError, ChunkedDecoder};

    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const STREAMING: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";

    /// The AWS documentation's chunked-upload example, signed with the sigv4 client signer at its
    /// date (20130524T000000Z): the signature is the documented seed.
    fn example_auth(payload_hash: &str) -> Auth {
        let headers: Vec<(String, String)> = [
            ("host", "s3.amazonaws.com"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("x-amz-content-sha256", payload_hash),
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "66560"),
            ("content-length", "66824"),
        ]
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
        let path = "/examplebucket/chunkObject.txt";
        let added = mrap_sigv4::sign(
            "PUT",
            path,
            "",
            &headers,
            payload_hash,
            "AKIAIOSFODNN7EXAMPLE",
            SECRET,
            "us-east-1",
            "s3",
            1_369_353_600,
            Options::S3,
        );
        let all: Vec<(String, String)> = headers.into_iter().chain(added).collect();
        let wire = Request {
            method: "PUT",
            path,
            query: "",
            headers: &all,
        };
        mrap_sigv4::parse(&wire).expect("the signer's output parses")
    }

    #[test]
    fn streaming_signed_request_carries_a_context_that_verifies_its_chunks() {
        let auth = example_auth(STREAMING);
        let cs = chunk_signing(&auth, STREAMING, SECRET).expect("a context");
        assert_eq!(
            cs.seed_signature,
            "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
        );
        assert_eq!(cs.scope, "20130524/us-east-1/s3/aws4_request");
        assert_eq!(cs.amz_date, "20130524T000000Z");
        let ctx = ChunkSigningContext {
            signing_key: cs.signing_key.as_slice().try_into().expect("32 bytes"),
            amz_date: cs.amz_date,
            scope: cs.scope,
            seed_signature: cs.seed_signature,
        };
        let chunk = |sig: &str, data: &[u8]| {
            let mut c = format!("{:x};chunk-signature={sig}\r\n", data.len()).into_bytes();
            c.extend_from_slice(data);
            Bytes::from(c)
        };
        let first = chunk(
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
            &[b'a'; 65536],
        );
        let mut out = Vec::new();
        let mut decoder =
            ChunkedDecoder::new(ChunkedMode::Signed, Some(ctx.clone()), Some(66560)).expect("new");
        decoder.push(first.clone(), &mut out).expect("first chunk");
        decoder
            .push(Bytes::from_static(b"\r\n"), &mut out)
            .expect("first chunk verified");
        assert_eq!(out.concat().len(), 65536);
        // The same chunk under another request's seed does not verify.
        let other = ChunkSigningContext {
            seed_signature: "0".repeat(64),
            ..ctx
        };
        let mut decoder = ChunkedDecoder::new(ChunkedMode::Signed, Some(other), None).expect("new");
        assert_eq!(
            decoder.push(first, &mut out).err(),
            Some(ChunkError::SignatureDoesNotMatch)
        );
    }

    #[test]
    fn only_header_signed_hmac_streaming_requests_get_a_context() {
        for hash in [
            "UNSIGNED-PAYLOAD",
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ] {
            assert!(
                chunk_signing(&example_auth(hash), hash, SECRET).is_none(),
                "{hash}"
            );
        }
        let trailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
        assert!(chunk_signing(&example_auth(trailer), trailer, SECRET).is_some());
        let presigned = Auth {
            presigned: Some(mrap_sigv4::Presigned { expires_secs: 60 }),
            ..example_auth(STREAMING)
        };
        assert!(chunk_signing(&presigned, STREAMING, SECRET).is_none());
    }
}
