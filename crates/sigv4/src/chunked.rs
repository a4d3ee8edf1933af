//! `aws-chunked` request bodies (s3-objects.md §8): the framing, the chained per-chunk SigV4
//! signatures and the trailers, sans-IO.
//!
//! ```text
//! <hex size>;chunk-signature=<64 hex>\r\n<data>\r\n … 0;chunk-signature=<64 hex>\r\n
//! <trailer name>:<value>\r\n …  x-amz-trailer-signature:<64 hex>\r\n  \r\n
//! ```
//! (unsigned chunks carry no `;chunk-signature=`; trailers and the trailer signature only in the
//! `…-TRAILER` modes).
//!
//! [`ChunkedDecoder`] is fed the body in pieces of any size and hands the object data out as it
//! arrives, as slices of the pieces it was given: it holds at most one header or trailer line
//! ([`MAX_LINE`] bytes) and [`MAX_TRAILERS`] trailers.
//!
//! **Data is released before its chunk is verified.** A chunk signature covers the whole chunk,
//! which the protocol lets a client make arbitrarily large, so waiting for it would mean buffering
//! without bound. Instead the decoder hashes data as it passes and fails at the end of a chunk
//! whose signature does not match, as S3 and Garage do. The caller must therefore stage the data
//! and commit it only once [`ChunkedDecoder::finish`] has returned `Ok`.
//!
//! Recommended mapping of [`ChunkError`] to S3 errors:
//!
//! | error | status | S3 code |
//! |---|---|---|
//! | `SignatureDoesNotMatch` | 403 | `SignatureDoesNotMatch` |
//! | `IncompleteBody` | 400 | `IncompleteBody` |
//! | `DecodedLengthMismatch`, `decoded < declared` | 400 | `IncompleteBody` |
//! | `DecodedLengthMismatch`, `decoded > declared` | 400 | `InvalidRequest` |
//! | `Malformed` | 400 | `InvalidRequest` |
//! | `NotImplemented` | 501 | `NotImplemented` |
//!
//! The mode is chosen by the caller: [`ChunkedMode::from_content_sha256`] recognises the
//! `STREAMING-…` values, but aws-sdk-rust under SigV4A sends an unsigned-trailer body with
//! `x-amz-content-sha256: UNSIGNED-PAYLOAD` (§8.1), which only `Content-Encoding: aws-chunked`
//! reveals; decode that with [`ChunkedMode::UnsignedTrailer`].

use std::fmt;

use bytes::Bytes;
use hmac::Mac;
use sha2::{Digest, Sha256};

use crate::verify::{HmacSha256, hmac};
use crate::{Algorithm, Auth};

#[cfg(test)]
mod tests;

/// Longest chunk header or trailer line accepted, CRLF included (s3s allows 1 KiB; a signed
/// header is at most 16 hex digits + 83 bytes).
pub const MAX_LINE: usize = 4096;
/// Most trailers accepted, the trailer signature not counted (SDKs send one checksum).
pub const MAX_TRAILERS: usize = 16;

/// SHA-256 of the empty string, a fixed line of every chunk's string to sign.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const TRAILER_SIGNATURE: &str = "x-amz-trailer-signature";

/// How an aws-chunked body is signed, from its `x-amz-content-sha256` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkedMode {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: signed chunks, no trailers.
    Signed,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks and a signed trailer.
    SignedTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: unsigned chunks, unsigned trailers.
    UnsignedTrailer,
    /// `STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD[-TRAILER]` (SigV4A chunks): recognised but not
    /// verified here; [`ChunkedDecoder::new`] refuses it with [`ChunkError::NotImplemented`].
    SignedEcdsa,
}

impl ChunkedMode {
    /// `None` for anything that is not an aws-chunked value (a hex hash, `UNSIGNED-PAYLOAD`, and
    /// `STREAMING-UNSIGNED-PAYLOAD`, which is not a valid value).
    pub fn from_content_sha256(value: &str) -> Option<ChunkedMode> {
        match value {
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" => Some(ChunkedMode::Signed),
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" => Some(ChunkedMode::SignedTrailer),
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER" => Some(ChunkedMode::UnsignedTrailer),
            "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
            | "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER" => Some(ChunkedMode::SignedEcdsa),
            _ => None,
        }
    }
}

/// What verifying a signed chunk body needs: taken from the request's (seed) signature by the
/// authorizer, which alone knows the secret.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChunkSigningContext {
    /// The derived SigV4 key (`kSigning`), scoped to one date, Region and service — never the
    /// secret itself.
    pub signing_key: [u8; 32],
    /// The request's `X-Amz-Date`, e.g. `20130524T000000Z`.
    pub amz_date: String,
    /// `<date>/<region>/<service>/aws4_request`.
    pub scope: String,
    /// The `Signature=` of the request's Authorization header, lowercase hex.
    pub seed_signature: String,
}

impl ChunkSigningContext {
    /// The context for a request header-signed with `AWS4-HMAC-SHA256`; `None` for presigned
    /// URLs and SigV4A, whose chunks cannot be verified with an HMAC key.
    pub fn for_request(auth: &Auth, secret: &str) -> Option<ChunkSigningContext> {
        if auth.algorithm != Algorithm::HmacSha256 || auth.presigned.is_some() {
            return None;
        }
        let region = auth.region.as_deref()?;
        Some(ChunkSigningContext {
            signing_key: crate::signing_key(secret, &auth.date, region, &auth.service),
            amz_date: auth.amz_date.clone(),
            scope: crate::verify::scope(auth),
            seed_signature: auth.signature.clone(),
        })
    }

    fn chunk_string_to_sign(&self, previous: &str, data_sha256: &[u8]) -> String {
        format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{previous}\n{EMPTY_SHA256}\n{}",
            self.amz_date,
            self.scope,
            hex::encode(data_sha256)
        )
    }

    fn trailer_string_to_sign(&self, previous: &str, canonical_trailers: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{previous}\n{}",
            self.amz_date,
            self.scope,
            hex::encode(Sha256::digest(canonical_trailers.as_bytes()))
        )
    }

    fn sign(&self, string_to_sign: &str) -> [u8; 32] {
        hmac(&self.signing_key, string_to_sign.as_bytes())
    }

    /// Constant-time comparison of `provided` with the signature of `string_to_sign`.
    fn matches(&self, string_to_sign: &str, provided: &[u8; 32]) -> bool {
        HmacSha256::new_from_slice(&self.signing_key).is_ok_and(|mut mac| {
            mac.update(string_to_sign.as_bytes());
            mac.verify_slice(provided).is_ok()
        })
    }
}

// The key is as good as the secret for this day, Region and service: never print it.
impl fmt::Debug for ChunkSigningContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkSigningContext")
            .field("signing_key", &"<redacted>")
            .field("amz_date", &self.amz_date)
            .field("scope", &self.scope)
            .field("seed_signature", &self.seed_signature)
            .finish()
    }
}

/// Why an aws-chunked body was rejected; see the module docs for the S3 codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    /// A chunk or trailer signature is wrong.
    #[error("chunk signature does not match")]
    SignatureDoesNotMatch,
    /// The body ended before its final chunk and trailers.
    #[error("the body ended before the final chunk")]
    IncompleteBody,
    /// The chunk sizes do not add up to `x-amz-decoded-content-length`. `decoded` is the total
    /// at the point of failure: past `declared` as soon as a chunk header overshoots, otherwise
    /// the whole body's.
    #[error("decoded length {decoded} does not match x-amz-decoded-content-length {declared}")]
    DecodedLengthMismatch { declared: u64, decoded: u64 },
    /// Bad framing: the message says what (it contains no secret and no signature).
    #[error("malformed aws-chunked body: {0}")]
    Malformed(String),
    /// SigV4A chunk signatures are not verified.
    #[error("SigV4A-signed chunks are not implemented")]
    NotImplemented,
}

fn malformed(msg: &str) -> ChunkError {
    ChunkError::Malformed(msg.to_owned())
}

/// The trailers of a body, in received order: names lowercase, values trimmed, without
/// `x-amz-trailer-signature` (already verified).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trailers {
    pub fields: Vec<(String, String)>,
}

impl Trailers {
    /// The value of trailer `name` (lowercase).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Where the decoder is in the body. Line states collect their line in `ChunkedDecoder::line`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Header,
    Data {
        remaining: u64,
    },
    /// After a chunk's data, expecting CRLF; `cr`: the CR has been seen.
    DataEnd {
        cr: bool,
    },
    /// After the final (empty) chunk: trailer lines until an empty line.
    Trailers,
    Done,
}

/// The signature chain of a signed body.
struct Chain {
    ctx: ChunkSigningContext,
    /// The last verified signature (the seed at first), lowercase hex.
    previous: String,
    /// The signature announced by the current chunk's header.
    announced: [u8; 32],
    /// Hash of the current chunk's data so far.
    hasher: Sha256,
}

/// Decodes an aws-chunked body fed in arbitrary pieces; see the module docs.
pub struct ChunkedDecoder {
    mode: ChunkedMode,
    chain: Option<Chain>,
    declared: Option<u64>,
    decoded: u64,
    state: State,
    line: Vec<u8>,
    trailers: Vec<(String, String)>,
    trailer_signature: Option<[u8; 32]>,
    /// Set by the first error, returned again by every later call.
    failed: Option<ChunkError>,
}

impl ChunkedDecoder {
    /// `signing` is required for `Signed`/`SignedTrailer` (and ignored for `UnsignedTrailer`);
    /// `decoded_length` is `x-amz-decoded-content-length` when the request has it.
    ///
    /// Errors: `NotImplemented` for `SignedEcdsa`; `Malformed` for a signed mode without
    /// context (a request not header-signed with `AWS4-HMAC-SHA256`).
    pub fn new(
        mode: ChunkedMode,
        signing: Option<ChunkSigningContext>,
        decoded_length: Option<u64>,
    ) -> Result<ChunkedDecoder, ChunkError> {
        let chain = match mode {
            ChunkedMode::SignedEcdsa => return Err(ChunkError::NotImplemented),
            ChunkedMode::UnsignedTrailer => None,
            ChunkedMode::Signed | ChunkedMode::SignedTrailer => {
                let ctx = signing.ok_or_else(|| {
                    malformed("signed chunks need a request header-signed with AWS4-HMAC-SHA256")
                })?;
                Some(Chain {
                    previous: ctx.seed_signature.clone(),
                    ctx,
                    announced: [0; 32],
                    hasher: Sha256::new(),
                })
            }
        };
        Ok(ChunkedDecoder {
            mode,
            chain,
            declared: decoded_length,
            decoded: 0,
            state: State::Header,
            line: Vec::new(),
            trailers: Vec::new(),
            trailer_signature: None,
            failed: None,
        })
    }

    /// Consumes the next piece of the body, appending the object data it completes or contains
    /// to `out` (as slices of `input`). After an error the decoder stays failed; data appended
    /// before the error in the same call must be discarded with the rest.
    pub fn push(&mut self, input: Bytes, out: &mut Vec<Bytes>) -> Result<(), ChunkError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let result = self.consume(&input, out);
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }

    /// Call at the end of the body: checks it was complete and returns its trailers.
    ///
    /// A body may stop right after its last trailer line (or its final chunk) without the closing
    /// empty line, which some clients omit (s3-objects.md §8.4).
    pub fn finish(mut self) -> Result<Trailers, ChunkError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        match self.state {
            State::Done => {}
            State::Trailers
                if self.line.is_empty()
                    && (self.mode != ChunkedMode::SignedTrailer
                        || self.trailer_signature.is_some()) =>
            {
                self.end_trailers()?;
            }
            _ => return Err(ChunkError::IncompleteBody),
        }
        Ok(Trailers {
            fields: self.trailers,
        })
    }

    fn consume(&mut self, input: &Bytes, out: &mut Vec<Bytes>) -> Result<(), ChunkError> {
        let mut pos = 0;
        while let Some(rest) = input.get(pos..).filter(|r| !r.is_empty()) {
            match self.state {
                State::Header => {
                    let (used, complete) = self.take_line(rest, false)?;
                    pos += used;
                    if complete {
                        self.on_header()?;
                    }
                }
                State::Data { remaining } => {
                    let n = usize::try_from(remaining).map_or(rest.len(), |r| r.min(rest.len()));
                    let data = input.slice(pos..pos + n);
                    pos += n;
                    if let Some(chain) = &mut self.chain {
                        chain.hasher.update(&data);
                    }
                    out.push(data);
                    // n <= remaining, so this cannot underflow.
                    let remaining = remaining - n as u64;
                    if remaining == 0 {
                        self.verify_chunk()?;
                        self.state = State::DataEnd { cr: false };
                    } else {
                        self.state = State::Data { remaining };
                    }
                }
                State::DataEnd { cr } => {
                    self.state = match (cr, rest.first()) {
                        (false, Some(b'\r')) => State::DataEnd { cr: true },
                        (true, Some(b'\n')) => State::Header,
                        _ => return Err(malformed("chunk data is not followed by CRLF")),
                    };
                    pos += 1;
                }
                State::Trailers => {
                    let (used, complete) = self.take_line(rest, true)?;
                    pos += used;
                    if complete {
                        self.on_trailer_line()?;
                    }
                }
                State::Done => return Err(malformed("data after the end of the body")),
            }
        }
        Ok(())
    }

    /// Appends `input` up to and including the next CRLF to `line`: (bytes used, line complete).
    /// A bare LF is refused in chunk headers; in trailers it is kept (some clients end a value
    /// with `\n` before the CRLF, §8.4) and judged when the line is parsed.
    fn take_line(&mut self, input: &[u8], trailer: bool) -> Result<(usize, bool), ChunkError> {
        let mut start = 0;
        loop {
            let rest = input.get(start..).unwrap_or_default();
            let Some(i) = rest.iter().position(|&b| b == b'\n') else {
                self.append_line(rest)?;
                return Ok((input.len(), false));
            };
            let end = start + i + 1;
            self.append_line(input.get(start..end).unwrap_or_default())?;
            if self.line.ends_with(b"\r\n") {
                return Ok((end, true));
            }
            if !trailer {
                return Err(malformed("chunk header not terminated by CRLF"));
            }
            start = end;
        }
    }

    fn append_line(&mut self, bytes: &[u8]) -> Result<(), ChunkError> {
        self.line.extend_from_slice(bytes);
        if self.line.len() > MAX_LINE {
            return Err(malformed("line too long"));
        }
        Ok(())
    }

    /// The collected line without its CRLF, leaving `line` empty for the next one.
    fn take_complete_line(&mut self) -> Vec<u8> {
        let mut line = std::mem::take(&mut self.line);
        line.truncate(line.len().saturating_sub(2));
        line
    }

    fn on_header(&mut self) -> Result<(), ChunkError> {
        let line = self.take_complete_line();
        let (size, signature) = parse_header(&line, self.chain.is_some())?;
        let decoded = self
            .decoded
            .checked_add(size)
            .ok_or_else(|| malformed("chunk sizes overflow"))?;
        if let Some(declared) = self.declared
            && (decoded > declared || (size == 0 && decoded != declared))
        {
            return Err(ChunkError::DecodedLengthMismatch { declared, decoded });
        }
        self.decoded = decoded;
        if let (Some(chain), Some(signature)) = (&mut self.chain, signature) {
            chain.announced = signature;
        }
        if size == 0 {
            self.verify_chunk()?;
            self.state = State::Trailers;
        } else {
            self.state = State::Data { remaining: size };
        }
        Ok(())
    }

    /// Checks the current chunk's announced signature against its data, and moves the chain on.
    fn verify_chunk(&mut self) -> Result<(), ChunkError> {
        let Some(chain) = &mut self.chain else {
            return Ok(());
        };
        let hash = chain.hasher.finalize_reset();
        let sts = chain.ctx.chunk_string_to_sign(&chain.previous, &hash);
        if !chain.ctx.matches(&sts, &chain.announced) {
            return Err(ChunkError::SignatureDoesNotMatch);
        }
        chain.previous = hex::encode(chain.announced);
        Ok(())
    }

    fn on_trailer_line(&mut self) -> Result<(), ChunkError> {
        let mut line = self.take_complete_line();
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        if line.is_empty() {
            return self.end_trailers();
        }
        let (name, value) = parse_trailer(&line)?;
        if self.trailer_signature.is_some() {
            return Err(malformed("trailer after x-amz-trailer-signature"));
        }
        if name == TRAILER_SIGNATURE {
            if self.mode != ChunkedMode::SignedTrailer {
                return Err(malformed("unexpected x-amz-trailer-signature"));
            }
            self.trailer_signature = Some(parse_signature(&value)?);
            return Ok(());
        }
        if self.mode == ChunkedMode::Signed {
            return Err(malformed(
                "trailers need a STREAMING-…-TRAILER x-amz-content-sha256",
            ));
        }
        if self.trailers.len() >= MAX_TRAILERS {
            return Err(malformed("too many trailers"));
        }
        if self.trailers.iter().any(|(n, _)| *n == name) {
            return Err(malformed("duplicate trailer"));
        }
        self.trailers.push((name, value));
        Ok(())
    }

    fn end_trailers(&mut self) -> Result<(), ChunkError> {
        if self.mode == ChunkedMode::SignedTrailer
            && let Some(chain) = &self.chain
        {
            let provided = self
                .trailer_signature
                .ok_or_else(|| malformed("missing x-amz-trailer-signature"))?;
            let canonical = canonical_trailers(self.trailers.iter().map(|(n, v)| (n, v)));
            let sts = chain
                .ctx
                .trailer_string_to_sign(&chain.previous, &canonical);
            if !chain.ctx.matches(&sts, &provided) {
                return Err(ChunkError::SignatureDoesNotMatch);
            }
        }
        self.state = State::Done;
        Ok(())
    }
}

/// `<hex size>` or `<hex size>;chunk-signature=<64 hex>` (the latter exactly when `signed`).
fn parse_header(line: &[u8], signed: bool) -> Result<(u64, Option<[u8; 32]>), ChunkError> {
    let line = std::str::from_utf8(line).map_err(|_| malformed("chunk header is not ASCII"))?;
    let (size, extension) = match line.split_once(';') {
        Some((size, ext)) => (size, Some(ext)),
        None => (line, None),
    };
    if size.is_empty() || size.len() > 16 || !size.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(malformed("invalid chunk size"));
    }
    let size = u64::from_str_radix(size, 16).map_err(|_| malformed("invalid chunk size"))?;
    let signature = match (extension, signed) {
        (None, false) => None,
        (Some(ext), true) => {
            let sig = ext
                .strip_prefix("chunk-signature=")
                .ok_or_else(|| malformed("unexpected chunk extension"))?;
            Some(parse_signature(sig)?)
        }
        (None, true) => return Err(malformed("missing chunk-signature")),
        (Some(_), false) => return Err(malformed("unexpected chunk extension")),
    };
    Ok((size, signature))
}

fn parse_signature(hex_sig: &str) -> Result<[u8; 32], ChunkError> {
    let mut out = [0; 32];
    hex::decode_to_slice(hex_sig, &mut out).map_err(|_| malformed("invalid signature"))?;
    Ok(out)
}

/// `name:value` → (lowercase name, trimmed value).
fn parse_trailer(line: &[u8]) -> Result<(String, String), ChunkError> {
    let line = std::str::from_utf8(line).map_err(|_| malformed("trailer is not UTF-8"))?;
    let (name, value) = line
        .split_once(':')
        .ok_or_else(|| malformed("trailer without ':'"))?;
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(malformed("invalid trailer name"));
    }
    let value = value.trim_matches([' ', '\t']);
    if value.chars().any(char::is_control) {
        return Err(malformed("invalid trailer value"));
    }
    Ok((name.to_ascii_lowercase(), value.to_owned()))
}

/// What the trailer signature covers: `name:value\n` per trailer (lowercase name, trimmed
/// value), sorted by name, as aws-sigv4 and s3s compute it (§8.3; Garage differs).
fn canonical_trailers<'a>(trailers: impl Iterator<Item = (&'a String, &'a String)>) -> String {
    let mut lines: Vec<String> = trailers
        .map(|(n, v)| {
            format!(
                "{}:{}\n",
                n.to_ascii_lowercase(),
                v.trim_matches([' ', '\t'])
            )
        })
        .collect();
    lines.sort_unstable();
    lines.concat()
}

/// Client side, for tests and the load harness: `data` as signed chunks of `chunk_size` bytes
/// (the last shorter), the final empty chunk, then — if `trailers` is not empty — the trailers
/// and their signature (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`), else nothing more
/// (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`). A `chunk_size` of 0 is taken as 1.
pub fn encode_signed_chunks(
    ctx: &ChunkSigningContext,
    data: &[u8],
    chunk_size: usize,
    trailers: &[(String, String)],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 256);
    let mut previous = ctx.seed_signature.clone();
    let chunks = data.chunks(chunk_size.max(1)).chain([&[][..]]);
    for chunk in chunks {
        let sts = ctx.chunk_string_to_sign(&previous, &Sha256::digest(chunk));
        previous = hex::encode(ctx.sign(&sts));
        out.extend_from_slice(
            format!("{:x};chunk-signature={previous}\r\n", chunk.len()).as_bytes(),
        );
        if !chunk.is_empty() {
            out.extend_from_slice(chunk);
            out.extend_from_slice(b"\r\n");
        }
    }
    if !trailers.is_empty() {
        for (name, value) in trailers {
            out.extend_from_slice(format!("{name}:{value}\r\n").as_bytes());
        }
        let canonical = canonical_trailers(trailers.iter().map(|(n, v)| (n, v)));
        let signature = hex::encode(ctx.sign(&ctx.trailer_string_to_sign(&previous, &canonical)));
        out.extend_from_slice(format!("{TRAILER_SIGNATURE}:{signature}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}
