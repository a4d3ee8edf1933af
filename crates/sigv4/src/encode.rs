//! Percent-encoding as AWS canonical forms want it: only the unreserved set
//! `A-Za-z0-9-_.~` stays literal, everything else becomes `%XX` (uppercase hex).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// Characters encoded in query keys/values (and path segments).
const UNRESERVED_COMPLEMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Same, but `/` stays literal: used for whole paths.
const PATH_COMPLEMENT: &AsciiSet = &UNRESERVED_COMPLEMENT.remove(b'/');

pub(crate) fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// Encodes every byte outside the unreserved set (including `/` and `%`).
pub(crate) fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED_COMPLEMENT).to_string()
}

/// Encodes every byte outside the unreserved set except `/` (including `%`,
/// which is what makes "double encoding" of an already-encoded wire path).
pub(crate) fn encode_path(s: &str) -> String {
    utf8_percent_encode(s, PATH_COMPLEMENT).to_string()
}

/// Decodes `%XX` escapes; invalid escapes stay literal, invalid UTF-8 is replaced
/// (such a request cannot have been signed by a conforming client anyway).
pub(crate) fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn push_escaped(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 0x0f)]));
}

/// S3 canonical URI: the wire path encoded exactly once.
///
/// A conforming client sends the path already encoded, so this is normally the
/// identity. It is written as "decode each escape, re-encode each byte" rather than
/// a plain copy so that clients which leave characters raw on the wire (a space,
/// UTF-8, `$`…) or use lowercase hex still match the canonical form they signed,
/// which is computed from the decoded key (AWS S3 behaves the same way).
/// `%2F` is kept as is: decoding it would change the path structure.
pub(crate) fn encode_path_once(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len() + 8);
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let escaped = match (b, bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) => hex_val(h).zip(hex_val(l)).map(|(h, l)| h << 4 | l),
            _ => None,
        };
        match escaped {
            Some(v) => {
                if is_unreserved(v) {
                    out.push(char::from(v));
                } else {
                    push_escaped(&mut out, v);
                }
                i += 3;
            }
            None => {
                if is_unreserved(b) || b == b'/' {
                    out.push(char::from(b));
                } else {
                    push_escaped(&mut out, b);
                }
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_encoding_uses_aws_unreserved_set() {
        assert_eq!(encode_component("a b/c~d%e+f*"), "a%20b%2Fc~d%25e%2Bf%2A");
        assert_eq!(encode_component("ሴ"), "%E1%88%B4");
    }

    #[test]
    fn path_encoding_keeps_slashes_and_encodes_percent() {
        assert_eq!(encode_path("/a%3Ab/c d"), "/a%253Ab/c%20d");
    }

    #[test]
    fn encode_once_is_identity_on_well_encoded_paths() {
        let p = "/v20180820/async-requests/mrap/arn%3Aaws%3As3%3Aus-west-2%3A123456789012%3Aasync-request/mrap/create/abc";
        assert_eq!(encode_path_once(p), p);
        assert_eq!(encode_path_once("/a%2Fb"), "/a%2Fb");
    }

    #[test]
    fn encode_once_normalises_raw_and_lowercase_input() {
        assert_eq!(
            encode_path_once("/a b/ሴ/%3a/%41/$"),
            "/a%20b/%E1%88%B4/%3A/A/%24"
        );
        // Broken escapes are data, not escapes.
        assert_eq!(encode_path_once("/%zz/%4"), "/%25zz/%254");
    }
}
