//! `parse` mode: the ingest floor — read the body and parse it as JSON.

use std::net::SocketAddr;

use hyper::StatusCode;

use crate::server::{empty, read_body, serve};

/// Runs the `parse` server on `addr`; invalid JSON gets `400`.
pub async fn run(addr: SocketAddr) -> std::io::Result<()> {
    serve(addr, |req| async move {
        let Some(body) = read_body(req).await else {
            return empty(StatusCode::BAD_REQUEST);
        };
        match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(value) => {
                // Keep the parse from being optimised away.
                std::hint::black_box(value);
                empty(StatusCode::OK)
            }
            Err(_) => empty(StatusCode::BAD_REQUEST),
        }
    })
    .await
}
