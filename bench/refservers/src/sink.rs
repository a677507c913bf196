//! `sink` mode: a fast counting HTTP sink.
//!
//! `POST <any path>` → `200`, counting the request and its body bytes;
//! `GET /count` → `{"requests":N,"bytes":N}`; `POST /reset` zeroes both.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use hyper::{Method, StatusCode};

use crate::server::{empty, json, read_body, serve};

/// Request and byte counters of one sink.
#[derive(Debug, Default)]
struct Counters {
    /// Requests received (excluding `/count` and `/reset`).
    requests: AtomicU64,
    /// Body bytes received by those requests.
    bytes: AtomicU64,
}

/// Runs the counting sink on `addr`.
pub async fn run(addr: SocketAddr) -> std::io::Result<()> {
    let counters = Arc::new(Counters::default());
    serve(addr, move |req| {
        let counters = Arc::clone(&counters);
        async move {
            match (req.method(), req.uri().path()) {
                (&Method::GET, "/count") => json(format!(
                    r#"{{"requests":{},"bytes":{}}}"#,
                    counters.requests.load(Ordering::Relaxed),
                    counters.bytes.load(Ordering::Relaxed),
                )),
                (&Method::POST, "/reset") => {
                    counters.requests.store(0, Ordering::Relaxed);
                    counters.bytes.store(0, Ordering::Relaxed);
                    empty(StatusCode::OK)
                }
                (&Method::POST, _) => match read_body(req).await {
                    Some(body) => {
                        counters
                            .bytes
                            .fetch_add(body.len() as u64, Ordering::Relaxed);
                        counters.requests.fetch_add(1, Ordering::Relaxed);
                        empty(StatusCode::OK)
                    }
                    None => empty(StatusCode::BAD_REQUEST),
                },
                _ => empty(StatusCode::NOT_FOUND),
            }
        }
    })
    .await
}
