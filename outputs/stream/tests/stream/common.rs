//! Strict syslog receivers on loopback (UDP, TCP, TLS with newline or octet-counting framing)
//! and strict parsers of what they receive: RFC 3164 as Go's `log/syslog` writes it, RFC 5424,
//! and CEF (header and extension escaping). Any deviation panics with the offending bytes, or
//! is recorded as a violation that `assert_clean` reports.

#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use falconer_testkit::TestPki;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::Notify;

// ---------------------------------------------------------------- receivers

/// One frame as received, without its framing, and the connection it came on (0 for UDP).
#[derive(Clone, Debug)]
pub struct Received {
    pub conn: usize,
    pub bytes: Vec<u8>,
}

impl Received {
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.bytes).expect("a UTF-8 frame")
    }
}

/// How a stream receiver splits frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamFraming {
    Newline,
    Octet,
    /// Each frame ends with `\r\n` (Logstash's go-stash client); a bare `\n` is a violation.
    CrLf,
}

#[derive(Default)]
struct Shared {
    frames: Mutex<Vec<Received>>,
    violations: Mutex<Vec<String>>,
    arrived: Notify,
    connections: AtomicUsize,
    closed: AtomicUsize,
    client_certs: Mutex<Vec<bool>>,
    handshake_errors: Mutex<Vec<String>>,
}

impl Shared {
    fn push(&self, conn: usize, bytes: Vec<u8>) {
        self.frames.lock().unwrap().push(Received { conn, bytes });
        self.arrived.notify_waiters();
    }

    fn violation(&self, v: String) {
        self.violations.lock().unwrap().push(v);
        self.arrived.notify_waiters();
    }
}

/// A receiver; stops when dropped.
pub struct Receiver {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What a TLS receiver requires.
pub struct TlsSetup<'a> {
    pub pki: &'a TestPki,
    pub require_client_cert: bool,
}

fn server_config(setup: &TlsSetup<'_>) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let certs = CertificateDer::pem_file_iter(setup.pki.server().cert)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(setup.pki.server().key).unwrap();
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = if setup.require_client_cert {
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(setup.pki.ca()).unwrap() {
            roots.add(c.unwrap()).unwrap();
        }
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    Arc::new(builder.with_single_cert(certs, key).unwrap())
}

impl Receiver {
    /// A UDP receiver: one frame per datagram, exactly as received.
    pub async fn udp() -> Receiver {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 70_000];
            loop {
                match socket.recv_from(&mut buf).await {
                    Ok((n, _)) => s.push(0, buf[..n].to_vec()),
                    Err(e) => s.violation(format!("recv: {e}")),
                }
            }
        });
        Receiver { addr, shared, task }
    }

    /// A TCP receiver on a free port. With `close_after`, it closes each connection once that
    /// many frames came on it.
    pub async fn tcp(framing: StreamFraming, close_after: Option<usize>) -> Receiver {
        Self::stream_on("127.0.0.1:0".parse().unwrap(), framing, close_after, None).await
    }

    /// A TCP receiver on `addr` (to bring a receiver back on the port it had).
    pub async fn tcp_on(addr: SocketAddr, framing: StreamFraming) -> Receiver {
        Self::stream_on(addr, framing, None, None).await
    }

    /// A TLS receiver with the test PKI's server certificate.
    pub async fn tls(
        framing: StreamFraming,
        close_after: Option<usize>,
        setup: TlsSetup<'_>,
    ) -> Receiver {
        let config = server_config(&setup);
        Self::stream_on(
            "127.0.0.1:0".parse().unwrap(),
            framing,
            close_after,
            Some(config),
        )
        .await
    }

    async fn stream_on(
        addr: SocketAddr,
        framing: StreamFraming,
        close_after: Option<usize>,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Receiver {
        let listener = TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let conn = s.connections.fetch_add(1, Ordering::SeqCst);
                let s = s.clone();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    match acceptor {
                        None => {
                            let mut tcp = tcp;
                            read_frames(&mut tcp, conn, framing, close_after, &s).await;
                            let _ = tcp.shutdown().await;
                        }
                        Some(acceptor) => match acceptor.accept(tcp).await {
                            Ok(mut tls) => {
                                let has_cert = tls.get_ref().1.peer_certificates().is_some();
                                s.client_certs.lock().unwrap().push(has_cert);
                                read_frames(&mut tls, conn, framing, close_after, &s).await;
                                // close_notify, then FIN.
                                let _ = tls.shutdown().await;
                            }
                            Err(e) => s
                                .handshake_errors
                                .lock()
                                .unwrap()
                                .push(format!("connection {conn}: {e}")),
                        },
                    }
                    s.closed.fetch_add(1, Ordering::SeqCst);
                    s.arrived.notify_waiters();
                });
            }
        });
        Receiver { addr, shared, task }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn frames(&self) -> Vec<Received> {
        self.shared.frames.lock().unwrap().clone()
    }

    pub fn violations(&self) -> Vec<String> {
        self.shared.violations.lock().unwrap().clone()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Connections closed so far (by either side).
    pub fn closed(&self) -> usize {
        self.shared.closed.load(Ordering::SeqCst)
    }

    /// For each TLS connection, whether the client presented a certificate.
    pub fn client_certs(&self) -> Vec<bool> {
        self.shared.client_certs.lock().unwrap().clone()
    }

    /// TLS handshakes the receiver refused or that failed.
    pub fn handshake_errors(&self) -> Vec<String> {
        self.shared.handshake_errors.lock().unwrap().clone()
    }

    /// Waits for `n` frames (panics after `timeout` or on a framing violation).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        self.wait_until(timeout, || self.frames().len() >= n).await;
        self.frames()
    }

    /// Waits until `done` (panics after `timeout` or on a framing violation).
    pub async fn wait_until(&self, timeout: Duration, done: impl Fn() -> bool) {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.arrived.notified();
            self.assert_clean();
            if done() {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                self.assert_clean();
                assert!(done(), "timed out; got {:#?}", self.frames());
                return;
            }
        }
    }

    /// Panics when the receiver saw anything that is not a valid frame.
    pub fn assert_clean(&self) {
        let v = self.violations();
        assert!(v.is_empty(), "framing violations: {v:#?}");
    }
}

/// Reads frames until EOF (or `close_after` frames), recording them; a malformed stream is a
/// violation.
async fn read_frames<S: AsyncRead + Unpin>(
    stream: &mut S,
    conn: usize,
    framing: StreamFraming,
    close_after: Option<usize>,
    s: &Shared,
) {
    let mut buf: Vec<u8> = Vec::new();
    let mut got = 0usize;
    let mut chunk = [0u8; 16 << 10];
    loop {
        loop {
            match next_frame(&mut buf, framing) {
                Ok(Some(frame)) => {
                    s.push(conn, frame);
                    got += 1;
                    if close_after == Some(got) {
                        return;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    s.violation(format!("connection {conn}: {e}"));
                    return;
                }
            }
        }
        match stream.read(&mut chunk).await {
            Ok(0) => {
                if !buf.is_empty() {
                    s.violation(format!(
                        "connection {conn}: stream ended inside a frame: {:?}",
                        String::from_utf8_lossy(&buf)
                    ));
                }
                return;
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) => {
                // A client that goes away without close_notify is not a framing error.
                if buf.is_empty() {
                    return;
                }
                s.violation(format!("connection {conn}: read: {e}"));
                return;
            }
        }
    }
}

/// The next complete frame of `buf` (removed from it), `None` when incomplete.
fn next_frame(buf: &mut Vec<u8>, framing: StreamFraming) -> Result<Option<Vec<u8>>, String> {
    match framing {
        StreamFraming::Newline => {
            let Some(end) = buf.iter().position(|b| *b == b'\n') else {
                return Ok(None);
            };
            let frame: Vec<u8> = buf.drain(..=end).take(end).collect();
            if frame.is_empty() {
                return Err("empty frame".into());
            }
            if frame.contains(&b'\r') {
                return Err(format!(
                    "CR inside a frame: {:?}",
                    String::from_utf8_lossy(&frame)
                ));
            }
            Ok(Some(frame))
        }
        StreamFraming::CrLf => {
            let Some(end) = buf.iter().position(|b| *b == b'\n') else {
                return Ok(None);
            };
            if end == 0 || buf[end - 1] != b'\r' {
                return Err(format!(
                    "line not ended by CRLF: {:?}",
                    String::from_utf8_lossy(&buf[..=end])
                ));
            }
            let frame = buf[..end - 1].to_vec();
            buf.drain(..=end);
            if frame.is_empty() || frame.contains(&b'\r') {
                return Err(format!("bad frame: {:?}", String::from_utf8_lossy(&frame)));
            }
            Ok(Some(frame))
        }
        StreamFraming::Octet => {
            let Some(space) = buf.iter().position(|b| *b == b' ') else {
                if buf.len() > 10 || buf.iter().any(|b| !b.is_ascii_digit()) {
                    return Err(format!("bad MSG-LEN: {:?}", String::from_utf8_lossy(buf)));
                }
                return Ok(None);
            };
            let len_text = std::str::from_utf8(&buf[..space]).map_err(|e| e.to_string())?;
            let valid = !len_text.is_empty()
                && len_text.len() <= 10
                && len_text.bytes().all(|b| b.is_ascii_digit())
                && !len_text.starts_with('0');
            if !valid {
                return Err(format!(
                    "bad MSG-LEN {len_text:?} (RFC 6587: NONZERO-DIGIT *DIGIT)"
                ));
            }
            let len: usize = len_text.parse().map_err(|e| format!("{e}"))?;
            if buf.len() < space + 1 + len {
                return Ok(None);
            }
            let frame = buf[space + 1..space + 1 + len].to_vec();
            buf.drain(..space + 1 + len);
            Ok(Some(frame))
        }
    }
}

// ---------------------------------------------------------------- syslog headers

/// `<PRI>`: 1–3 digits without a leading zero (but `<0>`), at most 191; the rest.
fn parse_pri(frame: &str) -> (u8, &str) {
    let rest = frame
        .strip_prefix('<')
        .unwrap_or_else(|| panic!("no PRI: {frame:?}"));
    let end = rest
        .find('>')
        .unwrap_or_else(|| panic!("PRI not closed: {frame:?}"));
    let digits = &rest[..end];
    assert!(
        (1..=3).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0')),
        "bad PRI {digits:?} in {frame:?}"
    );
    let pri: u16 = digits.parse().unwrap();
    assert!(pri <= 191, "PRI {pri} > 191");
    (u8::try_from(pri).unwrap(), &rest[end + 1..])
}

fn split_field<'a>(rest: &'a str, what: &str, frame: &str) -> (&'a str, &'a str) {
    let end = rest
        .find(' ')
        .unwrap_or_else(|| panic!("no SP after {what} in {frame:?}"));
    let field = &rest[..end];
    assert!(!field.is_empty(), "empty {what} in {frame:?}");
    (field, &rest[end + 1..])
}

fn printusascii(field: &str, max: usize, what: &str) {
    assert!(
        field.len() <= max && field.bytes().all(|b| (33..=126).contains(&b)),
        "{what} {field:?} is not 1*{max}PRINTUSASCII"
    );
}

/// A frame as Go's `log/syslog` writes it (falcosidekick's "RFC 3164"):
/// `<PRI>TIMESTAMP HOSTNAME TAG[PID]: MSG`, TIMESTAMP in `time.RFC3339`.
#[derive(Debug)]
pub struct Rfc3164 {
    pub facility: u8,
    pub severity: u8,
    pub timestamp: String,
    pub hostname: String,
    pub tag: String,
    pub pid: u32,
    pub msg: String,
}

pub fn parse_3164(frame: &[u8]) -> Rfc3164 {
    let frame = std::str::from_utf8(frame).expect("UTF-8");
    assert!(
        !frame.contains('\n') && !frame.contains('\r'),
        "raw newline in {frame:?}"
    );
    let (pri, rest) = parse_pri(frame);
    let (timestamp, rest) = split_field(rest, "TIMESTAMP", frame);
    let parsed = chrono::DateTime::parse_from_rfc3339(timestamp)
        .unwrap_or_else(|e| panic!("TIMESTAMP {timestamp:?}: {e}"));
    assert_eq!(
        parsed.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        timestamp,
        "TIMESTAMP is not Go's time.RFC3339 (seconds)"
    );
    let (hostname, rest) = split_field(rest, "HOSTNAME", frame);
    printusascii(hostname, 255, "HOSTNAME");
    let (tag_pid, msg) = split_field(rest, "TAG", frame);
    let tag_pid = tag_pid
        .strip_suffix("]:")
        .unwrap_or_else(|| panic!("TAG {tag_pid:?} does not end with ]:"));
    let (tag, pid) = tag_pid
        .split_once('[')
        .unwrap_or_else(|| panic!("no [PID] in {tag_pid:?}"));
    assert!(
        !tag.is_empty() && tag.len() <= 32 && tag.bytes().all(|b| b.is_ascii_alphanumeric()),
        "TAG {tag:?} is not 1-32 alphanumerics (RFC 3164 4.1.3)"
    );
    assert!(
        !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()),
        "PID {pid:?}"
    );
    assert!(!msg.is_empty(), "empty MSG");
    Rfc3164 {
        facility: pri / 8,
        severity: pri % 8,
        timestamp: timestamp.to_owned(),
        hostname: hostname.to_owned(),
        tag: tag.to_owned(),
        pid: pid.parse().unwrap(),
        msg: msg.to_owned(),
    }
}

/// An RFC 5424 message.
#[derive(Debug)]
pub struct Rfc5424 {
    pub facility: u8,
    pub severity: u8,
    pub timestamp: String,
    pub hostname: String,
    pub app_name: String,
    pub procid: String,
    pub msgid: String,
    pub structured_data: String,
    pub msg: String,
}

fn check_5424_timestamp(ts: &str) {
    if ts == "-" {
        return;
    }
    chrono::DateTime::parse_from_rfc3339(ts).unwrap_or_else(|e| panic!("TIMESTAMP {ts:?}: {e}"));
    // full-date "T" partial-time: upper-case T and Z, at most 6 fraction digits.
    assert_eq!(&ts[10..11], "T", "TIMESTAMP {ts:?}");
    let time = &ts[11..];
    if let Some(dot) = time.find('.') {
        let frac: String = time[dot + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        assert!(
            (1..=6).contains(&frac.len()),
            "TIME-SECFRAC {frac:?} is not 1*6DIGIT"
        );
    }
    assert!(
        ts.ends_with('Z') || ts[ts.len() - 6..].starts_with(['+', '-']),
        "TIME-OFFSET of {ts:?}"
    );
}

pub fn parse_5424(frame: &[u8]) -> Rfc5424 {
    let frame = std::str::from_utf8(frame).expect("UTF-8");
    assert!(
        !frame.contains('\n') && !frame.contains('\r'),
        "raw newline in {frame:?}"
    );
    let (pri, rest) = parse_pri(frame);
    let (version, rest) = split_field(rest, "VERSION", frame);
    assert_eq!(version, "1", "VERSION");
    let (timestamp, rest) = split_field(rest, "TIMESTAMP", frame);
    check_5424_timestamp(timestamp);
    let (hostname, rest) = split_field(rest, "HOSTNAME", frame);
    printusascii(hostname, 255, "HOSTNAME");
    let (app_name, rest) = split_field(rest, "APP-NAME", frame);
    printusascii(app_name, 48, "APP-NAME");
    let (procid, rest) = split_field(rest, "PROCID", frame);
    printusascii(procid, 128, "PROCID");
    let (msgid, rest) = split_field(rest, "MSGID", frame);
    printusascii(msgid, 32, "MSGID");
    // Only the NILVALUE structured data is expected from Falconer.
    let (structured_data, msg) = match rest.split_once(' ') {
        Some((sd, msg)) => (sd, msg),
        None => (rest, ""),
    };
    assert_eq!(structured_data, "-", "STRUCTURED-DATA");
    assert!(!msg.starts_with('\u{feff}'), "unexpected BOM");
    Rfc5424 {
        facility: pri / 8,
        severity: pri % 8,
        timestamp: timestamp.to_owned(),
        hostname: hostname.to_owned(),
        app_name: app_name.to_owned(),
        procid: procid.to_owned(),
        msgid: msgid.to_owned(),
        structured_data: structured_data.to_owned(),
        msg: msg.to_owned(),
    }
}

// ---------------------------------------------------------------- CEF

/// A CEF record, header fields and extension values unescaped.
#[derive(Debug)]
pub struct Cef {
    pub version: String,
    pub vendor: String,
    pub product: String,
    pub device_version: String,
    pub signature_id: String,
    pub name: String,
    pub severity: String,
    /// In order; keys unique.
    pub extension: Vec<(String, String)>,
}

impl Cef {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.extension
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn keys(&self) -> Vec<&str> {
        self.extension.iter().map(|(k, _)| k.as_str()).collect()
    }
}

/// Parses a CEF line strictly: `CEF:Version|Vendor|Product|Version|SignatureID|Name|Severity|
/// Extension`; in the header only `\\` and `\|` are escapes and newlines are forbidden; in the
/// extension `\\`, `\=`, `\n`, `\r` are the only escapes, an unescaped `=` may only end a key,
/// and raw CR/LF are forbidden.
pub fn parse_cef(line: &str) -> Cef {
    assert!(!line.contains(['\n', '\r']), "raw newline in CEF: {line:?}");
    let rest = line
        .strip_prefix("CEF:")
        .unwrap_or_else(|| panic!("no CEF: prefix: {line:?}"));
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = rest.chars();
    while fields.len() < 7 {
        let c = chars
            .next()
            .unwrap_or_else(|| panic!("CEF header has {} fields: {line:?}", fields.len()));
        match c {
            '\\' => match chars.next() {
                Some(e @ ('\\' | '|')) => cur.push(e),
                other => panic!("bad header escape \\{other:?} in {line:?}"),
            },
            '|' => fields.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    let extension = parse_extension(chars.as_str(), line);
    let severity = fields[6].clone();
    let sev: u8 = severity
        .parse()
        .unwrap_or_else(|_| panic!("severity {severity:?} is not 0-10"));
    assert!(sev <= 10, "severity {sev} > 10");
    let mut f = fields.into_iter();
    let mut next = || f.next().unwrap();
    Cef {
        version: next(),
        vendor: next(),
        product: next(),
        device_version: next(),
        signature_id: next(),
        name: next(),
        severity: {
            next();
            severity
        },
        extension,
    }
}

/// One character of an extension, with whether it was escaped.
fn parse_extension(ext: &str, line: &str) -> Vec<(String, String)> {
    let mut atoms: Vec<(char, bool)> = Vec::new();
    let mut chars = ext.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('\\') => atoms.push(('\\', true)),
                Some('=') => atoms.push(('=', true)),
                Some('n') => atoms.push(('\n', true)),
                Some('r') => atoms.push(('\r', true)),
                other => panic!("bad extension escape \\{other:?} in {line:?}"),
            }
        } else {
            atoms.push((c, false));
        }
    }
    // Every unescaped `=` ends a key: the run of key characters after the last space.
    let mut keys: Vec<(usize, usize)> = Vec::new(); // (key start, index of `=`)
    for (i, (c, escaped)) in atoms.iter().enumerate() {
        if *c != '=' || *escaped {
            continue;
        }
        let start = atoms[..i]
            .iter()
            .rposition(|(c, e)| *c == ' ' && !e)
            .map_or(0, |p| p + 1);
        let key = &atoms[start..i];
        assert!(
            !key.is_empty()
                && key
                    .iter()
                    .all(|(c, e)| !e && (c.is_ascii_alphanumeric() || *c == '_' || *c == '.')),
            "unescaped = inside a value (or a bad key) at {i} in {line:?}"
        );
        if start > 0 {
            assert!(!keys.is_empty(), "text before the first key in {line:?}");
        }
        keys.push((start, i));
    }
    assert!(
        !ext.is_empty() && !keys.is_empty() && keys[0].0 == 0,
        "no extension: {line:?}"
    );
    let mut out: Vec<(String, String)> = Vec::new();
    for (n, (start, eq)) in keys.iter().enumerate() {
        let key: String = atoms[*start..*eq].iter().map(|(c, _)| c).collect();
        let end = keys.get(n + 1).map_or(atoms.len(), |(s, _)| s - 1);
        let value: String = atoms[eq + 1..end].iter().map(|(c, _)| c).collect();
        assert!(
            out.iter().all(|(k, _)| *k != key),
            "duplicate key {key} in {line:?}"
        );
        out.push((key, value));
    }
    out
}

/// Writes `pki`'s client certificate, key and CA where `mutualtlsfilespath` expects them.
pub fn mutual_tls_dir(pki: &TestPki, dir: &Path) {
    std::fs::copy(pki.client().cert, dir.join("client.crt")).unwrap();
    std::fs::copy(pki.client().key, dir.join("client.key")).unwrap();
    std::fs::copy(pki.ca(), dir.join("ca.crt")).unwrap();
}
