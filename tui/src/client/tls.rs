//! Whom the client trusts over `https://` and `wss://`: the public roots
//! (the default), or the private CA that `--ca-cert` names, for the REST
//! calls and the WebSocket alike; and one line that says what is wrong when
//! a server's certificate is refused.
//!
//! Nothing here connects: [`Trust`] is handed to the REST client and the
//! socket task, which use it for every connection.

use std::{path::Path, sync::Arc};

use rustls::{ClientConfig, RootCertStore, pki_types::CertificateDer, pki_types::pem::PemObject};
use tokio_tungstenite::Connector;

/// The certificates the client accepts a server's chain from.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// `None`: the public roots the libraries carry.
    private: Option<PrivateCa>,
}

#[derive(Debug, Clone)]
struct PrivateCa {
    /// For reqwest, which keeps its own copy.
    certificates: Vec<reqwest::Certificate>,
    /// For the WebSocket.
    rustls: Arc<ClientConfig>,
}

impl Trust {
    /// Trusts only the CA certificate(s) in the PEM file at `path` (a
    /// bundle may hold several): the server's chain must lead to one.
    pub fn private_ca(path: &Path) -> Result<Self, String> {
        let what = |why: String| format!("--ca-cert {}: {why}", path.display());
        let pem = std::fs::read(path).map_err(|e| what(e.to_string()))?;
        let ders = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| what(format!("not PEM certificates ({e})")))?;
        if ders.is_empty() {
            return Err(what("no CERTIFICATE in the file".to_owned()));
        }
        let mut roots = RootCertStore::empty();
        for der in &ders {
            roots
                .add(der.clone())
                .map_err(|e| what(format!("not a usable CA certificate ({e})")))?;
        }
        let certificates = ders
            .iter()
            .map(|der| reqwest::Certificate::from_der(der))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| what(e.to_string()))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let rustls = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| what(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self {
            private: Some(PrivateCa {
                certificates,
                rustls: Arc::new(rustls),
            }),
        })
    }

    /// What the WebSocket connects with (`None`: the library's public roots).
    pub fn connector(&self) -> Option<Connector> {
        self.private
            .as_ref()
            .map(|ca| Connector::Rustls(ca.rustls.clone()))
    }

    /// `builder` trusting the same certificates.
    pub fn apply(&self, builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        match &self.private {
            None => builder,
            Some(ca) => ca
                .certificates
                .iter()
                .fold(builder.tls_built_in_root_certs(false), |b, cert| {
                    b.add_root_certificate(cert.clone())
                }),
        }
    }
}

/// If `error` (or anything it was caused by) is a refused server
/// certificate, the one line that says so and what to do.
pub fn certificate_problem(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(rustls::Error::InvalidCertificate(why)) = e.downcast_ref::<rustls::Error>() {
            return Some(format!(
                "the server's TLS certificate was refused ({}); for a private CA pass --ca-cert PATH",
                describe(why)
            ));
        }
        // io::Error's source() skips the error it wraps (which may be
        // another io::Error): step into it instead.
        next = match e.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

fn describe(why: &rustls::CertificateError) -> String {
    use rustls::CertificateError as E;
    match why {
        E::UnknownIssuer => "signed by an unknown CA".to_owned(),
        E::Expired | E::ExpiredContext { .. } => "expired".to_owned(),
        E::NotValidYet | E::NotValidYetContext { .. } => "not valid yet".to_owned(),
        E::NotValidForName | E::NotValidForNameContext { .. } => {
            "issued for another name".to_owned()
        }
        E::BadSignature => "bad signature".to_owned(),
        E::Revoked => "revoked".to_owned(),
        other => format!("{other:?}"),
    }
}
