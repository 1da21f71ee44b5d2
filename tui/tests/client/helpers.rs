//! Test support: a real sapa server on a real port over a fresh PostgreSQL
//! database (`#[sqlx::test]` hands each test its own), a private token
//! directory per test, the built `sapa` binary run as a script would, and
//! waits for a line or a state against a deadline instead of sleeping.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use sapa_protocol::{MessageView, RoomName, Secret, Username};
use sapa_server::{App, Config};
use sapa_tui::app::{Options, State};
use sapa_tui::client::driver::Driver;
use sapa_tui::client::socket::SocketConfig;
use sapa_tui::client::tokens::TokenStore;
use sapa_tui::client::url::{parse_server, server_key, ws_url};
use sapa_tui::run::Target;
use sapa_tui::run::send::lines_to_send;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
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
        trust: Default::default(),
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
        prefs: Default::default(),
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

// ------------------------------------------------- the built binary

pub const SAPA: &str = env!("CARGO_BIN_EXE_sapa");

pub fn lines(text: &str) -> Vec<sapa_protocol::Content> {
    lines_to_send(&[], Some(text)).unwrap()
}

/// Starts the built `sapa tail --history N` as bob; returns the child and
/// its standard output, line by line.
pub fn spawn_tail(
    server: &str,
    dir: &ConfigDir,
    history: &str,
) -> (
    tokio::process::Child,
    tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
) {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(SAPA)
        .args([
            "--server",
            server,
            "--user",
            "bob",
            "tail",
            "--history",
            history,
        ])
        .env("SAPA_CONFIG_DIR", &dir.0)
        .env("SAPA_PASSWORD", PASSWORD)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    (child, lines)
}

/// Runs the built `sapa --server SERVER --user USER ARGS...` with a private
/// config dir; returns (code, stderr).
pub async fn run_sapa(
    dir: &ConfigDir,
    password: Option<&str>,
    [server, user]: [&str; 2],
    args: &[&str],
    stdin: &str,
) -> (i32, String) {
    use tokio::io::AsyncWriteExt;
    let mut cmd = tokio::process::Command::new(SAPA);
    cmd.args(["--server", server, "--user", user])
        .args(args)
        .env("SAPA_CONFIG_DIR", &dir.0)
        .env_remove("SAPA_PASSWORD")
        .env_remove("SAPA_SERVER")
        .env_remove("SAPA_USER")
        .env_remove("SAPA_CA_CERT")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(p) = password {
        cmd.env("SAPA_PASSWORD", p);
    }
    let mut child = cmd.spawn().expect("sapa starts");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let out = tokio::time::timeout(DEADLINE, child.wait_with_output())
        .await
        .expect("sapa ends within the deadline")
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A tail line without its time: `name: text`.
pub fn strip(line: String) -> String {
    line.split_once(' ')
        .map(|(_, rest)| rest.to_owned())
        .unwrap()
}

pub async fn next_line(
    lines: &mut tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
) -> String {
    tokio::time::timeout(DEADLINE, lines.next_line())
        .await
        .expect("tail printed a line within the deadline")
        .unwrap()
        .expect("tail is still running")
}

/// Collects output and signals once `want` lines are complete.
pub struct Lines {
    pub buf: Vec<u8>,
    pub want: usize,
    pub printed: std::sync::Arc<tokio::sync::Notify>,
}

impl std::io::Write for Lines {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.iter().filter(|b| **b == b'\n').count() >= self.want {
            self.printed.notify_one();
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A pool of its own for one server of a test that stops a server and
/// starts another on the same database: a stopped server closes its pool.
pub async fn own_pool(options: &PgPoolOptions, connect: &PgConnectOptions) -> PgPool {
    options.clone().connect_with(connect.clone()).await.unwrap()
}
