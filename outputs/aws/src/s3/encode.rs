//! Object keys and NDJSON bodies (pure).

use chrono::{DateTime, Timelike, Utc};

/// Go's `t.Format(time.RFC3339Nano)` of a UTC time: trailing zeros of the fraction dropped,
/// no fraction at all on a whole second.
pub(crate) fn go_rfc3339_nano(t: &DateTime<Utc>) -> String {
    let mut s = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = t.nanosecond() % 1_000_000_000;
    if nanos != 0 {
        let fraction = format!("{nanos:09}");
        s.push('.');
        s.push_str(fraction.trim_end_matches('0'));
    }
    s.push('Z');
    s
}

/// falcosidekick's key: `<prefix>/<YYYY-MM-DD>/<RFC3339Nano>.<extension>`.
pub(crate) fn object_key(prefix: &str, now: &DateTime<Utc>, extension: &str) -> String {
    format!(
        "{prefix}/{}/{}.{extension}",
        now.format("%Y-%m-%d"),
        go_rfc3339_nano(now)
    )
}

/// The payloads, one per line, each line ending with `\n`.
pub(crate) fn ndjson<'a>(payloads: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for p in payloads {
        out.extend_from_slice(p);
        out.push(b'\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(nanos: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 5, 14, 9, 21, 7)
            .single()
            .and_then(|t| t.with_nanosecond(nanos))
            .expect("a valid time")
    }

    #[test]
    fn keys_are_formatted_like_gos_rfc3339_nano() {
        assert_eq!(
            object_key("falco", &at(418_790_000), "json"),
            "falco/2024-05-14/2024-05-14T09:21:07.41879Z.json"
        );
        assert_eq!(
            object_key("falco", &at(0), "json"),
            "falco/2024-05-14/2024-05-14T09:21:07Z.json"
        );
        assert_eq!(
            object_key("", &at(1), "ndjson"),
            "/2024-05-14/2024-05-14T09:21:07.000000001Z.ndjson"
        );
    }

    #[test]
    fn ndjson_is_one_payload_per_line() {
        assert_eq!(
            ndjson([&b"{\"a\":1}"[..], b"{\"b\":2}"]),
            b"{\"a\":1}\n{\"b\":2}\n"
        );
        assert!(ndjson(std::iter::empty::<&[u8]>()).is_empty());
    }
}
