//! Real handshakes over an in-memory duplex stream against a rustls server with the test
//! PKI, and the errors of missing or wrong files.

use std::sync::Arc;

use falconer_config::GlobalSettings;
use falconer_testkit::TestPki;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{client_config, TlsError};

/// The test server: the PKI's server certificate, client certificates of its CA required
/// when `mutual`.
fn server(pki: &TestPki, mutual: bool) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let certs = CertificateDer::pem_file_iter(pki.server().cert)
        .expect("server cert")
        .collect::<Result<Vec<_>, _>>()
        .expect("server cert PEM");
    let key = PrivateKeyDer::from_pem_file(pki.server().key).expect("server key");
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("versions");
    let builder = if mutual {
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(pki.ca()).expect("CA") {
            roots.add(c.expect("CA PEM")).expect("CA root");
        }
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .expect("client verifier");
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    Arc::new(builder.with_single_cert(certs, key).expect("server config"))
}

/// Connects `client` to `server` over memory and echoes one byte; `Err` with the client's
/// failure when the handshake fails.
async fn handshake(
    client: Arc<rustls::ClientConfig>,
    server: Arc<rustls::ServerConfig>,
) -> Result<(), std::io::Error> {
    let (a, b) = tokio::io::duplex(64 * 1024);
    let acceptor = tokio_rustls::TlsAcceptor::from(server);
    let served = tokio::spawn(async move {
        let mut s = acceptor.accept(b).await?;
        let mut byte = [0u8; 1];
        s.read_exact(&mut byte).await?;
        s.write_all(&byte).await?;
        s.flush().await
    });
    let name = ServerName::try_from("localhost").expect("name");
    let mut c = tokio_rustls::TlsConnector::from(client)
        .connect(name, a)
        .await?;
    c.write_all(b"x").await?;
    let mut byte = [0u8; 1];
    c.read_exact(&mut byte).await?;
    assert_eq!(&byte, b"x");
    served.await.expect("server task")
}

fn globals(pki: &TestPki) -> GlobalSettings {
    let mut g = GlobalSettings::default();
    g.tlsclient.cacertfile = pki.ca().display().to_string();
    g.mutualtlsclient.certfile = pki.client().cert.display().to_string();
    g.mutualtlsclient.keyfile = pki.client().key.display().to_string();
    g.mutualtlsclient.cacertfile = pki.ca().display().to_string();
    g
}

#[tokio::test]
async fn the_ca_file_is_trusted_and_an_unknown_ca_is_not() {
    let pki = TestPki::new();
    let trusting = client_config(&globals(&pki), true, false).expect("config");
    handshake(trusting, server(&pki, false))
        .await
        .expect("server of tlsclient.cacertfile trusted");
    let system_only = client_config(&GlobalSettings::default(), true, false).expect("config");
    let refused = handshake(system_only, server(&pki, false)).await;
    assert!(refused.is_err(), "a server of an unknown CA is refused");
}

#[tokio::test]
async fn checkcert_false_accepts_any_server() {
    let pki = TestPki::new();
    let mut g = GlobalSettings::default();
    g.tlsclient.cacertfile = "/nonexistent/ca.pem".into();
    let config = client_config(&g, false, false).expect("no file read without checkcert");
    handshake(config, server(&pki, false))
        .await
        .expect("unknown CA accepted");
}

#[tokio::test]
async fn mutual_tls_presents_the_client_certificate_and_verifies_the_server() {
    let pki = TestPki::new();
    let mutual = client_config(&globals(&pki), false, true).expect("config");
    handshake(mutual, server(&pki, true))
        .await
        .expect("client certificate accepted");
    let without = client_config(&globals(&pki), true, false).expect("config");
    assert!(
        handshake(without, server(&pki, true)).await.is_err(),
        "no client certificate, no session"
    );
    // With mutual TLS the server is verified even with checkcert: false.
    let mut g = globals(&pki);
    g.tlsclient.cacertfile.clear();
    g.mutualtlsclient.cacertfile = pki.dir().join("other-ca.pem").display().to_string();
    let wrong_ca = client_config(&g, false, true).expect("config");
    assert!(handshake(wrong_ca, server(&pki, true)).await.is_err());
}

#[test]
fn the_mutual_tls_files_default_to_mutualtlsfilespath() {
    let pki = TestPki::new();
    let g = GlobalSettings {
        mutualtlsfilespath: pki.dir().display().to_string(),
        ..GlobalSettings::default()
    };
    let err = client_config(&g, true, true).expect_err("no client.crt in the folder");
    assert!(matches!(err, TlsError::Read { .. }), "{err:?}");
    assert_eq!(
        err.to_string().split(':').next(),
        Some(pki.dir().join("ca.crt").display().to_string().as_str())
    );
}

#[test]
fn bad_files_are_named_in_the_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").expect("write");
    let mut g = GlobalSettings::default();
    g.tlsclient.cacertfile = empty.display().to_string();
    let err = client_config(&g, true, false).expect_err("no certificate");
    assert_eq!(
        err.to_string(),
        format!("{}: no PEM certificate", empty.display())
    );

    let pki = TestPki::new();
    let mut g = globals(&pki);
    g.mutualtlsclient.keyfile = empty.display().to_string();
    let err = client_config(&g, true, true).expect_err("no key");
    assert!(matches!(err, TlsError::Pem { .. }), "{err:?}");
    assert!(err.to_string().starts_with(&empty.display().to_string()));

    g.mutualtlsclient.keyfile = pki.client_other_ca().key.display().to_string();
    let err = client_config(&g, true, true).expect_err("key of another certificate");
    assert!(err.to_string().starts_with("client certificate "), "{err}");
}
