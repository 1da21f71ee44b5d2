//! The listener over TLS (`--tls-cert`/`--tls-key`): WSS and HTTPS with a
//! private CA, the certificate reloaded in place (by the call SIGHUP makes,
//! and by a real SIGHUP), and
//! plain HTTP to the TLS port closed rather than left hanging.

use std::{sync::Arc, time::Duration};

use sapa_server::tls::Certificates;
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls::ClientConfig;
use tokio_tungstenite::{Connector, connect_async_tls_with_config};

use crate::{
    certs::{CertFiles, TestCa},
    helpers::{Client, DEADLINE, TestApp, spawn_app_with},
};

/// A server speaking TLS with a certificate from `files`, and the handle
/// that reloads it.
async fn spawn_tls_app(pool: PgPool, files: &CertFiles) -> (TestApp, Arc<Certificates>) {
    let (cert, key) = (files.cert(), files.key());
    let app = spawn_app_with(pool, |config| {
        config.tls_cert = Some(cert);
        config.tls_key = Some(key);
    })
    .await;
    let certificates = app.certificates.clone().expect("the app speaks TLS");
    (app, certificates)
}

/// A WSS connection trusting what `trust` says, or the error.
async fn wss(app: &TestApp, trust: Arc<ClientConfig>) -> Result<Client, String> {
    let url = format!("wss://localhost:{}/ws", app.addr.port());
    connect_async_tls_with_config(url, None, false, Some(Connector::Rustls(trust)))
        .await
        .map(|(ws, _)| Client { ws })
        .map_err(|error| error.to_string())
}

#[sqlx::test(migrations = false)]
async fn two_clients_over_wss_in_one_room_exchange_a_message(pool: PgPool) {
    let ca = TestCa::new("a");
    let files = CertFiles::signed_by(&ca);
    let (app, _) = spawn_tls_app(pool, &files).await;

    let mut alice = wss(&app, ca.client_config()).await.unwrap();
    alice.join("alice", "general").await;
    let mut bob = wss(&app, ca.client_config()).await.unwrap();
    bob.join("bob", "general").await;
    let sent = alice.say("over tls").await;
    let received = bob.next_message().await;
    assert_eq!(received.id, sent.id);
    assert_eq!(received.content.as_str(), "over tls");
}

#[sqlx::test(migrations = false)]
async fn https_with_the_private_ca_serves_rest_and_ws_info_says_wss(pool: PgPool) {
    let ca = TestCa::new("a");
    let files = CertFiles::signed_by(&ca);
    let (app, _) = spawn_tls_app(pool, &files).await;
    let https = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let base = format!("https://localhost:{}", app.addr.port());

    let info: Value = https
        .get(format!("{base}/ws-info"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        info["url"],
        format!("wss://localhost:{}/ws", app.addr.port())
    );
    let created = https
        .post(format!("{base}/users"))
        .json(&json!({"username": "carol", "password": crate::helpers::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    // A client that does not trust the CA is refused at the handshake.
    let stranger = reqwest::Client::new()
        .get(format!("{base}/healthz"))
        .send()
        .await;
    assert!(stranger.is_err(), "an untrusted certificate was accepted");
}

#[sqlx::test(migrations = false)]
async fn a_reloaded_certificate_serves_new_handshakes_while_open_sockets_stay(pool: PgPool) {
    let (old_ca, new_ca) = (TestCa::new("old"), TestCa::new("new"));
    let files = CertFiles::signed_by(&old_ca);
    let (app, certificates) = spawn_tls_app(pool, &files).await;
    let mut alice = wss(&app, old_ca.client_config()).await.unwrap();
    alice.join("alice", "general").await;

    files.replace_with(&new_ca);
    certificates.reload().expect("the new certificate loads");

    let error = wss(&app, old_ca.client_config()).await.err();
    assert!(
        error.as_deref().is_some_and(|e| e.contains("certificate")),
        "a new handshake still got the old certificate: {error:?}"
    );
    let mut bob = wss(&app, new_ca.client_config()).await.unwrap();
    bob.join("bob", "general").await;
    // The socket from before the reload is open and still works both ways.
    let sent = alice.say("still here").await;
    assert_eq!(bob.next_message().await.id, sent.id);

    // A bad file: the reload fails, saying which, and the new pair stays.
    files.spoil(&files.key(), "not a key");
    let error = certificates.reload().unwrap_err();
    assert!(format!("{error:#}").contains("server.key"), "{error:#}");
    wss(&app, new_ca.client_config())
        .await
        .expect("the certificate in force is unchanged");
}

#[sqlx::test(migrations = false)]
async fn plain_http_to_the_tls_port_is_closed_not_left_hanging(pool: PgPool) {
    let ca = TestCa::new("a");
    let files = CertFiles::signed_by(&ca);
    let (app, _) = spawn_tls_app(pool, &files).await;

    let mut tcp = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(DEADLINE, tcp.read_to_end(&mut answer))
        .await
        .expect("the connection is closed within the deadline");
    // Closed (at most a TLS alert first) or reset; never an HTTP answer.
    if read.is_ok() {
        assert!(!answer.starts_with(b"HTTP/"), "{answer:?}");
    }

    // reqwest's plain http:// to that port fails quickly too.
    let plain = tokio::time::timeout(
        Duration::from_secs(5),
        reqwest::get(format!("http://{}/healthz", app.addr)),
    )
    .await
    .expect("plain HTTP fails without hanging");
    assert!(plain.is_err(), "plain HTTP was answered: {plain:?}");
}

#[sqlx::test(migrations = false)]
async fn a_real_sighup_reloads_the_certificate(pool: PgPool) {
    let (old_ca, new_ca) = (TestCa::new("old"), TestCa::new("new"));
    let files = CertFiles::signed_by(&old_ca);
    let (app, _) = spawn_tls_app(pool, &files).await;
    // Connected: the server is serving, so it has taken over SIGHUP (the
    // handler is installed before the first accept), and the signal cannot
    // end this test process.
    let mut alice = wss(&app, old_ca.client_config()).await.unwrap();
    alice.join("alice", "general").await;

    files.replace_with(&new_ca);
    // Every TLS server of this test process reloads its own files; only
    // this one's changed.
    let sent = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let mut bob = loop {
        match wss(&app, new_ca.client_config()).await {
            Ok(bob) => break bob,
            Err(_) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(error) => panic!("SIGHUP did not bring the new certificate: {error}"),
        }
    };
    bob.join("bob", "general").await;
    let sent = alice.say("after the signal").await;
    assert_eq!(bob.next_message().await.id, sent.id);
}
