//! The database going away and coming back, for real: the server reaches
//! PostgreSQL through a TCP relay that the test can cut (every connection
//! dropped, new ones refused) and restore.

use std::{net::SocketAddr, sync::Arc};

use reqwest::StatusCode;
use serde_json::Value;
use sqlx::{PgPool, postgres::PgPoolOptions};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::watch,
    task::JoinSet,
};

use crate::helpers::{DEADLINE, TestApp, spawn_app};

/// A relay in front of PostgreSQL.
struct Relay {
    addr: SocketAddr,
    up: watch::Sender<bool>,
}

impl Relay {
    /// Relays to `upstream` until the test ends.
    async fn start(upstream: SocketAddr) -> Arc<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (up, mut state) = watch::channel(true);
        tokio::spawn(async move {
            let mut relayed = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let (mut client, _) = accepted.unwrap();
                        if !*state.borrow() {
                            continue; // dropped: the database is "down"
                        }
                        relayed.spawn(async move {
                            let mut server = TcpStream::connect(upstream).await.unwrap();
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        });
                    }
                    changed = state.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        if !*state.borrow() {
                            relayed.abort_all();
                        }
                    }
                }
            }
        });
        Arc::new(Self { addr, up })
    }

    fn cut(&self) {
        self.up.send_replace(false);
    }

    fn restore(&self) {
        self.up.send_replace(true);
    }
}

/// An app whose pool reaches the test's database through a relay.
async fn app_behind_relay(pool: &PgPool) -> (TestApp, Arc<Relay>) {
    let options = pool.connect_options();
    let upstream = tokio::net::lookup_host((options.get_host(), options.get_port()))
        .await
        .unwrap()
        .next()
        .unwrap();
    let relay = Relay::start(upstream).await;
    let relayed = (*options).clone().host("127.0.0.1").port(relay.addr.port());
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(std::time::Duration::from_secs(2))
        .connect_with(relayed)
        .await
        .unwrap();
    (spawn_app(pool).await, relay)
}

async fn ready(app: &TestApp) -> (StatusCode, Value) {
    let response = app.http.get(app.url("/readyz")).send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

#[sqlx::test(migrations = false)]
async fn readyz_is_503_while_the_database_is_down_and_200_once_it_is_back(pool: PgPool) {
    let (app, relay) = app_behind_relay(&pool).await;
    assert_eq!(ready(&app).await.0, StatusCode::OK);

    relay.cut();
    let asked = tokio::time::Instant::now();
    let (status, body) = ready(&app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"], "unavailable");
    assert!(
        asked.elapsed() < DEADLINE,
        "answered, not left hanging on the pool"
    );

    relay.restore();
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while ready(&app).await.0 != StatusCode::OK {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never ready again after the database came back"
        );
        tokio::task::yield_now().await;
    }
}
