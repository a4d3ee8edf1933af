//! Object data in (PutObject, UploadPart, and the copies): the body streamed — through the
//! aws-chunked decoder when the client framed it so — into a Region's staging area, and every
//! integrity claim the request makes (`x-amz-content-sha256`, `Content-MD5`, `x-amz-checksum-*`
//! in a header or a trailer, chunk signatures) checked against what was staged before anything
//! becomes visible. The body is never held in memory.

use std::{
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
};

use axum::http::HeaderMap;
use base64::Engine;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use mrap_model::{ApiError, ErrorCode};
use mrap_proto::authz::Grant;
use mrap_sigv4::chunked::{ChunkError, ChunkSigningContext, ChunkedDecoder, ChunkedMode, Trailers};
use mrap_storage::{ByteStream, RegionStore, Staged, Wanted};

use crate::{
    common::checksum::{self, Declared},
    s3::{
        S3Request,
        storage_error::{entity_too_large, to_api},
    },
};

/// The largest object a single PUT (or a copy) may create.
pub(crate) const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// How the body is framed and what it must hash to.
struct Plan {
    chunked: Option<ChunkedMode>,
    /// `x-amz-content-sha256` when it is the hex SHA-256 of the (plain) body.
    sha256: Option<[u8; 32]>,
    /// The data length the client announced (`Content-Length`, or for aws-chunked bodies
    /// `x-amz-decoded-content-length`).
    length: Option<u64>,
    checksum: Option<Declared>,
    content_md5: Option<[u8; 16]>,
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn parse_length(value: Option<&str>) -> Result<Option<u64>, ApiError> {
    value
        .map(|v| {
            v.parse::<u64>().map_err(|_| {
                ApiError::new(
                    ErrorCode::InvalidArgument,
                    "The content length is not a number.",
                )
            })
        })
        .transpose()
}

fn plan(headers: &HeaderMap, max: u64) -> Result<Plan, ApiError> {
    let content_sha256 = header(headers, "x-amz-content-sha256").unwrap_or("UNSIGNED-PAYLOAD");
    let aws_chunked_encoding = header(headers, "content-encoding").is_some_and(|v| {
        v.split(',')
            .any(|e| e.trim().eq_ignore_ascii_case("aws-chunked"))
    });
    // aws-sdk-rust under SigV4A frames the body without saying so in x-amz-content-sha256.
    let chunked = ChunkedMode::from_content_sha256(content_sha256).or_else(|| {
        (aws_chunked_encoding && content_sha256 == "UNSIGNED-PAYLOAD")
            .then_some(ChunkedMode::UnsignedTrailer)
    });
    let sha256 = match (chunked, content_sha256) {
        (None, "UNSIGNED-PAYLOAD") | (Some(_), _) => None,
        (None, hex_value) => {
            let mut digest = [0u8; 32];
            hex::decode_to_slice(hex_value, &mut digest).map_err(|_| {
                ApiError::new(
                    ErrorCode::InvalidArgument,
                    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-… or a hex SHA-256.",
                )
            })?;
            Some(digest)
        }
    };
    let length = if chunked.is_some() {
        parse_length(header(headers, "x-amz-decoded-content-length"))?
    } else {
        let length = parse_length(header(headers, "content-length"))?;
        if length.is_none() {
            return Err(ApiError::new(
                ErrorCode::MissingContentLength,
                "You must provide the Content-Length HTTP header.",
            ));
        }
        length
    };
    if length.is_some_and(|l| l > max) {
        return Err(entity_too_large(max));
    }
    let content_md5 = match headers.get("content-md5") {
        None => None,
        Some(v) => Some(
            base64::engine::general_purpose::STANDARD
                .decode(v.as_bytes().trim_ascii())
                .ok()
                .and_then(|d| <[u8; 16]>::try_from(d).ok())
                .ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::InvalidDigest,
                        "The Content-MD5 you specified is not valid.",
                    )
                })?,
        ),
    };
    Ok(Plan {
        chunked,
        sha256,
        length,
        checksum: checksum::declared(headers)?,
        content_md5,
    })
}

/// Streams the body of a PutObject / UploadPart into its bucket's staging area in `store` and
/// verifies it; `max` is the largest body accepted. Signed aws-chunked bodies are verified with
/// the key in the authorizer's grant.
pub(crate) async fn ingest(
    req: &S3Request<'_>,
    store: &dyn RegionStore,
    max: u64,
) -> Result<Staged, ApiError> {
    let bucket = req.bucket()?.as_str();
    let headers = &req.parts.headers;
    let body = req.take_stream();
    let signing = chunk_context(&req.grant);
    let plan = plan(headers, max)?;
    let wanted = Wanted {
        sha256: plan.sha256.is_some(),
        checksum: plan.checksum.as_ref().map(|d| d.algorithm),
    };
    let raw = body
        .into_data_stream()
        .map(|r| r.map_err(|_| incomplete_body_io()));
    let trailers = Arc::new(Mutex::new(None));
    let stream: ByteStream = match plan.chunked {
        None => Box::pin(raw),
        Some(mode) => {
            let decoder = ChunkedDecoder::new(mode, signing, plan.length).map_err(chunk_error)?;
            Box::pin(Dechunk {
                inner: Box::pin(raw),
                decoder: Some(decoder),
                pending: Vec::new(),
                trailers: trailers.clone(),
            })
        }
    };
    let staged = store
        .stage(bucket, stream, wanted, max)
        .await
        .map_err(|e| to_api(e, bucket))?;
    let digests = staged.digests();

    if plan.chunked.is_none()
        && let Some(length) = plan.length
        && digests.size != length
    {
        return Err(incomplete_body());
    }
    if let (Some(want), Some(got)) = (plan.sha256, digests.sha256)
        && want != got
    {
        return Err(ApiError::new(
            ErrorCode::XAmzContentSHA256Mismatch,
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        ));
    }
    if let Some(want) = plan.content_md5
        && want != digests.md5
    {
        return Err(ApiError::new(
            ErrorCode::BadDigest,
            "The Content-MD5 you specified did not match what we received.",
        ));
    }
    if let Some(declared) = &plan.checksum {
        let trailer_value = trailers.lock().ok().and_then(|t| {
            t.as_ref()
                .and_then(|t: &Trailers| t.get(declared.algorithm.header()).map(str::to_owned))
        });
        let announced_trailer = headers
            .get("x-amz-trailer")
            .and_then(|v| v.to_str().ok())
            .and_then(checksum::algorithm_of_header)
            == Some(declared.algorithm);
        let expected = match (&declared.value, trailer_value) {
            (Some(v), _) => Some(v.clone()),
            (None, Some(t)) => Some(checksum::decode_value(declared.algorithm, t.as_bytes())?),
            (None, None) if announced_trailer && plan.chunked.is_some() => {
                return Err(ApiError::new(
                    ErrorCode::InvalidRequest,
                    format!(
                        "The body did not carry the trailer {} that x-amz-trailer announced.",
                        declared.algorithm.header()
                    ),
                ));
            }
            (None, None) => None,
        };
        let computed = digests.checksum.as_ref().map(|c| &c.value);
        if let Some(expected) = expected
            && computed != Some(&expected)
        {
            return Err(checksum::mismatch(declared.algorithm));
        }
    }
    Ok(staged)
}

/// What verifying a signed aws-chunked body needs, from the authorizer's grant.
fn chunk_context(grant: &Grant) -> Option<ChunkSigningContext> {
    let signing = grant.chunk_signing.as_ref()?;
    Some(ChunkSigningContext {
        signing_key: signing.signing_key.as_slice().try_into().ok()?,
        amz_date: signing.amz_date.clone(),
        scope: signing.scope.clone(),
        seed_signature: signing.seed_signature.clone(),
    })
}

fn incomplete_body() -> ApiError {
    ApiError::new(
        ErrorCode::IncompleteBody,
        "You did not provide the number of bytes specified by the Content-Length HTTP header.",
    )
}

fn incomplete_body_io() -> std::io::Error {
    std::io::Error::other(incomplete_body())
}

/// The S3 error for a refused aws-chunked body (mapping from `mrap_sigv4::chunked`).
fn chunk_error(e: ChunkError) -> ApiError {
    match e {
        ChunkError::SignatureDoesNotMatch => ApiError::new(
            ErrorCode::SignatureDoesNotMatch,
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        ),
        ChunkError::IncompleteBody => incomplete_body(),
        ChunkError::DecodedLengthMismatch { declared, decoded } if decoded < declared => {
            incomplete_body()
        }
        ChunkError::DecodedLengthMismatch { .. } => ApiError::new(
            ErrorCode::InvalidRequest,
            "The decoded body is longer than x-amz-decoded-content-length.",
        ),
        ChunkError::Malformed(why) => ApiError::new(
            ErrorCode::InvalidRequest,
            format!("The aws-chunked body is malformed: {why}"),
        ),
        ChunkError::NotImplemented => ApiError::new(
            ErrorCode::NotImplemented,
            "SigV4A-signed chunked bodies (STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD) are not supported.",
        ),
    }
}

/// The object data of an aws-chunked body, decoded as it streams; at its end the trailers are
/// left in `trailers` for the checks after staging.
struct Dechunk {
    inner: ByteStream,
    decoder: Option<ChunkedDecoder>,
    /// Data decoded from the last piece, not yet handed out (front first).
    pending: Vec<Bytes>,
    trailers: Arc<Mutex<Option<Trailers>>>,
}

impl Stream for Dechunk {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if !this.pending.is_empty() {
                return Poll::Ready(Some(Ok(this.pending.remove(0))));
            }
            let Some(decoder) = this.decoder.as_mut() else {
                return Poll::Ready(None);
            };
            match this.inner.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => {
                    this.decoder = None;
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(Some(Ok(piece))) => {
                    let mut out = Vec::new();
                    if let Err(e) = decoder.push(piece, &mut out) {
                        this.decoder = None;
                        return Poll::Ready(Some(Err(std::io::Error::other(chunk_error(e)))));
                    }
                    this.pending = out;
                }
                Poll::Ready(None) => {
                    let Some(decoder) = this.decoder.take() else {
                        return Poll::Ready(None);
                    };
                    return match decoder.finish() {
                        Ok(trailers) => {
                            if let Ok(mut slot) = this.trailers.lock() {
                                *slot = Some(trailers);
                            }
                            Poll::Ready(None)
                        }
                        Err(e) => Poll::Ready(Some(Err(std::io::Error::other(chunk_error(e))))),
                    };
                }
            }
        }
    }
}
