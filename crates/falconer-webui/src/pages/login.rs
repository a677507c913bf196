//! Login and logout.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::esc;
use crate::app::UiState;
use crate::auth::{cookie_token, whole_seconds, ClientAddr, Verdict, COOKIE};

/// `?next=` of the login page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Next {
    next: Option<String>,
}

/// The login form fields.
#[derive(Deserialize)]
pub(crate) struct Credentials {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// Only local paths under the base path are followed after login (no open redirect).
fn safe_next(state: &UiState, next: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && (next.starts_with(&format!("{}/", state.base)) || next == state.base);
    if ok {
        next.to_owned()
    } else {
        state.url("/")
    }
}

fn render(state: &UiState, next: &str, error: Option<&str>) -> Html<String> {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\">\
         <title>Log in · Falconer</title><link rel=\"stylesheet\" href=\"{}\"></head>\
         <body class=\"login\"><form class=\"card\" method=\"post\" action=\"{}\">\
         <h1>Falconer</h1><p class=\"muted\">Falco events</p>",
        esc(&state.url("/static/app.css")),
        esc(&state.url("/login"))
    );
    if let Some(e) = error {
        let _ = write!(h, "<p class=\"error\" role=\"alert\">{}</p>", esc(e));
    }
    let _ = write!(
        h,
        "<label>Username<input name=\"username\" id=\"username\" autocomplete=\"username\" required autofocus></label>\
         <label>Password<input type=\"password\" name=\"password\" id=\"password\" autocomplete=\"current-password\" required></label>\
         <input type=\"hidden\" name=\"next\" value=\"{}\">\
         <button type=\"submit\" id=\"login\">Log in</button></form></body></html>",
        esc(next)
    );
    Html(h)
}

/// `GET /login`.
pub(crate) async fn form(State(state): State<Arc<UiState>>, Query(q): Query<Next>) -> Response {
    if state.auth.disabled() {
        return Redirect::to(&state.url("/")).into_response();
    }
    let next = safe_next(&state, q.next.as_deref().unwrap_or(""));
    render(&state, &next, None).into_response()
}

/// `POST /login`: on success a session cookie and a redirect; on failure the form again
/// with 401 (429 with `Retry-After` while sign-ins from the client or for the user are in
/// backoff, or too many are being checked).
pub(crate) async fn submit(
    State(state): State<Arc<UiState>>,
    client: ClientAddr,
    Form(c): Form<Credentials>,
) -> Response {
    let next = safe_next(&state, &c.next);
    let user = match state
        .auth
        .check(c.username.trim(), &c.password, client)
        .await
    {
        Verdict::Allowed(user) => user,
        Verdict::Denied => {
            return (
                StatusCode::UNAUTHORIZED,
                render(&state, &next, Some("Wrong username or password.")),
            )
                .into_response();
        }
        Verdict::Refused { retry_after, .. } => {
            let secs = whole_seconds(retry_after);
            let message = format!("Too many sign-in attempts. Try again in {secs} s.");
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, secs.to_string())],
                render(&state, &next, Some(&message)),
            )
                .into_response();
        }
    };
    let token = state.auth.create_session(&user);
    // Lax: a link from chat or mail to an event opens it for a signed-in user; cross-site
    // writes are refused by the origin check (and Lax cookies are not sent on them).
    let cookie = format!(
        "{COOKIE}={token}; Path={}; HttpOnly; SameSite=Lax; Max-Age={}{}",
        state.cookie_path(),
        state.auth.ttl.as_secs(),
        if state.auth.secure_cookie {
            "; Secure"
        } else {
            ""
        }
    );
    tracing::info!(user = %user, "web UI login");
    (
        StatusCode::SEE_OTHER,
        [(header::SET_COOKIE, cookie), (header::LOCATION, next)],
    )
        .into_response()
}

/// `POST /logout`: ends the session and clears the cookie.
pub(crate) async fn logout(State(state): State<Arc<UiState>>, headers: HeaderMap) -> Response {
    if let Some(token) = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(cookie_token)
    {
        state.auth.end_session(token);
    }
    let cookie = format!(
        "{COOKIE}=; Path={}; HttpOnly; SameSite=Lax; Max-Age=0",
        state.cookie_path()
    );
    (
        StatusCode::SEE_OTHER,
        [
            (header::SET_COOKIE, cookie),
            (header::LOCATION, state.url("/login")),
        ],
    )
        .into_response()
}
