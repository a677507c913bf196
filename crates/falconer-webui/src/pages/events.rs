//! The events list: filters, search, auto-refresh, pagination, export links (with a notice
//! when an export would stop at its limit), each event's output fields as chips that add
//! themselves to the search. A table on wide screens, a list of cards on narrow ones (CSS).

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::Value;

use super::dashboard::{menus, page_query};
use super::filters::{refresh_of, refresh_select};
use super::{
    drop_banner, esc, filter_bar, format_us, layout, priority_chip, silence_href, silenced_badge,
    silenced_by, Filters, PageQuery, SILENCED_FIELD,
};
use crate::api::DEFAULT_EXPORT;
use crate::app::{UiState, User};
use crate::query::{parse_instant, MAX_EXPORT, MAX_LIMIT};
use crate::store::text::LONG_NUMBER;

const PAGE_SIZES: [u64; 6] = [10, 50, 100, 200, 500, 1000];

/// Output fields shown as chips per event at most (the detail view has them all).
const CHIPS: usize = 12;

/// Characters of a field value shown in its chip at most.
const CHIP_CHARS: usize = 48;

pub(crate) fn str_of<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

pub(crate) fn tags_of(v: &Value) -> Vec<&str> {
    v.get("tags")
        .and_then(Value::as_array)
        .map(|t| t.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// An event's time as a `<time>` element: UTC text, which the page script shows in the
/// browser's time zone.
pub(crate) fn time_html(v: &Value) -> String {
    let raw = str_of(v, "time");
    match parse_instant(raw).and_then(chrono::DateTime::from_timestamp_micros) {
        Some(t) => format!(
            "<time datetime=\"{}\" data-local>{}</time>",
            t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            format_us(t.timestamp_micros())
        ),
        None => esc(raw),
    }
}

/// A field value as shown (strings as they are, others as JSON).
pub(crate) fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The search term that finds events with this field value (`proc.name=bash`), when the
/// word index can find it: one term (no spaces), not empty, without the long numbers the
/// index leaves out (epoch times).
pub(crate) fn field_term(key: &str, value: &str) -> Option<String> {
    let long_number = crate::store::text::words(value)
        .any(|w| w.len() >= LONG_NUMBER && w.bytes().all(|b| b.is_ascii_digit()));
    let usable = !value.is_empty()
        && value.len() <= 200
        && !value.chars().any(char::is_whitespace)
        && !key.chars().any(char::is_whitespace)
        && !long_number;
    usable.then(|| format!("{key}={value}"))
}

/// The chips of an event's output fields: each a link adding `key=value` to the search
/// (plain when the index cannot find it), at most [`CHIPS`].
fn field_chips(state: &UiState, f: &Filters, v: &Value) -> String {
    let Some(fields) = v.get("output_fields").and_then(Value::as_object) else {
        return String::new();
    };
    let mut h = String::from("<div class=\"fields\">");
    let mut n = 0;
    for (k, val) in fields {
        if val.is_null() || k == SILENCED_FIELD {
            continue;
        }
        if n == CHIPS {
            let _ = write!(h, "<span class=\"field more\">+{}</span>", fields.len() - n);
            break;
        }
        n += 1;
        let value = shown(val);
        let cut: String = value.chars().take(CHIP_CHARS).collect();
        let cut = if cut.len() < value.len() {
            format!("{cut}…")
        } else {
            cut
        };
        let inner = format!(
            "<span class=\"fk\">{}</span><span class=\"fv\">{}</span>",
            esc(k),
            esc(&cut)
        );
        match field_term(k, &value) {
            Some(term) => {
                let _ = write!(
                    h,
                    "<a class=\"field\" href=\"{}\" title=\"search {}\">{inner}</a>",
                    esc(&f.with_term(&term).href(state, "/events")),
                    esc(&term)
                );
            }
            None => {
                let _ = write!(
                    h,
                    "<span class=\"field\" title=\"{}\">{inner}</span>",
                    esc(&value)
                );
            }
        }
    }
    h.push_str("</div>");
    h
}

/// The notice shown when an export of the page's filters would stop at its default limit
/// (empty when it would not): how many match, and links exporting them all (up to the most
/// one export writes). `href(format, limit)` is the export link.
fn export_notice(all: u64, href: impl Fn(&str, u64) -> String) -> String {
    if all <= DEFAULT_EXPORT {
        return String::new();
    }
    let most = all.min(MAX_EXPORT);
    format!(
        "<div class=\"banner info\" id=\"export-limit\" role=\"note\">Exports stop at {DEFAULT_EXPORT} events (the newest); {all} match. \
         Export up to {most}: <a href=\"{}\">CSV</a> · <a href=\"{}\">NDJSON</a>{}. \
         A download says where it stopped in its <code>X-Falconer-Export-Truncated</code> header.</div>",
        esc(&href("csv", most)),
        esc(&href("ndjson", most)),
        if all > MAX_EXPORT {
            format!(
                " (the most one export writes; narrow the filters for the other {})",
                all - MAX_EXPORT
            )
        } else {
            String::new()
        },
    )
}

/// `GET /events`.
pub(crate) async fn list(
    State(state): State<Arc<UiState>>,
    Extension(user): Extension<User>,
    PageQuery(raw): PageQuery,
) -> Response {
    let mut raw = raw;
    if raw.limit.is_none() {
        raw.limit = Some("50".into());
    }
    let (mut q, raw) = match page_query(&raw) {
        Ok(x) => x,
        Err(e) => return (StatusCode::BAD_REQUEST, e).into_response(),
    };
    q.limit = q.limit.min(MAX_LIMIT);
    let page_no = q.offset / q.limit.max(1) + 1;
    let result = match state.store.search(&q).await {
        Ok(p) => p,
        Err(e) => return crate::api::store_failed(&e),
    };
    let menus = match menus(&state, &q).await {
        Ok(m) => m,
        Err(e) => return crate::api::store_failed(&e),
    };
    let drops = match state.store.drops(q.from_us, q.to_us).await {
        Ok(d) => d,
        Err(e) => return crate::api::store_failed(&e),
    };
    let refresh = refresh_of(&raw);
    let f = Filters::from_raw(&raw);
    let mut extra = String::from("<label>Per page<select name=\"limit\">");
    for n in PAGE_SIZES {
        let sel = if n == q.limit { " selected" } else { "" };
        let _ = write!(extra, "<option{sel} value=\"{n}\">{n}</option>");
    }
    extra.push_str("</select></label>");
    extra.push_str(&refresh_select(refresh));
    let mut body = filter_bar(&state, "/events", &f, &menus, &extra);
    body.push_str(&drop_banner(&drops));
    let pages = result.all.div_ceil(q.limit.max(1)).max(1);
    let export = |format: &str, limit: Option<u64>| {
        let mut ef = f.with("format", format).with("refresh", "");
        ef.pairs.retain(|(k, _)| *k != "limit");
        if let Some(l) = limit {
            ef = ef.with("limit", &l.to_string());
        }
        ef.href(&state, "/api/v1/events/export")
    };
    let _ = write!(
        body,
        "<div class=\"toolbar\"><span id=\"matching\"{}><b>{}{}</b> events</span>{}<span class=\"grow\"></span>\
         <span>Export: <a id=\"export-csv\" href=\"{}\">CSV</a> · <a id=\"export-ndjson\" href=\"{}\">NDJSON</a> · <a id=\"export-json\" href=\"{}\">JSON</a></span></div>",
        if result.estimated {
            format!(
                " title=\"estimated: the newest {} matches are counted, the rest extrapolated over the time range\"",
                crate::store::EXACT_MATCHES
            )
        } else {
            String::new()
        },
        if result.estimated { "≈ " } else { "" },
        result.all,
        if refresh > 0 {
            format!(" <span class=\"muted\" id=\"refreshing\">· refreshes every {refresh}s</span>")
        } else {
            String::new()
        },
        esc(&export("csv", None)),
        esc(&export("ndjson", None)),
        esc(&export("json", None)),
    );
    body.push_str(&export_notice(result.all, |format, limit| {
        export(format, Some(limit))
    }));
    body.push_str(
        "<table class=\"events\" id=\"events\"><thead><tr><th>Time <span class=\"tz\">(UTC)</span></th><th>Priority</th><th>Rule</th>\
         <th>Source</th><th>Hostname</th><th>Output</th><th>Tags</th><th></th></tr></thead><tbody>",
    );
    if result.events.is_empty() {
        body.push_str(
            "<tr class=\"empty\"><td colspan=\"8\" class=\"muted\">No events match.</td></tr>",
        );
    }
    for json in &result.events {
        let v: Value = serde_json::from_str(json).unwrap_or(Value::Null);
        let uuid = str_of(&v, "uuid");
        let priority = str_of(&v, "priority");
        let rule = str_of(&v, "rule");
        let source = str_of(&v, "source");
        let host = str_of(&v, "hostname");
        let badge = silenced_by(&v).map_or_else(String::new, |id| silenced_badge(&id));
        let _ = write!(
            body,
            "<tr><td class=\"nowrap time\" data-label=\"Time\">{}</td><td class=\"prio\" data-label=\"Priority\">{}</td>\
             <td class=\"rule\" data-label=\"Rule\"><a href=\"{}\">{}</a>{}</td>\
             <td data-label=\"Source\"><a href=\"{}\">{}</a></td><td data-label=\"Hostname\"><a href=\"{}\">{}</a></td>\
             <td class=\"output\" data-label=\"Output\"><div class=\"text\">{}</div>{}</td><td class=\"tags\" data-label=\"Tags\">",
            time_html(&v),
            priority_chip(priority, &f.with("priority", priority).href(&state, "/events")),
            esc(&f.with("rule", rule).href(&state, "/events")),
            esc(rule),
            badge,
            esc(&f.with("source", source).href(&state, "/events")),
            esc(source),
            esc(&f.with("hostname", host).href(&state, "/events")),
            esc(host),
            esc(str_of(&v, "output")),
            field_chips(&state, &f, &v),
        );
        for t in tags_of(&v) {
            let _ = write!(
                body,
                "<a class=\"tag\" href=\"{}\">{}</a>",
                esc(&f.with("tags", t).href(&state, "/events")),
                esc(t)
            );
        }
        let _ = write!(
            body,
            "</td><td class=\"nowrap actions\"><a class=\"button small detail\" href=\"{}\">Details</a> \
             <a class=\"button small ghost silence\" href=\"{}\" title=\"Silence alerts like this\" \
             aria-label=\"Silence alerts like this\">Silence…</a></td></tr>",
            esc(&state.url(&format!("/events/{}", super::encode(uuid)))),
            esc(&silence_href(&state, &v))
        );
    }
    body.push_str("</tbody></table><nav class=\"pager\">");
    let link = |n: u64, label: &str| {
        let href = f.with("page", &n.to_string()).href(&state, "/events");
        format!("<a href=\"{}\">{label}</a>", esc(&href))
    };
    if page_no > 1 {
        body.push_str(&link(1, "« First"));
        body.push_str(&link(page_no - 1, "‹ Previous"));
    }
    let _ = write!(body, "<span id=\"page\">Page {page_no} of {pages}</span>");
    if page_no < pages {
        // The next page starts after this one's last event (keyset paging: no events to
        // skip, and new events arriving meanwhile do not shift it).
        let next = match result.next.as_deref() {
            Some(cursor) => {
                let href = f
                    .with("page", &(page_no + 1).to_string())
                    .with("cursor", cursor)
                    .href(&state, "/events");
                format!("<a href=\"{}\">Next ›</a>", esc(&href))
            }
            None => link(page_no + 1, "Next ›"),
        };
        body.push_str(&next);
        body.push_str(&link(pages, "Last »"));
    }
    body.push_str("</nav>");
    // Auto-refresh reloads the first page only (a later page would move under the reader).
    let refresh = (page_no == 1).then_some(refresh);
    layout(&state, "Events", "Events", &user.0, refresh, &body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_terms() {
        assert_eq!(
            field_term("proc.name", "bash").as_deref(),
            Some("proc.name=bash")
        );
        assert_eq!(field_term("proc.cmdline", "bash -c ls"), None);
        assert_eq!(field_term("evt.time", "1733220000123456789"), None);
        assert_eq!(field_term("fd.name", ""), None);
        assert_eq!(
            field_term("k8s.ns.name", "kube-system").as_deref(),
            Some("k8s.ns.name=kube-system")
        );
    }

    #[test]
    fn export_notice_when_the_default_limit_cuts() {
        let href = |f: &str, l: u64| format!("/x?format={f}&limit={l}&a=<b>");
        assert_eq!(export_notice(10_000, href), "");
        let n = export_notice(12_345, href);
        assert!(n.contains("Exports stop at 10000 events (the newest); 12345 match."));
        assert!(n.contains("href=\"/x?format=csv&amp;limit=12345&amp;a=&lt;b&gt;\""));
        assert!(n.contains("format=ndjson&amp;limit=12345"));
        assert!(!n.contains("narrow the filters"));
        let n = export_notice(1_500_000, href);
        assert!(n.contains("limit=1000000"));
        assert!(n.contains("narrow the filters for the other 500000"));
    }

    #[test]
    fn times_are_marked_for_the_script() {
        let v = serde_json::json!({"time": "2026-12-03T10:15:00.123456789Z"});
        assert_eq!(
            time_html(&v),
            "<time datetime=\"2026-12-03T10:15:00.123Z\" data-local>2026/12/03 10:15:00.123</time>"
        );
        let bad = serde_json::json!({"time": "<b>"});
        assert_eq!(time_html(&bad), "&lt;b&gt;");
    }
}
