//! TLS and mutual TLS on the ingest port through the binary, with certificates made for the
//! test: valid client, no client certificate, another CA, an expired certificate; the
//! plain-HTTP side port serving only its routes; certificate rotation without a restart.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use falconer_testkit::{CertFiles, TestPki, CONFIGMAP_ALERT};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::{free_port, Falconer};

/// One HTTP/1.1 request over TLS: the status line and the server's certificate, or why the
/// connection failed (a refused client certificate surfaces during or right after the
/// handshake).
async fn https(
    port: u16,
    ca: &Path,
    client: Option<&CertFiles>,
    request: &str,
) -> Result<(String, CertificateDer<'static>), String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).map_err(|e| e.to_string())? {
        roots
            .add(cert.map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots);
    let config = match client {
        Some(files) => {
            let certs = CertificateDer::pem_file_iter(&files.cert)
                .map_err(|e| e.to_string())?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?;
            let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| e.to_string())?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| e.to_string())?
        }
        None => builder.with_no_client_auth(),
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    let name = ServerName::try_from("127.0.0.1").map_err(|e| e.to_string())?;
    let mut tls = connector
        .connect(name, tcp)
        .await
        .map_err(|e| e.to_string())?;
    let peer = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first().cloned())
        .ok_or("no server certificate")?;
    tls.write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    tls.read_to_end(&mut response)
        .await
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&response);
    let status = text.lines().next().unwrap_or_default().to_owned();
    if status.is_empty() {
        return Err("no response".into());
    }
    Ok((status, peer.into_owned()))
}

fn post_alert() -> String {
    format!(
        "POST / HTTP/1.1\r\nHost: falconer\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{CONFIGMAP_ALERT}",
        CONFIGMAP_ALERT.len()
    )
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: falconer\r\nConnection: close\r\n\r\n")
}

async fn plain(port: u16, request: &str) -> String {
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("side port");
    tcp.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    tcp.read_to_end(&mut response).await.expect("read");
    String::from_utf8_lossy(&response)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_admits_only_clients_of_the_ca_and_certificates_rotate() {
    let pki = TestPki::new();
    // The server reads copies, so that the test can rotate them.
    let cert = pki.dir().join("live.pem");
    let key = pki.dir().join("live-key.pem");
    std::fs::copy(pki.server().cert, &cert).expect("copy cert");
    std::fs::copy(pki.server().key, &key).expect("copy key");
    let side = free_port();
    let yaml = format!(
        "tlsserver:\n  deploy: true\n  certfile: {}\n  keyfile: {}\n  mutualtls: true\n  cacertfile: {}\n  notlsport: {side}\n  notlspaths: [/ping, /metrics]\n  reloadinterval: 100ms\noutputs:\n  - name: d\n    type: \"null\"\n",
        cert.display(),
        key.display(),
        pki.ca().display()
    );
    let f = Falconer::start_tls(&yaml, side).await;
    let ca = pki.ca();

    let (status, peer) = https(f.port, &ca, Some(&pki.client()), &post_alert())
        .await
        .expect("a client of the CA is served");
    assert_eq!(status, "HTTP/1.1 200 OK");
    for (what, client) in [
        ("no client certificate", None),
        ("another CA", Some(pki.client_other_ca())),
        ("an expired certificate", Some(pki.client_expired())),
    ] {
        let result = https(f.port, &ca, client.as_ref(), &post_alert()).await;
        assert!(result.is_err(), "{what} must be refused: {result:?}");
    }
    // Routes moved to the side port: plain HTTP there, 404 on the TLS port.
    assert_eq!(plain(side, &get("/ping")).await, "HTTP/1.1 200 OK");
    assert_eq!(plain(side, &get("/metrics")).await, "HTTP/1.1 200 OK");
    assert_eq!(plain(side, &post_alert()).await, "HTTP/1.1 404 Not Found");
    let (status, _) = https(f.port, &ca, Some(&pki.client()), &get("/ping"))
        .await
        .expect("served");
    assert_eq!(status, "HTTP/1.1 404 Not Found");

    // cert-manager renews the certificate: new connections get it, without a restart.
    std::fs::copy(pki.server_renewed().cert, &cert).expect("rotate cert");
    std::fs::copy(pki.server_renewed().key, &key).expect("rotate key");
    let renewed = CertificateDer::from_pem_file(pki.server_renewed().cert).expect("renewed");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, now) = https(f.port, &ca, Some(&pki.client()), &get("/healthz"))
            .await
            .expect("still served");
        assert_eq!(status, "HTTP/1.1 200 OK");
        if now == renewed {
            break;
        }
        assert_eq!(now, peer, "only the old or the renewed certificate");
        assert!(
            Instant::now() < deadline,
            "the renewed certificate was not loaded"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let metrics = plain_body(side, &get("/metrics")).await;
    assert!(
        metrics.contains(
            r#"falcosecurity_falcosidekick_inputs_total{source="requests",status="accepted"} 1"#
        ),
        "{metrics}"
    );
}

async fn plain_body(port: u16, request: &str) -> String {
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("side port");
    tcp.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    tcp.read_to_end(&mut response).await.expect("read");
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_certificate_file_stops_the_start_with_its_path() {
    let yaml = "tlsserver:\n  deploy: true\n  certfile: /nonexistent/server.crt\n  keyfile: /nonexistent/server.key\n";
    let (ok, stderr) = crate::harness::run_to_exit(yaml);
    assert!(!ok);
    assert!(stderr.contains("/nonexistent/server.crt"), "{stderr}");
}
