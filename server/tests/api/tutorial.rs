//! A client of the tutorial's protocol (v1), written the way the tutorial
//! wrote one: it sends `join` with username and password, `message` and
//! `leave`, reads frames as plain JSON, and ignores every frame type it does
//! not know. The v2 frames (typing, read markers, DMs, limits) must not get
//! in its way.

use futures_util::StreamExt;
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{Client, DEADLINE, PASSWORD, spawn_app};

/// The frame types the tutorial's client knows.
const KNOWN: [&str; 9] = [
    "welcome", "message", "history", "presence", "joined", "left", "system", "error", "pong",
];

/// The next frame of a type the tutorial knows, skipping the others.
async fn next_known(client: &mut Client) -> Value {
    loop {
        let frame = tokio::time::timeout(DEADLINE, client.ws.next())
            .await
            .expect("a frame within the deadline")
            .expect("the socket is open")
            .expect("a websocket message");
        let Message::Text(text) = frame else { continue };
        let value: Value = serde_json::from_str(text.as_str()).expect("JSON");
        if KNOWN.contains(&value["type"].as_str().unwrap_or("")) {
            return value;
        }
    }
}

/// The next known frame of type `kind`.
async fn next_of(client: &mut Client, kind: &str) -> Value {
    loop {
        let frame = next_known(client).await;
        if frame["type"] == kind {
            return frame;
        }
    }
}

#[sqlx::test(migrations = false)]
async fn a_tutorial_client_still_chats_beside_v2_frames_it_ignores(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut old = app.ws().await;
    old.send(json!({"type": "join", "username": "tutor", "password": PASSWORD}))
        .await;
    let welcome = next_of(&mut old, "welcome").await;
    assert_eq!(welcome["username"], "tutor");
    assert_eq!(welcome["content"], "Welcome tutor!");
    assert!(welcome["timestamp"].is_string());

    let mut new = app.joined("modern", "general").await;
    new.send(json!({"type": "typing"})).await;
    new.send(json!({"type": "message", "to": "tutor", "content": "a DM"}))
        .await;
    new.send(json!({"type": "message", "content": "hello tutor"}))
        .await;
    let dm = next_of(&mut old, "message").await;
    assert_eq!(
        (dm["content"].as_str(), dm["username"].as_str()),
        (Some("a DM"), Some("modern"))
    );
    let said = next_of(&mut old, "message").await;
    assert_eq!(said["content"], "hello tutor");
    assert!(said["timestamp"].is_string());

    old.send(json!({"type": "message", "content": "hi back", "username": "tutor"}))
        .await;
    new.recv_until(|f| {
        matches!(f, sapa_protocol::ServerMessage::Message(m) if m.content.as_str() == "hi back")
    })
    .await;
    old.send(json!({"type": "leave"})).await;
    let left = next_of(&mut old, "left").await;
    assert_eq!(left["username"], "tutor");
}
