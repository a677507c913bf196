//! Per listener families (`ingest`, `ui`): open connections, refusals at the caps and
//! connections closed by the server's own deadlines.

use prometheus::{IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry};

/// Why a new connection was refused at accept time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionRefusal {
    /// The listener held its `maxconnections` and none of them was idle.
    ConnectionCap,
    /// The client address held its `maxconnectionsperclient` and none of them was idle.
    ClientCap,
}

impl ConnectionRefusal {
    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            ConnectionRefusal::ConnectionCap => "connection_cap",
            ConnectionRefusal::ClientCap => "client_cap",
        }
    }
}

/// Why the server closed a connection on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionClose {
    /// No complete request head (or TLS handshake) within the header timeout of accept.
    HeaderTimeout,
    /// Idle (no request in progress) for the idle timeout.
    IdleTimeout,
    /// A request in progress moved no byte (read or written) for the idle timeout.
    Stalled,
    /// Closed to make room for a new connection at a cap (idle connections go first).
    Evicted,
}

impl ConnectionClose {
    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            ConnectionClose::HeaderTimeout => "header_timeout",
            ConnectionClose::IdleTimeout => "idle_timeout",
            ConnectionClose::Stalled => "stalled",
            ConnectionClose::Evicted => "evicted",
        }
    }
}

/// The families, registered once.
pub(crate) struct ListenerFamilies {
    open: IntGaugeVec,
    refused: IntCounterVec,
    closed: IntCounterVec,
}

impl ListenerFamilies {
    pub(crate) fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let open = IntGaugeVec::new(
            Opts::new(
                "falconer_connections_open",
                "Client connections open, by listener.",
            ),
            &["listener"],
        )?;
        registry.register(Box::new(open.clone()))?;
        let refused = IntCounterVec::new(
            Opts::new(
                "falconer_connections_refused_total",
                "Connections closed at accept because a connection cap was reached, by listener and reason.",
            ),
            &["listener", "reason"],
        )?;
        registry.register(Box::new(refused.clone()))?;
        let closed = IntCounterVec::new(
            Opts::new(
                "falconer_connections_closed_total",
                "Connections the server closed on its own (deadlines, eviction at a cap), by listener and reason.",
            ),
            &["listener", "reason"],
        )?;
        registry.register(Box::new(closed.clone()))?;
        Ok(ListenerFamilies {
            open,
            refused,
            closed,
        })
    }

    pub(crate) fn listener(&self, name: &str) -> ListenerMetrics {
        let refused = |r: ConnectionRefusal| self.refused.with_label_values(&[name, r.label()]);
        let closed = |r: ConnectionClose| self.closed.with_label_values(&[name, r.label()]);
        ListenerMetrics {
            open: self.open.with_label_values(&[name]),
            refused_connection_cap: refused(ConnectionRefusal::ConnectionCap),
            refused_client_cap: refused(ConnectionRefusal::ClientCap),
            closed_header_timeout: closed(ConnectionClose::HeaderTimeout),
            closed_idle_timeout: closed(ConnectionClose::IdleTimeout),
            closed_stalled: closed(ConnectionClose::Stalled),
            closed_evicted: closed(ConnectionClose::Evicted),
        }
    }
}

/// The handles of one listener, resolved once.
#[derive(Clone, Debug)]
pub struct ListenerMetrics {
    /// Connections open now.
    pub open: IntGauge,
    refused_connection_cap: IntCounter,
    refused_client_cap: IntCounter,
    closed_header_timeout: IntCounter,
    closed_idle_timeout: IntCounter,
    closed_stalled: IntCounter,
    closed_evicted: IntCounter,
}

impl ListenerMetrics {
    /// Handles registered nowhere, for tests and for listeners run without metrics.
    pub fn unregistered() -> Self {
        let counter = || IntCounter::new("unregistered", "unregistered");
        let gauge = IntGauge::new("unregistered", "unregistered");
        // Names and help are valid constants, so creation cannot fail.
        #[allow(clippy::unwrap_used)]
        ListenerMetrics {
            open: gauge.unwrap(),
            refused_connection_cap: counter().unwrap(),
            refused_client_cap: counter().unwrap(),
            closed_header_timeout: counter().unwrap(),
            closed_idle_timeout: counter().unwrap(),
            closed_stalled: counter().unwrap(),
            closed_evicted: counter().unwrap(),
        }
    }

    /// A connection was refused at accept.
    pub fn refused(&self, reason: ConnectionRefusal) {
        match reason {
            ConnectionRefusal::ConnectionCap => self.refused_connection_cap.inc(),
            ConnectionRefusal::ClientCap => self.refused_client_cap.inc(),
        }
    }

    /// The server closed a connection on its own.
    pub fn closed(&self, reason: ConnectionClose) {
        match reason {
            ConnectionClose::HeaderTimeout => self.closed_header_timeout.inc(),
            ConnectionClose::IdleTimeout => self.closed_idle_timeout.inc(),
            ConnectionClose::Stalled => self.closed_stalled.inc(),
            ConnectionClose::Evicted => self.closed_evicted.inc(),
        }
    }

    /// Refusals so far (both reasons), for tests.
    pub fn refused_total(&self) -> u64 {
        self.refused_connection_cap.get() + self.refused_client_cap.get()
    }

    /// Connections closed by `reason` so far, for tests.
    pub fn closed_total(&self, reason: ConnectionClose) -> u64 {
        match reason {
            ConnectionClose::HeaderTimeout => self.closed_header_timeout.get(),
            ConnectionClose::IdleTimeout => self.closed_idle_timeout.get(),
            ConnectionClose::Stalled => self.closed_stalled.get(),
            ConnectionClose::Evicted => self.closed_evicted.get(),
        }
    }
}
