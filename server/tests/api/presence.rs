//! Presence is per user: what others see as sockets come and go, and what
//! is recorded when they are gone.

use std::time::{Duration, Instant};

use sapa_protocol::ServerMessage;
use serde_json::{Value, json};
use sqlx::PgPool;
use time::OffsetDateTime;

use crate::helpers::{DEADLINE, spawn_app, spawn_app_with};

#[sqlx::test(migrations = false)]
async fn closing_a_socket_without_leave_counts_as_leaving(pool: PgPool) {
    let app = spawn_app(pool).await;
    let token = app.register("watcher").await;
    let mut watcher = app.ws().await;
    watcher.join("watcher", "general").await;
    let mut bob = app.joined("bob", "general").await;
    assert_eq!(
        app.active(&token, Some("general")).await,
        ["bob", "watcher"]
    );

    bob.ws.close(None).await.unwrap();
    let left = watcher.next_left().await;
    assert_eq!(left.username.as_str(), "bob");
    assert_eq!(app.active(&token, Some("general")).await, ["watcher"]);
}

#[sqlx::test(migrations = false)]
async fn a_user_with_two_sockets_leaves_only_when_the_second_closes(pool: PgPool) {
    let app = spawn_app(pool).await;
    let token = app.register("watcher").await;
    let mut watcher = app.ws().await;
    watcher.join("watcher", "general").await;
    let mut tab1 = app.joined("bob", "general").await;
    let mut tab2 = app.ws().await;
    let joined_again = tab2.join("bob", "general").await;
    drop(joined_again);

    tab1.ws.close(None).await.unwrap();
    tab1.closed().await;
    // Still online: the server has processed the close (tab1 saw it end),
    // and a message from bob's other tab arrives with no `left` before it.
    let view = tab2.say("still here").await;
    match watcher
        .recv_until(|f| matches!(f, ServerMessage::Left(_) | ServerMessage::Message(_)))
        .await
    {
        ServerMessage::Message(m) => assert_eq!(m.id, view.id),
        other => panic!("bob left too early: {other:?}"),
    }
    assert_eq!(
        app.active(&token, Some("general")).await,
        ["bob", "watcher"]
    );

    tab2.ws.close(None).await.unwrap();
    let left = watcher.next_left().await;
    assert_eq!(left.username.as_str(), "bob");
    assert_eq!(app.active(&token, Some("general")).await, ["watcher"]);
}

#[sqlx::test(migrations = false)]
async fn sockets_closing_together_record_last_seen_in_a_handful_of_writes(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut clients = Vec::new();
    for n in 0..20 {
        clients.push(app.joined(&format!("closer{n}"), "general").await);
    }
    // Registration set last_seen; closing must move it forward.
    let registered: OffsetDateTime = sqlx::query_scalar("SELECT max(last_seen) FROM users")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    for client in &mut clients {
        client.ws.close(None).await.unwrap();
    }
    let deadline = Instant::now() + DEADLINE;
    loop {
        let (moved, writes): (i64, i64) = sqlx::query_as(
            "SELECT count(*) FILTER (WHERE last_seen > $1),
                    count(DISTINCT last_seen) FILTER (WHERE last_seen > $1)
               FROM users",
        )
        .bind(registered)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        if moved == 20 {
            // One UPDATE gives its rows one now(): distinct times count writes.
            assert!(writes <= 5, "{writes} writes for 20 closes");
            break;
        }
        assert!(Instant::now() < deadline, "only {moved} of 20 recorded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[sqlx::test(migrations = false)]
async fn a_big_room_tells_its_members_the_count_and_pages_the_list_with_who(pool: PgPool) {
    let app = spawn_app_with(pool, |config| config.big_room = 2).await;
    let mut alice = app.joined("alice", "lobby").await;
    let _bob = app.joined("bob", "lobby").await;
    let mut carol = app.ws().await;
    carol
        .send(json!({"type": "join", "username": "carol", "password": crate::helpers::PASSWORD, "room": "lobby"}))
        .await;
    let presence = carol
        .recv_until(|f| matches!(f, ServerMessage::Presence(_)))
        .await;
    let ServerMessage::Presence(presence) = presence else {
        unreachable!()
    };
    assert!(presence.users.is_empty(), "no list above the big-room size");
    assert_eq!(presence.count, Some(3));

    // Alice heard bob join (the room was small), then carol only as a count.
    let count = loop {
        match alice.recv().await {
            ServerMessage::Joined(joined) => {
                assert_eq!(joined.username.as_str(), "bob", "no joined above the size");
            }
            ServerMessage::Presence(presence) if presence.count.is_some() => break presence,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(count.count, Some(3));

    alice.send(json!({"type": "who", "room": "lobby"})).await;
    let page = alice
        .recv_until(|f| matches!(f, ServerMessage::Who(_)))
        .await;
    let ServerMessage::Who(page) = page else {
        unreachable!()
    };
    let names: Vec<&str> = page.users.iter().map(|u| u.as_str()).collect();
    assert_eq!(names, ["alice", "bob", "carol"]);
    assert_eq!(page.next, None);
}

#[sqlx::test(migrations = false)]
async fn a_script_that_joins_without_announcing_leaves_no_trace_but_its_message(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut alice = app.joined("alice", "ops").await;
    let token = app.register("deploy").await;
    let mut bot = app.ws().await;
    bot.join_with(json!({"type": "join", "username": "deploy", "token": token, "room": "ops", "announce": false}))
        .await;
    bot.say("deploy finished").await;
    bot.ws.close(None).await.unwrap();
    // The server answers the close once the bot has left its rooms.
    bot.closed().await;
    // Carol joins after that: whatever the bot's coming and going caused
    // is queued for alice before carol's `joined`.
    let _carol = app.joined("carol", "ops").await;
    let mut heard = Vec::new();
    loop {
        match alice.recv().await {
            ServerMessage::Joined(joined) if joined.username.as_str() == "carol" => break,
            other => heard.push(other),
        }
    }
    assert!(
        matches!(heard.as_slice(), [ServerMessage::Message(m)] if m.content.as_str() == "deploy finished"),
        "{heard:?}"
    );
    let listed: Value = app
        .get("/users/active?room=ops", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed,
        json!(["alice", "carol"]),
        "the bot was never listed"
    );
}
