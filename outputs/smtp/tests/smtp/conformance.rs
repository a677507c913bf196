//! Conformance with falcosidekick's own test of the smtp output (`outputs/smtp_test.go`):
//! the input alert and config of `TestNewSMTPPayloadDateHeaderIsRFC5322` through Falconer's
//! output to a real SMTP server, against the fixture
//! `tests/fixtures/conformance/smtp.json` (the falcosidekick file, test and commit, the
//! expected line and the documented difference).

use std::time::{SystemTime, UNIX_EPOCH};

use falconer_testkit::{SmtpOptions, SmtpServer};
use mail_parser::MessageParser;
use serde_json::Value;

use crate::{build, settings, WAIT};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/conformance/smtp.json"
);

fn unix_now() -> i64 {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970");
    i64::try_from(d.as_secs()).expect("seconds")
}

/// `t` (Unix seconds) in Go's `time.RFC1123Z` layout in UTC, as falcosidekick's test writes
/// its expected Date (`Mon, 01 Jan 2001 01:10:00 +0000`).
fn rfc1123z(t: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} +0000",
        DAYS[usize::try_from(days.rem_euclid(7)).expect("weekday")],
        MONTHS[usize::try_from(month - 1).expect("month")],
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[test]
fn the_layout_is_falcosidekicks() {
    // 2001-01-01T01:10:00Z, falcoTestInput's time: the line falcosidekick's test expects.
    assert_eq!(rfc1123z(978_311_400), "Mon, 01 Jan 2001 01:10:00 +0000");
}

#[tokio::test]
async fn the_date_header_is_rfc5322_at_the_send_time_not_the_alert_time() {
    let text = std::fs::read_to_string(FIXTURE).expect("the fixture");
    let f: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(f["kind"], "smtp");
    assert_eq!(
        f["falcosidekick"]["repository"],
        "falcosecurity/falcosidekick"
    );
    assert!(f["falcosidekick"]["commit"].is_string());
    let expected = f["expected"]["contains"]
        .as_str()
        .expect("the expected line");
    assert!(expected.starts_with("Date: "));
    assert!(f["differs"].is_string(), "the documented difference");

    let server = SmtpServer::start(SmtpOptions::default()).await;
    let output = build(settings(&server, f["config"].clone())).await;
    let input = f["falcosidekick"]["input"]["text"].as_str().expect("input");
    let before = unix_now();
    output
        .send(&[falconer_testkit::enriched(input, 1)])
        .await
        .expect("accepted");
    let after = unix_now();
    let mails = server.wait_for(1, WAIT).await;
    let data = &mails[0].data;
    let raw = String::from_utf8_lossy(data);

    // falcosidekick's line, at the alert's time, is not there: the documented difference.
    assert!(!raw.replace("\r\n", "\n").contains(expected), "{raw}");
    // The Date header: RFC 5322, and the send time (normalised to the clock around the send).
    let m = MessageParser::default().parse(data).expect("RFC 5322");
    let date = m.date().expect("a Date header");
    let header = raw
        .lines()
        .find_map(|l| l.strip_prefix("Date: "))
        .expect("a Date line");
    let sent = date.to_timestamp();
    assert_eq!(
        header.trim_end(),
        rfc1123z(sent),
        "RFC 5322, Go's RFC1123Z layout"
    );
    assert!(
        (before..=after).contains(&sent),
        "dated {sent}, sent between {before} and {after}"
    );
}
