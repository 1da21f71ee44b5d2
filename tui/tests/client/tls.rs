//! The client over TLS: `sapa send --server https://... --ca-cert CA.pem`
//! against a server whose certificate a private CA (made here with rcgen)
//! signed, and the one line a script gets when the certificate is refused.

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};

use super::*;

/// A CA, a server certificate it signed for localhost and 127.0.0.1, and
/// the three PEM files in `dir`.
struct Pki {
    ca: std::path::PathBuf,
    cert: std::path::PathBuf,
    key: std::path::PathBuf,
}

fn pki(dir: &ConfigDir) -> Pki {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&server_key, &ca)
        .unwrap();
    let files = Pki {
        ca: dir.0.join("ca.pem"),
        cert: dir.0.join("server.crt"),
        key: dir.0.join("server.key"),
    };
    std::fs::write(&files.ca, ca.pem()).unwrap();
    std::fs::write(&files.cert, server.pem()).unwrap();
    std::fs::write(&files.key, server_key.serialize_pem()).unwrap();
    files
}

async fn tls_server(pool: &PgPool, pki: &Pki) -> Server {
    let (cert, key) = (pki.cert.clone(), pki.key.clone());
    Server::start_with(pool, "127.0.0.1:0".parse().unwrap(), |config| {
        config.tls_cert = Some(cert);
        config.tls_key = Some(key);
    })
    .await
}

async fn stored(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT content FROM messages ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn send_over_tls_with_the_private_ca_stores_every_line(pool: PgPool) {
    let dir = ConfigDir::new("tls-send");
    let pki = pki(&dir);
    let server = tls_server(&pool, &pki).await;
    let url = format!("https://localhost:{}", server.addr.port());
    let ca = pki.ca.to_str().unwrap();

    let (code, err) = run_sapa(
        &dir,
        Some(PASSWORD),
        [&url, "alice"],
        &["--ca-cert", ca, "send"],
        "one\ntwo\n",
    )
    .await;
    assert_eq!((code, err.as_str()), (exit::OK, ""));
    assert_eq!(stored(&pool).await, ["one", "two"]);

    // The token saved over TLS is reused over TLS (REST and WSS both trust
    // the CA): no password this time.
    let (code, err) = run_sapa(
        &dir,
        None,
        [&url, "alice"],
        &["--ca-cert", ca, "send", "three"],
        "",
    )
    .await;
    assert_eq!((code, err.as_str()), (exit::OK, ""));
    assert_eq!(stored(&pool).await, ["one", "two", "three"]);
    server.stop().await;
}

#[sqlx::test(migrations = false)]
async fn a_refused_certificate_is_one_clear_line(pool: PgPool) {
    let dir = ConfigDir::new("tls-refused");
    let pki = pki(&dir);
    let server = tls_server(&pool, &pki).await;
    let url = format!("https://localhost:{}", server.addr.port());

    // Without --ca-cert the public roots do not know the private CA.
    let (code, err) = run_sapa(&dir, Some(PASSWORD), [&url, "alice"], &["send", "x"], "").await;
    assert_eq!(code, exit::UNREACHABLE, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("sapa: ")
            && err.contains("certificate was refused (signed by an unknown CA)")
            && err.contains("--ca-cert"),
        "{err}"
    );

    // A CA file that is not one is a usage error, before connecting.
    let (code, err) = run_sapa(
        &dir,
        Some(PASSWORD),
        [&url, "alice"],
        &["--ca-cert", pki.key.to_str().unwrap(), "send", "x"],
        "",
    )
    .await;
    assert_eq!(code, exit::USAGE, "{err}");
    assert!(
        err.contains("--ca-cert") && err.contains("server.key"),
        "{err}"
    );
    assert!(stored(&pool).await.is_empty());
    server.stop().await;
}
