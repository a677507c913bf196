//! rustls client configurations for the outputs that open TLS connections themselves
//! (`syslog` with `protocol: tls`, `logstash` with `tls`, `mqtt` with `ssl://` brokers), built
//! from the global TLS settings as falcosidekick reads them:
//! - the system roots plus `tlsclient.cacertfile` (and, with mutual TLS, the CA of
//!   `mutualtlsclient` / `mutualtlsfilespath`);
//! - with `mutualtls`, the client certificate and key of
//!   [`GlobalSettings::mutual_tls_files`];
//! - an explicit `checkcert: false` accepts any server certificate (unless mutual TLS is on:
//!   then the server is always verified, as in falcosidekick).
//!
//! The crypto provider is aws-lc-rs, as everywhere in Falconer.

mod accept_any;
mod error;
mod pem;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::Arc;

use falconer_config::{GlobalSettings, MutualTlsFiles};
use rustls::pki_types::PrivateKeyDer;
use rustls::{ClientConfig, RootCertStore};

use crate::accept_any::AcceptAnyServer;
pub use crate::error::TlsError;
use crate::pem::{certificates, private_key};

/// The client configuration of an output with `checkcert` and `mutualtls`, from `global`'s
/// `tlsclient.*`, `mutualtlsclient.*` and `mutualtlsfilespath`.
pub fn client_config(
    global: &GlobalSettings,
    checkcert: bool,
    mutualtls: bool,
) -> Result<Arc<ClientConfig>, TlsError> {
    let client = mutualtls.then(|| global.mutual_tls_files());
    build(checkcert, &global.tlsclient.cacertfile, client.as_ref())
}

/// The client configuration of an output that names its own files (`logstash`): the system
/// roots plus `ca_file` (when not empty) and, with `client`, its CA, presenting its
/// certificate; with neither `checkcert` nor `client`, any server certificate is accepted.
pub fn client_config_with_files(
    checkcert: bool,
    ca_file: &str,
    client: Option<&MutualTlsFiles>,
) -> Result<Arc<ClientConfig>, TlsError> {
    build(checkcert, ca_file, client)
}

/// The client configuration trusting the system roots, `ca_file` (when not empty) and the
/// mutual-TLS CA, presenting `client`'s certificate; with neither `checkcert` nor `client`,
/// any server certificate is accepted.
fn build(
    checkcert: bool,
    ca_file: &str,
    client: Option<&MutualTlsFiles>,
) -> Result<Arc<ClientConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Setup)?;
    let builder = if checkcert || client.is_some() {
        let mut files: Vec<&Path> = Vec::new();
        if !ca_file.is_empty() {
            files.push(Path::new(ca_file));
        }
        if let Some(c) = client {
            files.push(&c.ca);
        }
        builder.with_root_certificates(roots(&files)?)
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyServer::new(provider)))
    };
    let config = match client {
        Some(c) => {
            let key: PrivateKeyDer<'static> = private_key(&c.key)?;
            builder
                .with_client_auth_cert(certificates(&c.cert)?, key)
                .map_err(|source| TlsError::ClientCertificate {
                    path: c.cert.clone(),
                    source,
                })?
        }
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// The system roots plus every certificate of `files`.
fn roots(files: &[&Path]) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    for path in files {
        for cert in certificates(path)? {
            roots.add(cert).map_err(|source| TlsError::Certificate {
                path: path.to_path_buf(),
                source,
            })?;
        }
    }
    Ok(roots)
}
