//! Delivery: publish the batch on a confirm-mode channel, then wait for every confirm.
//! The connection and channel are opened on first use and re-opened after a failure: a
//! channel the broker closed (publishing to a missing exchange, say) is replaced on the same
//! connection, a lost connection is re-established.

use std::sync::Arc;

use falconer_core::{Alert, Output, SendError};
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::protocol::{AMQPErrorKind, AMQPHardError, AMQPSoftError};
use lapin::publisher_confirm::Confirmation;
use lapin::tcp::{OwnedIdentity, OwnedTLSConfig};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::uri::AMQPUri;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ErrorKind};

/// Limit of one connection attempt (TCP, TLS and the AMQP handshake).
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Where messages go.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    /// `""` is the default exchange.
    pub exchange: String,
    /// With the default exchange, the queue.
    pub routing_key: String,
}

/// TLS material for `amqps://`: extra CAs (PEM) and a client certificate and key (PEM).
#[derive(Clone, Debug, Default)]
pub(crate) struct Tls {
    /// CA certificates trusted in addition to the system roots.
    pub cert_chain: Option<String>,
    /// Client certificate chain and private key.
    pub identity: Option<(Vec<u8>, Vec<u8>)>,
}

impl Tls {
    fn owned(&self) -> OwnedTLSConfig {
        OwnedTLSConfig {
            identity: self
                .identity
                .clone()
                .map(|(pem, key)| OwnedIdentity::PKCS8 { pem, key }),
            cert_chain: self.cert_chain.clone(),
        }
    }
}

/// An open connection and its confirm-mode channel.
struct Session {
    connection: Connection,
    channel: Channel,
}

/// A running RabbitMQ instance.
pub(crate) struct RabbitMq {
    uri: AMQPUri,
    tls: Tls,
    target: Target,
    name: String,
    session: tokio::sync::Mutex<Option<Session>>,
}

impl std::fmt::Debug for RabbitMq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RabbitMq")
            .field("target", &self.target)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A failed AMQP operation as the core understands it: connection trouble is retried; the
/// broker refusing the publish for good (missing exchange or vhost, no permission, bad
/// credentials, message too large) is final.
pub(crate) fn classify(e: lapin::Error) -> SendError {
    match e.kind() {
        ErrorKind::ProtocolError(amqp) => {
            let refused = match amqp.kind() {
                AMQPErrorKind::Soft(soft) => !matches!(soft, AMQPSoftError::NOCONSUMERS),
                AMQPErrorKind::Hard(hard) => matches!(
                    hard,
                    AMQPHardError::INVALIDPATH
                        | AMQPHardError::NOTALLOWED
                        | AMQPHardError::NOTIMPLEMENTED
                ),
            };
            if refused {
                SendError::Rejected(format!("RabbitMQ refused: {amqp}"))
            } else if matches!(
                amqp.kind(),
                AMQPErrorKind::Hard(AMQPHardError::CONNECTIONFORCED)
            ) {
                SendError::Connect(Box::new(e))
            } else {
                SendError::Other(Box::new(e))
            }
        }
        ErrorKind::IOError(_)
        | ErrorKind::InvalidConnectionState(_)
        | ErrorKind::InvalidChannelState(..)
        | ErrorKind::InvalidChannel(_)
        | ErrorKind::MissingHeartbeatError => SendError::Connect(Box::new(e)),
        _ => SendError::Other(Box::new(e)),
    }
}

impl RabbitMq {
    pub(crate) fn new(uri: AMQPUri, tls: Tls, target: Target, name: String) -> Self {
        RabbitMq {
            uri,
            tls,
            target,
            name,
            session: tokio::sync::Mutex::new(None),
        }
    }

    async fn connect(&self) -> Result<Connection, SendError> {
        let mut client = FieldTable::default();
        client.insert(
            ShortString::from("connection_name"),
            AMQPValue::LongString(format!("falconer:{}", self.name).into()),
        );
        let mut properties = ConnectionProperties::default()
            .with_executor(tokio_executor_trait::Tokio::current())
            .with_reactor(tokio_reactor_trait::Tokio::current());
        properties.client_properties = client;
        let connect =
            Connection::connect_uri_with_config(self.uri.clone(), properties, self.tls.owned());
        match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
            Ok(Ok(connection)) => {
                tracing::info!(output = %self.name, "connected to RabbitMQ");
                Ok(connection)
            }
            Ok(Err(e)) => Err(classify_connect(e)),
            Err(_) => Err(SendError::Timeout(CONNECT_TIMEOUT)),
        }
    }

    /// The confirm-mode channel, (re)opened as needed.
    async fn channel(&self) -> Result<Channel, SendError> {
        let mut session = self.session.lock().await;
        if let Some(s) = session.as_ref() {
            if s.channel.status().connected() {
                return Ok(s.channel.clone());
            }
        }
        let old = session.take();
        let connection = match old {
            Some(s) if s.connection.status().connected() => s.connection,
            Some(s) => {
                tracing::warn!(output = %self.name, state = ?s.connection.status().state(),
                    "RabbitMQ connection lost, reconnecting");
                self.connect().await?
            }
            None => self.connect().await?,
        };
        let channel = connection.create_channel().await.map_err(classify)?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(classify)?;
        *session = Some(Session {
            connection,
            channel: channel.clone(),
        });
        Ok(channel)
    }
}

/// A failure to connect: a refused login is final (RabbitMQ closes the socket with
/// ACCESS_REFUSED), the rest is retried.
fn classify_connect(e: lapin::Error) -> SendError {
    match classify(e) {
        SendError::Other(e) => SendError::Connect(e),
        other => other,
    }
}

fn properties(alert: &Alert) -> BasicProperties {
    let mut p = BasicProperties::default()
        .with_content_type(ShortString::from("text/plain"))
        // Persistent: a durable queue keeps it across a broker restart.
        .with_delivery_mode(2);
    if !alert.uuid.is_empty() {
        p = p.with_message_id(ShortString::from(alert.uuid.as_str()));
    }
    p
}

#[async_trait::async_trait]
impl Output for RabbitMq {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        let channel = self.channel().await?;
        let options = BasicPublishOptions {
            // An unroutable message (no queue bound) comes back instead of vanishing.
            mandatory: true,
            ..BasicPublishOptions::default()
        };
        let mut confirms = Vec::with_capacity(batch.len());
        let mut unpublished = None;
        for (i, alert) in batch.iter().enumerate() {
            let published = channel
                .basic_publish(
                    &self.target.exchange,
                    &self.target.routing_key,
                    options,
                    alert.json_bytes(),
                    properties(alert),
                )
                .await;
            match published {
                Ok(confirm) => confirms.push(confirm),
                Err(e) => {
                    // The channel failed: what was published before still gets its confirm.
                    unpublished = Some((i, e));
                    break;
                }
            }
        }
        let mut failed = Vec::new();
        for (i, confirm) in confirms.into_iter().enumerate() {
            let error = match confirm.await {
                Ok(Confirmation::Ack(None)) => continue,
                Ok(Confirmation::Ack(Some(returned))) => SendError::Rejected(format!(
                    "RabbitMQ returned the message: {} {} (exchange {:?}, routing key {:?})",
                    returned.reply_code,
                    returned.reply_text,
                    self.target.exchange,
                    self.target.routing_key
                )),
                Ok(Confirmation::Nack(_)) => {
                    SendError::Other("RabbitMQ did not accept the message (nack)".into())
                }
                Ok(Confirmation::NotRequested) => {
                    SendError::Other("the channel is not in confirm mode".into())
                }
                Err(e) => classify(e),
            };
            failed.push((i, error));
        }
        if let Some((first, e)) = unpublished {
            failed.extend((first..batch.len()).map(|i| (i, classify(e.clone()))));
        }
        if failed.is_empty() {
            Ok(())
        } else if failed.len() == batch.len() {
            Err(failed.remove(0).1)
        } else {
            Err(SendError::Partial(failed))
        }
    }

    async fn healthcheck(&self) -> Result<(), SendError> {
        self.channel().await.map(|_| ())
    }
}
