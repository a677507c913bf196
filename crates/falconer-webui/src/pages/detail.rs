//! One event: every field, its output fields (each a link to the events with the same
//! value), the pretty JSON with a copy button (added by the page script) and a download link.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::Value;

use super::events::{field_term, shown, str_of, tags_of, time_html};
use super::{esc, layout, priority_chip, silence_href, silenced_badge, silenced_by, Filters};
use crate::api::store_failed;
use crate::app::{UiState, User};

/// `GET /events/:uuid`: every field, the output fields and the JSON.
pub(crate) async fn page(
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
    let silenced = silenced_by(&v);
    let _ = write!(
        body,
        "<p><a href=\"{}\">← Events</a></p><section class=\"panel wide\" id=\"detail\"><h2>{}{} \
         <a class=\"button small ghost silence\" id=\"silence-like-this\" href=\"{}\">Silence alerts like this</a></h2><table class=\"kv\">",
        esc(&state.url("/events")),
        esc(str_of(&v, "rule")),
        silenced.as_deref().map_or_else(String::new, silenced_badge),
        esc(&silence_href(&state, &v)),
    );
    let f = Filters::default();
    let rows = [
        (
            "Time",
            format!(
                "{} <span class=\"muted\">({})</span>",
                time_html(&v),
                esc(str_of(&v, "time"))
            ),
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
            let shown = shown(val);
            let value = match field_term(k, &shown).filter(|_| !val.is_null()) {
                Some(term) => format!(
                    "<a href=\"{}\" title=\"events with {}\"><code>{}</code></a>",
                    esc(&f.with_term(&term).href(&state, "/events")),
                    esc(&term),
                    esc(&shown)
                ),
                None => format!("<code>{}</code>", esc(&shown)),
            };
            let _ = write!(
                body,
                "<tr><th><code>{}</code></th><td>{value}</td></tr>",
                esc(k),
            );
        }
    }
    let pretty = serde_json::to_string_pretty(&v).unwrap_or(json);
    let _ = write!(
        body,
        "</table><h3>JSON <a class=\"button small\" href=\"{}\">Download</a> \
         <button type=\"button\" class=\"small ghost\" id=\"copy-json\" data-copy=\"#json\" hidden>Copy JSON</button></h3><pre id=\"json\">{}</pre></section>",
        esc(&state.url(&format!("/api/v1/events/get/{}", super::encode(&uuid)))),
        esc(&pretty)
    );
    layout(&state, "Event", "Events", &user.0, None, &body).into_response()
}
