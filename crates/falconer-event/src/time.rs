//! Alert timestamps: RFC 3339 in, Go's `RFC3339Nano` out.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, FixedOffset, Timelike};

/// The time of an alert, nanosecond precise, with the UTC offset it was sent with.
pub type AlertTime = DateTime<FixedOffset>;

/// The current time, in UTC (for the `/test` alert).
pub fn now() -> AlertTime {
    chrono::Utc::now().fixed_offset()
}

/// Parses an RFC 3339 timestamp (`2024-05-14T09:21:07.418790000Z`), keeping nanoseconds.
pub fn parse_time(value: &str) -> Result<AlertTime, chrono::ParseError> {
    DateTime::parse_from_rfc3339(value)
}

/// True for Go's zero `time.Time` (`0001-01-01T00:00:00Z`), which falcosidekick rejects.
pub fn is_zero_time(time: &AlertTime) -> bool {
    // Go's zero time is the instant 0001-01-01T00:00:00Z, whatever the offset it is written in.
    const GO_ZERO_UNIX_SECONDS: i64 = -62_135_596_800;
    time.timestamp() == GO_ZERO_UNIX_SECONDS && time.timestamp_subsec_nanos() == 0
}

/// Formats like Go's `time.RFC3339Nano` (what falcosidekick's JSON carries): the fraction has
/// its trailing zeros removed (none at all for whole seconds) and UTC is written `Z`.
pub fn format_time(time: &AlertTime, out: &mut String) {
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        time.year(),
        time.month(),
        time.day(),
        time.hour(),
        time.minute(),
        time.second()
    );
    let nanos = time.nanosecond() % 1_000_000_000;
    if nanos != 0 {
        out.push('.');
        let start = out.len();
        let _ = write!(out, "{nanos:09}");
        let kept = out[start..].trim_end_matches('0').len();
        out.truncate(start + kept);
    }
    let offset = time.offset().local_minus_utc();
    if offset == 0 {
        out.push('Z');
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        let abs = offset.unsigned_abs();
        let _ = write!(out, "{sign}{:02}:{:02}", abs / 3600, (abs % 3600) / 60);
    }
}

/// The length of what [`format_time`] writes, without writing it. RFC 3339 years have four
/// digits.
pub(crate) fn format_time_len(time: &AlertTime) -> usize {
    // `YYYY-MM-DDTHH:MM:SS`
    let mut len = 19;
    let nanos = time.nanosecond() % 1_000_000_000;
    if nanos != 0 {
        len += 1 + 9 - nanos.trailing_zeros_decimal();
    }
    len + if time.offset().local_minus_utc() == 0 {
        1
    } else {
        6
    }
}

/// Decimal trailing zeros.
trait TrailingZerosDecimal {
    fn trailing_zeros_decimal(self) -> usize;
}

impl TrailingZerosDecimal for u32 {
    fn trailing_zeros_decimal(mut self) -> usize {
        let mut zeros = 0;
        while self != 0 && self % 10 == 0 {
            self /= 10;
            zeros += 1;
        }
        zeros
    }
}

/// [`format_time`] into a new string.
pub fn time_to_string(time: &AlertTime) -> String {
    let mut s = String::with_capacity(36);
    format_time(time, &mut s);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(input: &str) -> String {
        let time = parse_time(input).expect("valid time");
        let text = time_to_string(&time);
        assert_eq!(format_time_len(&time), text.len(), "{text}");
        text
    }

    #[test]
    fn keeps_nanoseconds_and_trims_like_go() {
        assert_eq!(
            roundtrip("2024-05-14T09:21:07.418790123Z"),
            "2024-05-14T09:21:07.418790123Z"
        );
        assert_eq!(
            roundtrip("2024-05-14T09:21:07.418790000Z"),
            "2024-05-14T09:21:07.41879Z"
        );
        assert_eq!(roundtrip("2024-05-14T09:21:07Z"), "2024-05-14T09:21:07Z");
        assert_eq!(
            roundtrip("2024-05-14T09:21:07.5+02:00"),
            "2024-05-14T09:21:07.5+02:00"
        );
        assert_eq!(
            roundtrip("2024-05-14T09:21:07.000000001-05:30"),
            "2024-05-14T09:21:07.000000001-05:30"
        );
    }

    #[test]
    fn detects_go_zero_time() {
        assert!(is_zero_time(&parse_time("0001-01-01T00:00:00Z").unwrap()));
        assert!(!is_zero_time(
            &parse_time("0001-01-01T00:00:00.1Z").unwrap()
        ));
        assert!(!is_zero_time(&parse_time("2024-01-01T00:00:00Z").unwrap()));
        assert!(is_zero_time(
            &parse_time("0001-01-01T01:00:00+01:00").unwrap()
        ));
    }

    #[test]
    fn rejects_non_rfc3339() {
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("2024-05-14").is_err());
        assert!(parse_time("").is_err());
    }
}
