//! Object metadata between HTTP headers and the store: what a PUT (or copy with `REPLACE`, or
//! CreateMultipartUpload) stores, what GET and HEAD send back, and the request headers that
//! qualify object requests (conditions, ranges, canned ACLs, tags, key length).

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use mrap_model::{ApiError, ErrorCode};
use mrap_storage::{ObjectInfo, ObjectMeta, RangeRequest, WriteCondition};
use percent_encoding::percent_decode_str;
use time::OffsetDateTime;

use crate::s3::storage_error::precondition_failed;

/// Longest key S3 accepts, in UTF-8 bytes.
const MAX_KEY_BYTES: usize = 1024;
/// Largest total of user metadata (names and values), as S3 counts it.
const MAX_USER_METADATA: usize = 2 * 1024;
const USER_META_PREFIX: &str = "x-amz-meta-";
/// Tag limits of S3 (per object).
const MAX_TAGS: usize = 10;
const MAX_TAG_KEY: usize = 128;
const MAX_TAG_VALUE: usize = 256;
/// The canned ACLs a bucket with Object Ownership `BucketOwnerEnforced` accepts.
const ACCEPTED_CANNED_ACLS: [&str; 2] = ["private", "bucket-owner-full-control"];
const GRANT_HEADERS: [&str; 5] = [
    "x-amz-grant-full-control",
    "x-amz-grant-read",
    "x-amz-grant-read-acp",
    "x-amz-grant-write",
    "x-amz-grant-write-acp",
];

/// The Content-Type S3 stores when a PUT sends none.
const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

/// A request header's value as text, trimmed (`None` when absent or not visible ASCII).
pub(crate) fn text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

pub(crate) fn check_key(key: &str) -> Result<(), ApiError> {
    if key.len() > MAX_KEY_BYTES {
        return Err(ApiError::new(
            ErrorCode::KeyTooLongError,
            "Your key is too long",
        ));
    }
    Ok(())
}

/// `x-amz-acl` and `x-amz-grant-*`: only what leaves the owner in full control is accepted.
pub(crate) fn check_acl_headers(headers: &HeaderMap) -> Result<(), ApiError> {
    let canned_ok =
        text(headers, "x-amz-acl").is_none_or(|acl| ACCEPTED_CANNED_ACLS.contains(&acl));
    if !canned_ok || GRANT_HEADERS.iter().any(|h| headers.contains_key(*h)) {
        return Err(acl_not_supported());
    }
    Ok(())
}

pub(crate) fn acl_not_supported() -> ApiError {
    ApiError::new(
        ErrorCode::AccessControlListNotSupported,
        "The bucket does not allow ACLs",
    )
}

/// The metadata a write stores: the standard headers, `x-amz-meta-*` (names lowercased, values
/// as sent) and the `x-amz-tagging` tag set.
pub(crate) fn meta_from_headers(headers: &HeaderMap) -> Result<ObjectMeta, ApiError> {
    let own = |name: &str| text(headers, name).map(str::to_owned);
    let mut user = Vec::new();
    let mut user_size = 0;
    for (name, value) in headers {
        if let Some(short) = name.as_str().strip_prefix(USER_META_PREFIX) {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            user_size += short.len() + value.len();
            user.push((short.to_owned(), value));
        }
    }
    if user_size > MAX_USER_METADATA {
        return Err(ApiError::new(
            ErrorCode::MetadataTooLarge,
            "Your metadata headers exceed the maximum allowed metadata size.",
        ));
    }
    let tags = match text(headers, "x-amz-tagging") {
        Some(query) => parse_tag_query(query)?,
        None => Vec::new(),
    };
    Ok(ObjectMeta {
        content_type: Some(own("content-type").unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned())),
        // `aws-chunked` is the framing of this request's body, not an encoding of the object.
        content_encoding: own("content-encoding").and_then(|v| {
            let kept: Vec<&str> = v
                .split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("aws-chunked"))
                .collect();
            (!kept.is_empty()).then(|| kept.join(","))
        }),
        content_disposition: own("content-disposition"),
        content_language: own("content-language"),
        cache_control: own("cache-control"),
        expires: own("expires"),
        user,
        tags,
    })
}

/// `x-amz-tagging: k1=v1&k2=v2` (URL-encoded).
pub(crate) fn parse_tag_query(query: &str) -> Result<Vec<(String, String)>, ApiError> {
    let decode = |s: &str| {
        percent_decode_str(&s.replace('+', " "))
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| invalid_tag("The TagValue you have provided is invalid"))
    };
    let tags = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(k)?, decode(v)?))
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    check_tags(&tags)?;
    Ok(tags)
}

/// S3's tag-set rules.
pub(crate) fn check_tags(tags: &[(String, String)]) -> Result<(), ApiError> {
    if tags.len() > MAX_TAGS {
        return Err(ApiError::new(
            ErrorCode::InvalidTag,
            "Object tags cannot be greater than 10",
        ));
    }
    for (i, (k, v)) in tags.iter().enumerate() {
        if k.is_empty() || k.chars().count() > MAX_TAG_KEY {
            return Err(invalid_tag("The TagKey you have provided is invalid"));
        }
        if v.chars().count() > MAX_TAG_VALUE {
            return Err(invalid_tag("The TagValue you have provided is invalid"));
        }
        if tags[..i].iter().any(|(other, _)| other == k) {
            return Err(invalid_tag(
                "Cannot provide multiple Tags with the same key",
            ));
        }
    }
    Ok(())
}

fn invalid_tag(message: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidTag, message)
}

pub(crate) fn quoted(etag: &str) -> String {
    format!("\"{etag}\"")
}

/// An ETag as a client sends it back (quoted or not, possibly weak).
fn bare(etag: &str) -> &str {
    let etag = etag.trim();
    let etag = etag.strip_prefix("W/").unwrap_or(etag);
    etag.trim_matches('"')
}

/// `Last-Modified` form (RFC 7231 IMF-fixdate).
pub(crate) fn http_date(t: OffsetDateTime) -> String {
    mrap_model::time::format_http_date(millis(t))
}

/// Milliseconds since the epoch, as `mrap_model::time` counts.
pub(crate) fn millis(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

fn parse_http_date(value: &str) -> Option<i64> {
    let t = httpdate::parse_http_date(value.trim()).ok()?;
    let secs = t.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(secs).ok()
}

/// `If-None-Match: *` / `If-Match: <etag>` on a write.
pub(crate) fn write_condition(headers: &HeaderMap) -> WriteCondition {
    if text(headers, "if-none-match").is_some_and(|v| v.trim() == "*") {
        return WriteCondition::IfNoneMatchAny;
    }
    match text(headers, "if-match") {
        Some(etag) => WriteCondition::IfMatch(bare(etag).to_owned()),
        None => WriteCondition::Always,
    }
}

/// The four read preconditions, with S3's precedence (RFC 7232 §6): `If-Match` decides over
/// `If-Unmodified-Since`, `If-None-Match` over `If-Modified-Since`. `Ok(true)`: answer
/// 304 Not Modified. `prefix` is `""` for GET/HEAD and `x-amz-copy-source-` for a copy's
/// source, where a 304 case is a 412 too.
pub(crate) fn evaluate_read_conditions(
    headers: &HeaderMap,
    info: &ObjectInfo,
    prefix: &str,
) -> Result<bool, ApiError> {
    let get = |name: &str| text(headers, &format!("{prefix}{name}"));
    let matches = |list: &str| {
        list.split(',')
            .map(bare)
            .any(|e| e == "*" || e == info.etag)
    };
    // Dates have second precision on the wire.
    let modified = info.last_modified.unix_timestamp();
    let if_match = get("if-match");
    if let Some(list) = if_match
        && !matches(list)
    {
        return Err(precondition_failed());
    }
    if if_match.is_none()
        && let Some(since) = get("if-unmodified-since").and_then(parse_http_date)
        && modified > since
    {
        return Err(precondition_failed());
    }
    let if_none_match = get("if-none-match");
    let not_modified = match if_none_match {
        Some(list) => matches(list),
        None => get("if-modified-since")
            .and_then(parse_http_date)
            .is_some_and(|since| modified <= since),
    };
    if not_modified && !prefix.is_empty() {
        return Err(precondition_failed());
    }
    Ok(not_modified)
}

/// `Range: bytes=first-last | first- | -suffix`. Anything else (several ranges, other units,
/// garbage) is ignored and the whole object sent, as S3 does.
pub(crate) fn parse_range(value: &str) -> Option<RangeRequest> {
    let spec = value.trim().strip_prefix("bytes=")?.trim();
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        return last.parse().ok().map(RangeRequest::Suffix);
    }
    let first: u64 = first.parse().ok()?;
    let last = if last.is_empty() {
        None
    } else {
        let last: u64 = last.parse().ok()?;
        // `bytes=5-1` is a syntactically invalid range: ignored.
        if last < first {
            return None;
        }
        Some(last)
    };
    Some(RangeRequest::From { first, last })
}

/// Sets a response header; a value that cannot be a header value is left out.
pub(crate) fn insert(headers: &mut HeaderMap, name: &str, value: &str) {
    if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::from_str(value)) {
        headers.insert(name, value);
    }
}

/// The headers GET and HEAD describe an object with. `checksum_mode`: the request asked for
/// `x-amz-checksum-mode: ENABLED` (and reads the whole object).
pub(crate) fn describe(headers: &mut HeaderMap, info: &ObjectInfo, checksum_mode: bool) {
    insert(headers, "etag", &quoted(&info.etag));
    insert(headers, "last-modified", &http_date(info.last_modified));
    insert(headers, "accept-ranges", "bytes");
    let meta = &info.meta;
    for (name, value) in [
        ("content-type", &meta.content_type),
        ("content-encoding", &meta.content_encoding),
        ("content-disposition", &meta.content_disposition),
        ("content-language", &meta.content_language),
        ("cache-control", &meta.cache_control),
        ("expires", &meta.expires),
    ] {
        if let Some(value) = value {
            insert(headers, name, value);
        }
    }
    for (name, value) in &meta.user {
        insert(headers, &format!("{USER_META_PREFIX}{name}"), value);
    }
    if !meta.tags.is_empty() {
        insert(headers, "x-amz-tagging-count", &meta.tags.len().to_string());
    }
    if let Some(parts) = info.parts_count {
        insert(headers, "x-amz-mp-parts-count", &parts.to_string());
    }
    if checksum_mode && let Some(checksum) = &info.checksum {
        insert(
            headers,
            checksum.algorithm.header(),
            &checksum.to_header_value(),
        );
        insert(headers, "x-amz-checksum-type", checksum.kind.name());
    }
}

/// GET's `response-*` query parameters override the stored headers of the response.
pub(crate) fn apply_response_overrides(headers: &mut HeaderMap, query: &str) {
    for pair in query.split('&') {
        let Some((key, value)) = pair.split_once('=') else {
            continue;
        };
        let header = match key {
            "response-content-type" => "content-type",
            "response-content-language" => "content-language",
            "response-expires" => "expires",
            "response-cache-control" => "cache-control",
            "response-content-disposition" => "content-disposition",
            "response-content-encoding" => "content-encoding",
            _ => continue,
        };
        insert(
            headers,
            header,
            &percent_decode_str(value).decode_utf8_lossy(),
        );
    }
}

/// 304 Not Modified: no body, the validators only.
pub(crate) fn not_modified(info: &ObjectInfo) -> axum::response::Response {
    let mut response = axum::response::Response::new(axum::body::Body::empty());
    *response.status_mut() = StatusCode::NOT_MODIFIED;
    insert(response.headers_mut(), "etag", &quoted(&info.etag));
    insert(
        response.headers_mut(),
        "last-modified",
        &http_date(info.last_modified),
    );
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::common::test_support::headers;

    fn info() -> ObjectInfo {
        ObjectInfo {
            key: "k".into(),
            size: 10,
            etag: "abc".into(),
            last_modified: OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap(),
            meta: ObjectMeta::default(),
            checksum: None,
            parts_count: None,
        }
    }

    #[test]
    fn ranges_as_s3_reads_them() {
        use RangeRequest::*;
        assert_eq!(
            parse_range("bytes=0-9"),
            Some(From {
                first: 0,
                last: Some(9)
            })
        );
        assert_eq!(
            parse_range("bytes=5-"),
            Some(From {
                first: 5,
                last: None
            })
        );
        assert_eq!(parse_range("bytes=-3"), Some(Suffix(3)));
        for ignored in [
            "bytes=0-1,3-4",
            "items=0-1",
            "bytes=x-1",
            "bytes=5-1",
            "bytes=",
            "0-1",
        ] {
            assert_eq!(parse_range(ignored), None, "{ignored}");
        }
    }

    #[test]
    fn read_conditions_follow_rfc_7232_precedence() {
        let i = info();
        let at = http_date(i.last_modified);
        let before = "Tue, 14 Nov 2000 22:13:20 GMT";
        let after = "Sat, 01 Jan 2050 00:00:00 GMT";
        let eval = |pairs: &[(&str, &str)]| {
            evaluate_read_conditions(&headers(pairs), &i, "").map_err(|e| e.code)
        };
        assert_eq!(eval(&[]), Ok(false));
        assert_eq!(eval(&[("if-match", "\"abc\"")]), Ok(false));
        assert_eq!(
            eval(&[("if-match", "\"nope\"")]),
            Err(ErrorCode::PreconditionFailed)
        );
        assert_eq!(
            eval(&[("if-unmodified-since", before)]),
            Err(ErrorCode::PreconditionFailed)
        );
        assert_eq!(eval(&[("if-unmodified-since", &at)]), Ok(false));
        // If-Match true wins over If-Unmodified-Since false
        assert_eq!(
            eval(&[("if-match", "abc"), ("if-unmodified-since", before)]),
            Ok(false)
        );
        assert_eq!(eval(&[("if-none-match", "\"abc\"")]), Ok(true));
        assert_eq!(eval(&[("if-none-match", "\"x\", \"abc\"")]), Ok(true));
        assert_eq!(eval(&[("if-none-match", "\"x\"")]), Ok(false));
        assert_eq!(eval(&[("if-modified-since", &at)]), Ok(true));
        assert_eq!(eval(&[("if-modified-since", after)]), Ok(true));
        assert_eq!(eval(&[("if-modified-since", before)]), Ok(false));
        // If-None-Match false wins over If-Modified-Since true
        assert_eq!(
            eval(&[("if-none-match", "x"), ("if-modified-since", after)]),
            Ok(false)
        );
        // a copy source's "not modified" is a failed precondition
        let copy = evaluate_read_conditions(
            &headers(&[("x-amz-copy-source-if-none-match", "abc")]),
            &i,
            "x-amz-copy-source-",
        );
        assert_eq!(copy.map_err(|e| e.code), Err(ErrorCode::PreconditionFailed));
    }

    #[test]
    fn metadata_from_headers() {
        let m = meta_from_headers(&headers(&[
            ("x-amz-meta-Color", "Blue"),
            ("content-encoding", "gzip, aws-chunked"),
            ("x-amz-tagging", "a=1&b=two%20words"),
        ]))
        .unwrap();
        assert_eq!(m.user, vec![("color".to_owned(), "Blue".to_owned())]);
        assert_eq!(m.content_type.as_deref(), Some("binary/octet-stream"));
        assert_eq!(m.content_encoding.as_deref(), Some("gzip"));
        assert_eq!(
            m.tags,
            vec![("a".into(), "1".into()), ("b".into(), "two words".into())]
        );
        let only_chunked = meta_from_headers(&headers(&[("content-encoding", "aws-chunked")]));
        assert_eq!(only_chunked.unwrap().content_encoding, None);
        let big = "v".repeat(2100);
        assert_eq!(
            meta_from_headers(&headers(&[("x-amz-meta-a", &big)]))
                .unwrap_err()
                .code,
            ErrorCode::MetadataTooLarge
        );
    }

    #[test]
    fn tag_rules() {
        assert!(parse_tag_query("a=1&a=2").is_err());
        let eleven: Vec<String> = (0..11).map(|i| format!("k{i}=v")).collect();
        assert_eq!(
            parse_tag_query(&eleven.join("&")).unwrap_err().code,
            ErrorCode::InvalidTag
        );
        assert!(parse_tag_query(&format!("{}=v", "k".repeat(129))).is_err());
        assert!(parse_tag_query("=v").is_err());
    }

    #[test]
    fn only_owner_acls_pass() {
        assert!(check_acl_headers(&headers(&[])).is_ok());
        assert!(check_acl_headers(&headers(&[("x-amz-acl", "private")])).is_ok());
        assert!(check_acl_headers(&headers(&[("x-amz-acl", "bucket-owner-full-control")])).is_ok());
        for bad in [("x-amz-acl", "public-read"), ("x-amz-grant-read", "uri=x")] {
            assert_eq!(
                check_acl_headers(&headers(&[bad])).unwrap_err().code,
                ErrorCode::AccessControlListNotSupported
            );
        }
        assert_eq!(check_key(&"k".repeat(1024)), Ok(()));
        assert_eq!(
            check_key(&"k".repeat(1025)).unwrap_err().code,
            ErrorCode::KeyTooLongError
        );
    }
}
