//! Timestamps in the two formats SigV4 meets: ISO 8601 basic (`20150830T123600Z`,
//! used in X-Amz-Date and the string to sign) and the HTTP `Date` header format.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0u32, |acc, d| {
        acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })
}

fn to_unix(year: u32, month: u32, day: u32, h: u32, m: u32, s: u32) -> Option<i64> {
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date =
        Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()?;
    let time = Time::from_hms(
        u8::try_from(h).ok()?,
        u8::try_from(m).ok()?,
        u8::try_from(s).ok()?,
    )
    .ok()?;
    Some(
        PrimitiveDateTime::new(date, time)
            .assume_utc()
            .unix_timestamp(),
    )
}

/// Parses `YYYYMMDDTHHMMSSZ` into Unix seconds.
pub(crate) fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b.get(8) != Some(&b'T') || b.get(15) != Some(&b'Z') {
        return None;
    }
    to_unix(
        digits(b.get(0..4)?)?,
        digits(b.get(4..6)?)?,
        digits(b.get(6..8)?)?,
        digits(b.get(9..11)?)?,
        digits(b.get(11..13)?)?,
        digits(b.get(13..15)?)?,
    )
}

/// Formats Unix seconds as `YYYYMMDDTHHMMSSZ`. Out-of-range inputs clamp to the epoch
/// rather than panic (the result then simply fails verification).
pub(crate) fn format_amz_date(unix: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Converts an IMF-fixdate `Date` header (`Sun, 06 Nov 1994 08:49:37 GMT`) to the
/// basic format. SigV4 allows `Date` instead of `X-Amz-Date`; a value already in the
/// basic format is accepted as is.
pub(crate) fn http_date_to_amz(value: &str) -> Option<String> {
    let value = value.trim();
    if parse_amz_date(value).is_some() {
        return Some(value.to_owned());
    }
    let mut parts = value.split_ascii_whitespace();
    let (_weekday, day, month, year, hms, zone) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if parts.next().is_some() || zone != "GMT" {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month)? + 1;
    let mut hms = hms.split(':');
    let (h, m, s) = (hms.next()?, hms.next()?, hms.next()?);
    if hms.next().is_some() {
        return None;
    }
    let unix = to_unix(
        digits(year.as_bytes())?,
        u32::try_from(month).ok()?,
        digits(day.as_bytes())?,
        digits(h.as_bytes())?,
        digits(m.as_bytes())?,
        digits(s.as_bytes())?,
    )?;
    Some(format_amz_date(unix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_basic_format() {
        let t = parse_amz_date("20150830T123600Z");
        assert_eq!(t, Some(1_440_938_160));
        assert_eq!(format_amz_date(1_440_938_160), "20150830T123600Z");
    }

    #[test]
    fn rejects_malformed_dates() {
        for bad in [
            "",
            "20150830T123600",
            "2015083OT123600Z",
            "20151330T123600Z",
            "20150830T246000Z",
            "２0150830T12360Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn converts_http_dates() {
        assert_eq!(
            http_date_to_amz("Sun, 30 Aug 2015 12:36:00 GMT").as_deref(),
            Some("20150830T123600Z")
        );
        assert_eq!(
            http_date_to_amz("20150830T123600Z").as_deref(),
            Some("20150830T123600Z")
        );
        assert_eq!(http_date_to_amz("Sun, 30 Foo 2015 12:36:00 GMT"), None);
        assert_eq!(http_date_to_amz("yesterday"), None);
    }

    #[test]
    fn huge_timestamps_do_not_panic() {
        assert_eq!(format_amz_date(i64::MAX), "19700101T000000Z");
    }
}
