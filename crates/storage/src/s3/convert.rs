//! Translations between the S3 client's types and ours: errors, times, checksums, the reserved
//! metadata entry, tagging headers and URL-encoded listing keys.

use crate::{Checksum, ChecksumAlgorithm, ChecksumType, Error, ObjectMeta};
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::DateTime;
use aws_sdk_s3::types::{ChecksumAlgorithm as SdkAlgorithm, ChecksumType as SdkType};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

/// The user-metadata entry (`x-amz-meta-mrap`) holding what S3 metadata headers cannot carry
/// faithfully; see the module docs.
pub(super) const RESERVED_META: &str = "mrap";

/// Maps a backend failure to our error. Codes with a variant of their own become it; anything
/// else is `Backend` with the operation and the error chain (which holds the backend's code and
/// message, never the request's credentials or signature).
pub(super) fn backend_error<E>(op: &'static str, err: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let code = err.as_service_error().and_then(|e| e.code());
    match code {
        Some("NoSuchBucket") => Error::NoSuchBucket,
        Some("NoSuchKey") => Error::NoSuchKey,
        Some("NoSuchUpload") => Error::NoSuchUpload,
        Some("BucketNotEmpty") => Error::BucketNotEmpty,
        Some("PreconditionFailed") => Error::PreconditionFailed,
        Some("InvalidPartOrder") => Error::InvalidPartOrder,
        Some("EntityTooSmall") => Error::EntityTooSmall,
        Some("InvalidPart") => Error::InvalidPart(
            err.as_service_error()
                .and_then(|e| e.message())
                .unwrap_or("rejected by the backend")
                .to_owned(),
        ),
        // the size is filled in by the caller, which can ask for it
        Some("InvalidRange") => Error::InvalidRange { size: 0 },
        _ => Error::Backend(format!("{op}: {}", DisplayErrorContext(&err))),
    }
}

/// True when a HEAD answered 404 (HEAD responses have no body, hence no error code).
pub(super) fn is_not_found<E>(err: &SdkError<E, HttpResponse>) -> bool {
    err.raw_response()
        .is_some_and(|r| r.status().as_u16() == 404)
}

/// Millisecond precision, as [`ObjectInfo`](crate::ObjectInfo) promises.
pub(super) fn to_time(t: Option<&DateTime>) -> time::OffsetDateTime {
    t.and_then(|t| t.to_millis().ok())
        .and_then(|ms| {
            time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
        })
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// Now, truncated to milliseconds.
pub(super) fn now() -> time::OffsetDateTime {
    let now = time::OffsetDateTime::now_utc();
    let ms = now.unix_timestamp_nanos() / 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(ms * 1_000_000).unwrap_or(now)
}

/// An ETag without its quotes.
pub(super) fn unquote(etag: Option<&str>) -> String {
    etag.unwrap_or_default().trim_matches('"').to_owned()
}

/// The N of a multipart ETag `…-N`.
pub(super) fn parts_count(etag: &str) -> Option<u32> {
    etag.rsplit_once('-').and_then(|(_, n)| n.parse().ok())
}

pub(super) fn sdk_algorithm(a: ChecksumAlgorithm) -> SdkAlgorithm {
    match a {
        ChecksumAlgorithm::Crc32 => SdkAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32c => SdkAlgorithm::Crc32C,
        ChecksumAlgorithm::Crc64Nvme => SdkAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1 => SdkAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256 => SdkAlgorithm::Sha256,
    }
}

pub(super) fn sdk_type(t: ChecksumType) -> SdkType {
    match t {
        ChecksumType::FullObject => SdkType::FullObject,
        ChecksumType::Composite => SdkType::Composite,
    }
}

pub(super) fn our_algorithm(a: &SdkAlgorithm) -> Option<ChecksumAlgorithm> {
    ChecksumAlgorithm::parse(a.as_str())
}

/// S3's default type when the backend does not say: full-object for CRC64NVME (the only type it
/// has), composite otherwise.
pub(super) fn our_type(algorithm: ChecksumAlgorithm, t: Option<&SdkType>) -> ChecksumType {
    match t {
        Some(SdkType::FullObject) => ChecksumType::FullObject,
        Some(SdkType::Composite) => ChecksumType::Composite,
        _ if algorithm == ChecksumAlgorithm::Crc64Nvme => ChecksumType::FullObject,
        _ => ChecksumType::Composite,
    }
}

/// The checksum fields of a backend answer, in the order S3 documents them.
#[derive(Default)]
pub(super) struct Fields<'a> {
    pub crc32: Option<&'a str>,
    pub crc32c: Option<&'a str>,
    pub crc64nvme: Option<&'a str>,
    pub sha1: Option<&'a str>,
    pub sha256: Option<&'a str>,
    pub kind: Option<&'a SdkType>,
}

/// The checksum the backend reports: `base64` or `base64-N` (composite of N parts).
pub(super) fn backend_checksum(f: Fields<'_>) -> Option<Checksum> {
    let (algorithm, value) = [
        (ChecksumAlgorithm::Crc32, f.crc32),
        (ChecksumAlgorithm::Crc32c, f.crc32c),
        (ChecksumAlgorithm::Crc64Nvme, f.crc64nvme),
        (ChecksumAlgorithm::Sha1, f.sha1),
        (ChecksumAlgorithm::Sha256, f.sha256),
    ]
    .into_iter()
    .find_map(|(a, v)| v.map(|v| (a, v)))?;
    let (b64, parts) = match value.split_once('-') {
        Some((b64, n)) => (b64, n.parse::<u32>().ok()),
        None => (value, None),
    };
    let raw = BASE64.decode(b64).ok()?;
    if raw.len() != algorithm.digest_len() {
        return None;
    }
    let kind = match (parts, f.kind) {
        (Some(_), _) => ChecksumType::Composite,
        (None, Some(SdkType::Composite)) => ChecksumType::Composite,
        (None, _) => ChecksumType::FullObject,
    };
    Some(Checksum {
        algorithm,
        value: raw,
        kind,
        parts: if kind == ChecksumType::Composite {
            parts
        } else {
            None
        },
    })
}

/// What the reserved metadata entry holds: the object's metadata exactly as given (S3 returns
/// user metadata as an unordered header map, RFC 2047-encodes non-ASCII values and adds a
/// default Content-Type) and the checksum computed while staging (backends differ in which
/// checksums they keep). Tags are not in it: they live in the backend's tag set.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Stored {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ct: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ce: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cl: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ex: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    u: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    c: Option<StoredChecksum>,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct StoredChecksum {
    a: ChecksumAlgorithm,
    v: String,
    t: ChecksumType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    n: Option<u32>,
}

impl Stored {
    pub(super) fn new(meta: &ObjectMeta, checksum: Option<&Checksum>) -> Self {
        Stored {
            ct: meta.content_type.clone(),
            ce: meta.content_encoding.clone(),
            cd: meta.content_disposition.clone(),
            cl: meta.content_language.clone(),
            cc: meta.cache_control.clone(),
            ex: meta.expires.clone(),
            u: meta.user.clone(),
            c: checksum.map(|c| StoredChecksum {
                a: c.algorithm,
                v: BASE64.encode(&c.value),
                t: c.kind,
                n: c.parts,
            }),
        }
    }

    /// The header value: JSON, percent-encoded down to visible ASCII so that no backend or proxy
    /// folds, trims or re-encodes it.
    pub(super) fn encode(&self) -> Result<String, Error> {
        let json = serde_json::to_string(self)
            .map_err(|e| Error::Backend(format!("encoding object metadata: {e}")))?;
        Ok(percent_encode(json.as_bytes(), |b| {
            (0x21..=0x7e).contains(&b) && b != b'%'
        }))
    }

    /// None when the entry is not ours (an object written to the backend by someone else).
    pub(super) fn decode(value: &str) -> Option<Stored> {
        let bytes = percent_decode(value, false)?;
        serde_json::from_slice(&bytes).ok()
    }

    /// The metadata (without tags) and the stored checksum.
    pub(super) fn into_parts(self) -> (ObjectMeta, Option<Checksum>) {
        let checksum = self.c.and_then(|c| {
            Some(Checksum {
                algorithm: c.a,
                value: BASE64.decode(c.v).ok()?,
                kind: c.t,
                parts: c.n,
            })
        });
        let meta = ObjectMeta {
            content_type: self.ct,
            content_encoding: self.ce,
            content_disposition: self.cd,
            content_language: self.cl,
            cache_control: self.cc,
            expires: self.ex,
            user: self.u,
            tags: Vec::new(),
        };
        (meta, checksum)
    }
}

/// A value that can travel as an HTTP header unchanged: visible ASCII and inner spaces.
pub(crate) fn header_safe(v: &str) -> bool {
    !v.is_empty()
        && v.bytes().all(|b| (0x20..=0x7e).contains(&b))
        && !v.starts_with(' ')
        && !v.ends_with(' ')
}

/// The `x-amz-tagging` header: `k=v&k=v`, each part percent-encoded (RFC 3986 unreserved kept).
pub(super) fn tagging_header(tags: &[(String, String)]) -> Option<String> {
    if tags.is_empty() {
        return None;
    }
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
    Some(
        tags.iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    percent_encode(k.as_bytes(), unreserved),
                    percent_encode(v.as_bytes(), unreserved)
                )
            })
            .collect::<Vec<_>>()
            .join("&"),
    )
}

fn percent_encode(bytes: &[u8], keep: impl Fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if keep(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` (and `+` as a space when `plus`); None on a malformed escape.
fn percent_decode(s: &str, plus: bool) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(out)
}

/// A key or prefix from a listing asked with `encoding-type=url` (botocore's decoding: `+` is a
/// space). Asking for URL encoding is what lets keys holding characters XML 1.0 cannot carry
/// (NUL, most control characters) be listed at all.
pub(super) fn listed_key(s: &str) -> Result<String, Error> {
    percent_decode(s, true)
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| Error::Backend(format!("the backend listed a malformed key {s:?}")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reserved_entry_round_trips_exactly() {
        let meta = ObjectMeta {
            content_type: Some("text/plain; charset=utf-8".into()),
            expires: Some("Wed, 21 Oct 2015 07:28:00 GMT".into()),
            user: vec![
                ("zeta".into(), "last?".into()),
                ("alpha".into(), "ünïcode ✓ %41".into()),
                ("dup".into(), "".into()),
            ],
            ..Default::default()
        };
        let c = Checksum::full_object(ChecksumAlgorithm::Crc32, vec![1, 2, 3, 4]);
        let v = Stored::new(&meta, Some(&c)).encode().unwrap();
        assert!(v.bytes().all(|b| (0x21..=0x7e).contains(&b)), "{v}");
        let (back, checksum) = Stored::decode(&v).unwrap().into_parts();
        assert_eq!(back, meta);
        assert_eq!(checksum, Some(c));
        assert!(Stored::decode("not json").is_none());
        assert!(Stored::decode("%zz").is_none());
    }

    #[test]
    fn tagging_and_listing_encodings() {
        let tags = vec![
            ("a b".to_string(), "x&y=z".to_string()),
            ("é".into(), "".into()),
        ];
        assert_eq!(tagging_header(&tags).unwrap(), "a%20b=x%26y%3Dz&%C3%A9=");
        assert_eq!(tagging_header(&[]), None);
        assert_eq!(listed_key("test+key/%2B%00").unwrap(), "test key/+\0");
        assert!(listed_key("%F").is_err());
        assert!(listed_key("%FF").is_err());
    }

    #[test]
    fn backend_checksums() {
        let c = backend_checksum(Fields {
            crc32: Some("DUoRhQ==-3"),
            ..Default::default()
        })
        .unwrap();
        assert_eq!((c.kind, c.parts), (ChecksumType::Composite, Some(3)));
        let c = backend_checksum(Fields {
            crc64nvme: Some("AAAAAAAAAAA="),
            ..Default::default()
        })
        .unwrap();
        assert_eq!((c.kind, c.value.len()), (ChecksumType::FullObject, 8));
        // a value of the wrong length is not believed
        assert!(
            backend_checksum(Fields {
                crc64nvme: Some("DUoRhQ=="),
                ..Default::default()
            })
            .is_none()
        );
        assert_eq!(parts_count("abc-12"), Some(12));
        assert_eq!(parts_count("abc"), None);
    }
}
