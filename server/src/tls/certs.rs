//! [`Certificates`]: the server's certificate chain and key, read from PEM
//! files, and what rustls asks for the certificate at each handshake.
//!
//! The pair sits behind a lock that a handshake holds only to clone an
//! `Arc`. [`Certificates::reload`] reads both files again and, only if they
//! parse and the key matches the certificate, swaps the new pair in: new
//! handshakes see it, established connections keep the session they have.
//! On any error the old pair stays and the error says which file is wrong.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, RwLock},
};

use anyhow::Context;
use tokio_rustls::rustls::{
    self, ServerConfig,
    crypto::CryptoProvider,
    pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject},
    server::{ClientHello, ResolvesServerCert},
    sign::CertifiedKey,
};

/// The certificate in force and where it came from.
#[derive(Debug)]
pub struct Certificates {
    cert_path: PathBuf,
    key_path: PathBuf,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
}

impl Certificates {
    /// Reads `cert_path` (the chain, server certificate first) and
    /// `key_path`; fails, naming the file, if either is unreadable or they
    /// do not belong together.
    pub fn load(cert_path: &Path, key_path: &Path) -> anyhow::Result<Arc<Self>> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let current = read_pair(cert_path, key_path, &provider)?;
        Ok(Arc::new(Self {
            cert_path: cert_path.to_owned(),
            key_path: key_path.to_owned(),
            provider,
            current: RwLock::new(Arc::new(current)),
        }))
    }

    /// Reads the files again and, if they are good, uses them for every
    /// handshake from now on. On error nothing changes.
    pub fn reload(&self) -> anyhow::Result<()> {
        let fresh = read_pair(&self.cert_path, &self.key_path, &self.provider)?;
        *self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(fresh);
        Ok(())
    }

    /// The rustls configuration that asks `self` for its certificate at each
    /// handshake. HTTP/1.1 only: WebSocket upgrades are HTTP/1.1 requests.
    pub fn server_config(self: &Arc<Self>) -> anyhow::Result<Arc<ServerConfig>> {
        let mut config = ServerConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .context("choosing TLS versions")?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    /// Where the certificate is read from (for log lines).
    pub fn cert_path(&self) -> &Path {
        &self.cert_path
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .clone(),
        )
    }
}

/// Reads and checks a certificate chain and its key.
fn read_pair(
    cert_path: &Path,
    key_path: &Path,
    provider: &CryptoProvider,
) -> anyhow::Result<CertifiedKey> {
    let chain = read(cert_path)?;
    let chain = CertificateDer::pem_slice_iter(&chain)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{}: not a PEM certificate chain", cert_path.display()))?;
    anyhow::ensure!(
        !chain.is_empty(),
        "{}: no CERTIFICATE in the file",
        cert_path.display()
    );
    let key = read(key_path)?;
    let key = PrivateKeyDer::from_pem_slice(&key)
        .with_context(|| format!("{}: no PEM private key in the file", key_path.display()))?;
    CertifiedKey::from_der(chain, key, provider).with_context(|| {
        format!(
            "{} and {} do not make a usable pair",
            cert_path.display(),
            key_path.display()
        )
    })
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

impl Certificates {
    /// Takes over SIGHUP now (so a signal sent once this returns is not
    /// the default's end of the process) and returns the task that reloads
    /// on every one until `stop`, logging the outcome; a bad file leaves
    /// the certificate in force.
    #[cfg(unix)]
    pub fn reload_on_hangup(
        self: Arc<Self>,
        stop: tokio_util::sync::CancellationToken,
    ) -> impl Future<Output = ()> + Send + 'static {
        use tokio::signal::unix::{SignalKind, signal};
        let hangups = signal(SignalKind::hangup());
        async move {
            let mut hangups = match hangups {
                Ok(hangups) => hangups,
                Err(error) => {
                    tracing::warn!(%error, "no SIGHUP handler: the certificate cannot be reloaded");
                    return;
                }
            };
            self.reload_on_each(&mut hangups, stop).await;
        }
    }

    #[cfg(unix)]
    async fn reload_on_each(
        &self,
        hangups: &mut tokio::signal::unix::Signal,
        stop: tokio_util::sync::CancellationToken,
    ) {
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                received = hangups.recv() => {
                    if received.is_none() {
                        return;
                    }
                    match self.reload() {
                        Ok(()) => tracing::info!(cert = %self.cert_path.display(), "SIGHUP: certificate reloaded"),
                        Err(error) => tracing::error!("SIGHUP: certificate not reloaded, the old one stays: {error:#}"),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rcgen::{CertifiedKey as Made, generate_simple_self_signed};

    use super::*;

    fn made() -> Made<rcgen::KeyPair> {
        generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap()
    }

    /// A directory of its own with `server.crt` and `server.key`.
    fn files(tag: &str, cert: &str, key: &str) -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("sapa-certs-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (cert_path, key_path) = (dir.join("server.crt"), dir.join("server.key"));
        std::fs::write(&cert_path, cert).unwrap();
        std::fs::write(&key_path, key).unwrap();
        (cert_path, key_path)
    }

    #[test]
    fn a_matching_pair_loads_and_a_key_of_another_certificate_does_not() {
        let (one, other) = (made(), made());
        let (cert, key) = files("pair", &one.cert.pem(), &one.signing_key.serialize_pem());
        let certificates = Certificates::load(&cert, &key).unwrap();
        let before = certificates.resolve_current();

        std::fs::write(&key, other.signing_key.serialize_pem()).unwrap();
        let error = format!("{:#}", certificates.reload().unwrap_err());
        assert!(error.contains("do not make a usable pair"), "{error}");
        assert!(Arc::ptr_eq(&before, &certificates.resolve_current()));
        let _ = std::fs::remove_dir_all(cert.parent().unwrap());
    }

    #[test]
    fn a_missing_or_empty_file_is_named_in_the_error() {
        let one = made();
        let (cert, key) = files("empty", "", &one.signing_key.serialize_pem());
        let error = format!("{:#}", Certificates::load(&cert, &key).unwrap_err());
        assert!(
            error.contains("server.crt") && error.contains("no CERTIFICATE"),
            "{error}"
        );
        let missing = cert.with_file_name("nowhere.crt");
        let error = format!("{:#}", Certificates::load(&missing, &key).unwrap_err());
        assert!(
            error.contains("reading") && error.contains("nowhere.crt"),
            "{error}"
        );
        let _ = std::fs::remove_dir_all(cert.parent().unwrap());
    }

    impl Certificates {
        fn resolve_current(&self) -> Arc<CertifiedKey> {
            self.current.read().unwrap().clone()
        }
    }
}
