//! `sink` mode: a fast counting HTTP sink.
//!
//! `POST <any path>` → `200`, counting the request and its body bytes;
//! `GET /count` → `{"requests":N,"bytes":N,"rejected":N,"alerts":N,"unique":N,"last_us":N}`,
//! where `last_us` is the wall-clock time (µs since the Unix epoch) of the last accepted POST
//! (0 before the first), so a harness can divide what arrived by the time it took to arrive;
//! `POST /reset` zeroes everything.
//!
//! * `--fail-every N` answers every Nth POST (by arrival order) with `500`
//!   instead; such a request is counted in `rejected` only, not in `requests`
//!   or `bytes`, so `requests` is always "POSTs accepted with a 2xx".
//! * `--unique` also scans every accepted body for `"uuid":"…"` values (one
//!   per alert; a batch carries several) and counts them in `alerts` (all
//!   occurrences) and `unique` (distinct values). Without it both stay 0.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use hyper::{Method, StatusCode};

use crate::server::{empty, json, read_body, serve};

/// Behaviour of a sink.
#[derive(Debug, Clone, Copy, Default)]
pub struct Config {
    /// Answer every Nth POST with `500` (`0` = never).
    pub fail_every: u64,
    /// Track distinct `uuid` values of the accepted alerts.
    pub unique: bool,
    /// Body of the `200` answers (JSON), e.g. `{"errors":false}` for a `_bulk` API; empty
    /// answers when `None`.
    pub reply_body: Option<&'static str>,
}

/// Counters of one sink (also used by the bus counters of `buses.rs`).
#[derive(Debug, Default)]
pub struct Counters {
    /// POSTs received, whatever the answer (drives `fail_every`).
    seen: AtomicU64,
    /// POSTs answered `200` (excluding `/count` and `/reset`).
    requests: AtomicU64,
    /// Body bytes of those requests.
    bytes: AtomicU64,
    /// POSTs answered `500` because of `fail_every`.
    rejected: AtomicU64,
    /// `uuid` occurrences in accepted bodies (with `--unique`).
    alerts: AtomicU64,
    /// Distinct `uuid` values in accepted bodies (with `--unique`).
    uuids: Mutex<HashSet<Box<[u8]>>>,
    /// Wall-clock µs since the Unix epoch of the last accepted POST or bus message.
    last_us: AtomicU64,
}

impl Counters {
    /// The `/count` document.
    fn snapshot(&self) -> String {
        let unique = self.uuids.lock().map_or(0, |s| s.len());
        format!(
            r#"{{"requests":{},"bytes":{},"rejected":{},"alerts":{},"unique":{},"last_us":{}}}"#,
            self.requests.load(Ordering::Relaxed),
            self.bytes.load(Ordering::Relaxed),
            self.rejected.load(Ordering::Relaxed),
            self.alerts.load(Ordering::Relaxed),
            unique,
            self.last_us.load(Ordering::Relaxed),
        )
    }

    /// Zeroes every counter.
    fn reset(&self) {
        for c in [
            &self.seen,
            &self.requests,
            &self.bytes,
            &self.rejected,
            &self.alerts,
            &self.last_us,
        ] {
            c.store(0, Ordering::Relaxed);
        }
        if let Ok(mut s) = self.uuids.lock() {
            s.clear();
        }
    }

    /// Records one message taken from a bus: a request, its bytes and its uuids.
    pub fn record_message(&self, body: &[u8]) {
        self.record_uuids(body);
        self.accepted(body.len());
    }

    /// Counts one accepted request (or message) of `len` body bytes and its arrival time.
    fn accepted(&self, len: usize) {
        self.bytes.fetch_add(len as u64, Ordering::Relaxed);
        self.requests.fetch_add(1, Ordering::Relaxed);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as u64);
        self.last_us.fetch_max(now, Ordering::Relaxed);
    }

    /// Records the uuids of an accepted body.
    fn record_uuids(&self, body: &[u8]) {
        let ids = uuids(body);
        self.alerts.fetch_add(ids.len() as u64, Ordering::Relaxed);
        if let Ok(mut s) = self.uuids.lock() {
            for id in ids {
                s.insert(id.into());
            }
        }
    }
}

/// Every `"uuid" : "<value>"` value in `body`, in order (a cheap scan, no JSON parse).
fn uuids(body: &[u8]) -> Vec<&[u8]> {
    const KEY: &[u8] = b"\"uuid\"";
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(pos) = find(&body[i..], KEY) {
        let mut j = i + pos + KEY.len();
        i = j;
        while body.get(j).is_some_and(u8::is_ascii_whitespace) {
            j += 1;
        }
        if body.get(j) != Some(&b':') {
            continue;
        }
        j += 1;
        while body.get(j).is_some_and(u8::is_ascii_whitespace) {
            j += 1;
        }
        if body.get(j) != Some(&b'"') {
            continue;
        }
        let start = j + 1;
        if let Some(len) = body[start..].iter().position(|&b| b == b'"') {
            out.push(&body[start..start + len]);
            i = start + len + 1;
        }
    }
    out
}

/// Position of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Serves only `GET /count` and `POST /reset` for `counters` on `addr` (the bus counters).
pub async fn serve_counts(addr: SocketAddr, counters: Arc<Counters>) -> std::io::Result<()> {
    serve(addr, move |req| {
        let counters = Arc::clone(&counters);
        async move {
            match (req.method(), req.uri().path()) {
                (&Method::GET, "/count") => json(counters.snapshot()),
                (&Method::POST, "/reset") => {
                    counters.reset();
                    empty(StatusCode::OK)
                }
                _ => empty(StatusCode::NOT_FOUND),
            }
        }
    })
    .await
}

/// Runs the counting sink on `addr`.
pub async fn run(addr: SocketAddr, cfg: Config) -> std::io::Result<()> {
    let counters = Arc::new(Counters::default());
    serve(addr, move |req| {
        let counters = Arc::clone(&counters);
        async move {
            match (req.method(), req.uri().path()) {
                (&Method::GET, "/count") => json(counters.snapshot()),
                (&Method::POST, "/reset") => {
                    counters.reset();
                    empty(StatusCode::OK)
                }
                (&Method::POST, _) => match read_body(req).await {
                    Some(body) => {
                        let n = counters.seen.fetch_add(1, Ordering::Relaxed) + 1;
                        if cfg.fail_every > 0 && n % cfg.fail_every == 0 {
                            counters.rejected.fetch_add(1, Ordering::Relaxed);
                            return empty(StatusCode::INTERNAL_SERVER_ERROR);
                        }
                        if cfg.unique {
                            counters.record_uuids(&body);
                        }
                        counters.accepted(body.len());
                        match cfg.reply_body {
                            Some(reply) => json(reply.to_owned()),
                            None => empty(StatusCode::OK),
                        }
                    }
                    None => empty(StatusCode::BAD_REQUEST),
                },
                _ => empty(StatusCode::NOT_FOUND),
            }
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::uuids;

    #[test]
    fn finds_every_uuid() {
        let body = br#"[{"uuid":"a","x":1},{"rule":"r", "uuid" : "bc"},{"uuid":5}]"#;
        assert_eq!(uuids(body), vec![&b"a"[..], &b"bc"[..]]);
        assert!(uuids(b"{}").is_empty());
    }
}
