//! Falconer's hardened HTTP accept loop, shared by every listener (ingest, its TLS and
//! plain side ports, the web UI).
//!
//! A connection is held to three deadlines and two caps:
//! - **header timeout**: from accept (TLS handshake included) to the first complete request
//!   head; also, through hyper, for each later HTTP/1 request head. A socket that sends
//!   nothing, or half an HTTP/2 preface, is closed when it runs out.
//! - **idle timeout**: a connection with no request in progress and no byte moving for this
//!   long is closed; so is one whose request stalls (no byte read or written) for as long.
//! - **caps**: open connections per listener and per client address. At a cap the new
//!   connection takes the place of an idle one (never-used connections first, then the
//!   longest idle), so a flood of idle sockets cannot lock out a sender that is working;
//!   when every connection is busy the new one is refused. Each refusal and each close by
//!   the server is counted (`falconer_connections_refused_total`,
//!   `falconer_connections_closed_total`).
//!
//! [`budget_connections`] raises the open-files limit and fits the caps of all listeners
//! into it, so one listener's flood cannot take the descriptors another one needs.

mod body;
mod fdlimit;
mod io;
mod pool;
mod serve;

pub use body::TrackedBody;
pub use fdlimit::{budget_connections, fit_caps, raise_fd_limit, reserve};
pub use pool::{ConnectionCaps, ConnectionPool};
pub use serve::{serve, serve_stream, ListenSettings, Tagger, TlsSource};

#[cfg(test)]
mod tests;
