//! Time windows: falcosidekick-ui's `since` syntax (`30s`, `5m`, `5min`, `2h`, `1d`, `1w`,
//! `1M`, `1y`, `2hours`, a bare number of seconds), also used for the retention settings.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

/// Parses a window. Single-letter units are case-sensitive (`m` minutes, `M` 30-day months);
/// long forms are not. `W` is accepted for weeks (falcosidekick-ui documents it but its
/// parser does not know it). `None` when the value is not understood.
pub fn parse_window(input: &str) -> Option<Duration> {
    let s = input.trim();
    if s.is_empty() {
        return None;
    }
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let unit_seconds = match unit {
        "" | "s" => 1,
        "m" => MINUTE,
        "h" | "H" => HOUR,
        "d" | "D" => DAY,
        "w" | "W" => 7 * DAY,
        "M" => 30 * DAY,
        "y" | "Y" => 365 * DAY,
        long => match long.to_ascii_lowercase().as_str() {
            "sec" | "secs" | "second" | "seconds" => 1,
            "min" | "mins" | "minute" | "minutes" => MINUTE,
            "hour" | "hours" => HOUR,
            "day" | "days" => DAY,
            "week" | "weeks" => 7 * DAY,
            "month" | "months" => 30 * DAY,
            "year" | "years" => 365 * DAY,
            _ => return None,
        },
    };
    n.checked_mul(unit_seconds).map(Duration::from_secs)
}

/// A duration written as a window (`7d`, `12h`, `90`), for settings.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Window(pub Duration);

impl fmt::Debug for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", format_window(self.0))
    }
}

/// Writes a duration back in the largest whole unit (`7d`, `90m`, `0`).
pub fn format_window(d: Duration) -> String {
    let s = d.as_secs();
    if s == 0 {
        return "0".into();
    }
    for (unit, size) in [("d", DAY), ("h", HOUR), ("m", MINUTE)] {
        if s % size == 0 {
            return format!("{}{unit}", s / size);
        }
    }
    format!("{s}s")
}

impl<'de> Deserialize<'de> for Window {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Seconds(u64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Seconds(s) => Ok(Window(Duration::from_secs(s))),
            Raw::Text(t) if t.trim() == "0" => Ok(Window(Duration::ZERO)),
            Raw::Text(t) => parse_window(&t).map(Window).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "{t:?} is not a duration (a number followed by s, m, h, d, w, M or y)"
                ))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_as_falcosidekick_ui() {
        let cases = [
            ("30s", 30),
            ("5m", 300),
            ("5min", 300),
            ("2h", 7200),
            ("2hours", 7200),
            ("1d", 86_400),
            ("1w", 604_800),
            ("1W", 604_800),
            ("1M", 2_592_000),
            ("1y", 31_536_000),
            ("90", 90),
        ];
        for (input, secs) in cases {
            assert_eq!(
                parse_window(input),
                Some(Duration::from_secs(secs)),
                "{input}"
            );
        }
        for bad in ["", "abc", "5x", "-1h", "h"] {
            assert_eq!(parse_window(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_in_the_largest_unit() {
        assert_eq!(format_window(Duration::from_secs(7 * DAY)), "7d");
        assert_eq!(format_window(Duration::from_secs(90 * 60)), "90m");
        assert_eq!(format_window(Duration::from_secs(61)), "61s");
    }
}
