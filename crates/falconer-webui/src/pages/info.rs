//! The Info page (`/info`) and its JSON (`/api/v1/info`): version, the store, every output
//! with its state (worker, circuit breaker, queue depth, deliveries) as the embedding
//! process reports it ([`RuntimeInfo`](crate::RuntimeInfo)), the routing tree, the silences
//! (config file and store) and the configuration with secrets masked.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::{json, Value};

use super::{esc, layout};
use crate::api::store_failed;
use crate::app::{UiState, User};
use crate::query::{now_us, Query};
use crate::runtime::{OutputStatus, RuntimeStatus};
use crate::silences::MAX_LISTED_SILENCES;
use crate::store::{SilenceState, StoreError};

/// Everything the page shows, gathered once.
struct Info {
    status: RuntimeStatus,
    /// Whether the embedding process reports output state (else only names are known).
    live: bool,
    posted: Vec<String>,
    events: u64,
    active: usize,
    pending: usize,
}

async fn gather(state: &UiState) -> Result<Info, StoreError> {
    let (status, live) = match &state.info.runtime {
        Some(r) => (r.status(), true),
        None => (
            RuntimeStatus {
                outputs: state
                    .info
                    .outputs
                    .iter()
                    .map(|name| OutputStatus {
                        name: name.clone(),
                        ..OutputStatus::default()
                    })
                    .collect(),
                ..RuntimeStatus::default()
            },
            false,
        ),
    };
    let posted = state
        .posted_outputs
        .read()
        .map(|p| p.clone())
        .unwrap_or_default();
    let events = state.store.count(&Query::default()).await?;
    let now = now_us();
    let silences = state.store.silences(true, now, MAX_LISTED_SILENCES).await?;
    let active = silences
        .iter()
        .filter(|s| s.state(now) == SilenceState::Active)
        .count();
    Ok(Info {
        status,
        live,
        posted,
        events,
        active,
        pending: silences.len() - active,
    })
}

/// `GET /api/v1/info`: what the Info page shows, as JSON.
pub(crate) async fn api(State(state): State<Arc<UiState>>) -> Response {
    let info = match gather(&state).await {
        Ok(i) => i,
        Err(e) => return store_failed(&e),
    };
    axum::Json(json!({
        "version": state.info.version,
        "commit": state.info.commit,
        "store": {"kind": state.store.kind().as_str(), "events": info.events},
        "live": info.live,
        "outputs": info.status.outputs,
        "postedOutputs": info.posted,
        "routes": info.status.routes,
        "defaultRoute": info.status.default_route,
        "silences": {
            "config": info.status.silences,
            "active": info.active,
            "pending": info.pending,
        },
    }))
    .into_response()
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| v.to_string())
}

/// The state cell of an output: running / stopped, and its breaker.
fn state_badges(o: &OutputStatus) -> String {
    let mut h = String::new();
    match o.running {
        Some(true) => h.push_str("<span class=\"state ok\">running</span>"),
        Some(false) => h.push_str("<span class=\"state bad\">stopped</span>"),
        None => h.push_str("<span class=\"state\">unknown</span>"),
    }
    if let Some(b) = &o.breaker {
        let class = match b.as_str() {
            "closed" => "ok",
            "open" => "bad",
            _ => "warn",
        };
        let _ = write!(
            h,
            " <span class=\"state {class}\" title=\"circuit breaker\">breaker {}</span>",
            esc(b)
        );
    }
    h
}

fn outputs_table(info: &Info) -> String {
    let mut h = String::from(
        "<section class=\"panel wide\" id=\"outputs\"><h2>Outputs</h2><div class=\"scroll\"><table class=\"kv list\"><thead><tr>\
         <th>Name</th><th>Kind</th><th>State</th><th class=\"num\">Queue</th><th class=\"num\">In flight</th>\
         <th class=\"num\">Spool bytes</th><th class=\"num\">Delivered</th><th class=\"num\">Failed</th><th class=\"num\">Dropped</th></tr></thead><tbody>",
    );
    if info.status.outputs.is_empty() {
        h.push_str("<tr><td colspan=\"9\" class=\"muted\">No outputs.</td></tr>");
    }
    for o in &info.status.outputs {
        let _ = write!(
            h,
            "<tr data-output=\"{0}\"><td><b>{0}</b></td><td>{1}</td><td>{2}</td><td class=\"num queue\">{3}</td><td class=\"num\">{4}</td>\
             <td class=\"num\">{5}</td><td class=\"num\">{6}</td><td class=\"num\">{7}</td><td class=\"num\">{8}</td></tr>",
            esc(&o.name),
            esc(&o.kind),
            state_badges(o),
            opt(o.queue_depth),
            opt(o.in_flight),
            opt(o.spool_bytes),
            opt(o.delivered),
            opt(o.failed),
            opt(o.dropped),
        );
    }
    h.push_str("</tbody></table></div>");
    if !info.live {
        h.push_str("<p class=\"muted\">The process serving this UI does not report its outputs' state.</p>");
    }
    if !info.posted.is_empty() {
        h.push_str("<p>Named by the last falcosidekick POST: ");
        for o in &info.posted {
            let _ = write!(h, "<span class=\"tag\">{}</span>", esc(o));
        }
        h.push_str("</p>");
    }
    h.push_str("</section>");
    h
}

fn routes_table(status: &RuntimeStatus) -> String {
    let mut h = String::from("<section class=\"panel wide\" id=\"routes\"><h2>Routes</h2>");
    if status.routes.is_empty() {
        h.push_str("<p class=\"muted\">No routes: every alert goes to every output (each output's own <code>match</code> and noise controls still apply).</p>");
    } else {
        h.push_str(
            "<div class=\"scroll\"><table class=\"kv list\"><thead><tr><th>#</th><th>Match</th><th>Outputs</th><th>Continue</th><th>Noise control</th></tr></thead><tbody>",
        );
        for (i, r) in status.routes.iter().enumerate() {
            let condition = if r.condition.is_empty() {
                "<span class=\"muted\">every alert</span>".to_owned()
            } else {
                format!("<code>{}</code>", esc(&r.condition))
            };
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{condition}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                i + 1,
                esc(&r.outputs.join(", ")),
                if r.continue_matching { "yes" } else { "no" },
                esc(&r.noise.join("; ")),
            );
        }
        h.push_str("</tbody></table></div>");
    }
    let _ = write!(
        h,
        "<p>Default route (no route matched): {}</p></section>",
        if status.default_route.is_empty() {
            "<span class=\"muted\">none</span>".to_owned()
        } else {
            esc(&status.default_route.join(", "))
        }
    );
    h
}

fn silences_panel(state: &UiState, info: &Info) -> String {
    let mut h = format!(
        "<section class=\"panel wide\" id=\"info-silences\"><h2>Silences</h2><p>In the store (UI and API): <b>{}</b> active, <b>{}</b> pending — <a href=\"{}\">manage</a>.</p>",
        info.active,
        info.pending,
        esc(&state.url("/silences"))
    );
    if info.status.silences.is_empty() {
        h.push_str("<p class=\"muted\">None in the config file.</p>");
    } else {
        h.push_str("<div class=\"scroll\"><table class=\"kv list\"><thead><tr><th>Match (config file)</th><th>Starts</th><th>Ends</th><th>By</th><th>Comment</th></tr></thead><tbody>");
        for s in &info.status.silences {
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&s.condition),
                esc(if s.starts_at.is_empty() {
                    "start"
                } else {
                    &s.starts_at
                }),
                esc(&s.ends_at),
                esc(&s.created_by),
                esc(&s.comment)
            );
        }
        h.push_str("</tbody></table></div>");
    }
    h.push_str("</section>");
    h
}

/// `GET /info`.
pub(crate) async fn page(
    State(state): State<Arc<UiState>>,
    Extension(user): Extension<User>,
) -> Response {
    let info = match gather(&state).await {
        Ok(i) => i,
        Err(e) => return store_failed(&e),
    };
    let mut body = String::new();
    let _ = write!(
        body,
        "<section class=\"panel wide\" id=\"version\"><h2>Falconer</h2><table class=\"kv\">\
         <tr><th>Version</th><td id=\"version-value\">{}</td></tr><tr><th>Commit</th><td><code>{}</code></td></tr>\
         <tr><th>Platform</th><td>{}/{}</td></tr><tr><th>Store</th><td>{} · <b id=\"stored\">{}</b> events</td></tr></table></section>",
        esc(&state.info.version),
        esc(if state.info.commit.is_empty() {
            "unknown"
        } else {
            &state.info.commit
        }),
        std::env::consts::OS,
        std::env::consts::ARCH,
        state.store.kind().as_str(),
        info.events,
    );
    body.push_str(&outputs_table(&info));
    body.push_str(&routes_table(&info.status));
    body.push_str(&silences_panel(&state, &info));
    let config = if state.info.config == Value::Null {
        "{}".to_owned()
    } else {
        serde_json::to_string_pretty(&state.info.config).unwrap_or_default()
    };
    let _ = write!(
        body,
        "<section class=\"panel wide\" id=\"configuration\"><h2>Configuration <span class=\"muted\">(secrets masked)</span> \
         <button type=\"button\" class=\"small ghost\" data-copy=\"#config\" hidden>Copy</button></h2><pre id=\"config\">{}</pre></section>",
        esc(&config)
    );
    layout(&state, "Info", "Info", &user.0, None, &body).into_response()
}
