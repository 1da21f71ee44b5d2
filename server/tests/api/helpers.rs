//! Test support: start an [`App`] on a fresh database, talk to it over HTTP
//! and WebSocket, and wait for frames with a deadline (never a sleep).

use std::{net::SocketAddr, time::Duration};

use futures_util::{SinkExt, StreamExt};
use sapa_protocol::{History, ServerMessage};
use sapa_server::{App, Config};
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::{net::TcpStream, task::JoinHandle};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, protocol::CloseFrame},
};
use tokio_util::sync::CancellationToken;

/// How long any single wait in a test may take before it fails.
pub const DEADLINE: Duration = Duration::from_secs(10);

pub const PASSWORD: &str = "correct horse";

pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub pool: PgPool,
    pub shutdown: CancellationToken,
    pub server: JoinHandle<anyhow::Result<()>>,
    /// What a TLS listener serves (reloadable), when it speaks TLS.
    pub certificates: Option<std::sync::Arc<sapa_server::tls::Certificates>>,
    /// /metrics's own listener, when the configuration asks for one (read
    /// by tests/metrics.rs, which shares this file).
    #[allow(dead_code)]
    pub metrics_addr: Option<SocketAddr>,
}

pub async fn spawn_app(pool: PgPool) -> TestApp {
    spawn_app_with(pool, |_| {}).await
}

pub async fn spawn_app_with(pool: PgPool, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = Config::for_tests("postgres://unused");
    tweak(&mut config);
    let app = App::build_with_pool(config, pool.clone())
        .await
        .expect("app builds");
    let addr = app.local_addr();
    let shutdown = app.shutdown_token();
    let certificates = app.certificates();
    let metrics_addr = app.metrics_addr();
    let server = tokio::spawn(app.run());
    TestApp {
        addr,
        http: reqwest::Client::new(),
        pool,
        shutdown,
        server,
        certificates,
        metrics_addr,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn ws(&self) -> Client {
        self.ws_at("/ws").await
    }

    pub async fn ws_at(&self, path: &str) -> Client {
        connect(self.addr, path).await
    }

    /// A connection that has joined `room` as `name` (registering it).
    pub async fn joined(&self, name: &str, room: &str) -> Client {
        let mut client = self.ws().await;
        client.join(name, room).await;
        client
    }

    /// Registers over REST; returns the token.
    pub async fn register(&self, name: &str) -> String {
        let response = self
            .http
            .post(self.url("/users"))
            .json(&json!({"username": name, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "registering {name}");
        let body: Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// Users online in `room` (or in every room) by GET /users/active.
    pub async fn active(&self, token: &str, room: Option<&str>) -> Vec<String> {
        let path = match room {
            Some(room) => format!("/users/active?room={room}"),
            None => "/users/active".to_owned(),
        };
        let body: Value = self.get(&path, token).await.json().await.unwrap();
        body.as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    }

    pub async fn message_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM messages")
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// Waits (with the deadline) until GET `url` answers with a success:
/// `what` (a server started as a process) is serving.
pub async fn until_healthy(http: &reqwest::Client, url: &str, what: &str) {
    tokio::time::timeout(DEADLINE, async {
        loop {
            let health = http.get(url).send().await;
            if health.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{what} serves within the deadline"));
}

/// A WebSocket to `path` on the server at `addr`.
pub async fn connect(addr: SocketAddr, path: &str) -> Client {
    let (ws, _) = connect_async(format!("ws://{addr}{path}"))
        .await
        .expect("websocket connects");
    Client { ws }
}

impl Client {
    pub async fn send(&mut self, frame: Value) {
        self.send_raw(&frame.to_string()).await;
    }

    pub async fn send_raw(&mut self, text: &str) {
        self.ws.send(Message::text(text)).await.expect("send");
    }

    /// The next server frame.
    pub async fn recv(&mut self) -> ServerMessage {
        self.recv_within(DEADLINE).await
    }

    /// The next server frame, which must come within `limit`.
    pub async fn recv_within(&mut self, limit: Duration) -> ServerMessage {
        loop {
            let message = tokio::time::timeout(limit, self.ws.next())
                .await
                .expect("a frame within the deadline")
                .expect("the socket is open")
                .expect("a valid websocket message");
            match message {
                Message::Text(text) => {
                    return ServerMessage::decode(text.as_str())
                        .unwrap_or_else(|e| panic!("undecodable frame {text}: {e}"));
                }
                Message::Close(frame) => panic!("closed while waiting for a frame: {frame:?}"),
                _ => continue,
            }
        }
    }

    /// Skips frames until one matches.
    pub async fn recv_until(
        &mut self,
        mut wanted: impl FnMut(&ServerMessage) -> bool,
    ) -> ServerMessage {
        loop {
            let frame = self.recv().await;
            if wanted(&frame) {
                return frame;
            }
        }
    }

    /// The next `message` frame, skipping presence changes.
    pub async fn next_message(&mut self) -> sapa_protocol::MessageView {
        match self
            .recv_until(|f| matches!(f, ServerMessage::Message(_) | ServerMessage::Error(_)))
            .await
        {
            ServerMessage::Message(view) => view,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// The next `left` frame, skipping others.
    pub async fn next_left(&mut self) -> sapa_protocol::PresenceChange {
        self.next_left_within(DEADLINE).await
    }

    /// The next `left` frame, skipping others, which must come within
    /// `limit`.
    pub async fn next_left_within(&mut self, limit: Duration) -> sapa_protocol::PresenceChange {
        let started = tokio::time::Instant::now();
        loop {
            let left = limit.saturating_sub(started.elapsed());
            match self.recv_within(left).await {
                ServerMessage::Left(change) => return change,
                _ => continue,
            }
        }
    }

    /// The next `error` frame's code, content and ref.
    pub async fn next_error(&mut self) -> sapa_protocol::ErrorFrame {
        match self
            .recv_until(|f| matches!(f, ServerMessage::Error(_)))
            .await
        {
            ServerMessage::Error(error) => error,
            _ => unreachable!(),
        }
    }

    /// Joins and checks the reply is welcome, history, presence; returns the history.
    pub async fn join(&mut self, name: &str, room: &str) -> History {
        self.join_with(
            json!({"type": "join", "username": name, "password": PASSWORD, "room": room}),
        )
        .await
    }

    pub async fn join_with(&mut self, frame: Value) -> History {
        self.send(frame).await;
        match self.recv().await {
            ServerMessage::Welcome(_) => {}
            other => panic!("expected welcome, got {other:?}"),
        }
        let history = match self.recv().await {
            ServerMessage::History(history) => history,
            other => panic!("expected history, got {other:?}"),
        };
        match self.recv().await {
            ServerMessage::Presence(_) => {}
            other => panic!("expected presence, got {other:?}"),
        }
        history
    }

    /// Sends a message and waits for its broadcast back.
    pub async fn say(&mut self, content: &str) -> sapa_protocol::MessageView {
        self.send(json!({"type": "message", "content": content}))
            .await;
        let view = self.next_message().await;
        assert_eq!(view.content.as_str(), content);
        view
    }

    /// Waits for the server to close the socket; returns the close frame.
    pub async fn closed(&mut self) -> Option<CloseFrame> {
        loop {
            let next = tokio::time::timeout(DEADLINE, self.ws.next())
                .await
                .expect("closed within the deadline");
            match next {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    }
}
