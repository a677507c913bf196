//! The dashboard: totals per priority, a timeline by priority, counts by rule, source,
//! hostname and tag for the window, with auto-refresh.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Query as QueryParams, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;

use super::chart::timeline_svg;
use super::{esc, filter_bar, layout, priority_chip, priority_color, Filters};
use crate::api::{store_failed, timeline_window};
use crate::app::{UiState, User};
use crate::query::{now_us, GroupBy, Query, RawQuery};

const BUCKETS: u32 = 60;
const TOP: usize = 10;

/// The window of a page: `since` (24h when neither it nor `from` is given).
pub(crate) fn page_query(raw: &RawQuery) -> Result<(Query, RawQuery), String> {
    let mut raw = raw.clone();
    if raw.since.is_none() && raw.from.as_deref().is_none_or(str::is_empty) {
        raw.since = Some("24h".into());
    }
    Ok((raw.resolve(now_us())?, raw))
}

/// The menus of the filter bar: every value seen in the window, other filters ignored
/// (as falcosidekick-ui).
pub(crate) async fn menus(
    state: &UiState,
    q: &Query,
) -> Result<Vec<(&'static str, Vec<String>)>, crate::store::StoreError> {
    let window = q.window_only();
    let mut out = Vec::new();
    for by in [
        GroupBy::Rule,
        GroupBy::Source,
        GroupBy::Hostname,
        GroupBy::Tags,
    ] {
        let mut values: Vec<String> = state
            .store
            .count_by(&window, by)
            .await?
            .into_iter()
            .map(|(v, _)| v)
            .collect();
        values.sort();
        out.push((by.as_str(), values));
    }
    Ok(out)
}

fn bars(
    state: &UiState,
    f: &Filters,
    title: &str,
    key: &'static str,
    rows: &[(String, u64)],
    id: &str,
) -> String {
    let mut h = String::new();
    let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1);
    let _ = write!(
        h,
        "<section class=\"panel\" id=\"{id}\"><h2>{}</h2>",
        esc(title)
    );
    if rows.is_empty() {
        h.push_str("<p class=\"muted\">No events.</p>");
    }
    h.push_str("<ul class=\"bars\">");
    for (value, n) in rows.iter().take(TOP) {
        let pct = (*n as f64 * 100.0 / max as f64).max(1.0);
        let color = if key == "priority" {
            priority_color(value)
        } else {
            "var(--accent)"
        };
        let _ = write!(
            h,
            "<li><a href=\"{}\" title=\"{}\"><span class=\"label\">{}</span><span class=\"track\"><span class=\"fill\" style=\"width:{pct:.1}%;background:{color}\"></span></span><span class=\"n\">{n}</span></a></li>",
            esc(&f.with(key, value).href(state, "/")),
            esc(value),
            esc(if value.is_empty() { "(none)" } else { value }),
        );
    }
    if rows.len() > TOP {
        let _ = write!(h, "<li class=\"muted\">… {} more</li>", rows.len() - TOP);
    }
    h.push_str("</ul></section>");
    h
}

/// `GET /`.
pub(crate) async fn page(
    State(state): State<Arc<UiState>>,
    Extension(user): Extension<User>,
    QueryParams(raw): QueryParams<RawQuery>,
) -> Response {
    let (q, raw) = match page_query(&raw) {
        Ok(x) => x,
        Err(e) => return (axum::http::StatusCode::BAD_REQUEST, e).into_response(),
    };
    let f = Filters::from_raw(&raw);
    let refresh: u32 = raw
        .refresh
        .as_deref()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    let mut counts = BTreeMap::new();
    for by in [
        GroupBy::Priority,
        GroupBy::Rule,
        GroupBy::Source,
        GroupBy::Hostname,
        GroupBy::Tags,
    ] {
        match state.store.count_by(&q, by).await {
            Ok(rows) => {
                counts.insert(by.as_str(), rows);
            }
            Err(e) => return store_failed(&e),
        }
    }
    let (start, width) = timeline_window(&q, BUCKETS);
    let cells = match state.store.timeline(&q, start, width, BUCKETS).await {
        Ok(c) => c,
        Err(e) => return store_failed(&e),
    };
    let menus = match menus(&state, &q).await {
        Ok(m) => m,
        Err(e) => return store_failed(&e),
    };
    let mut series: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for (b, p, n) in cells {
        series.entry(p).or_insert_with(|| vec![0; BUCKETS as usize])[b as usize] += n;
    }
    let by_priority = counts.get("priority").cloned().unwrap_or_default();
    let total: u64 = by_priority.iter().map(|r| r.1).sum();

    let mut refresh_select = String::from("<label>Refresh<select name=\"refresh\">");
    for (v, label) in [
        (0, "off"),
        (10, "10s"),
        (30, "30s"),
        (60, "1min"),
        (120, "2min"),
    ] {
        let sel = if v == refresh { " selected" } else { "" };
        let _ = write!(
            refresh_select,
            "<option{sel} value=\"{v}\">{label}</option>"
        );
    }
    refresh_select.push_str("</select></label>");

    let mut body = filter_bar(&state, "/", &f, &menus, &refresh_select);
    let _ = write!(
        body,
        "<section class=\"counters\" id=\"counters\"><a class=\"chip total\" href=\"{}\">Total <b id=\"total\">{total}</b></a>",
        esc(&f.href(&state, "/events"))
    );
    for (p, n) in &by_priority {
        let _ = write!(
            body,
            "{}",
            priority_chip(p, &f.with("priority", p).href(&state, "/"))
                .replace("</a>", &format!(" <b>{n}</b></a>"))
        );
    }
    body.push_str("</section>");
    let _ = write!(
        body,
        "<section class=\"panel wide\" id=\"timeline\"><h2>Timeline by priority</h2>{}<div class=\"legend\">",
        timeline_svg(&series, BUCKETS, start, width)
    );
    for p in series.keys() {
        let _ = write!(
            body,
            "<span><i style=\"background:{}\"></i>{}</span>",
            priority_color(p),
            esc(p)
        );
    }
    body.push_str("</div></section><div class=\"grid\">");
    let empty = Vec::new();
    for (title, key, id) in [
        ("Top rules", "rule", "rules"),
        ("Priorities", "priority", "priorities"),
        ("Sources", "source", "sources"),
        ("Hostnames", "hostname", "hostnames"),
        ("Tags", "tags", "tags"),
    ] {
        body.push_str(&bars(
            &state,
            &f,
            title,
            key,
            counts.get(key).unwrap_or(&empty),
            id,
        ));
    }
    body.push_str("</div>");
    layout(
        &state,
        "Dashboard",
        "Dashboard",
        &user.0,
        Some(refresh),
        &body,
    )
    .into_response()
}
