//! `bare` mode: the HTTP floor — read the body, reply `200`.

use std::net::SocketAddr;

use hyper::StatusCode;

use crate::server::{empty, read_body, serve};

/// Runs the `bare` server on `addr`.
pub async fn run(addr: SocketAddr) -> std::io::Result<()> {
    serve(addr, |req| async move {
        match read_body(req).await {
            Some(_) => empty(StatusCode::OK),
            None => empty(StatusCode::BAD_REQUEST),
        }
    })
    .await
}
