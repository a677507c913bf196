//! The dashboard: totals per priority (most severe first), timelines by priority and by
//! source, counts by rule, priority, source, hostname and tag for the window (the top ten,
//! the rest behind a disclosure), with auto-refresh.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Extension;

use super::chart::{series_colors, timeline_svg};
use super::filters::{refresh_of, refresh_select};
use super::{
    drop_banner, esc, filter_bar, layout, priority_chip, priority_color, Filters, PageQuery,
    PRIORITIES,
};
use crate::api::{store_failed, timeline_window};
use crate::app::{UiState, User};
use crate::query::{now_us, GroupBy, Query, RawQuery};
use crate::store::TimelineBy;

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
    let counts = state.store.count_by_each(&q.window_only(), &MENUS).await?;
    Ok(menus_of(counts))
}

/// The filter menus' groupings.
const MENUS: [GroupBy; 4] = [
    GroupBy::Rule,
    GroupBy::Source,
    GroupBy::Hostname,
    GroupBy::Tags,
];

/// The menus of [`MENUS`] from their counts: every value, sorted.
fn menus_of(counts: Vec<Vec<(String, u64)>>) -> Vec<(&'static str, Vec<String>)> {
    MENUS
        .iter()
        .zip(counts)
        .map(|(by, rows)| {
            let mut values: Vec<String> = rows.into_iter().map(|(v, _)| v).collect();
            values.sort();
            (by.as_str(), values)
        })
        .collect()
}

fn bar_row(
    state: &UiState,
    f: &Filters,
    key: &'static str,
    value: &str,
    n: u64,
    max: u64,
) -> String {
    let pct = (n as f64 * 100.0 / max as f64).max(1.0);
    let color = if key == "priority" {
        priority_color(value)
    } else {
        "var(--accent)"
    };
    format!(
        "<li><a href=\"{}\" title=\"{}\"><span class=\"label\">{}</span><span class=\"track\"><span class=\"fill\" style=\"width:{pct:.1}%;background:{color}\"></span></span><span class=\"n\">{n}</span></a></li>",
        esc(&f.with(key, value).href(state, "/")),
        esc(value),
        esc(if value.is_empty() { "(none)" } else { value }),
    )
}

/// A top-N panel: the first [`TOP`] values, the others in a `<details>` that opens in place.
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
        "<section class=\"panel\" id=\"{id}\"><h2>{} <span class=\"muted\">{}</span></h2>",
        esc(title),
        rows.len()
    );
    if rows.is_empty() {
        h.push_str("<p class=\"muted\">No events.</p>");
    }
    h.push_str("<ul class=\"bars\">");
    for (value, n) in rows.iter().take(TOP) {
        h.push_str(&bar_row(state, f, key, value, *n, max));
    }
    h.push_str("</ul>");
    if rows.len() > TOP {
        let _ = write!(
            h,
            "<details class=\"more\"><summary>{} more</summary><ul class=\"bars\">",
            rows.len() - TOP
        );
        for (value, n) in rows.iter().skip(TOP) {
            h.push_str(&bar_row(state, f, key, value, *n, max));
        }
        h.push_str("</ul></details>");
    }
    h.push_str("</section>");
    h
}

/// A timeline panel with its legend.
fn timeline_panel(
    id: &str,
    by: TimelineBy,
    series: &BTreeMap<String, Vec<u64>>,
    start: i64,
    width: i64,
) -> String {
    let mut h = format!(
        "<section class=\"panel wide\" id=\"{id}\"><h2>Timeline by {} <span class=\"muted\">(UTC)</span></h2>{}<div class=\"legend\">",
        by.as_str(),
        timeline_svg(by, series, BUCKETS, start, width)
    );
    for (name, color) in series_colors(by, series) {
        let _ = write!(
            h,
            "<span><i style=\"background:{color}\"></i>{}</span>",
            esc(if name.is_empty() { "(none)" } else { name })
        );
    }
    h.push_str("</div></section>");
    h
}

/// Counts per bucket of a timeline's cells.
fn series_of(cells: Vec<crate::store::TimelineCell>) -> BTreeMap<String, Vec<u64>> {
    let mut series: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for (b, p, n) in cells {
        if let Some(slot) = series
            .entry(p)
            .or_insert_with(|| vec![0; BUCKETS as usize])
            .get_mut(b as usize)
        {
            *slot += n;
        }
    }
    series
}

/// `GET /`.
pub(crate) async fn page(
    State(state): State<Arc<UiState>>,
    Extension(user): Extension<User>,
    PageQuery(raw): PageQuery,
) -> Response {
    let (q, raw) = match page_query(&raw) {
        Ok(x) => x,
        Err(e) => return (axum::http::StatusCode::BAD_REQUEST, e).into_response(),
    };
    let f = Filters::from_raw(&raw);
    let refresh = refresh_of(&raw);
    // Priority first, then the menus' groupings: without filters, the menus are the counts.
    let groups = [
        GroupBy::Priority,
        GroupBy::Rule,
        GroupBy::Source,
        GroupBy::Hostname,
        GroupBy::Tags,
    ];
    let rows = match state.store.count_by_each(&q, &groups).await {
        Ok(rows) => rows,
        Err(e) => return store_failed(&e),
    };
    let menus = if q == q.window_only() {
        Ok(menus_of(rows[1..].to_vec()))
    } else {
        menus(&state, &q).await
    };
    let menus = match menus {
        Ok(m) => m,
        Err(e) => return store_failed(&e),
    };
    let mut counts: BTreeMap<&str, Vec<(String, u64)>> =
        groups.iter().map(|by| by.as_str()).zip(rows).collect();
    let (start, width) = timeline_window(&q, BUCKETS);
    let bys = [TimelineBy::Priority, TimelineBy::Source];
    let timelines: Vec<_> = match state
        .store
        .timeline_each(&q, &bys, start, width, BUCKETS)
        .await
    {
        Ok(cells) => bys
            .into_iter()
            .zip(cells.into_iter().map(series_of))
            .collect(),
        Err(e) => return store_failed(&e),
    };
    let drops = match state.store.drops(q.from_us, q.to_us).await {
        Ok(d) => d,
        Err(e) => return store_failed(&e),
    };
    let by_priority = counts.get("priority").cloned().unwrap_or_default();
    let total: u64 = by_priority.iter().map(|r| r.1).sum();

    let mut body = filter_bar(&state, "/", &f, &menus, &refresh_select(refresh));
    body.push_str(&drop_banner(&drops));
    let _ = write!(
        body,
        "<section class=\"counters\" id=\"counters\"><a class=\"chip total\" href=\"{}\">Total <b id=\"total\">{total}</b></a>",
        esc(&f.href(&state, "/events"))
    );
    // Every priority, most severe first (zeros dimmed), then any other value seen.
    let count_of = |p: &str| by_priority.iter().find(|r| r.0 == p).map_or(0, |r| r.1);
    let others = by_priority
        .iter()
        .filter(|r| !PRIORITIES.contains(&r.0.as_str()))
        .map(|r| r.0.as_str());
    for p in PRIORITIES.iter().copied().chain(others) {
        let n = count_of(p);
        let chip = priority_chip(p, &f.with("priority", p).href(&state, "/"))
            .replace("</a>", &format!(" <b>{n}</b></a>"));
        if n == 0 {
            body.push_str(&chip.replacen("class=\"chip\"", "class=\"chip zero\"", 1));
        } else {
            body.push_str(&chip);
        }
    }
    body.push_str("</section>");
    for (by, series) in &timelines {
        let id = match by {
            TimelineBy::Priority => "timeline",
            TimelineBy::Source => "timeline-source",
        };
        body.push_str(&timeline_panel(id, *by, series, start, width));
    }
    body.push_str("<div class=\"grid\">");
    let empty = Vec::new();
    // The priorities panel in severity order too.
    let mut severity = by_priority.clone();
    severity.sort_by_key(|r| {
        PRIORITIES
            .iter()
            .position(|p| *p == r.0)
            .unwrap_or(usize::MAX)
    });
    counts.insert("priority", severity);
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
