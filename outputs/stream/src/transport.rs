//! One persistent connection (or connected UDP socket) per instance. Each attempt takes the
//! connection out of its slot and puts it back only after a complete write, so a failed or
//! timed-out write (the core drops the attempt) never leaves half a frame on a connection that
//! is reused: the next attempt dials again.

// A build with only some of the stream kinds uses only some of the protocols.
#![cfg_attr(
    not(all(feature = "syslog", feature = "logstash", feature = "wavefront")),
    allow(dead_code)
)]

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use falconer_core::SendError;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::Mutex;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// Largest UDP payload over IPv4: a longer message cannot be sent as one datagram.
pub const MAX_DATAGRAM: usize = 65_507;

/// How messages travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// One datagram per message.
    Udp,
    /// A TCP stream.
    Tcp,
    /// A TCP stream inside TLS.
    Tls,
}

/// With TLS 1.3 a client learns that the server refused its certificate only after its own
/// handshake is done; a new mutual-TLS session waits this long for such a refusal before it is
/// used (once per connection, not per alert), so alerts are not written into a doomed session.
const CLIENT_CERT_SETTLE: std::time::Duration = std::time::Duration::from_millis(250);

/// An open connection.
enum Conn {
    Udp(UdpSocket),
    Tcp(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// How to reach the receiver.
pub(crate) struct Transport {
    host: String,
    port: u16,
    protocol: Protocol,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    client_cert: bool,
    conn: Mutex<Option<Conn>>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("protocol", &self.protocol)
            .finish_non_exhaustive()
    }
}

fn connect_error(what: &str, e: impl std::fmt::Display) -> SendError {
    SendError::Connect(format!("{what}: {e}").into())
}

/// True when the receiver closed the stream (or it failed): syslog and Logstash receivers never send, so
/// a readable stream means end of file or an error. Polled once, without waiting.
fn peer_closed<S: AsyncRead + Unpin>(stream: &mut S) -> bool {
    let mut cx = Context::from_waker(Waker::noop());
    let mut buf = [0u8; 256];
    let mut read = ReadBuf::new(&mut buf);
    match Pin::new(stream).poll_read(&mut cx, &mut read) {
        Poll::Ready(Ok(())) => read.filled().is_empty(),
        Poll::Ready(Err(_)) => true,
        Poll::Pending => false,
    }
}

impl Transport {
    pub(crate) fn new(
        host: String,
        port: u16,
        protocol: Protocol,
        tls: Option<Arc<rustls::ClientConfig>>,
    ) -> Result<Self, String> {
        let client_cert = tls
            .as_ref()
            .is_some_and(|c| c.client_auth_cert_resolver.has_certs());
        let tls = match tls {
            Some(config) => {
                let name = ServerName::try_from(host.clone())
                    .map_err(|e| format!("host {host:?} is not a valid TLS server name: {e}"))?;
                Some((TlsConnector::from(config), name))
            }
            None => None,
        };
        Ok(Transport {
            host,
            port,
            protocol,
            tls,
            client_cert,
            conn: Mutex::new(None),
        })
    }

    async fn dial(&self) -> Result<Conn, SendError> {
        let addr = (self.host.as_str(), self.port);
        match self.protocol {
            Protocol::Udp => {
                let target = tokio::net::lookup_host(addr)
                    .await
                    .map_err(|e| connect_error("resolve", e))?
                    .next()
                    .ok_or_else(|| connect_error("resolve", "no address"))?;
                let local: std::net::SocketAddr = if target.is_ipv4() {
                    ([0, 0, 0, 0], 0).into()
                } else {
                    (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
                };
                let socket = UdpSocket::bind(local)
                    .await
                    .map_err(|e| connect_error("bind", e))?;
                socket
                    .connect(target)
                    .await
                    .map_err(|e| connect_error("connect", e))?;
                Ok(Conn::Udp(socket))
            }
            Protocol::Tcp | Protocol::Tls => {
                let tcp = TcpStream::connect(addr)
                    .await
                    .map_err(|e| connect_error("connect", e))?;
                let _ = tcp.set_nodelay(true);
                match &self.tls {
                    Some((connector, name)) => {
                        let mut tls = connector
                            .connect(name.clone(), tcp)
                            .await
                            .map_err(|e| connect_error("TLS handshake", e))?;
                        if self.client_cert {
                            let mut buf = [0u8; 256];
                            match tokio::time::timeout(CLIENT_CERT_SETTLE, tls.read(&mut buf)).await
                            {
                                Ok(Ok(0)) => {
                                    return Err(connect_error(
                                        "TLS handshake",
                                        "the receiver closed the session",
                                    ))
                                }
                                Ok(Err(e)) => return Err(connect_error("TLS handshake", e)),
                                Ok(Ok(_)) | Err(_) => {}
                            }
                        }
                        Ok(Conn::Tls(Box::new(tls)))
                    }
                    None => Ok(Conn::Tcp(tcp)),
                }
            }
        }
    }

    /// The open connection, or a new one when there is none or the receiver closed it.
    async fn take(&self, slot: &mut Option<Conn>) -> Result<Conn, SendError> {
        let reusable = match slot.take() {
            Some(mut conn) => {
                let closed = match &mut conn {
                    Conn::Tcp(s) => peer_closed(s),
                    Conn::Tls(s) => peer_closed(s.as_mut()),
                    Conn::Udp(_) => false,
                };
                (!closed).then_some(conn)
            }
            None => None,
        };
        match reusable {
            Some(c) => Ok(c),
            None => self.dial().await,
        }
    }

    /// Opens the connection now (the startup probe); UDP only resolves and binds.
    pub(crate) async fn open(&self) -> Result<(), SendError> {
        let mut slot = self.conn.lock().await;
        let conn = self.take(&mut slot).await?;
        *slot = Some(conn);
        Ok(())
    }

    /// Writes the frames of a stream in one go.
    pub(crate) async fn write_stream(&self, bytes: &[u8]) -> Result<(), SendError> {
        let mut slot = self.conn.lock().await;
        let mut conn = self.take(&mut slot).await?;
        let written = match &mut conn {
            Conn::Tcp(s) => write_all(s, bytes).await,
            Conn::Tls(s) => write_all(s.as_mut(), bytes).await,
            Conn::Udp(_) => Err(std::io::Error::other("not a stream")),
        };
        match written {
            Ok(()) => {
                *slot = Some(conn);
                Ok(())
            }
            Err(e) => Err(connect_error("write", e)),
        }
    }

    /// Sends one datagram per message. Messages too long for a datagram are refused (not
    /// retryable); a send error fails that message and every later one (retryable), the
    /// earlier ones having been sent.
    pub(crate) async fn send_datagrams(&self, datagrams: &[Vec<u8>]) -> Result<(), SendError> {
        let mut slot = self.conn.lock().await;
        let conn = self.take(&mut slot).await?;
        let Conn::Udp(socket) = &conn else {
            return Err(SendError::Other("not a datagram socket".into()));
        };
        let mut failed: Vec<(usize, SendError)> = Vec::new();
        let mut broken = None;
        for (i, datagram) in datagrams.iter().enumerate() {
            if broken.is_some() {
                failed.push((i, connect_error("send", "an earlier datagram failed")));
                continue;
            }
            if datagram.len() > MAX_DATAGRAM {
                failed.push((
                    i,
                    SendError::Encode(
                        format!(
                            "a {}-byte message does not fit in a UDP datagram (at most {MAX_DATAGRAM}); use tcp",
                            datagram.len()
                        )
                        .into(),
                    ),
                ));
                continue;
            }
            if let Err(e) = socket.send(datagram).await {
                failed.push((i, connect_error("send", &e)));
                broken = Some(e);
            }
        }
        if broken.is_none() {
            *slot = Some(conn);
        }
        match failed.len() {
            0 => Ok(()),
            1 if datagrams.len() == 1 => Err(failed.remove(0).1),
            _ => Err(SendError::Partial(failed)),
        }
    }
}

async fn write_all<S: tokio::io::AsyncWrite + Unpin>(
    stream: &mut S,
    bytes: &[u8],
) -> std::io::Result<()> {
    stream.write_all(bytes).await?;
    stream.flush().await
}
