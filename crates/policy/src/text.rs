//! [`Text`]: the immutable string type of parsed policy elements.
//!
//! A policy has a few hundred strings (Sids, actions, ARNs, condition
//! operators, keys and values) and almost all of them appear verbatim in
//! the source. Parsing therefore keeps one shared copy of the source and
//! makes each element a range of it; only strings that JSON escapes changed
//! (and the few computed ones, such as lower-cased keys) get their own
//! allocation. Cloning is a reference-count increment.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// An immutable string: a range of a shared buffer.
#[derive(Clone)]
pub struct Text {
    buf: Arc<str>,
    start: u32,
    end: u32,
}

impl Text {
    /// A text with its own buffer.
    pub fn new(s: &str) -> Text {
        Text::whole(Arc::from(s))
    }

    fn whole(buf: Arc<str>) -> Text {
        let end = u32::try_from(buf.len()).unwrap_or(u32::MAX);
        Text { buf, start: 0, end }
    }

    pub fn as_str(&self) -> &str {
        self.buf
            .get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }
}

/// The shared copy of a policy source, handing out [`Text`]s.
pub(crate) struct Source<'a> {
    text: &'a str,
    buf: Arc<str>,
}

impl<'a> Source<'a> {
    pub(crate) fn new(text: &'a str) -> Source<'a> {
        Source {
            text,
            buf: Arc::from(text),
        }
    }

    /// `sub` as a range of the shared copy when it is a slice of the
    /// source text (as unescaped JSON strings are), else its own copy.
    pub(crate) fn text(&self, sub: &str) -> Text {
        let start = (sub.as_ptr() as usize).wrapping_sub(self.text.as_ptr() as usize);
        let end = start.wrapping_add(sub.len());
        let inside = start <= self.text.len() && end <= self.text.len();
        match (u32::try_from(start), u32::try_from(end)) {
            (Ok(s), Ok(e)) if inside => Text {
                buf: Arc::clone(&self.buf),
                start: s,
                end: e,
            },
            _ => Text::new(sub),
        }
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::new(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::whole(Arc::from(s))
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Text) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    fn cmp(&self, other: &Text) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_copies() {
        let text = "hello world";
        let src = Source::new(text);
        let w = src.text(&text[6..]);
        assert_eq!(w, "world");
        assert!(Arc::ptr_eq(&w.buf, &src.buf));
        let other = String::from("world");
        let c = src.text(&other);
        assert_eq!(c, w);
        assert!(!Arc::ptr_eq(&c.buf, &src.buf));
        assert_eq!(format!("{c} {c:?}"), "world \"world\"");
        assert_eq!(Text::from("x".to_string()).as_str(), "x");
        assert_eq!(src.text(&text[11..]), "");
    }
}
