//! The hostile client, on real sockets: idle and half-open connections, a trickled body, a
//! flood at the caps, and the senders that must still be served.

use std::sync::Arc;
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use falconer_metrics::{ConnectionClose, ListenerMetrics};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::{serve, ConnectionCaps, ConnectionPool, ListenSettings};

const SETTINGS: ListenSettings = ListenSettings {
    header_timeout: Duration::from_millis(300),
    idle_timeout: Duration::from_millis(600),
    drain_timeout: Duration::from_secs(2),
};

struct Server {
    addr: std::net::SocketAddr,
    pool: Arc<ConnectionPool>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
    /// `/slow` waits for a permit from here.
    gate: Arc<Semaphore>,
}

async fn start(caps: ConnectionCaps) -> Server {
    start_with(caps, SETTINGS).await
}

async fn start_with(caps: ConnectionCaps, settings: ListenSettings) -> Server {
    let gate = Arc::new(Semaphore::new(0));
    let g = gate.clone();
    let app = Router::new()
        .route("/", get(|| async { "ok" }))
        .route("/echo", post(|body: String| async move { body }))
        .route(
            "/slow",
            get(move || {
                let g = g.clone();
                async move {
                    if let Ok(permit) = g.acquire().await {
                        permit.forget();
                    }
                    "slow"
                }
            }),
        );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let pool = ConnectionPool::new("test", caps, ListenerMetrics::unregistered());
    let stop = CancellationToken::new();
    let task = tokio::spawn(serve(
        listener,
        app,
        pool.clone(),
        settings,
        None,
        None,
        stop.clone(),
    ));
    Server {
        addr,
        pool,
        stop,
        task,
        gate,
    }
}

const WIDE: ConnectionCaps = ConnectionCaps {
    max_connections: 64,
    max_per_client: 64,
};

/// Reads until the server closes; the time it took, or `None` after `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = std::time::Instant::now();
    let mut buf = [0u8; 4096];
    tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return started.elapsed(),
                Ok(_) => {}
            }
        }
    })
    .await
    .ok()
}

async fn get_ok(stream: &mut TcpStream, path: &str) -> String {
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .await
        .expect("write");
    let mut buf = vec![0u8; 4096];
    let n = stream.read(&mut buf).await.expect("read");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test]
async fn a_socket_that_sends_nothing_is_closed_at_the_header_timeout() {
    let server = start(WIDE).await;
    let mut idle = TcpStream::connect(server.addr).await.expect("connect");
    let took = closed_within(&mut idle, Duration::from_secs(5))
        .await
        .expect("closed");
    assert!(took >= Duration::from_millis(250), "{took:?}");
    assert_eq!(
        server
            .pool
            .metrics()
            .closed_total(ConnectionClose::HeaderTimeout),
        1
    );
    assert_eq!(server.pool.open(), 0);
}

#[tokio::test]
async fn half_an_http2_preface_is_closed_at_the_header_timeout() {
    let server = start(WIDE).await;
    let mut half = TcpStream::connect(server.addr).await.expect("connect");
    half.write_all(b"PRI * HTTP/2.0\r\n").await.expect("write");
    assert!(closed_within(&mut half, Duration::from_secs(5))
        .await
        .is_some());
    // A whole preface and SETTINGS, but never a request: closed too.
    let mut h2 = TcpStream::connect(server.addr).await.expect("connect");
    h2.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .expect("write");
    assert!(closed_within(&mut h2, Duration::from_secs(5))
        .await
        .is_some());
    assert_eq!(
        server
            .pool
            .metrics()
            .closed_total(ConnectionClose::HeaderTimeout),
        2
    );
}

#[tokio::test]
async fn a_partial_request_head_is_closed_at_the_header_timeout() {
    let server = start(WIDE).await;
    let mut slow = TcpStream::connect(server.addr).await.expect("connect");
    slow.write_all(b"POST / HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if slow.write_all(b"X-A: b\r\n").await.is_err() {
            break;
        }
    }
    assert!(closed_within(&mut slow, Duration::from_secs(5))
        .await
        .is_some());
}

#[tokio::test]
async fn an_idle_timeout_shorter_than_the_header_timeout_still_applies() {
    let settings = ListenSettings {
        header_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_millis(500),
        drain_timeout: Duration::from_secs(2),
    };
    let server = start_with(WIDE, settings).await;
    let mut conn = TcpStream::connect(server.addr).await.expect("connect");
    assert!(get_ok(&mut conn, "/").await.starts_with("HTTP/1.1 200"));
    let took = closed_within(&mut conn, Duration::from_secs(5))
        .await
        .expect("closed at the idle timeout, long before the header timeout");
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_at_the_idle_timeout() {
    let server = start(WIDE).await;
    let mut conn = TcpStream::connect(server.addr).await.expect("connect");
    assert!(get_ok(&mut conn, "/").await.starts_with("HTTP/1.1 200"));
    // Still usable well within the idle timeout.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(get_ok(&mut conn, "/").await.starts_with("HTTP/1.1 200"));
    let took = closed_within(&mut conn, Duration::from_secs(5))
        .await
        .expect("closed");
    assert!(took >= Duration::from_millis(500), "{took:?}");
    assert_eq!(
        server
            .pool
            .metrics()
            .closed_total(ConnectionClose::IdleTimeout),
        1
    );
}

#[tokio::test]
async fn a_trickled_body_that_stops_is_closed_as_stalled() {
    let server = start(WIDE).await;
    let mut conn = TcpStream::connect(server.addr).await.expect("connect");
    conn.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
        .await
        .expect("write");
    assert!(closed_within(&mut conn, Duration::from_secs(5))
        .await
        .is_some());
    assert_eq!(
        server.pool.metrics().closed_total(ConnectionClose::Stalled),
        1
    );
}

#[tokio::test]
async fn a_request_in_progress_is_not_cut_while_bytes_move() {
    let server = start(WIDE).await;
    let mut conn = TcpStream::connect(server.addr).await.expect("connect");
    conn.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n")
        .await
        .expect("write");
    // 10 bytes over 1 s: longer than the header and idle timeouts, but never silent for long.
    for b in b"0123456789" {
        tokio::time::sleep(Duration::from_millis(100)).await;
        conn.write_all(&[*b]).await.expect("write");
    }
    let mut buf = vec![0u8; 1024];
    let n = conn.read(&mut buf).await.expect("read");
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("0123456789"), "{answer}");
}

#[tokio::test]
async fn at_the_cap_idle_sockets_make_room_for_a_working_sender() {
    let server = start(ConnectionCaps {
        max_connections: 8,
        max_per_client: 8,
    })
    .await;
    // The flood: 8 sockets that never send.
    let mut flood = Vec::new();
    for _ in 0..8 {
        flood.push(TcpStream::connect(server.addr).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(server.pool.open(), 8);
    // A sender with a keep-alive connection that has been used.
    let client = reqwest::Client::new();
    let url = format!("http://{}/", server.addr);
    for _ in 0..20 {
        let answer = client.get(&url).send().await.expect("served at the cap");
        assert_eq!(answer.status(), 200);
    }
    assert!(server.pool.open() <= 8);
    assert!(
        server.pool.metrics().closed_total(ConnectionClose::Evicted) >= 1,
        "an idle socket made room"
    );
    assert_eq!(server.pool.metrics().refused_total(), 0);
}

#[tokio::test]
async fn at_the_cap_with_every_connection_busy_new_ones_are_refused() {
    let server = start(ConnectionCaps {
        max_connections: 2,
        max_per_client: 2,
    })
    .await;
    let mut busy = Vec::new();
    for _ in 0..2 {
        let mut c = TcpStream::connect(server.addr).await.expect("connect");
        c.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("write");
        busy.push(c);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = TcpStream::connect(server.addr).await.expect("connect");
    let took = closed_within(&mut third, Duration::from_secs(2))
        .await
        .expect("refused");
    assert!(
        took < Duration::from_millis(250),
        "refused at once: {took:?}"
    );
    assert_eq!(server.pool.metrics().refused_total(), 1);
    // The busy ones finish normally.
    server.gate.add_permits(2);
    for mut c in busy {
        let mut buf = vec![0u8; 1024];
        let n = c.read(&mut buf).await.expect("read");
        assert!(String::from_utf8_lossy(&buf[..n]).ends_with("slow"));
    }
}

#[tokio::test]
async fn the_per_client_cap_evicts_that_clients_idle_socket() {
    let server = start(ConnectionCaps {
        max_connections: 64,
        max_per_client: 3,
    })
    .await;
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(TcpStream::connect(server.addr).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut fresh = TcpStream::connect(server.addr).await.expect("connect");
    assert!(get_ok(&mut fresh, "/").await.starts_with("HTTP/1.1 200"));
    assert_eq!(server.pool.open(), 3);
    assert_eq!(
        server.pool.metrics().closed_total(ConnectionClose::Evicted),
        1
    );
}

#[tokio::test]
async fn stop_lets_requests_in_progress_finish() {
    let server = start(WIDE).await;
    let mut conn = TcpStream::connect(server.addr).await.expect("connect");
    conn.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.stop.cancel();
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.gate.add_permits(1);
    let mut buf = vec![0u8; 1024];
    let n = conn.read(&mut buf).await.expect("read");
    assert!(String::from_utf8_lossy(&buf[..n]).ends_with("slow"));
    tokio::time::timeout(Duration::from_secs(3), server.task)
        .await
        .expect("serve returns after the drain")
        .expect("no panic");
}

#[tokio::test]
async fn a_slow_second_request_head_is_closed_at_the_header_timeout() {
    let server = start(ConnectionCaps {
        max_connections: 64,
        max_per_client: 64,
    })
    .await;
    let mut conn = TcpStream::connect(server.addr).await.expect("connect");
    assert!(get_ok(&mut conn, "/").await.starts_with("HTTP/1.1 200"));
    conn.write_all(b"GET / HTTP/1.1\r\n").await.expect("write");
    let took = closed_within(&mut conn, Duration::from_secs(5))
        .await
        .expect("closed");
    assert!(
        took < Duration::from_millis(550),
        "header, not idle, timeout: {took:?}"
    );
    assert_eq!(
        server
            .pool
            .metrics()
            .closed_total(ConnectionClose::HeaderTimeout),
        1
    );
}

#[tokio::test]
async fn http2_clients_are_served() {
    let server = start(WIDE).await;
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("client");
    for _ in 0..3 {
        let answer = client
            .get(format!("http://{}/", server.addr))
            .send()
            .await
            .expect("h2 request");
        assert_eq!(answer.version(), reqwest::Version::HTTP_2);
        assert_eq!(answer.text().await.expect("body"), "ok");
    }
    assert_eq!(server.pool.open(), 1);
}
