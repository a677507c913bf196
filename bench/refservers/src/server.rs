//! Shared HTTP/1.1 server plumbing: accept loop, body collection, responses.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// Response type produced by every handler.
pub type Resp = Response<Full<Bytes>>;

/// Serves HTTP/1.1 (keep-alive) on `addr`, calling `handler` for each request.
///
/// Runs until the process is killed; per-connection errors are ignored.
pub async fn serve<H, Fut>(addr: SocketAddr, handler: H) -> std::io::Result<()>
where
    H: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Resp> + Send + 'static,
{
    let listener = TcpListener::bind(addr).await?;
    eprintln!("refserver listening on {}", listener.local_addr()?);
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(conn) => conn,
            // EMFILE and friends: keep serving the connections we have.
            Err(_) => continue,
        };
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let fut = handler(req);
                async move { Ok::<_, Infallible>(fut.await) }
            });
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

/// Reads the whole request body; `None` if the connection failed mid-body.
pub async fn read_body(req: Request<Incoming>) -> Option<Bytes> {
    req.into_body().collect().await.ok().map(|c| c.to_bytes())
}

/// An empty response with the given status.
pub fn empty(status: StatusCode) -> Resp {
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = status;
    resp
}

/// A `200` response with a JSON body.
pub fn json(body: String) -> Resp {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    resp
}
