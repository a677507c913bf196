//! The filters of the dashboard and events pages: how they are read from the URL (repeated
//! keys, which multi-select checkboxes send, join into the API's comma-separated lists),
//! kept for links, and drawn as the filter bar.

use std::fmt::Write as _;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;

use super::{esc, priority_color, PRIORITIES};
use crate::app::UiState;
use crate::query::{parse_instant, RawQuery};

/// A page's query string as a [`RawQuery`]: `priority=Critical&priority=Warning` (what a
/// form of checkboxes sends) reads as `priority=Critical,Warning`.
#[derive(Debug, Clone, Default)]
pub(crate) struct PageQuery(pub RawQuery);

impl<S: Send + Sync> FromRequestParts<S> for PageQuery {
    type Rejection = (StatusCode, String);

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parse_page_query(parts.uri.query().unwrap_or(""))
            .map(PageQuery)
            .map_err(|e| (StatusCode::BAD_REQUEST, e))
    }
}

/// Parses a query string, joining the values of a repeated key with commas (empty values
/// left out).
pub(crate) fn parse_page_query(qs: &str) -> Result<RawQuery, String> {
    let mut map = serde_json::Map::new();
    for pair in qs.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (decode(k), decode(v));
        match map.get_mut(&k) {
            Some(serde_json::Value::String(prev)) if !v.is_empty() => {
                if prev.is_empty() {
                    *prev = v;
                } else {
                    prev.push(',');
                    prev.push_str(&v);
                }
            }
            Some(_) => {}
            None => {
                map.insert(k, serde_json::Value::String(v));
            }
        }
    }
    serde_json::from_value(serde_json::Value::Object(map)).map_err(|e| format!("bad query: {e}"))
}

/// Decodes a form-encoded component (`+` is a space; bad escapes are kept as they are).
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| {
                    std::str::from_utf8(h)
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                });
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

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

    /// The values of a list filter (`priority=Critical,Warning`).
    pub(crate) fn list(&self, key: &str) -> Vec<&str> {
        self.get(key)
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
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

    /// A copy with `term` added to the free-text search (unless it is there already).
    pub(crate) fn with_term(&self, term: &str) -> Filters {
        let current = self.get("filter");
        if current.split_whitespace().any(|t| t == term) {
            return self.clone();
        }
        let joined = if current.trim().is_empty() {
            term.to_owned()
        } else {
            format!("{} {term}", current.trim())
        };
        self.with("filter", &joined)
    }

    pub(crate) fn query_string(&self) -> String {
        self.pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", super::encode(v)))
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

    /// How many of the value filters (priority … search, from, to) are set.
    fn active(&self) -> usize {
        [
            "priority", "rule", "source", "hostname", "tags", "filter", "from", "to",
        ]
        .iter()
        .filter(|k| !self.get(k).is_empty())
        .count()
    }
}

/// A multi-select: a `<details>` dropdown of checkboxes named `name` (a GET form sends each
/// checked value; [`PageQuery`] joins them). Values selected but not offered (not seen in
/// the window) are offered too, checked.
fn multi(h: &mut String, name: &str, label: &str, values: &[String], current: &[&str]) {
    let summary = if current.is_empty() {
        "All".to_owned()
    } else {
        current.join(", ")
    };
    let _ = write!(
        h,
        "<details class=\"multi\" id=\"f-{name}\"><summary><span class=\"k\">{label}</span><span class=\"v\">{}</span></summary><div class=\"options\">",
        esc(&summary)
    );
    if values.is_empty() && current.is_empty() {
        h.push_str("<span class=\"muted\">none in this window</span>");
    }
    let box_of = |h: &mut String, v: &str, checked: bool| {
        let dot = if name == "priority" {
            format!("<i style=\"background:{}\"></i>", priority_color(v))
        } else {
            String::new()
        };
        let _ = write!(
            h,
            "<label><input type=\"checkbox\" name=\"{name}\" value=\"{0}\"{1}>{dot}<span>{2}</span></label>",
            esc(v),
            if checked { " checked" } else { "" },
            esc(if v.is_empty() { "(none)" } else { v })
        );
    };
    for v in values {
        box_of(h, v, current.contains(&v.as_str()));
    }
    for c in current {
        if !values.iter().any(|v| v == c) {
            box_of(h, c, true);
        }
    }
    // The open menu covers what is under it: it has its own Apply.
    h.push_str("<button type=\"submit\" class=\"small apply\">Apply</button></div></details>");
}

/// A `datetime-local` value (`YYYY-MM-DDTHH:MM`, UTC) for what the URL holds (that form, RFC
/// 3339 or Unix seconds); the page script shows it in the browser's time zone.
fn local_input_value(v: &str) -> String {
    parse_instant(v)
        .and_then(chrono::DateTime::from_timestamp_micros)
        .map_or_else(String::new, |t| t.format("%Y-%m-%dT%H:%M").to_string())
}

/// The shared filter bar (a GET form in a `<details>` that the page script folds on narrow
/// screens): priority, rule, source, hostname and tag multi-selects (filled from the
/// window's values), window, from/to, search, and page-specific extras.
pub(crate) fn filter_bar(
    state: &UiState,
    action: &str,
    f: &Filters,
    menus: &[(&'static str, Vec<String>)],
    extra: &str,
) -> String {
    let mut h = String::new();
    let active = f.active();
    let _ = write!(
        h,
        "<details class=\"filterbox\" id=\"filterbox\" open><summary>Filters{}</summary>\
         <form class=\"filters\" method=\"get\" action=\"{}\">",
        if active > 0 {
            format!(" <span class=\"count\">{active} active</span>")
        } else {
            String::new()
        },
        esc(&state.url(action))
    );
    let priorities: Vec<String> = PRIORITIES.iter().map(|p| (*p).to_owned()).collect();
    multi(
        &mut h,
        "priority",
        "Priority",
        &priorities,
        &f.list("priority"),
    );
    for (name, values) in menus {
        let label = match *name {
            "rule" => "Rule",
            "source" => "Source",
            "hostname" => "Hostname",
            _ => "Tag",
        };
        multi(&mut h, name, label, values, &f.list(name));
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
        "<label><span>From <span class=\"tz\">(UTC)</span></span><input type=\"datetime-local\" name=\"from\" data-utc value=\"{}\"></label>\
         <label><span>To <span class=\"tz\">(UTC)</span></span><input type=\"datetime-local\" name=\"to\" data-utc value=\"{}\"></label>\
         <label class=\"grow\">Search<input type=\"search\" name=\"filter\" value=\"{}\" placeholder=\"text in output, rule, fields…\"></label>",
        esc(&local_input_value(f.get("from"))),
        esc(&local_input_value(f.get("to"))),
        esc(f.get("filter"))
    );
    h.push_str(extra);
    let _ = write!(
        h,
        "<span class=\"actions\"><button type=\"submit\">Apply</button><a class=\"button ghost\" href=\"{}\">Reset</a></span></form></details>",
        esc(&state.url(action))
    );
    h
}

/// The auto-refresh menu (`refresh=` seconds; the page reloads itself with a `<meta>`
/// refresh, no script needed).
pub(crate) fn refresh_select(current: u32) -> String {
    let mut h = String::from("<label>Refresh<select name=\"refresh\" id=\"refresh\">");
    for (v, label) in [
        (0, "off"),
        (10, "10s"),
        (30, "30s"),
        (60, "1min"),
        (120, "2min"),
    ] {
        let sel = if v == current { " selected" } else { "" };
        let _ = write!(h, "<option{sel} value=\"{v}\">{label}</option>");
    }
    h.push_str("</select></label>");
    h
}

/// The `refresh=` of a page, in seconds (0: off); at least 5 s.
pub(crate) fn refresh_of(raw: &RawQuery) -> u32 {
    match raw
        .refresh
        .as_deref()
        .and_then(|r| r.trim().parse::<u32>().ok())
    {
        Some(0) | None => 0,
        Some(n) => n.max(5),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_join() {
        let raw =
            parse_page_query("priority=Critical&priority=Warning&rule=a%2Bb+c&since=1h&tags=&x=1")
                .expect("parses");
        assert_eq!(raw.priority.as_deref(), Some("Critical,Warning"));
        assert_eq!(raw.rule.as_deref(), Some("a+b c"));
        assert_eq!(raw.since.as_deref(), Some("1h"));
        assert_eq!(raw.tags.as_deref(), Some(""));
        let raw = parse_page_query("tags=&tags=x&filter=%zz%41").expect("parses");
        assert_eq!(raw.tags.as_deref(), Some("x"));
        assert_eq!(raw.filter.as_deref(), Some("%zzA"));
    }

    #[test]
    fn terms_and_lists() {
        let f = Filters::default()
            .with("priority", "Critical,Warning")
            .with_term("proc.name=bash");
        assert_eq!(f.list("priority"), ["Critical", "Warning"]);
        let g = f.with_term("user.name=root").with_term("proc.name=bash");
        assert_eq!(g.get("filter"), "proc.name=bash user.name=root");
    }

    #[test]
    fn inputs_show_utc_minutes() {
        assert_eq!(
            local_input_value("2026-12-03T10:15:00Z"),
            "2026-12-03T10:15"
        );
        assert_eq!(
            local_input_value("2026-12-03T11:15:00+01:00"),
            "2026-12-03T10:15"
        );
        assert_eq!(local_input_value("2026-12-03T10:15"), "2026-12-03T10:15");
        assert_eq!(local_input_value("nonsense"), "");
    }
}
