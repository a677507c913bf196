//! Values printed the way falcosidekick's Go code prints them: `time.Time.String()` for alert
//! times (and, re-exported, `fmt`'s `%v` for output field values: [`go_value`]).

use std::fmt::Write as _;

use chrono::{Datelike, Timelike};
pub use falconer_event::go_value;
use falconer_event::AlertTime;

/// Go's `time.Time.String()` of an alert time as falcosidekick decodes it:
/// `2019-05-17 15:31:56.746609046 +0000 UTC` (fraction without trailing zeros, none for whole
/// seconds). A UTC time (`Z`) is in zone `UTC`; another offset is a nameless fixed zone, which
/// Go writes as the offset again (`+0200 +0200`).
pub fn go_time_string(time: &AlertTime) -> String {
    let mut out = String::with_capacity(40);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        time.year(),
        time.month(),
        time.day(),
        time.hour(),
        time.minute(),
        time.second()
    );
    let nanos = time.nanosecond() % 1_000_000_000;
    if nanos != 0 {
        let digits = format!("{nanos:09}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    let offset = time.offset().local_minus_utc();
    let sign = if offset < 0 { '-' } else { '+' };
    let abs = offset.unsigned_abs();
    let zone = format!("{sign}{:02}{:02}", abs / 3600, (abs % 3600) / 60);
    if offset == 0 {
        let _ = write!(out, " {zone} UTC");
    } else {
        let _ = write!(out, " {zone} {zone}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use falconer_event::parse_time;

    fn t(s: &str) -> String {
        go_time_string(&parse_time(s).expect("valid time"))
    }

    #[test]
    fn times_print_like_go_time_string() {
        assert_eq!(
            t("2019-05-17T15:31:56.746609046Z"),
            "2019-05-17 15:31:56.746609046 +0000 UTC"
        );
        assert_eq!(
            t("2024-05-14T09:21:07.418790000Z"),
            "2024-05-14 09:21:07.41879 +0000 UTC"
        );
        assert_eq!(t("2001-01-01T01:10:00Z"), "2001-01-01 01:10:00 +0000 UTC");
        assert_eq!(
            t("2024-05-14T09:21:07.5+02:00"),
            "2024-05-14 09:21:07.5 +0200 +0200"
        );
        assert_eq!(
            t("2024-05-14T09:21:07-05:30"),
            "2024-05-14 09:21:07 -0530 -0530"
        );
    }
}
