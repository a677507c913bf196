//! Server-rendered pages: plain HTML, one embedded stylesheet and one small embedded script.
//! Every page works without the script; where it runs it shows times in the browser's time
//! zone, adds copy buttons and folds the filters on narrow screens. Every value is
//! HTML-escaped; links carry the base path and the current filters.

pub(crate) mod chart;
pub(crate) mod dashboard;
pub(crate) mod detail;
pub(crate) mod events;
pub(crate) mod filters;
pub(crate) mod info;
pub(crate) mod login;
pub(crate) mod silences;

use std::fmt::Write as _;

use axum::http::header;
use axum::response::{Html, IntoResponse, Response};

use crate::app::UiState;
pub(crate) use filters::{filter_bar, Filters, PageQuery};

const CSS: &str = include_str!("../../assets/app.css");
const JS: &str = include_str!("../../assets/app.js");

/// `GET /static/app.css`.
pub(crate) async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

/// `GET /static/app.js`: the pages' progressive enhancements (local times, copy buttons,
/// folding filters).
pub(crate) async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        JS,
    )
        .into_response()
}

/// Escapes text for HTML content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query-string component.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Falco priority colours: falcosidekick-ui's hues, with the four reds made distinct
/// (wine, crimson, red, vermilion) and the two light blues apart (teal, blue-grey); other
/// values get a neutral brown.
pub(crate) fn priority_color(p: &str) -> &'static str {
    match p {
        "Emergency" => "#6A1B2E",
        "Alert" => "#AD1457",
        "Critical" => "#E53935",
        "Error" => "#F4511E",
        "Warning" => "#FB8C00",
        "Notice" => "#1976D2",
        "Informational" => "#00897B",
        "Debug" => "#607D8B",
        _ => "#8D6E63",
    }
}

/// The priorities from most to least severe.
pub(crate) const PRIORITIES: [&str; 8] = [
    "Emergency",
    "Alert",
    "Critical",
    "Error",
    "Warning",
    "Notice",
    "Informational",
    "Debug",
];

/// The page frame: header with navigation, the signed-in user and logout.
pub(crate) fn layout(
    state: &UiState,
    title: &str,
    active: &str,
    user: &str,
    refresh: Option<u32>,
    body: &str,
) -> Html<String> {
    let mut h = String::with_capacity(body.len() + 2048);
    h.push_str("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    h.push_str("<meta name=\"color-scheme\" content=\"light dark\">");
    if let Some(r) = refresh.filter(|r| *r > 0) {
        let _ = write!(h, "<meta http-equiv=\"refresh\" content=\"{r}\">");
    }
    let _ = write!(
        h,
        "<title>{} · Falconer</title><link rel=\"stylesheet\" href=\"{}\"><script src=\"{}\" defer></script></head><body>",
        esc(title),
        esc(&state.url("/static/app.css")),
        esc(&state.url("/static/app.js"))
    );
    let _ = write!(
        h,
        "<header class=\"bar\"><a class=\"brand\" href=\"{}\">Falconer</a><nav>",
        esc(&state.url("/"))
    );
    for (name, path) in [
        ("Dashboard", "/"),
        ("Events", "/events"),
        ("Silences", "/silences"),
        ("Info", "/info"),
    ] {
        let class = if name == active { " class=\"on\"" } else { "" };
        let _ = write!(h, "<a{class} href=\"{}\">{name}</a>", esc(&state.url(path)));
    }
    h.push_str("</nav><div class=\"who\">");
    if !state.auth.disabled() {
        let _ = write!(
            h,
            "<span class=\"user\" title=\"signed in\">{}</span><form method=\"post\" action=\"{}\"><button class=\"link\" type=\"submit\">Log out</button></form>",
            esc(user),
            esc(&state.url("/logout"))
        );
    }
    h.push_str("</div></header><main>");
    h.push_str(body);
    h.push_str("</main></body></html>");
    Html(h)
}

/// The warning shown when alerts meant for the store were not stored in the page's time
/// range (empty when none were).
pub(crate) fn drop_banner(drops: &crate::store::Drops) -> String {
    if drops.total == 0 {
        return String::new();
    }
    let reasons = drops
        .by_reason
        .iter()
        .map(|(reason, n)| {
            let label = reason.replace('_', " ");
            if drops.by_reason.len() == 1 {
                esc(&label)
            } else {
                format!("{}: {n}", esc(&label))
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let noun = if drops.total == 1 {
        "alert was"
    } else {
        "alerts were"
    };
    format!(
        "<div class=\"banner warn\" id=\"dropped\" role=\"status\"><b>{} {noun} not stored in this time range</b> ({reasons}) \u{2014} see README: \
         <a href=\"{SIZING_DOC}\">sizing the UI store</a>.</div>",
        drops.total
    )
}

/// The README section on sizing the store's queue for bursts.
const SIZING_DOC: &str = "https://github.com/falconer-dev/falconer#sizing-the-ui-store";

/// A coloured priority chip linking to the same page filtered on it.
pub(crate) fn priority_chip(p: &str, href: &str) -> String {
    format!(
        "<a class=\"chip\" style=\"--c:{}\" href=\"{}\">{}</a>",
        priority_color(p),
        esc(href),
        esc(p)
    )
}

/// The output field the router sets on a silenced alert it still stores: the silence's id.
pub(crate) const SILENCED_FIELD: &str = "falconer.silenced";

/// The id of the silence that silenced a stored event (its `output_fields`), if any.
pub(crate) fn silenced_by(event: &serde_json::Value) -> Option<String> {
    let v = event.get("output_fields")?.get(SILENCED_FIELD)?;
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The "silenced" badge of a silenced event (its title the silence's id).
pub(crate) fn silenced_badge(id: &str) -> String {
    format!(
        "<span class=\"badge silenced\" title=\"silenced by {}\">silenced</span>",
        esc(id)
    )
}

/// The link to the silences page with the form pre-filled for alerts like `event`
/// (same rule and hostname).
pub(crate) fn silence_href(state: &UiState, event: &serde_json::Value) -> String {
    let s = |k: &str| {
        event
            .get(k)
            .and_then(serde_json::Value::as_str)
            .unwrap_or("")
    };
    let condition = crate::silences::like_this(s("rule"), s("hostname"));
    format!("{}?match={}", state.url("/silences"), encode(&condition))
}

/// Formats microseconds since the epoch as `YYYY/MM/DD HH:MM:SS.mmm` UTC.
pub(crate) fn format_us(us: i64) -> String {
    chrono::DateTime::from_timestamp_micros(us).map_or_else(String::new, |t| {
        t.format("%Y/%m/%d %H:%M:%S%.3f").to_string()
    })
}
