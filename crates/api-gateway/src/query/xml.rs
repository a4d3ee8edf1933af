//! Query-protocol documents: the success envelope, the error document, and a small writer for
//! the result elements.
//!
//! The element names depend on the operation (`<{Action}Response>`, `<{Action}Result>`), so
//! documents are written directly rather than through serde structs; the unit tests below compare
//! exact strings, as for the other surfaces' documents.
//!
//! ```text
//! <{Action}Response xmlns=NS><{Action}Result>…</{Action}Result>
//!   <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></{Action}Response>
//! ```
//!
//! The Result comes first (aws-sdk-rust fails otherwise); operations without output send only
//! `ResponseMetadata`. Errors: `<ErrorResponse xmlns=NS><Error><Type>Sender|Receiver</Type>
//! <Code/><Message/></Error><RequestId/></ErrorResponse>` with the code's status. Both carry
//! `Content-Type: text/xml`; the request id is in the body and (stamped by the server) in
//! `x-amzn-RequestId`, the only place aws-sdk-rust reads it from.

use axum::{
    body::Body,
    http::{HeaderValue, StatusCode, header},
    response::Response,
};
use mrap_model::{ApiError, ErrorCode};
use quick_xml::escape::escape;

/// Writes elements into a document.
#[derive(Debug, Default)]
pub(crate) struct Xml {
    out: String,
}

impl Xml {
    pub fn open(&mut self, name: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    pub fn close(&mut self, name: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// `<name>text</name>`, the text escaped.
    pub fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name);
        self.out.push_str(&escape(text));
        self.close(name)
    }

    /// Text content, escaped (a list member that is a plain string).
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.out.push_str(&escape(text));
        self
    }

    /// `<name/>`.
    pub fn empty(&mut self, name: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push_str("/>");
        self
    }

    /// `<name><member>…</member>…</name>`, or `<name/>` for no items.
    pub fn list<T>(
        &mut self,
        name: &str,
        items: &[T],
        mut each: impl FnMut(&mut Self, &T),
    ) -> &mut Self {
        if items.is_empty() {
            return self.empty(name);
        }
        self.open(name);
        for item in items {
            self.open("member");
            each(self, item);
            self.close("member");
        }
        self.close(name)
    }

    /// `IsTruncated`, and `Marker` only when truncated (aws-sdk-rust's paginators call again
    /// while a marker is present, whatever `IsTruncated` says).
    pub fn truncation(&mut self, next_marker: Option<&str>) -> &mut Self {
        match next_marker {
            Some(marker) => self.leaf("IsTruncated", "true").leaf("Marker", marker),
            None => self.leaf("IsTruncated", "false"),
        }
    }
}

/// The success document of `action`; `result` writes the children of `<{action}Result>`, `None`
/// for operations without output.
pub(crate) fn success_body(
    namespace: &str,
    action: &str,
    request_id: &str,
    result: Option<&dyn Fn(&mut Xml)>,
) -> String {
    let mut x = Xml::default();
    x.out
        .push_str(&format!(r#"<{action}Response xmlns="{namespace}">"#));
    if let Some(write) = result {
        let wrapper = format!("{action}Result");
        x.open(&wrapper);
        write(&mut x);
        x.close(&wrapper);
    }
    x.open("ResponseMetadata")
        .leaf("RequestId", request_id)
        .close("ResponseMetadata")
        .close(&format!("{action}Response"));
    x.out
}

/// A 200 `text/xml` response.
pub(crate) fn success(
    namespace: &str,
    action: &str,
    request_id: &str,
    result: Option<&dyn Fn(&mut Xml)>,
) -> Response {
    text_xml(
        StatusCode::OK,
        success_body(namespace, action, request_id, result),
    )
}

/// The error document: `Sender` for client faults, `Receiver` for server faults.
pub(crate) fn error_body(
    namespace: &str,
    code: ErrorCode,
    message: &str,
    request_id: &str,
) -> String {
    let fault = if code.http_status() >= 500 {
        "Receiver"
    } else {
        "Sender"
    };
    let mut x = Xml::default();
    x.out
        .push_str(&format!(r#"<ErrorResponse xmlns="{namespace}">"#));
    x.open("Error")
        .leaf("Type", fault)
        .leaf("Code", code.aws_code())
        .leaf("Message", message)
        .close("Error")
        .leaf("RequestId", request_id)
        .close("ErrorResponse");
    x.out
}

/// The error response for `err` (already mapped to the query codes), with its code's status; HEAD
/// gets no body.
pub(crate) fn error(namespace: &str, err: &ApiError, request_id: &str, head: bool) -> Response {
    let status =
        StatusCode::from_u16(err.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if head {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = status;
        return r;
    }
    text_xml(
        status,
        error_body(namespace, err.code, &err.message, request_id),
    )
}

fn text_xml(status: StatusCode, body: String) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    r
}

/// `2026-01-02T03:04:05Z` for a millisecond timestamp (whole seconds: what IAM shows; never
/// zone-less, which aws-sdk-rust refuses).
pub(crate) fn timestamp(millis: i64) -> String {
    let full = mrap_model::time::format_iso8601(millis);
    format!("{}Z", &full[..19])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use http_body_util::BodyExt;

    use super::*;

    const IAM: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

    #[test]
    fn results_come_first() {
        let body = success_body(
            IAM,
            "GetUser",
            "REQ1",
            Some(&|x: &mut Xml| {
                x.open("User")
                    .leaf("Path", "/eng/")
                    .leaf("UserName", "alice")
                    .leaf("Arn", "arn:aws:iam::111122223333:user/eng/alice")
                    .leaf("CreateDate", &timestamp(1_767_323_045_678))
                    .close("User");
            }),
        );
        assert_eq!(
            body,
            r#"<GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetUserResult><User><Path>/eng/</Path><UserName>alice</UserName><Arn>arn:aws:iam::111122223333:user/eng/alice</Arn><CreateDate>2026-01-02T03:04:05Z</CreateDate></User></GetUserResult><ResponseMetadata><RequestId>REQ1</RequestId></ResponseMetadata></GetUserResponse>"#
        );
    }

    #[test]
    fn output_less_operations_send_only_metadata() {
        assert_eq!(
            success_body(IAM, "DeleteUser", "REQ2", None),
            r#"<DeleteUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ResponseMetadata><RequestId>REQ2</RequestId></ResponseMetadata></DeleteUserResponse>"#
        );
    }

    #[test]
    fn lists_and_truncation() {
        let mut x = Xml::default();
        x.list("Users", &["a<b", "c"], |x, n| {
            x.leaf("UserName", n);
        })
        .truncation(Some("d"));
        x.list::<&str>("PolicyNames", &[], |_, _| {})
            .truncation(None);
        assert_eq!(
            x.out,
            "<Users><member><UserName>a&lt;b</UserName></member><member><UserName>c</UserName></member></Users><IsTruncated>true</IsTruncated><Marker>d</Marker><PolicyNames/><IsTruncated>false</IsTruncated>"
        );
    }

    #[tokio::test]
    async fn errors_are_wrapped_with_their_status() {
        let err = ApiError::new(
            ErrorCode::NoSuchEntity,
            "The user with name bob cannot be found.",
        );
        let r = error(IAM, &err, "REQ3", false);
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/xml");
        let body = r.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            r#"<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The user with name bob cannot be found.</Message></Error><RequestId>REQ3</RequestId></ErrorResponse>"#
        );
        let body = error_body(
            "https://sts.amazonaws.com/doc/2011-06-15/",
            ErrorCode::ServiceFailure,
            "x & y",
            "REQ4",
        );
        assert_eq!(
            body,
            r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Receiver</Type><Code>ServiceFailure</Code><Message>x &amp; y</Message></Error><RequestId>REQ4</RequestId></ErrorResponse>"#
        );
    }

    #[test]
    fn timestamps_have_whole_seconds_and_a_zone() {
        assert_eq!(timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(timestamp(1_767_323_045_999), "2026-01-02T03:04:05Z");
    }
}
