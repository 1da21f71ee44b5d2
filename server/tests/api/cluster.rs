//! Two nodes on one database (DESIGN.md section 6): each an [`App`] on
//! port 0 with the PostgreSQL bus on, sharing the test's database.

use std::time::Duration;

use serde_json::json;
use sqlx::PgPool;

use sapa_protocol::ServerMessage;
use sapa_server::bus::Body;

use crate::helpers::{DEADLINE, PASSWORD, TestApp, spawn_app_with};

/// A node named `name` with the bus on.
pub async fn node(pool: &PgPool, name: &str) -> TestApp {
    let name = name.to_owned();
    spawn_app_with(pool.clone(), move |config| {
        config.cluster = true;
        config.node_id = Some(name);
    })
    .await
}

/// How many bus connections of this database are listening.
async fn listening(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sapa-bus' \
         AND datname = current_database() AND query ILIKE 'LISTEN%'",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Waits (with the deadline) until `count` bus connections listen.
pub async fn until_listening(pool: &PgPool, count: i64) {
    tokio::time::timeout(DEADLINE, async {
        while listening(pool).await != count {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the bus connections listen within the deadline");
}

/// Two nodes, both listening.
async fn two_nodes(pool: &PgPool) -> (TestApp, TestApp) {
    let a = node(pool, "a").await;
    let b = node(pool, "b").await;
    until_listening(pool, 2).await;
    (a, b)
}

#[sqlx::test(migrations = false)]
async fn cluster_a_message_sent_through_one_node_reaches_a_member_of_the_other(pool: PgPool) {
    let (a, b) = two_nodes(&pool).await;
    let mut bob = b.joined("bob", "general").await;
    let mut alice = a.joined("alice", "general").await;
    let sent = alice.say("hello from a").await;
    let seen = bob.next_message().await;
    assert_eq!(seen, sent);
    // And back: bob's message reaches alice with the same id.
    let reply = bob.say("hello from b").await;
    assert_eq!(alice.next_message().await, reply);
}

#[sqlx::test(migrations = false)]
async fn cluster_a_since_id_join_on_one_node_returns_what_the_other_committed(pool: PgPool) {
    let (a, b) = two_nodes(&pool).await;
    // A member on b keeps the room (and its recent history) in b's memory.
    let mut watcher = b.joined("watcher", "general").await;
    let mut alice = a.joined("alice", "general").await;
    let first = alice.say("one").await;
    alice.say("two").await;
    let last = alice.say("three").await;
    while watcher.next_message().await.id != last.id {}
    let mut bob = b.ws().await;
    let history = bob
        .join_with(
            json!({"type": "join", "username": "bob", "password": PASSWORD,
            "room": "general", "since_id": first.id - 1}),
        )
        .await;
    let contents: Vec<_> = history
        .messages
        .iter()
        .map(|m| m.content.as_str())
        .collect();
    assert_eq!(contents, ["one", "two", "three"]);
}

#[sqlx::test(migrations = false)]
async fn cluster_a_batch_over_the_notify_limit_arrives_by_reference(pool: PgPool) {
    let (a, b) = two_nodes(&pool).await;
    let mut bob = b.joined("bob", "general").await;
    let mut alice = a.joined("alice", "general").await;
    // 3000 three-byte characters: 9000 bytes, over NOTIFY's 8000.
    let big = "日".repeat(3000);
    let sent = alice.say(&big).await;
    assert!(
        sapa_server::bus::postgres::payloads(
            "a",
            Body::Messages {
                messages: vec![sent.clone()],
                before: Vec::new(),
            }
        )[0]
        .contains("reference")
    );
    assert_eq!(bob.next_message().await, sent);
}

#[sqlx::test(migrations = false)]
async fn cluster_after_the_bus_connection_is_cut_a_node_catches_up_with_no_gap_or_duplicate(
    pool: PgPool,
) {
    let (a, b) = two_nodes(&pool).await;
    let mut bob = b.joined("bob", "general").await;
    let mut alice = a.joined("alice", "general").await;
    let before = alice.say("before").await;
    assert_eq!(bob.next_message().await, before);

    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = 'sapa-bus' AND datname = current_database()",
    )
    .execute(&pool)
    .await
    .unwrap();
    let mut sent = Vec::new();
    for n in 0..5 {
        sent.push(alice.say(&format!("during {n}")).await);
    }
    until_listening(&pool, 2).await;
    sent.push(alice.say("after").await);

    for expected in &sent {
        assert_eq!(
            &bob.next_message().await,
            expected,
            "in order, none missing"
        );
    }
    // Nothing twice: the next message bob sees is the next one sent.
    let last = alice.say("last").await;
    assert_eq!(bob.next_message().await, last);
}

/// Messages each of [`write_at_full_speed`]'s writers sends.
const EACH: usize = 60;
/// How many writers [`write_at_full_speed`] starts.
const WRITERS: usize = 8;

/// [`WRITERS`] writers in general, half on each node, each sending
/// [`EACH`] messages as fast as it can; each task ends once its own are
/// stored.
async fn write_at_full_speed(a: &TestApp, b: &TestApp) -> Vec<tokio::task::JoinHandle<()>> {
    let mut writers = Vec::new();
    for n in 0..WRITERS {
        let app = if n % 2 == 0 { a } else { b };
        let mut client = app.joined(&format!("writer{n}"), "general").await;
        writers.push(tokio::spawn(async move {
            for i in 0..EACH {
                client
                    .send(json!({"type": "message", "content": format!("w{n} {i}")}))
                    .await;
            }
            // Each writer's own messages come back to it once stored.
            let mut own = 0;
            while own < EACH {
                if client.next_message().await.username.as_str() == format!("writer{n}") {
                    own += 1;
                }
            }
        }));
    }
    writers
}

#[sqlx::test(migrations = false)]
async fn cluster_live_delivery_is_in_id_order_on_both_nodes_with_two_writing_to_one_room(
    pool: PgPool,
) {
    let (a, b) = two_nodes(&pool).await;
    let mut on_a = a.joined("watcher-a", "general").await;
    let mut on_b = b.joined("watcher-b", "general").await;
    let writers = write_at_full_speed(&a, &b).await;
    let mut heard = Vec::new();
    for watcher in [&mut on_a, &mut on_b] {
        let mut ids = Vec::new();
        while ids.len() < WRITERS * EACH {
            ids.push(watcher.next_message().await.id);
        }
        heard.push(ids);
    }
    for writer in writers {
        writer.await.unwrap();
    }
    let stored: Vec<i64> = sqlx::query_scalar("SELECT id FROM messages ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(
        heard[0], stored,
        "a's member: every message once, in id order"
    );
    assert_eq!(
        heard[1], stored,
        "b's member: every message once, in id order"
    );
}

#[sqlx::test(migrations = false)]
async fn cluster_ids_rise_in_commit_order_with_two_nodes_writing_to_one_room(pool: PgPool) {
    let (a, b) = two_nodes(&pool).await;
    let writers = write_at_full_speed(&a, &b).await;
    // A reader resuming again and again, alternately on each node: every
    // page starts right after the last id it saw, so an id committed below
    // one already seen would be missed for good.
    let mut seen: Vec<i64> = Vec::new();
    let total = WRITERS * EACH;
    let reading = async {
        let mut turn = 0;
        while seen.len() < total {
            let app = if turn % 2 == 0 { &a } else { &b };
            turn += 1;
            let mut reader = app.ws().await;
            let after = seen.last().copied().unwrap_or(0);
            let history = reader
                .join_with(
                    json!({"type": "join", "username": "reader", "password": PASSWORD,
                    "room": "general", "since_id": after}),
                )
                .await;
            seen.extend(history.messages.iter().map(|m| m.id));
        }
    };
    tokio::time::timeout(Duration::from_secs(60), reading)
        .await
        .expect("the reader sees every message");
    for writer in writers {
        writer.await.unwrap();
    }
    let stored: Vec<i64> = sqlx::query_scalar("SELECT id FROM messages ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(seen, stored, "no gap, no duplicate, in id order");
}

#[sqlx::test(migrations = false)]
async fn cluster_dms_edits_deletes_and_typing_reach_the_other_node(pool: PgPool) {
    let (a, b) = two_nodes(&pool).await;
    let mut bob = b.joined("bob", "general").await;
    let mut alice = a.joined("alice", "general").await;

    // A DM reaches bob on the other node, who never joined its room.
    alice
        .send(json!({"type": "message", "to": "bob", "content": "psst"}))
        .await;
    let dm = alice.next_message().await;
    assert_eq!(bob.next_message().await, dm);
    assert_eq!(dm.room.as_str(), "dm:alice:bob");

    alice.send(json!({"type": "typing"})).await;
    match bob
        .recv_until(|f| matches!(f, ServerMessage::Typing(_) | ServerMessage::Message(_)))
        .await
    {
        ServerMessage::Typing(typing) => assert_eq!(
            (typing.room.as_str(), typing.username.as_str()),
            ("general", "alice")
        ),
        other => panic!("expected typing, got {other:?}"),
    }

    let typo = alice.say("see you at 10").await;
    let secret = alice.say("hunter2").await;
    assert_eq!(bob.next_message().await, typo);
    assert_eq!(bob.next_message().await, secret);
    alice
        .send(json!({"type": "edit", "id": typo.id, "content": "see you at 11"}))
        .await;
    alice.send(json!({"type": "delete", "id": secret.id})).await;
    let change =
        |f: &ServerMessage| matches!(f, ServerMessage::Edited(_) | ServerMessage::Deleted(_));
    match bob.recv_until(change).await {
        ServerMessage::Edited(edited) => assert_eq!(
            (edited.id, edited.content.as_str()),
            (typo.id, "see you at 11")
        ),
        other => panic!("expected edited, got {other:?}"),
    }
    match bob.recv_until(change).await {
        ServerMessage::Deleted(deleted) => assert_eq!(deleted.id, secret.id),
        other => panic!("expected deleted, got {other:?}"),
    }

    // Carol joins on b, whose recent history (from memory) took both.
    let history = b.ws().await.join("carol", "general").await;
    let shown: Vec<(&str, bool)> = history
        .messages
        .iter()
        .map(|m| (m.content.as_str(), m.deleted))
        .collect();
    assert_eq!(shown, [("see you at 11", false), ("", true)]);
}

#[sqlx::test(migrations = false)]
async fn cluster_a_read_marker_moved_on_one_node_reaches_the_users_devices_on_the_other(
    pool: PgPool,
) {
    let (a, b) = two_nodes(&pool).await;
    let mut laptop = a.joined("alice", "general").await;
    let mut phone = b.joined("alice", "general").await;
    let mut bob = b.joined("bob", "general").await;
    let said = bob.say("read me").await;
    assert_eq!(laptop.next_message().await, said);
    laptop
        .send(json!({"type": "read", "room": "general", "up_to": said.id}))
        .await;
    match phone
        .recv_until(|f| matches!(f, ServerMessage::Read(_)))
        .await
    {
        ServerMessage::Read(marker) => {
            assert_eq!((marker.room.as_str(), marker.up_to), ("general", said.id))
        }
        _ => unreachable!(),
    }
    // A third device on b is welcomed with the moved marker.
    let mut tablet = b.ws().await;
    tablet
        .send(json!({"type": "join", "username": "alice", "password": PASSWORD, "room": "general"}))
        .await;
    match tablet.recv().await {
        ServerMessage::Welcome(welcome) => assert_eq!(welcome.read_up_to, said.id),
        other => panic!("expected welcome, got {other:?}"),
    }
}
