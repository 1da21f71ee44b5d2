//! Typing notices: relayed to the others in the room, not to the sender,
//! never stored, and throttled per user and room.

use std::time::{Duration, Instant};

use sapa_protocol::ServerMessage;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{Client, spawn_app, spawn_app_with};

/// The next typing notice or message, as text.
async fn next_typing_or_message(client: &mut Client) -> String {
    match client
        .recv_until(|f| matches!(f, ServerMessage::Typing(_) | ServerMessage::Message(_)))
        .await
    {
        ServerMessage::Typing(typing) => format!("typing {} {}", typing.room, typing.username),
        ServerMessage::Message(view) => format!("message {}", view.content),
        _ => unreachable!(),
    }
}

#[sqlx::test(migrations = false)]
async fn typing_reaches_the_others_once_per_window_not_the_sender_and_is_never_stored(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let mut alice = app.joined("alice", "general").await;
    let mut bob = app.joined("bob", "general").await;
    let mut dm_peer = app.joined("carol", "random").await;
    for _ in 0..3 {
        alice.send(json!({"type": "typing"})).await;
    }
    alice
        .send(json!({"type": "typing", "room": "dm:alice:carol"}))
        .await;
    alice.say("done typing").await;
    // Bob hears one notice (the other two fell within the window), then
    // the message; alice hears only her message.
    assert_eq!(
        next_typing_or_message(&mut bob).await,
        "typing general alice"
    );
    assert_eq!(
        next_typing_or_message(&mut bob).await,
        "message done typing"
    );
    assert_eq!(
        next_typing_or_message(&mut dm_peer).await,
        "typing dm:alice:carol alice",
        "a DM's notice reaches a socket that never joined it"
    );
    bob.say("me too").await;
    assert_eq!(next_typing_or_message(&mut alice).await, "message me too");
    assert_eq!(app.message_count().await, 2, "notices are not stored");
}

#[sqlx::test(migrations = false)]
async fn after_the_window_a_users_typing_is_relayed_again(pool: PgPool) {
    let window = Duration::from_millis(300);
    let app = spawn_app_with(pool, |config| config.typing_interval_ms = 300).await;
    let mut alice = app.joined("alice", "general").await;
    let mut bob = app.joined("bob", "general").await;
    alice.send(json!({"type": "typing"})).await;
    assert_eq!(
        next_typing_or_message(&mut bob).await,
        "typing general alice"
    );
    let first = Instant::now();
    // Keep typing, each notice followed by a message as a marker, until
    // one notice gets through again: never before the window is over.
    let mut n = 0;
    loop {
        n += 1;
        alice.send(json!({"type": "typing"})).await;
        alice.say(&format!("marker {n}")).await;
        let seen = next_typing_or_message(&mut bob).await;
        if seen.starts_with("typing") {
            assert!(first.elapsed() >= window, "relayed within the window");
            break;
        }
        assert_eq!(seen, format!("message marker {n}"));
    }
}
