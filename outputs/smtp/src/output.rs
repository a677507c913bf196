//! Delivery: a pooled lettre transport (connections are reused and closed with QUIT), one
//! SMTP transaction per mail, server answers classified for the delivery core.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use falconer_config::MutualTlsFiles;
use falconer_core::{Alert, Output, SendError};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Identity, Tls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

use crate::render::MailRenderer;

/// Connections kept open to the server at most.
const POOL_SIZE: u32 = 4;

/// Idle connections are closed (with QUIT) after this.
const POOL_IDLE: Duration = Duration::from_secs(60);

/// Limit of one SMTP command (the core also bounds the whole attempt).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// A running SMTP instance.
pub(crate) struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    renderer: MailRenderer,
    from: Mailbox,
    to: Vec<Mailbox>,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp")
            .field("from", &self.from.to_string())
            .field("to", &self.to.len())
            .finish_non_exhaustive()
    }
}

/// How the connection is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    /// STARTTLS, refusing a server that does not offer it.
    StartTls,
    /// STARTTLS when the server offers it, plain otherwise.
    Opportunistic,
    /// TLS from the first byte (SMTPS).
    Implicit,
    /// Plain SMTP (loopback relays).
    None,
}

/// Where and how to connect: `hostport`, `tlsmode`/`tls`, `checkcert`, the CA and client
/// material, and the credentials of `authmechanism`.
pub(crate) struct Connection {
    /// Server host name or address.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// How the connection is secured.
    pub mode: TlsMode,
    /// Verify the server's certificate.
    pub checkcert: bool,
    /// `tlsclient.cacertfile` (empty: the system roots only).
    pub ca_file: String,
    /// The client certificate, key and CA of `mutualtls`.
    pub client: Option<MutualTlsFiles>,
    /// Mechanism, user and secret, when the server is to be authenticated to.
    pub credentials: Option<(Mechanism, String, String)>,
}

impl Connection {
    /// The pooled transport (reads the TLS material).
    pub(crate) fn transport(self) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(self.host.as_str())
                .port(self.port)
                .timeout(Some(COMMAND_TIMEOUT))
                .pool_config(
                    PoolConfig::new()
                        .max_size(POOL_SIZE)
                        .idle_timeout(POOL_IDLE),
                );
        if self.mode != TlsMode::None {
            let params = tls_parameters(
                &self.host,
                self.checkcert,
                &self.ca_file,
                self.client.as_ref(),
            )?;
            builder = builder.tls(match self.mode {
                TlsMode::StartTls => Tls::Required(params),
                TlsMode::Opportunistic => Tls::Opportunistic(params),
                TlsMode::Implicit => Tls::Wrapper(params),
                TlsMode::None => Tls::None,
            });
        }
        if let Some((mechanism, user, secret)) = self.credentials {
            builder = builder
                .credentials(Credentials::new(user, secret))
                .authentication(vec![mechanism]);
        }
        Ok(builder.build())
    }
}

impl Smtp {
    /// An instance sending through `transport`.
    pub(crate) fn new(
        transport: AsyncSmtpTransport<Tokio1Executor>,
        renderer: MailRenderer,
        from: Mailbox,
        to: Vec<Mailbox>,
    ) -> Self {
        Smtp {
            transport,
            renderer,
            from,
            to,
        }
    }
}

fn read(path: &std::path::Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn tls_parameters(
    host: &str,
    checkcert: bool,
    ca_file: &str,
    client: Option<&MutualTlsFiles>,
) -> Result<TlsParameters, String> {
    let mut params =
        TlsParameters::builder(host.to_owned()).dangerous_accept_invalid_certs(!checkcert);
    let mut roots: Vec<std::path::PathBuf> = Vec::new();
    if !ca_file.is_empty() {
        roots.push(ca_file.into());
    }
    if let Some(files) = client {
        // lettre 0.11's rustls backend takes the certificate of `Identity::from_pem` as DER
        // (it passes the bytes through unparsed), so the PEM is decoded here.
        let cert = CertificateDer::from_pem_slice(&read(&files.cert)?)
            .map_err(|e| format!("{}: {e}", files.cert.display()))?;
        let identity = Identity::from_pem(cert.as_ref(), &read(&files.key)?)
            .map_err(|e| format!("{}: {e}", files.key.display()))?;
        params = params.identify_with(identity);
        roots.push(files.ca.clone());
    }
    for path in roots {
        let ca =
            Certificate::from_pem(&read(&path)?).map_err(|e| format!("{}: {e}", path.display()))?;
        params = params.add_root_certificate(ca);
    }
    params.build().map_err(|e| format!("TLS setup: {e}"))
}

/// The server's answer as the core understands it: 4xx (and connection trouble) is retried,
/// 5xx is final and kept as a dead letter with the server's words.
fn classify(error: lettre::transport::smtp::Error) -> SendError {
    if error.is_permanent() {
        SendError::Rejected(error.to_string())
    } else if error.is_timeout() {
        SendError::Timeout(COMMAND_TIMEOUT)
    } else if error.is_transient() {
        SendError::Other(Box::new(error))
    } else {
        SendError::Connect(Box::new(error))
    }
}

#[async_trait::async_trait]
impl Output for Smtp {
    async fn send(&self, batch: &[Arc<Alert>]) -> Result<(), SendError> {
        if batch.is_empty() {
            return Ok(());
        }
        let message = self
            .renderer
            .message(&self.from, &self.to, batch, SystemTime::now())
            .map_err(|e| SendError::Encode(Box::new(e)))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(classify)
    }

    async fn healthcheck(&self) -> Result<(), SendError> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(SendError::Connect("the server did not answer NOOP".into())),
            Err(e) => Err(classify(e)),
        }
    }
}
