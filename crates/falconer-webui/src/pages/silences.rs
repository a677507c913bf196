//! The silences page: the list (state, condition, author, comment, times) with an Expire
//! button on those that have not ended, and a form to create one (condition, duration,
//! comment), pre-filled by an event's "Silence alerts like this" link.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Path, Query as QueryParams, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use chrono::{SecondsFormat, Utc};
use serde::Deserialize;

use super::{esc, format_us, layout};
use crate::api::store_failed;
use crate::app::{UiState, User};
use crate::silences::{
    create, expire as expire_silence, CreateError, NewSilence, MAX_LISTED_SILENCES,
};
use crate::store::SilenceState;
use crate::window::parse_window;

/// Durations offered in the form (any window is accepted: `90m`, `3d`…).
const DURATIONS: [&str; 8] = ["15m", "1h", "2h", "4h", "8h", "1d", "3d", "1w"];
const DEFAULT_DURATION: &str = "2h";

/// `?match=` (pre-fill) and `?state=` (filter) of the page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PageParams {
    #[serde(rename = "match", default)]
    condition: Option<String>,
    #[serde(default)]
    state: Option<String>,
}

/// The create form.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SilenceForm {
    #[serde(rename = "match", default)]
    condition: String,
    #[serde(default)]
    duration: String,
    #[serde(default)]
    comment: String,
}

fn state_chip(state: SilenceState) -> String {
    let color = match state {
        SilenceState::Active => "#00897b",
        SilenceState::Pending => "#1976D2",
        SilenceState::Expired => "#78909C",
    };
    format!(
        "<span class=\"chip\" style=\"--c:{color}\">{}</span>",
        state.as_str()
    )
}

/// Renders the page: `form` pre-fills the create form, `error` is shown above it.
async fn render(
    state: &UiState,
    user: &str,
    filter: Option<SilenceState>,
    form: &SilenceForm,
    error: Option<&str>,
) -> Response {
    let now = crate::query::now_us();
    let unended_only = matches!(filter, Some(SilenceState::Active | SilenceState::Pending));
    let rows = match state
        .store
        .silences(unended_only, now, MAX_LISTED_SILENCES)
        .await
    {
        Ok(rows) => rows,
        Err(e) => return store_failed(&e),
    };
    let mut body = String::new();
    let _ = write!(
        body,
        "<section class=\"panel wide\" id=\"new-silence\"><h2>New silence</h2>\
         <p class=\"muted\">Alerts the condition matches go to no output while the silence is active; \
         they are still stored here, marked <span class=\"badge silenced\">silenced</span>. \
         The condition uses Falco's syntax: <code>rule = \"Terminal shell in container\" and hostname = node-1</code>, \
         <code>priority &lt;= notice</code>, <code>k8s.ns.name in (dev, test)</code>.</p>"
    );
    if let Some(e) = error {
        let _ = write!(
            body,
            "<p class=\"error\" role=\"alert\" id=\"silence-error\">{}</p>",
            esc(e)
        );
    }
    let duration = if form.duration.trim().is_empty() {
        DEFAULT_DURATION
    } else {
        form.duration.trim()
    };
    let _ = write!(
        body,
        "<form class=\"silence\" method=\"post\" action=\"{}\">\
         <label class=\"grow\">Match<textarea name=\"match\" id=\"silence-match\" rows=\"2\" required maxlength=\"{}\" \
         placeholder=\"rule = &quot;Terminal shell in container&quot; and hostname = node-1\">{}</textarea></label>\
         <label>Duration<input name=\"duration\" id=\"silence-duration\" list=\"durations\" value=\"{}\" required size=\"6\"></label>\
         <datalist id=\"durations\">",
        esc(&state.url("/silences")),
        crate::silences::MAX_MATCH_BYTES,
        esc(&form.condition),
        esc(duration),
    );
    for d in DURATIONS {
        let _ = write!(body, "<option value=\"{d}\">");
    }
    let _ = write!(
        body,
        "</datalist><label class=\"grow\">Comment<input name=\"comment\" id=\"silence-comment\" maxlength=\"{}\" value=\"{}\" \
         placeholder=\"why (a ticket, a known job…)\"></label>\
         <button type=\"submit\" id=\"silence-create\">Create silence</button></form></section>",
        crate::silences::MAX_COMMENT_BYTES,
        esc(&form.comment),
    );

    body.push_str("<div class=\"toolbar\" id=\"silence-states\">");
    for (label, value) in [
        ("All", None),
        ("Active", Some(SilenceState::Active)),
        ("Pending", Some(SilenceState::Pending)),
        ("Expired", Some(SilenceState::Expired)),
    ] {
        let href = match value {
            Some(v) => format!("{}?state={}", state.url("/silences"), v.as_str()),
            None => state.url("/silences"),
        };
        if value == filter {
            let _ = write!(body, "<b>{label}</b>");
        } else {
            let _ = write!(body, "<a href=\"{}\">{label}</a>", esc(&href));
        }
    }
    body.push_str("</div>");
    body.push_str(
        "<table class=\"events\" id=\"silences\"><thead><tr><th>State</th><th>Match</th><th>Created by</th>\
         <th>Comment</th><th>Starts (UTC)</th><th>Ends (UTC)</th><th></th></tr></thead><tbody>",
    );
    let shown: Vec<_> = rows
        .iter()
        .filter(|r| filter.is_none_or(|f| r.state(now) == f))
        .collect();
    if shown.is_empty() {
        body.push_str("<tr><td colspan=\"7\" class=\"muted\">No silences.</td></tr>");
    }
    for r in shown {
        let st = r.state(now);
        let _ = write!(
            body,
            "<tr id=\"silence-{}\"><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"nowrap\">{}</td><td class=\"nowrap\">{}</td><td>",
            esc(&r.id),
            state_chip(st),
            esc(&r.condition),
            esc(&r.created_by),
            esc(&r.comment),
            esc(&format_us(r.starts_at_us)),
            esc(&format_us(r.ends_at_us)),
        );
        if st != SilenceState::Expired {
            let _ = write!(
                body,
                "<form method=\"post\" action=\"{}\"><button class=\"small expire\" type=\"submit\">Expire</button></form>",
                esc(&state.url(&format!("/silences/{}/expire", super::encode(&r.id))))
            );
        }
        body.push_str("</td></tr>");
    }
    body.push_str("</tbody></table>");
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    (
        status,
        layout(state, "Silences", "Silences", user, None, &body),
    )
        .into_response()
}

/// `GET /silences[?match=…][&state=…]`.
pub(crate) async fn page(
    State(state): State<Arc<UiState>>,
    Extension(user): Extension<User>,
    QueryParams(params): QueryParams<PageParams>,
) -> Response {
    let filter = match params.state.as_deref().filter(|s| !s.trim().is_empty()) {
        None => None,
        Some(s) => match s.parse::<SilenceState>() {
            Ok(f) => Some(f),
            Err(e) => return (StatusCode::BAD_REQUEST, e).into_response(),
        },
    };
    let form = SilenceForm {
        condition: params.condition.unwrap_or_default(),
        ..SilenceForm::default()
    };
    render(&state, &user.0, filter, &form, None).await
}

/// `POST /silences` (the form): creates the silence from now for `duration`, then back to
/// the list; the form again with the reason when it is refused.
pub(crate) async fn submit(
    State(state): State<Arc<UiState>>,
    Extension(user): Extension<User>,
    Form(form): Form<SilenceForm>,
) -> Response {
    let now = Utc::now();
    let ends = parse_window(&form.duration)
        .filter(|d| !d.is_zero())
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .and_then(|d| now.checked_add_signed(d));
    let Some(ends) = ends else {
        let message = format!(
            "duration: {:?} is not a duration (15m, 2h, 1d, 1w…)",
            form.duration
        );
        return render(&state, &user.0, None, &form, Some(&message)).await;
    };
    let new = NewSilence {
        condition: Some(form.condition.clone()),
        starts_at: Some(now.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        ends_at: Some(ends.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        created_by: None,
        comment: Some(form.comment.clone()),
    };
    match create(&state, &new, &user.0).await {
        Ok(_) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, state.url("/silences"))],
        )
            .into_response(),
        Err(CreateError::Store(e)) => store_failed(&e),
        Err(e) => render(&state, &user.0, None, &form, Some(&e.to_string())).await,
    }
}

/// `POST /silences/{id}/expire`: ends it now, then back to the list.
pub(crate) async fn expire(
    State(state): State<Arc<UiState>>,
    Extension(user): Extension<User>,
    Path(id): Path<String>,
) -> Response {
    match expire_silence(&state, &id, &user.0).await {
        Ok(Some(_)) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, state.url("/silences"))],
        )
            .into_response(),
        Ok(None) => (
            StatusCode::NOT_FOUND,
            layout(
                &state,
                "Not found",
                "Silences",
                &user.0,
                None,
                &format!("<p>No silence {}.</p>", esc(&id)),
            ),
        )
            .into_response(),
        Err(e) => store_failed(&e),
    }
}
