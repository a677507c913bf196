//! Server-rendered pages: plain HTML and one embedded stylesheet, no JavaScript. Every
//! value is HTML-escaped; links carry the base path and the current filters.

pub(crate) mod chart;
pub(crate) mod dashboard;
pub(crate) mod events;
pub(crate) mod login;

use std::fmt::Write as _;

use axum::http::header;
use axum::response::{Html, IntoResponse, Response};

use crate::app::UiState;
use crate::query::RawQuery;

const CSS: &str = include_str!("../../assets/app.css");

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

/// Falco priority colours (falcosidekick-ui's palette); other values get a neutral one.
pub(crate) fn priority_color(p: &str) -> &'static str {
    match p {
        "Emergency" => "#C62828",
        "Alert" => "#D32F2F",
        "Critical" => "#E53935",
        "Error" => "#FF5252",
        "Warning" => "#FB8C00",
        "Notice" => "#1976D2",
        "Informational" => "#03A9F4",
        "Debug" => "#29B6F6",
        _ => "#78909C",
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

/// The filters of a page, kept as strings so links reproduce them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filters {
    pub pairs: Vec<(&'static str, String)>,
}

impl Filters {
    pub(crate) fn from_raw(raw: &RawQuery) -> Filters {
        let mut pairs = Vec::new();
        for (k, v) in [
            ("priority", &raw.priority),
            ("rule", &raw.rule),
            ("source", &raw.source),
            ("hostname", &raw.hostname),
            ("tags", &raw.tags),
            ("filter", &raw.filter),
            ("since", &raw.since),
            ("from", &raw.from),
            ("to", &raw.to),
            ("limit", &raw.limit),
            ("refresh", &raw.refresh),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
                pairs.push((k, v.to_owned()));
            }
        }
        Filters { pairs }
    }

    pub(crate) fn get(&self, key: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| *k == key)
            .map_or("", |(_, v)| v.as_str())
    }

    /// A copy with `key` set (or removed when `value` is empty).
    pub(crate) fn with(&self, key: &'static str, value: &str) -> Filters {
        let mut f = self.clone();
        f.pairs.retain(|(k, _)| *k != key);
        if !value.is_empty() {
            f.pairs.push((key, value.to_owned()));
        }
        f
    }

    pub(crate) fn query_string(&self) -> String {
        self.pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    pub(crate) fn href(&self, state: &UiState, path: &str) -> String {
        let qs = self.query_string();
        if qs.is_empty() {
            state.url(path)
        } else {
            format!("{}?{qs}", state.url(path))
        }
    }
}

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
        "<title>{} · Falconer</title><link rel=\"stylesheet\" href=\"{}\"></head><body>",
        esc(title),
        esc(&state.url("/static/app.css"))
    );
    let _ = write!(
        h,
        "<header class=\"bar\"><a class=\"brand\" href=\"{}\">Falconer</a><nav>",
        esc(&state.url("/"))
    );
    for (name, path) in [("Dashboard", "/"), ("Events", "/events")] {
        let class = if name == active { " class=\"on\"" } else { "" };
        let _ = write!(h, "<a{class} href=\"{}\">{name}</a>", esc(&state.url(path)));
    }
    h.push_str("</nav><div class=\"who\">");
    if !state.auth.disabled() {
        let _ = write!(
            h,
            "<span>{}</span><form method=\"post\" action=\"{}\"><button class=\"link\" type=\"submit\">Log out</button></form>",
            esc(user),
            esc(&state.url("/logout"))
        );
    }
    h.push_str("</div></header><main>");
    h.push_str(body);
    h.push_str("</main></body></html>");
    Html(h)
}

/// The shared filter bar (a GET form): priority, rule, source, hostname and tag menus
/// (filled from the window's values), window, search, and page-specific extras.
pub(crate) fn filter_bar(
    state: &UiState,
    action: &str,
    f: &Filters,
    menus: &[(&'static str, Vec<String>)],
    extra: &str,
) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<form class=\"filters\" method=\"get\" action=\"{}\">",
        esc(&state.url(action))
    );
    let select = |h: &mut String, name: &str, label: &str, values: &[String], current: &str| {
        let _ = write!(
            h,
            "<label>{label}<select name=\"{name}\"><option value=\"\">All</option>"
        );
        let mut seen = false;
        for v in values {
            let sel = if v == current {
                seen = true;
                " selected"
            } else {
                ""
            };
            let _ = write!(h, "<option{sel} value=\"{0}\">{0}</option>", esc(v));
        }
        if !seen && !current.is_empty() {
            let _ = write!(
                h,
                "<option selected value=\"{0}\">{0}</option>",
                esc(current)
            );
        }
        h.push_str("</select></label>");
    };
    let priorities: Vec<String> = PRIORITIES.iter().map(|p| (*p).to_owned()).collect();
    select(
        &mut h,
        "priority",
        "Priority",
        &priorities,
        f.get("priority"),
    );
    for (name, values) in menus {
        let label = match *name {
            "rule" => "Rule",
            "source" => "Source",
            "hostname" => "Hostname",
            _ => "Tag",
        };
        select(&mut h, name, label, values, f.get(name));
    }
    let since = if f.get("since").is_empty() && f.get("from").is_empty() {
        "24h"
    } else {
        f.get("since")
    };
    let _ = write!(h, "<label>Since<select name=\"since\">");
    for s in [
        "", "5m", "15m", "30m", "1h", "2h", "5h", "12h", "24h", "48h", "1w", "2w", "1M", "3M",
        "6M", "1y",
    ] {
        let sel = if s == since { " selected" } else { "" };
        let label = if s.is_empty() { "all time" } else { s };
        let _ = write!(h, "<option{sel} value=\"{s}\">{label}</option>");
    }
    h.push_str("</select></label>");
    let _ = write!(
        h,
        "<label>From<input type=\"datetime-local\" name=\"from\" value=\"{}\"></label>\
         <label>To<input type=\"datetime-local\" name=\"to\" value=\"{}\"></label>\
         <label class=\"grow\">Search<input type=\"search\" name=\"filter\" value=\"{}\" placeholder=\"text in output, rule, fields…\"></label>",
        esc(f.get("from")),
        esc(f.get("to")),
        esc(f.get("filter"))
    );
    h.push_str(extra);
    let _ = write!(
        h,
        "<button type=\"submit\">Apply</button><a class=\"button ghost\" href=\"{}\">Reset</a></form>",
        esc(&state.url(action))
    );
    h
}

/// A coloured priority chip linking to the same page filtered on it.
pub(crate) fn priority_chip(p: &str, href: &str) -> String {
    format!(
        "<a class=\"chip\" style=\"--c:{}\" href=\"{}\">{}</a>",
        priority_color(p),
        esc(href),
        esc(p)
    )
}

/// Formats microseconds since the epoch as `YYYY/MM/DD HH:MM:SS.mmm` UTC.
pub(crate) fn format_us(us: i64) -> String {
    chrono::DateTime::from_timestamp_micros(us).map_or_else(String::new, |t| {
        t.format("%Y/%m/%d %H:%M:%S%.3f").to_string()
    })
}
