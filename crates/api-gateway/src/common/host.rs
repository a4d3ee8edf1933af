//! What the `Host` header says about addressing.
//!
//! Any Host is accepted. SDKs prefix S3 Control hosts with the account id (`{account}.{endpoint}`,
//! even for custom endpoints such as `127.0.0.1:4566`), so one leading 12-digit label is dropped
//! first. Consequence: a bucket whose name is exactly 12 digits cannot be addressed virtual-host
//! style; path style still works for it.

/// How a request addresses its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostStyle {
    /// The bucket, if any, is the first path segment (also every S3 Control request).
    Path,
    /// `{bucket}.{s3 domain}`: the path is the object key.
    VirtualHost { bucket: String },
    /// `{alias}.accesspoint.s3-global.amazonaws.com`: a request through an MRAP.
    MrapDataPlane { alias: String },
}

const MRAP_GLOBAL_SUFFIX: &str = ".accesspoint.s3-global.amazonaws.com";

/// Classifies `host` (the `Host` header or the URI authority; `None` means path style).
/// `s3_domains` are extra lower-case domains `D` for which `{bucket}.D` is virtual-host style.
pub fn parse(host: Option<&str>, s3_domains: &[String]) -> HostStyle {
    let Some(host) = host else {
        return HostStyle::Path;
    };
    let host = strip_account_label(strip_port(host.trim())).to_ascii_lowercase();
    let host = host.trim_end_matches('.');

    if let Some(alias) = host.strip_suffix(MRAP_GLOBAL_SUFFIX)
        && !alias.is_empty()
    {
        return HostStyle::MrapDataPlane {
            alias: alias.to_owned(),
        };
    }
    match virtual_host_bucket(host, s3_domains) {
        Some(bucket) => HostStyle::VirtualHost {
            bucket: bucket.to_owned(),
        },
        None => HostStyle::Path,
    }
}

/// `host:port` → `host`; `[v6]:port` → `[v6]`.
pub fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => &host[..=end],
            None => host,
        };
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// `000000000000.127.0.0.1` → `127.0.0.1`: drops one leading 12-digit label.
pub fn strip_account_label(host: &str) -> &str {
    match host.split_once('.') {
        Some((label, rest))
            if label.len() == 12
                && label.bytes().all(|b| b.is_ascii_digit())
                && !rest.is_empty() =>
        {
            rest
        }
        _ => host,
    }
}

/// The bucket of a virtual-host style host (port and account label already removed).
fn virtual_host_bucket<'h>(host: &'h str, s3_domains: &[String]) -> Option<&'h str> {
    let non_empty = |b: &'h str| (!b.is_empty()).then_some(b);

    if let Some(bucket) = host.strip_suffix(".localhost") {
        return non_empty(bucket);
    }
    if let Some(bucket) = host.strip_suffix(".s3.amazonaws.com") {
        return non_empty(bucket);
    }
    if let Some(rest) = host.strip_suffix(".amazonaws.com")
        && let Some((front, last)) = rest.rsplit_once('.')
    {
        // {bucket}.s3-{region}.amazonaws.com
        if let Some(region) = last.strip_prefix("s3-")
            && is_region_like(region)
        {
            return non_empty(front);
        }
        // {bucket}.s3.{region}.amazonaws.com
        if is_region_like(last)
            && let Some(bucket) = front.strip_suffix(".s3")
        {
            return non_empty(bucket);
        }
    }
    for domain in s3_domains {
        if let Some(bucket) = host
            .strip_suffix(domain.as_str())
            .and_then(|b| b.strip_suffix('.'))
        {
            return non_empty(bucket);
        }
    }
    None
}

/// `us-east-1`-like: lower-case letters, digits and hyphens, with at least one hyphen and one
/// digit. Keeps `s3-control.{region}` and `s3-global` hosts out of the bucket rules.
fn is_region_like(s: &str) -> bool {
    s.contains('-')
        && s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn vh(bucket: &str) -> HostStyle {
        HostStyle::VirtualHost {
            bucket: bucket.to_owned(),
        }
    }

    #[test]
    fn ports_and_account_labels_are_stripped() {
        assert_eq!(strip_port("127.0.0.1:4566"), "127.0.0.1");
        assert_eq!(strip_port("localhost"), "localhost");
        assert_eq!(strip_port("[::1]:4566"), "[::1]");
        assert_eq!(strip_port("[::1]"), "[::1]");
        assert_eq!(strip_account_label("000000000000.127.0.0.1"), "127.0.0.1");
        assert_eq!(strip_account_label("123456789012.localhost"), "localhost");
        // only one label, only 12 digits, never the whole host
        assert_eq!(
            strip_account_label("111111111111.222222222222.x"),
            "222222222222.x"
        );
        assert_eq!(strip_account_label("12345.localhost"), "12345.localhost");
        assert_eq!(strip_account_label("123456789012"), "123456789012");
    }

    #[test]
    fn host_table() {
        let domains = vec!["s3.example.test".to_owned()];
        let cases: &[(Option<&str>, HostStyle)] = &[
            (None, HostStyle::Path),
            (Some("127.0.0.1:4566"), HostStyle::Path),
            (Some("000000000000.127.0.0.1:4566"), HostStyle::Path),
            (Some("localhost:4566"), HostStyle::Path),
            (Some("123456789012.localhost:4566"), HostStyle::Path),
            (Some("my-bucket.localhost:4566"), vh("my-bucket")),
            (Some("My-Bucket.LocalHost"), vh("my-bucket")),
            (Some("dotted.bucket.localhost"), vh("dotted.bucket")),
            (Some("s3.amazonaws.com"), HostStyle::Path),
            (Some("b1.s3.amazonaws.com"), vh("b1")),
            (Some("s3.us-east-1.amazonaws.com"), HostStyle::Path),
            (Some("b2.s3.us-east-1.amazonaws.com"), vh("b2")),
            (Some("a.b.s3.eu-west-1.amazonaws.com"), vh("a.b")),
            (Some("b3.s3-us-west-2.amazonaws.com"), vh("b3")),
            (Some("s3-us-west-2.amazonaws.com"), HostStyle::Path),
            (
                Some("123456789012.s3-control.us-east-1.amazonaws.com"),
                HostStyle::Path,
            ),
            (Some("s3-control.us-west-2.amazonaws.com"), HostStyle::Path),
            (Some("b4.s3.example.test:9000"), vh("b4")),
            (Some("s3.example.test"), HostStyle::Path),
            (Some("123456789012.s3.example.test"), HostStyle::Path),
            (Some("xs3.example.test"), HostStyle::Path),
            (Some("example.com"), HostStyle::Path),
            (
                Some("mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com"),
                HostStyle::MrapDataPlane {
                    alias: "mfzwi23gnjvgw.mrap".into(),
                },
            ),
            (Some("accesspoint.s3-global.amazonaws.com"), HostStyle::Path),
        ];
        for (host, want) in cases {
            assert_eq!(&parse(*host, &domains), want, "host {host:?}");
        }
    }
}
