//! Parser for the raw HTTP request files of the AWS signing test suite.

/// An owned request parsed from text; `as_request()` borrows it as a `crate::Request`.
#[derive(Debug, Clone)]
pub struct RawRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawRequest {
    pub fn as_request(&self) -> crate::Request<'_> {
        crate::Request {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses `METHOD target HTTP/1.1`, header lines (with obs-fold continuation lines,
/// which are joined with a space as RFC 9112 §5.2 allows), a blank line, and a body.
/// The target may contain raw spaces (get-space-*), so it is everything between the
/// first and the last space of the request line.
pub fn parse(text: &str) -> Result<RawRequest, String> {
    let (head, body) = match text.find("\n\n") {
        Some(i) => (&text[..i], &text[i + 2..]),
        None => (text.trim_end_matches('\n'), ""),
    };
    let mut lines = head.lines();
    let request_line = lines.next().ok_or("empty request")?;
    let (method, rest) = request_line.split_once(' ').ok_or("no method")?;
    let (target, _version) = rest.rsplit_once(' ').ok_or("no HTTP version")?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));

    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            let (_, value) = headers.last_mut().ok_or("continuation before any header")?;
            value.push(' ');
            value.push_str(line);
        } else {
            let (name, value) = line.split_once(':').ok_or("header without ':'")?;
            headers.push((name.to_owned(), value.to_owned()));
        }
    }
    Ok(RawRequest {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        body: body.as_bytes().to_vec(),
    })
}

#[test]
fn parses_folded_headers_and_raw_targets() {
    let r = parse("GET /a b/?x=1 HTTP/1.1\nHost:h\nMy:one\n  two\n\nbody").expect("parses");
    assert_eq!(
        (r.method.as_str(), r.path.as_str(), r.query.as_str()),
        ("GET", "/a b/", "x=1")
    );
    assert_eq!(r.header("my"), Some("one   two"));
    assert_eq!(r.body, b"body");
}
