//! The client over TLS: `sapa send` and `sapa tail` with `--server
//! https://...` and `--ca-cert CA.pem` (or `SAPA_CA_CERT`), against a
//! server whose certificate a private CA (made here with rcgen) signed; and
//! the one line a script gets when the certificate is refused.

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

#[sqlx::test(migrations = false)]
async fn tail_over_tls_prints_what_send_stored(pool: PgPool) {
    use tokio::io::AsyncBufReadExt;
    let dir = ConfigDir::new("tls-tail");
    let pki = pki(&dir);
    let server = tls_server(&pool, &pki).await;
    let url = format!("https://localhost:{}", server.addr.port());
    let ca = pki.ca.to_str().unwrap();
    let (code, err) = run_sapa(
        &dir,
        Some(PASSWORD),
        [&url, "alice"],
        &["--ca-cert", ca, "send", "before"],
        "",
    )
    .await;
    assert_eq!((code, err.as_str()), (exit::OK, ""));

    // The CA from the environment this time (SAPA_CA_CERT).
    let mut child = tokio::process::Command::new(SAPA)
        .args(["--server", &url, "--user", "bob", "tail", "--history", "1"])
        .env("SAPA_CONFIG_DIR", &dir.0)
        .env("SAPA_PASSWORD", PASSWORD)
        .env("SAPA_CA_CERT", ca)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(strip(next_line(&mut lines).await), "alice: before");
    let (code, _) = run_sapa(
        &dir,
        None,
        [&url, "alice"],
        &["--ca-cert", ca, "send", "live over wss"],
        "",
    )
    .await;
    assert_eq!(code, exit::OK);
    assert_eq!(strip(next_line(&mut lines).await), "alice: live over wss");
    child.kill().await.unwrap();
    server.stop().await;
}
