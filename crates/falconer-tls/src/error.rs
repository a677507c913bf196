//! Why a client configuration could not be built; every message names the file at fault.

use std::path::PathBuf;

/// A TLS client configuration that could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The crypto provider refused the protocol versions.
    #[error("TLS setup: {0}")]
    Setup(#[source] rustls::Error),
    /// A certificate or key file could not be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// A certificate or key file is not valid PEM.
    #[error("{}: {source}", path.display())]
    Pem {
        /// The file.
        path: PathBuf,
        /// The parse failure.
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    /// A certificate file holds no certificate.
    #[error("{}: no PEM certificate", path.display())]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// A CA certificate was refused as a trust anchor.
    #[error("{}: {source}", path.display())]
    Certificate {
        /// The CA file.
        path: PathBuf,
        /// Why rustls refused it.
        #[source]
        source: rustls::Error,
    },
    /// The client certificate and key do not make a usable identity.
    #[error("client certificate {}: {source}", path.display())]
    ClientCertificate {
        /// The certificate file.
        path: PathBuf,
        /// Why rustls refused it.
        #[source]
        source: rustls::Error,
    },
}
