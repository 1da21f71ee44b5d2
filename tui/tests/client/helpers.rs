//! Test support: a real sapa server on a real port over a fresh PostgreSQL
//! database (`#[sqlx::test]` hands each test its own), a private token
//! directory per test, and waits that poll a condition against a deadline
//! instead of sleeping.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use sapa_protocol::{MessageView, RoomName, Secret, Username};
use sapa_server::{App, Config};
use sapa_tui::app::{Options, State};
use sapa_tui::client::driver::Driver;
use sapa_tui::client::socket::SocketConfig;
use sapa_tui::client::tokens::TokenStore;
use sapa_tui::client::url::{parse_server, server_key, ws_url};
use sapa_tui::run::Target;
use sqlx::PgPool;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long any single wait may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(20);

pub const PASSWORD: &str = "correct horse";

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Server {
    /// Starts a server on `bind` (port 0 for any) over `pool`.
    pub async fn start(pool: &PgPool, bind: SocketAddr) -> Server {
        Self::start_with(pool, bind, |_| {}).await
    }

    /// Like [`Server::start`], with a tweaked configuration.
    pub async fn start_with(
        pool: &PgPool,
        bind: SocketAddr,
        tweak: impl FnOnce(&mut Config),
    ) -> Server {
        let mut config = Config::for_tests("postgres://unused");
        config.bind = bind;
        tweak(&mut config);
        let app = App::build_with_pool(config, pool.clone())
            .await
            .expect("the server starts");
        let addr = SocketAddr::from(([127, 0, 0, 1], app.port()));
        let shutdown = app.shutdown_token();
        let task = tokio::spawn(app.run());
        Server {
            addr,
            shutdown,
            task,
        }
    }

    /// Starts a server on any free port.
    pub async fn any_port(pool: &PgPool) -> Server {
        Self::start(pool, "127.0.0.1:0".parse().unwrap()).await
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Shuts the server down gracefully and waits until it has stopped.
    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(DEADLINE, self.task)
            .await
            .expect("the server stops in time")
            .expect("the server task ends")
            .expect("the server shuts down cleanly");
    }

    /// The contents of `room`'s stored messages, oldest first.
    pub async fn contents(&self, room: &str, token: &str) -> Vec<String> {
        let stored = self.messages(room, token).await;
        stored.into_iter().map(|m| m.content.to_string()).collect()
    }

    /// The stored messages of `room`, oldest first, read over REST.
    pub async fn messages(&self, room: &str, token: &str) -> Vec<MessageView> {
        let resp = reqwest::Client::new()
            .get(format!("{}/messages?room={room}&limit=100", self.url()))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }
}

/// A private token directory, removed when dropped.
pub struct ConfigDir(pub PathBuf);

impl ConfigDir {
    pub fn new(tag: &str) -> ConfigDir {
        let dir = std::env::temp_dir().join(format!(
            "sapa-tui-it-{tag}-{}-{:x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        ConfigDir(dir)
    }

    pub fn store(&self) -> TokenStore {
        TokenStore::in_dir(&self.0)
    }
}

impl Drop for ConfigDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn name(s: &str) -> Username {
    s.parse().unwrap()
}

/// What `sapa send` / `sapa tail` would use for `user` against `server`.
pub fn target(server: &str, user: &str, dir: &ConfigDir, password: Option<&str>) -> Target {
    Target {
        server: parse_server(server).unwrap(),
        user: name(user),
        room: RoomName::general(),
        store: Some(dir.store()),
        password: password.map(Secret::new),
    }
}

/// The token `target`'s last login saved.
pub fn saved_token(target: &Target) -> Secret {
    let store = target.store.as_ref().expect("the target has a token store");
    store
        .load(&server_key(&target.server), &target.user)
        .expect("the token was saved")
}

/// Fast reconnects and pings, so the tests do not wait on defaults.
pub fn quick_net(server: &str) -> SocketConfig {
    let mut net = SocketConfig::new(
        ws_url(&parse_server(server).unwrap()).unwrap(),
        Secret::new(""),
    );
    net.backoff_base = Duration::from_millis(50);
    net.backoff_max = Duration::from_millis(400);
    net.ping_every = Duration::from_secs(2);
    net.ping_timeout = Duration::from_secs(5);
    net
}

/// A full client (the interactive one, minus the terminal) for `user`.
pub fn client(server: &str, user: &str, dir: &ConfigDir, password: Option<&str>) -> Driver {
    let state = State::new(Options {
        server: server.to_owned(),
        user: name(user),
        room: RoomName::general(),
        client_prefix: format!("it-{user}"),
        utc_offset: time::UtcOffset::UTC,
        now: std::time::Instant::now(),
        wall: time::OffsetDateTime::now_utc(),
    });
    Driver::new(
        state,
        &parse_server(server).unwrap(),
        quick_net(server),
        Some(dir.store()),
        password.map(Secret::new),
    )
}

/// Runs the client until `done` holds for its state; fails at the deadline.
pub async fn run_until(driver: &mut Driver, what: &str, mut done: impl FnMut(&State) -> bool) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !done(&driver.state) {
        let event = tokio::time::timeout_at(deadline, driver.next())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "timed out waiting for: {what}\nstate: {:?}",
                    driver.state.link.conn
                )
            });
        driver.step(event).await;
    }
}

/// The contents of the messages the client shows, in order.
pub fn shown(state: &State) -> Vec<String> {
    state
        .room()
        .messages()
        .map(|m| format!("{}: {}", m.username, m.content))
        .collect()
}
