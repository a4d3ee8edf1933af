//! XML bodies, as quick-xml serde structs (Garage style): every response type has a unit test that
//! compares the exact serialised string, every request type has parsing tests. This module holds
//! what every surface uses — serialising with the declaration, reading a document by its root —
//! and each surface keeps its own documents (`s3::xml`, `s3control::xml`).

use axum::{
    body::Body,
    http::{HeaderValue, header},
    response::Response,
};
use mrap_model::ApiError;
use quick_xml::events::Event;
use serde::{Serialize, de::DeserializeOwned};

/// Namespace of S3 Control documents.
pub(crate) const S3CONTROL_NS: &str = "http://awss3control.amazonaws.com/doc/2018-08-20/";
/// Namespace of S3 documents.
pub(crate) const S3_NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

const XML_DECL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// Serialises `value` with the XML declaration in front (quick-xml writes none itself).
pub(crate) fn to_xml_with_header<T: Serialize>(value: &T) -> Result<String, ApiError> {
    let body = quick_xml::se::to_string(value)
        .map_err(|e| ApiError::internal(format!("could not serialise a response: {e}")))?;
    Ok(format!("{XML_DECL}{body}"))
}

/// A 200 response carrying `value` as `application/xml`.
pub(crate) fn xml_response<T: Serialize>(value: &T) -> Result<Response, ApiError> {
    let xml = to_xml_with_header(value)?;
    let mut response = Response::new(Body::from(xml));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    Ok(response)
}

/// Why a request body could not be read as the expected document. Callers answer `MalformedXML`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ParseError {
    #[error("the body is not UTF-8")]
    NotUtf8,
    #[error("the body holds no XML element")]
    NoRoot,
    #[error("expected root element {expected}, found {found}")]
    WrongRoot {
        expected: &'static str,
        found: String,
    },
    #[error("{0}")]
    Xml(String),
}

/// Reads a document whose root element must be `root` (local name; any namespace or prefix).
/// Member order is free, unknown members and attributes (such as `xmlns`) are ignored, entities
/// are decoded.
pub(crate) fn from_xml<T: DeserializeOwned>(
    body: &[u8],
    root: &'static str,
) -> Result<T, ParseError> {
    let text = std::str::from_utf8(body).map_err(|_| ParseError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let found = root_name(text)?;
    if found != root {
        return Err(ParseError::WrongRoot {
            expected: root,
            found,
        });
    }
    quick_xml::de::from_str(text).map_err(|e| ParseError::Xml(e.to_string()))
}

/// Local name of the first element of `text`.
fn root_name(text: &str) -> Result<String, ParseError> {
    let mut reader = quick_xml::Reader::from_str(text);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => {
                return Ok(e.local_name().into_inner().to_owned());
            }
            Ok(Event::Eof) => return Err(ParseError::NoRoot),
            Ok(_) => {}
            Err(e) => return Err(ParseError::Xml(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct Doc {
        #[serde(rename = "A")]
        a: Option<String>,
    }

    #[test]
    fn the_root_element_is_checked_by_local_name() {
        let d: Doc = from_xml(b"<Doc><A>1</A></Doc>", "Doc").unwrap();
        assert_eq!(d.a.as_deref(), Some("1"));
        let d: Doc = from_xml(
            br#"<?xml version="1.0"?><!-- hi --><x:Doc xmlns:x="urn:x"><A>1</A></x:Doc>"#,
            "Doc",
        )
        .unwrap();
        assert_eq!(d.a.as_deref(), Some("1"));
        assert!(matches!(
            from_xml::<Doc>(b"<Other/>", "Doc"),
            Err(ParseError::WrongRoot { .. })
        ));
        assert!(matches!(
            from_xml::<Doc>(b"", "Doc"),
            Err(ParseError::NoRoot)
        ));
        assert!(matches!(
            from_xml::<Doc>(b"   ", "Doc"),
            Err(ParseError::NoRoot)
        ));
        assert!(matches!(
            from_xml::<Doc>(b"\xff\xfe", "Doc"),
            Err(ParseError::NotUtf8)
        ));
        assert!(from_xml::<Doc>(b"<Doc><A>1</A>", "Doc").is_err());
        assert!(from_xml::<Doc>(b"<Doc><A>&bogus;</A></Doc>", "Doc").is_err());
    }

    #[test]
    fn a_byte_order_mark_is_tolerated() {
        let d: Doc = from_xml("\u{feff}<Doc><A>x</A></Doc>".as_bytes(), "Doc").unwrap();
        assert_eq!(d.a.as_deref(), Some("x"));
    }
}
