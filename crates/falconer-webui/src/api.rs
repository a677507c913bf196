//! The falcosidekick-ui compatible JSON API (`/api/v1/...`), plus Falconer's timeline,
//! export and single-event routes.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query as QueryParams, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::app::UiState;
use crate::auth::{ClientAddr, Verdict};
use crate::event::parse_add;
use crate::query::{now_us, GroupBy, Query, RawQuery, MAX_EXPORT, MAX_LIMIT};
use crate::store::{StoreError, TimelineBy};

pub(crate) fn json_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}

fn value_response(v: &Value, pretty: bool) -> Response {
    let body = if pretty {
        serde_json::to_string_pretty(v)
    } else {
        serde_json::to_string(v)
    }
    .unwrap_or_default();
    json_response(StatusCode::OK, body)
}

fn bad_request(message: impl Into<String>) -> Response {
    (StatusCode::BAD_REQUEST, message.into()).into_response()
}

pub(crate) fn store_failed(e: &StoreError) -> Response {
    tracing::warn!(error = %e, "webui store error");
    (StatusCode::SERVICE_UNAVAILABLE, format!("store error: {e}")).into_response()
}

fn resolve(raw: &RawQuery) -> Result<Query, Box<Response>> {
    raw.resolve(now_us()).map_err(|e| Box::new(bad_request(e)))
}

/// `GET /api/v1/healthz`: `{"status":"ok"}`, or 503 when the store does not answer.
pub(crate) async fn healthz(State(state): State<Arc<UiState>>) -> Response {
    match state.store.ping().await {
        Ok(()) => value_response(&json!({"status": "ok"}), false),
        Err(e) => json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"status": "error", "error": e.to_string()}).to_string(),
        ),
    }
}

/// `POST /api/v1/auth`: checks the basic credentials, 200 `"authorized"` or 401 (429 when
/// refused unchecked, see [`crate::auth::Auth::check`]).
pub(crate) async fn authenticate(
    State(state): State<Arc<UiState>>,
    client: ClientAddr,
    headers: HeaderMap,
) -> Response {
    if state.auth.disabled() {
        return value_response(&json!("authorized"), false);
    }
    let verdict = match headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        Some(h) => state.auth.check_basic(h, client).await,
        None => Verdict::Denied,
    };
    match verdict {
        Verdict::Allowed(_) => value_response(&json!("authorized"), false),
        Verdict::Denied => json_response(StatusCode::UNAUTHORIZED, "\"unauthorized\"".into()),
        Verdict::Refused {
            reason,
            retry_after,
        } => Verdict::refusal_response(reason, retry_after),
    }
}

/// True for `application/json` and `application/*+json`, parameters allowed.
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase())
        .is_some_and(|m| {
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
}

/// `POST /`, `/api/v1/`, `/api/v1/events/add`: falcosidekick's `{event, outputs}`, sent as
/// `application/json` (anything else is 415: an HTML form cannot send JSON).
pub(crate) async fn add(
    State(state): State<Arc<UiState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_json(&headers) {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        )
            .into_response();
    }
    let (alert, outputs) = match parse_add(&body) {
        Ok(parsed) => parsed,
        Err(e) => return bad_request(e.to_string()),
    };
    if let Err(e) = state.store.insert(&[alert]).await {
        return store_failed(&e);
    }
    if !outputs.is_empty() {
        if let Ok(mut posted) = state.posted_outputs.write() {
            *posted = outputs;
        }
    }
    json_response(StatusCode::OK, "{}".into())
}

/// `GET /api/v1/events/search`. Besides falcosidekick-ui's fields, `dropped`: the alerts not
/// stored over the query's time range (`{"total": N, "by_reason": {…}}`), and `next` when the
/// page is full: pass it as `cursor` for the next page.
pub(crate) async fn search(
    State(state): State<Arc<UiState>>,
    QueryParams(raw): QueryParams<RawQuery>,
) -> Response {
    let mut q = match resolve(&raw) {
        Ok(q) => q,
        Err(r) => return *r,
    };
    q.limit = q.limit.min(MAX_LIMIT);
    let page = match state.store.search(&q).await {
        Ok(p) => p,
        Err(e) => return store_failed(&e),
    };
    let dropped = match state.store.drops(q.from_us, q.to_us).await {
        Ok(d) => d,
        Err(e) => return store_failed(&e),
    };
    // The stored JSON is returned as is: no parse and re-serialize per event.
    let mut body =
        String::with_capacity(page.events.iter().map(|e| e.len() + 1).sum::<usize>() + 64);
    body.push_str("{\"results\":[");
    for (i, e) in page.events.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(e);
    }
    // Falconer: `"estimated":true` when a free-text search's `all` is extrapolated (past
    // EXACT_MATCHES matches).
    body.push_str(&format!(
        "],\"statistics\":{{\"returned\":{},\"all\":{}{}}},\"dropped\":{}",
        page.events.len(),
        page.all,
        if page.estimated {
            ",\"estimated\":true"
        } else {
            ""
        },
        dropped.to_json()
    ));
    // Falconer: where the next page starts (`cursor=`), when this one is full.
    if let Some(next) = &page.next {
        body.push_str(&format!(",\"next\":{}", Value::String(next.clone())));
    }
    body.push('}');
    if raw.is_pretty() {
        if let Ok(v) = serde_json::from_str::<Value>(&body) {
            return value_response(&v, true);
        }
    }
    json_response(StatusCode::OK, body)
}

/// `GET /api/v1/events/count`: `{"statistics":{"all":N},"dropped":{…}}`.
pub(crate) async fn count(
    State(state): State<Arc<UiState>>,
    QueryParams(raw): QueryParams<RawQuery>,
) -> Response {
    let q = match resolve(&raw) {
        Ok(q) => q,
        Err(r) => return *r,
    };
    let dropped = match state.store.drops(q.from_us, q.to_us).await {
        Ok(d) => d,
        Err(e) => return store_failed(&e),
    };
    match state.store.count(&q).await {
        Ok(n) => value_response(
            &json!({"statistics": {"all": n}, "dropped": dropped.to_json()}),
            raw.is_pretty(),
        ),
        Err(e) => store_failed(&e),
    }
}

/// `GET /api/v1/events/count/:groupby`.
pub(crate) async fn count_by(
    State(state): State<Arc<UiState>>,
    Path(groupby): Path<String>,
    QueryParams(raw): QueryParams<RawQuery>,
) -> Response {
    let Ok(by) = groupby.parse::<GroupBy>() else {
        return bad_request("wrong Group By field");
    };
    let q = match resolve(&raw) {
        Ok(q) => q,
        Err(r) => return *r,
    };
    match state.store.count_by(&q, by).await {
        Ok(rows) => {
            let all: u64 = rows.iter().map(|(_, n)| n).sum();
            let distincts = rows.len();
            let results: BTreeMap<String, u64> = rows.into_iter().collect();
            value_response(
                &json!({"results": results, "statistics": {"all": all, "distincts": distincts}}),
                raw.is_pretty(),
            )
        }
        Err(e) => store_failed(&e),
    }
}

/// The window of a timeline: the query's range, or the last 24 hours.
pub(crate) fn timeline_window(q: &Query, buckets: u32) -> (i64, i64) {
    let end = q.to_us.unwrap_or_else(now_us);
    let start = q.from_us.unwrap_or(end - 86_400_000_000);
    let span = (end - start).max(i64::from(buckets));
    let width = (span + i64::from(buckets) - 1) / i64::from(buckets);
    (start, width)
}

/// `GET /api/v1/events/timeline?buckets=60&by=priority|source`: counts per bucket and
/// priority (or source).
pub(crate) async fn timeline(
    State(state): State<Arc<UiState>>,
    QueryParams(raw): QueryParams<RawQuery>,
    QueryParams(extra): QueryParams<BTreeMap<String, String>>,
) -> Response {
    let q = match resolve(&raw) {
        Ok(q) => q,
        Err(r) => return *r,
    };
    let buckets: u32 = extra
        .get("buckets")
        .and_then(|b| b.parse().ok())
        .unwrap_or(60)
        .clamp(1, 1000);
    let by = match extra.get("by").map(String::as_str) {
        None | Some("") => TimelineBy::Priority,
        Some(b) => match TimelineBy::parse(b) {
            Some(by) => by,
            None => return bad_request(format!("unknown timeline by {b:?} (priority, source)")),
        },
    };
    let (start, width) = timeline_window(&q, buckets);
    match state.store.timeline_by(&q, by, start, width, buckets).await {
        Ok(cells) => {
            let mut series: BTreeMap<String, Vec<u64>> = BTreeMap::new();
            for (b, p, n) in cells {
                series.entry(p).or_insert_with(|| vec![0; buckets as usize])[b as usize] += n;
            }
            value_response(
                &json!({"start": start, "width": width, "buckets": buckets, "series": series}),
                raw.is_pretty(),
            )
        }
        Err(e) => store_failed(&e),
    }
}

/// `GET /api/v1/events/get/:uuid`: one event's JSON.
pub(crate) async fn get_event(
    State(state): State<Arc<UiState>>,
    Path(uuid): Path<String>,
) -> Response {
    match state.store.get(&uuid).await {
        Ok(Some(json)) => json_response(StatusCode::OK, json),
        Ok(None) => (StatusCode::NOT_FOUND, "no such event").into_response(),
        Err(e) => store_failed(&e),
    }
}

/// `GET /api/v1/outputs`: the configured outputs, then those of the last falcosidekick POST.
pub(crate) async fn outputs(State(state): State<Arc<UiState>>) -> Response {
    let mut all = state.info.outputs.clone();
    if let Ok(posted) = state.posted_outputs.read() {
        for o in posted.iter() {
            if !all.contains(o) {
                all.push(o.clone());
            }
        }
    }
    value_response(&json!(all), false)
}

/// `GET /api/v1/config`: what the binary passed, secrets masked by it.
pub(crate) async fn config(State(state): State<Arc<UiState>>) -> Response {
    value_response(&state.info.config, false)
}

/// `GET /api/v1/version`, with falcosidekick-ui's capitalised keys.
pub(crate) async fn version(State(state): State<Arc<UiState>>) -> Response {
    value_response(
        &json!({
            "GitVersion": state.info.version,
            "GitCommit": state.info.commit,
            "GitTreeState": "",
            "BuildDate": "",
            "GoVersion": "",
            "Compiler": "rustc",
            "Platform": format!("{}/{}", std::env::consts::OS, std::env::consts::ARCH),
        }),
        false,
    )
}

/// The export formats.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Ndjson,
    Json,
}

const EXPORT_PAGE: u64 = 1000;

/// `GET /api/v1/events/export?format=csv|ndjson|json`: every matching event (up to
/// `limit`, 10000 by default, 1000000 at most), newest first, streamed.
pub(crate) async fn export(
    State(state): State<Arc<UiState>>,
    QueryParams(raw): QueryParams<RawQuery>,
) -> Response {
    let format = match raw.format.as_deref().unwrap_or("ndjson") {
        "csv" => Format::Csv,
        "ndjson" | "jsonl" => Format::Ndjson,
        "json" => Format::Json,
        other => return bad_request(format!("unknown format {other:?} (csv, ndjson, json)")),
    };
    let mut q = match resolve(&raw) {
        Ok(q) => q,
        Err(r) => return *r,
    };
    let total = if raw.limit.is_some() {
        q.limit.min(MAX_EXPORT)
    } else {
        DEFAULT_EXPORT
    };
    let start_offset = q.offset;
    // Said up front (headers), so a client and the events page can tell an export that
    // stops at its limit from a complete one.
    let matching = match state.store.count(&q).await {
        Ok(n) => n,
        Err(e) => return store_failed(&e),
    };
    let truncated = q.cursor.is_none() && matching > start_offset.saturating_add(total);
    if truncated {
        tracing::debug!(matching, limit = total, "webui export stops at its limit");
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let store = state.store.clone();
    tokio::spawn(async move {
        let mut sent = 0u64;
        let mut first = true;
        let head = match format {
            Format::Csv => Some(CSV_HEADER.to_owned()),
            Format::Json => Some("[".to_owned()),
            Format::Ndjson => None,
        };
        if let Some(h) = head {
            if tx.send(Ok(Bytes::from(h))).await.is_err() {
                return;
            }
        }
        while sent < total {
            q.limit = EXPORT_PAGE.min(total - sent);
            if q.cursor.is_none() {
                q.offset = start_offset + sent;
            }
            let page = match store.search(&q).await {
                Ok(p) => p,
                Err(e) => {
                    let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                    return;
                }
            };
            if page.events.is_empty() {
                break;
            }
            sent += page.events.len() as u64;
            let mut chunk = String::new();
            for e in &page.events {
                match format {
                    Format::Ndjson => {
                        chunk.push_str(e);
                        chunk.push('\n');
                    }
                    Format::Json => {
                        if !first {
                            chunk.push(',');
                        }
                        chunk.push_str(e);
                    }
                    Format::Csv => csv_row(e, &mut chunk),
                }
                first = false;
            }
            if tx.send(Ok(Bytes::from(chunk))).await.is_err() {
                return;
            }
            if (page.events.len() as u64) < q.limit {
                break;
            }
            // The next page starts after this one (no events skipped again to reach it).
            match page.next {
                Some(next) => q.cursor = Some(next),
                None => break,
            }
        }
        if format == Format::Json {
            let _ = tx.send(Ok(Bytes::from_static(b"]"))).await;
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let (ctype, name) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "falco_events.csv"),
        Format::Ndjson => ("application/x-ndjson", "falco_events.ndjson"),
        Format::Json => ("application/json", "falco_events.json"),
    };
    (
        [
            (header::CONTENT_TYPE, ctype.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (EXPORT_LIMIT.clone(), total.to_string()),
            (EXPORT_MATCHING.clone(), matching.to_string()),
            (EXPORT_TRUNCATED.clone(), truncated.to_string()),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// Events an export writes at most (its `limit`, 10,000 by default).
pub(crate) static EXPORT_LIMIT: header::HeaderName =
    header::HeaderName::from_static("x-falconer-export-limit");
/// Events matching the export's filters (all pages).
pub(crate) static EXPORT_MATCHING: header::HeaderName =
    header::HeaderName::from_static("x-falconer-export-matching");
/// `true` when the export stops at its limit before the last matching event.
pub(crate) static EXPORT_TRUNCATED: header::HeaderName =
    header::HeaderName::from_static("x-falconer-export-truncated");

/// Events an export writes when no `limit` is given.
pub(crate) const DEFAULT_EXPORT: u64 = 10_000;

const CSV_HEADER: &str = "time,priority,rule,source,hostname,tags,output,uuid,output_fields\r\n";

fn csv_field(value: &str, out: &mut String) {
    if value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// One CSV line (RFC 4180) of a stored event.
pub(crate) fn csv_row(json: &str, out: &mut String) {
    let v: Value = serde_json::from_str(json).unwrap_or(Value::Null);
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let tags = v
        .get("tags")
        .and_then(Value::as_array)
        .map(|t| {
            t.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(";")
        })
        .unwrap_or_default();
    let fields = v
        .get("output_fields")
        .map(Value::to_string)
        .unwrap_or_default();
    let cells = [
        s("time"),
        s("priority"),
        s("rule"),
        s("source"),
        s("hostname"),
        tags,
        s("output"),
        s("uuid"),
        fields,
    ];
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_field(c, out);
    }
    out.push_str("\r\n");
}
