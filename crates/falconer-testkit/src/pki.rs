//! Certificates made for one test run: a CA, a server certificate for 127.0.0.1/localhost,
//! client certificates (valid, from another CA, expired), written as PEM files.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};

/// PEM files of a test PKI, in a folder removed on drop.
pub struct TestPki {
    dir: tempfile::TempDir,
}

/// A certificate and its key, as PEM file paths.
#[derive(Clone, Debug)]
pub struct CertFiles {
    /// The certificate (PEM).
    pub cert: PathBuf,
    /// Its private key (PEM).
    pub key: PathBuf,
}

fn make_ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("CA key")).expect("CA")
}

impl TestPki {
    /// Makes every certificate. Server certificates are valid for `127.0.0.1` and `localhost`.
    pub fn new() -> TestPki {
        let dir = tempfile::Builder::new()
            .prefix("falconer-pki-")
            .tempdir()
            .expect("temp dir");
        let pki = TestPki { dir };
        let ca = make_ca("Falconer test CA");
        let other = make_ca("Some other CA");
        std::fs::write(pki.path("ca.pem"), ca.pem()).expect("write CA");
        std::fs::write(pki.path("other-ca.pem"), other.pem()).expect("write CA");
        pki.issue("server", &ca, false, false, "server-1");
        pki.issue("server-renewed", &ca, false, false, "server-2");
        pki.issue("client", &ca, true, false, "falco");
        pki.issue("client-other-ca", &other, true, false, "falco");
        pki.issue("client-expired", &ca, true, true, "falco");
        pki
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn issue(
        &self,
        name: &str,
        issuer: &CertifiedIssuer<'static, KeyPair>,
        client: bool,
        expired: bool,
        common_name: &str,
    ) {
        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .expect("params");
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.extended_key_usages = vec![if client {
            ExtendedKeyUsagePurpose::ClientAuth
        } else {
            ExtendedKeyUsagePurpose::ServerAuth
        }];
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let key = KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, issuer).expect("certificate");
        std::fs::write(self.path(&format!("{name}.pem")), cert.pem()).expect("write cert");
        std::fs::write(self.path(&format!("{name}-key.pem")), key.serialize_pem())
            .expect("write key");
    }

    fn pair(&self, name: &str) -> CertFiles {
        CertFiles {
            cert: self.path(&format!("{name}.pem")),
            key: self.path(&format!("{name}-key.pem")),
        }
    }

    /// The CA that signed the server and the valid clients.
    pub fn ca(&self) -> PathBuf {
        self.path("ca.pem")
    }

    /// The server certificate.
    pub fn server(&self) -> CertFiles {
        self.pair("server")
    }

    /// A second server certificate from the same CA (a renewal).
    pub fn server_renewed(&self) -> CertFiles {
        self.pair("server-renewed")
    }

    /// A client certificate from the CA.
    pub fn client(&self) -> CertFiles {
        self.pair("client")
    }

    /// A client certificate from another CA.
    pub fn client_other_ca(&self) -> CertFiles {
        self.pair("client-other-ca")
    }

    /// An expired client certificate from the CA.
    pub fn client_expired(&self) -> CertFiles {
        self.pair("client-expired")
    }

    /// The folder holding every file.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Default for TestPki {
    fn default() -> Self {
        Self::new()
    }
}
