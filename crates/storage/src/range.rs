use crate::Error;

/// A parsed single `Range: bytes=…` request. Parsing (and ignoring what S3 ignores, such as
/// `bytes=1-0` or several ranges) is the gateway's job; resolving against the size is ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// `bytes=first-last` or `bytes=first-`.
    From { first: u64, last: Option<u64> },
    /// `bytes=-n`: the last n bytes.
    Suffix(u64),
}

impl RangeRequest {
    /// The inclusive byte range this request selects in an object of `size` bytes, with S3's
    /// rules: an end past the object is clamped, a suffix longer than the object is the whole
    /// object; a start past the end, `bytes=-0`, or any range of an empty object is
    /// `InvalidRange` (416).
    pub fn resolve(self, size: u64) -> Result<(u64, u64), Error> {
        let unsatisfiable = Error::InvalidRange { size };
        let Some(end) = size.checked_sub(1) else {
            return Err(unsatisfiable);
        };
        match self {
            RangeRequest::From { first, last } => {
                if first > end || last.is_some_and(|last| last < first) {
                    return Err(unsatisfiable);
                }
                Ok((first, last.map_or(end, |last| last.min(end))))
            }
            RangeRequest::Suffix(0) => Err(unsatisfiable),
            RangeRequest::Suffix(n) => Ok((size.saturating_sub(n), end)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RangeRequest::{From, Suffix};
    use crate::Error;

    fn ok(r: super::RangeRequest, size: u64) -> Option<(u64, u64)> {
        match r.resolve(size) {
            Ok(v) => Some(v),
            Err(Error::InvalidRange { size: s }) if s == size => None,
            Err(e) => panic!("unexpected {e}"),
        }
    }

    #[test]
    fn s3_recorded_cases_on_ten_bytes() {
        let first = |first, last| From { first, last };
        assert_eq!(ok(first(0, Some(8)), 10), Some((0, 8)));
        assert_eq!(ok(first(1, Some(1)), 10), Some((1, 1)));
        assert_eq!(ok(first(0, Some(0)), 10), Some((0, 0)));
        assert_eq!(ok(first(1, None), 10), Some((1, 9)));
        assert_eq!(ok(Suffix(2), 10), Some((8, 9)));
        assert_eq!(ok(Suffix(9), 10), Some((1, 9)));
        assert_eq!(ok(Suffix(15), 10), Some((0, 9)));
        assert_eq!(ok(first(0, Some(100)), 10), Some((0, 9)));
        assert_eq!(ok(first(9, None), 10), Some((9, 9)));
        assert_eq!(ok(Suffix(0), 10), None);
        assert_eq!(ok(first(100, Some(200)), 10), None);
        assert_eq!(ok(first(10, None), 10), None);
        assert_eq!(ok(first(1, Some(0)), 10), None);
    }

    #[test]
    fn any_range_of_an_empty_object_is_unsatisfiable() {
        for r in [
            From {
                first: 0,
                last: None,
            },
            From {
                first: 0,
                last: Some(0),
            },
            From {
                first: 40,
                last: Some(50),
            },
            Suffix(1),
            Suffix(0),
        ] {
            assert_eq!(ok(r, 0), None, "{r:?}");
        }
    }
}
