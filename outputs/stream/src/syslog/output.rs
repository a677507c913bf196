//! Delivery: the batch's frames in one write on the persistent connection, or one datagram
//! each.

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};

use crate::syslog::encode::SyslogEncoder;
use crate::syslog::settings::{Framing, Parsed, Protocol};
use crate::transport::Transport;

/// A running syslog instance.
#[derive(Debug)]
pub(crate) struct Syslog {
    encoder: SyslogEncoder,
    protocol: Protocol,
    framing: Framing,
    transport: Transport,
}

impl Syslog {
    pub(crate) fn new(encoder: SyslogEncoder, parsed: Parsed, transport: Transport) -> Self {
        Syslog {
            encoder,
            protocol: parsed.protocol,
            framing: parsed.framing,
            transport,
        }
    }
}

#[async_trait::async_trait]
impl Output for Syslog {
    /// TCP and TLS have no acknowledgements: `Ok` means the frames were written to the
    /// connection. A write error drops the connection and is a `Connect` error, so the core
    /// sends the batch again on a new one (at least once: a receiver may get a frame twice).
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        match self.protocol {
            Protocol::Udp => {
                let datagrams: Vec<Vec<u8>> =
                    batch.iter().map(|a| self.encoder.datagram(a)).collect();
                self.transport.send_datagrams(&datagrams).await
            }
            Protocol::Tcp | Protocol::Tls => {
                let mut bytes = Vec::new();
                for alert in batch {
                    bytes.extend(self.encoder.frame(alert, self.framing));
                }
                self.transport.write_stream(&bytes).await
            }
        }
    }

    /// Opens the connection (TCP, TLS handshake included); for UDP, resolves the receiver.
    async fn healthcheck(&self) -> Result<(), SendError> {
        self.transport.open().await
    }
}
