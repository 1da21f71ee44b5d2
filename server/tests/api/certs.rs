//! Certificates for the TLS tests, made with rcgen at run time: a private
//! CA, server certificates it signs for `localhost` and `127.0.0.1`, written
//! as PEM files where the server reads them, and rustls client settings
//! that trust one CA.

use std::{
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore, pki_types::CertificateDer};

/// A certificate authority of our own.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl TestCa {
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, format!("sapa test CA {name}"));
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Self { issuer }
    }

    /// The CA certificate, PEM (what a client is told to trust).
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server certificate and its key, PEM.
    pub fn server_pem(&self) -> (String, String) {
        let params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    /// rustls client settings trusting this CA only.
    pub fn client_config(&self) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from(self.issuer.der().to_vec()))
            .unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        Arc::new(
            ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth(),
        )
    }
}

/// A directory of its own under the system's temporary one, removed when
/// dropped, holding `server.crt` and `server.key`.
pub struct CertFiles {
    pub dir: PathBuf,
}

impl CertFiles {
    /// Files holding a server certificate signed by `ca`.
    pub fn signed_by(ca: &TestCa) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "sapa-tls-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let files = Self { dir };
        files.replace_with(ca);
        files
    }

    /// Writes a new certificate from `ca` over the old files.
    pub fn replace_with(&self, ca: &TestCa) {
        let (cert, key) = ca.server_pem();
        std::fs::write(self.cert(), cert).unwrap();
        std::fs::write(self.key(), key).unwrap();
    }

    pub fn cert(&self) -> PathBuf {
        self.dir.join("server.crt")
    }

    pub fn key(&self) -> PathBuf {
        self.dir.join("server.key")
    }

    /// Writes `text` over one of the files.
    pub fn spoil(&self, file: &Path, text: &str) {
        std::fs::write(file, text).unwrap();
    }
}

impl Drop for CertFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
