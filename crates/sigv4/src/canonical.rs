//! Canonical request construction (the first step of SigV4 / SigV4A).

use crate::encode::{decode, encode_component, encode_path, encode_path_once};
use crate::{Auth, Error, Options, Request};

/// Builds the canonical request for `auth`'s signed headers.
pub(crate) fn build(
    req: &Request,
    signed_headers: &[String],
    presigned: bool,
    payload_hash: &str,
    opts: Options,
) -> Result<String, Error> {
    let mut out = String::with_capacity(256);
    out.push_str(req.method);
    out.push('\n');
    out.push_str(&canonical_uri(req.path, opts));
    out.push('\n');
    out.push_str(&canonical_query(req.query, presigned));
    out.push('\n');
    for name in signed_headers {
        out.push_str(name);
        out.push(':');
        push_header_values(&mut out, req.headers, name)?;
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(payload_hash);
    Ok(out)
}

pub(crate) fn for_auth(
    req: &Request,
    auth: &Auth,
    payload_hash: &str,
    opts: Options,
) -> Result<String, Error> {
    build(
        req,
        &auth.signed_headers,
        auth.presigned.is_some(),
        payload_hash,
        opts,
    )
}

/// Canonical URI from the wire path.
fn canonical_uri(path: &str, opts: Options) -> String {
    let path = if path.is_empty() { "/" } else { path };
    let normalized;
    let path = if opts.normalize_path {
        normalized = normalize_path(path);
        normalized.as_str()
    } else {
        path
    };
    if opts.double_encode {
        // The generic AWS rule: URI-encode the (already encoded) wire path again.
        encode_path(path)
    } else {
        encode_path_once(path)
    }
}

/// Removes `.`/`..` segments and empty segments (`//`), keeping a trailing slash,
/// as the generic SigV4 rules require (see the get-slash*/get-relative* vectors).
fn normalize_path(path: &str) -> String {
    let mut stack: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                stack.pop();
            }
            s => stack.push(s),
        }
    }
    let last = path.rsplit('/').next().unwrap_or("");
    let trailing_slash = matches!(last, "" | "." | "..");
    let mut out = String::with_capacity(path.len());
    for seg in &stack {
        out.push('/');
        out.push_str(seg);
    }
    if trailing_slash || stack.is_empty() {
        out.push('/');
    }
    out
}

/// Canonical query string: every parameter decoded and re-encoded with the AWS
/// unreserved set, sorted by key then value. `+` is taken literally (not as a
/// space), as the AWS SDKs encode spaces as `%20` and `+` as `%2B` when signing.
fn canonical_query(query: &str, presigned: bool) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let k = decode(k);
            // A presigned URL's signature cannot sign itself.
            if presigned && k == "X-Amz-Signature" {
                return None;
            }
            Some((encode_component(&k), encode_component(&decode(v))))
        })
        .collect();
    pairs.sort_unstable();
    let mut out = String::with_capacity(query.len() + 16);
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Appends all values of header `name` (case-insensitive), in received order,
/// each trimmed with inner runs of spaces collapsed, joined with `,`.
fn push_header_values(
    out: &mut String,
    headers: &[(String, String)],
    name: &str,
) -> Result<(), Error> {
    let mut found = false;
    for (_, value) in headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)) {
        if found {
            out.push(',');
        }
        found = true;
        push_trimmed(out, value);
    }
    if found {
        Ok(())
    } else {
        Err(Error::Malformed(format!(
            "signed header {name:?} is not present in the request"
        )))
    }
}

fn push_trimmed(out: &mut String, value: &str) {
    let mut prev_space = false;
    for c in value.trim_matches(|c| c == ' ' || c == '\t').chars() {
        if c == ' ' {
            if !prev_space {
                out.push(' ');
            }
            prev_space = true;
        } else {
            out.push(c);
            prev_space = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_paths_like_the_vectors() {
        for (input, want) in [
            ("/", "/"),
            ("//", "/"),
            ("/./", "/"),
            ("/./example", "/example"),
            ("//example//", "/example/"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("/a/b/..", "/a/"),
            ("/../../a", "/a"),
            ("/a/b", "/a/b"),
        ] {
            assert_eq!(normalize_path(input), want, "{input}");
        }
    }

    #[test]
    fn query_sorted_after_encoding_and_empty_values_kept() {
        assert_eq!(
            canonical_query("Param-3=Value3&Param=Value2&%E1%88%B4=Value1", false),
            "%E1%88%B4=Value1&Param=Value2&Param-3=Value3"
        );
        assert_eq!(canonical_query("b&a=&&c=1+2", false), "a=&b=&c=1%2B2");
        assert_eq!(canonical_query("", false), "");
    }

    #[test]
    fn presigned_query_drops_only_the_signature() {
        assert_eq!(
            canonical_query("X-Amz-Signature=ab&x-amz-signature=cd&X-Amz-Date=1", true),
            "X-Amz-Date=1&x-amz-signature=cd"
        );
    }

    #[test]
    fn header_values_trimmed_collapsed_and_joined() {
        let headers = vec![
            ("My-Header".to_owned(), "  a   b  ".to_owned()),
            ("other".to_owned(), "x".to_owned()),
            ("my-header".to_owned(), "\"c  d\"".to_owned()),
        ];
        let mut out = String::new();
        assert!(push_header_values(&mut out, &headers, "my-header").is_ok());
        assert_eq!(out, "a b,\"c d\"");
        assert!(matches!(
            push_header_values(&mut out, &headers, "absent"),
            Err(Error::Malformed(_))
        ));
    }
}
