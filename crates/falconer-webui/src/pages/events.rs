//! The events table (filters, search, pagination, export links) and the detail view.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Path, Query as QueryParams, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::Value;

use super::dashboard::{menus, page_query};
use super::{esc, filter_bar, format_us, layout, priority_chip, Filters};
use crate::api::store_failed;
use crate::app::{UiState, User};
use crate::query::{parse_instant, RawQuery, MAX_LIMIT};

const PAGE_SIZES: [u64; 6] = [10, 50, 100, 200, 500, 1000];

fn str_of<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn tags_of(v: &Value) -> Vec<&str> {
    v.get("tags")
        .and_then(Value::as_array)
        .map(|t| t.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn time_of(v: &Value) -> String {
    parse_instant(str_of(v, "time")).map_or_else(|| str_of(v, "time").to_owned(), format_us)
}

/// `GET /events`.
pub(crate) async fn list(
    State(state): State<Arc<UiState>>,
    Extension(user): Extension<User>,
    QueryParams(raw): QueryParams<RawQuery>,
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
        Err(e) => return store_failed(&e),
    };
    let menus = match menus(&state, &q).await {
        Ok(m) => m,
        Err(e) => return store_failed(&e),
    };
    let f = Filters::from_raw(&raw);
    let mut sizes = String::from("<label>Per page<select name=\"limit\">");
    for n in PAGE_SIZES {
        let sel = if n == q.limit { " selected" } else { "" };
        let _ = write!(sizes, "<option{sel} value=\"{n}\">{n}</option>");
    }
    sizes.push_str("</select></label>");
    let mut body = filter_bar(&state, "/events", &f, &menus, &sizes);
    let pages = result.all.div_ceil(q.limit.max(1)).max(1);
    let export = |format: &str| {
        let mut ef = f.with("format", format).with("refresh", "");
        ef.pairs.retain(|(k, _)| *k != "limit");
        ef.href(&state, "/api/v1/events/export")
    };
    let _ = write!(
        body,
        "<div class=\"toolbar\"><span id=\"matching\"><b>{}</b> events</span><span class=\"grow\"></span>\
         Export: <a id=\"export-csv\" href=\"{}\">CSV</a> · <a id=\"export-ndjson\" href=\"{}\">NDJSON</a> · <a href=\"{}\">JSON</a></div>",
        result.all,
        esc(&export("csv")),
        esc(&export("ndjson")),
        esc(&export("json")),
    );
    body.push_str(
        "<table class=\"events\" id=\"events\"><thead><tr><th>Time (UTC)</th><th>Priority</th><th>Rule</th>\
         <th>Source</th><th>Hostname</th><th>Output</th><th>Tags</th><th></th></tr></thead><tbody>",
    );
    if result.events.is_empty() {
        body.push_str("<tr><td colspan=\"8\" class=\"muted\">No events match.</td></tr>");
    }
    for json in &result.events {
        let v: Value = serde_json::from_str(json).unwrap_or(Value::Null);
        let uuid = str_of(&v, "uuid");
        let priority = str_of(&v, "priority");
        let rule = str_of(&v, "rule");
        let source = str_of(&v, "source");
        let host = str_of(&v, "hostname");
        let _ = write!(
            body,
            "<tr><td class=\"nowrap\">{}</td><td>{}</td><td><a href=\"{}\">{}</a></td><td><a href=\"{}\">{}</a></td><td><a href=\"{}\">{}</a></td><td class=\"output\">{}</td><td>",
            esc(&time_of(&v)),
            priority_chip(priority, &f.with("priority", priority).with("page", "").href(&state, "/events")),
            esc(&f.with("rule", rule).href(&state, "/events")),
            esc(rule),
            esc(&f.with("source", source).href(&state, "/events")),
            esc(source),
            esc(&f.with("hostname", host).href(&state, "/events")),
            esc(host),
            esc(str_of(&v, "output")),
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
            "</td><td><a class=\"button small detail\" href=\"{}\">Details</a></td></tr>",
            esc(&state.url(&format!("/events/{}", super::encode(uuid))))
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
        body.push_str(&link(page_no + 1, "Next ›"));
        body.push_str(&link(pages, "Last »"));
    }
    body.push_str("</nav>");
    layout(&state, "Events", "Events", &user.0, None, &body).into_response()
}

/// `GET /events/:uuid`: every field, the output fields and the JSON.
pub(crate) async fn detail(
    State(state): State<Arc<UiState>>,
    Extension(user): Extension<User>,
    Path(uuid): Path<String>,
) -> Response {
    let json = match state.store.get(&uuid).await {
        Ok(Some(j)) => j,
        Ok(None) => {
            let body = format!(
                "<p>No event {}. It may have been removed by retention.</p>",
                esc(&uuid)
            );
            return (
                StatusCode::NOT_FOUND,
                layout(&state, "Not found", "Events", &user.0, None, &body),
            )
                .into_response();
        }
        Err(e) => return store_failed(&e),
    };
    let v: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
    let priority = str_of(&v, "priority");
    let mut body = String::new();
    let _ = write!(
        body,
        "<p><a href=\"{}\">← Events</a></p><section class=\"panel wide\" id=\"detail\"><h2>{}</h2><table class=\"kv\">",
        esc(&state.url("/events")),
        esc(str_of(&v, "rule"))
    );
    let f = Filters::default();
    let rows = [
        (
            "Time",
            esc(&format!("{} ({})", time_of(&v), str_of(&v, "time"))),
        ),
        (
            "Priority",
            priority_chip(
                priority,
                &f.with("priority", priority).href(&state, "/events"),
            ),
        ),
        ("Rule", esc(str_of(&v, "rule"))),
        ("Source", esc(str_of(&v, "source"))),
        ("Hostname", esc(str_of(&v, "hostname"))),
        ("Tags", esc(&tags_of(&v).join(", "))),
        ("UUID", format!("<code>{}</code>", esc(str_of(&v, "uuid")))),
        (
            "Output",
            format!("<div class=\"output\">{}</div>", esc(str_of(&v, "output"))),
        ),
    ];
    for (k, val) in rows {
        let _ = write!(body, "<tr><th>{k}</th><td>{val}</td></tr>");
    }
    body.push_str("</table><h3>Output fields</h3><table class=\"kv\" id=\"fields\">");
    if let Some(fields) = v.get("output_fields").and_then(Value::as_object) {
        for (k, val) in fields {
            let shown = match val {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let _ = write!(
                body,
                "<tr><th><code>{}</code></th><td><code>{}</code></td></tr>",
                esc(k),
                esc(&shown)
            );
        }
    }
    let pretty = serde_json::to_string_pretty(&v).unwrap_or(json);
    let _ = write!(
        body,
        "</table><h3>JSON <a class=\"button small\" href=\"{}\">Download</a></h3><pre id=\"json\">{}</pre></section>",
        esc(&state.url(&format!("/api/v1/events/get/{}", super::encode(&uuid)))),
        esc(&pretty)
    );
    layout(&state, "Event", "Events", &user.0, None, &body).into_response()
}
