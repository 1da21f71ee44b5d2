//! Read markers as users meet them: read on one device, the other device
//! hears it; `GET /conversations` shows what is new; a marker never moves
//! back; `welcome.read_up_to` tells a new connection where it was.

use sapa_protocol::{ReadMarker, ServerMessage, rest::Conversation};
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{Client, TestApp, spawn_app};

async fn next_read(client: &mut Client) -> ReadMarker {
    match client
        .recv_until(|f| matches!(f, ServerMessage::Read(_) | ServerMessage::Message(_)))
        .await
    {
        ServerMessage::Read(marker) => marker,
        other => panic!("expected a read marker, got {other:?}"),
    }
}

async fn conversations(app: &TestApp, token: &str) -> Vec<(String, i64, i64, i64)> {
    let response = app.get("/conversations", token).await;
    assert_eq!(response.status(), 200);
    let list: Vec<Conversation> = response.json().await.unwrap();
    list.into_iter()
        .map(|c| (c.room.to_string(), c.last_id, c.read_up_to, c.unread))
        .collect()
}

#[sqlx::test(migrations = false)]
async fn a_read_on_one_device_reaches_the_other_and_conversations_count_what_is_new(pool: PgPool) {
    let app = spawn_app(pool).await;
    let token = app.register("alice").await;
    let mut laptop = app.joined("alice", "general").await;
    let mut phone = app.joined("alice", "general").await;
    let mut bob = app.joined("bob", "general").await;
    bob.join("bob", "random").await;
    let first = bob.say("one").await;
    let second = bob.say("two").await;
    laptop.next_message().await;
    laptop.next_message().await;
    phone.next_message().await;
    phone.next_message().await;

    // Beyond the newest id counts as the newest; the phone hears it, the
    // laptop (which sent it) does not.
    laptop
        .send(json!({"type": "read", "room": "general", "up_to": second.id + 100}))
        .await;
    let heard = next_read(&mut phone).await;
    assert_eq!((heard.room.as_str(), heard.up_to), ("general", second.id));

    // Bob writes in random, which alice marked up to nothing yet.
    bob.send(json!({"type": "message", "room": "random", "content": "in random"}))
        .await;
    let in_random = bob.next_message().await;
    let response = app
        .http
        .put(app.url("/conversations/random/read"))
        .bearer_auth(&token)
        .json(&json!({"up_to": first.id}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    for socket in [&mut laptop, &mut phone] {
        assert_eq!(next_read(socket).await.room.as_str(), "random");
    }
    assert_eq!(
        conversations(&app, &token).await,
        [
            ("general".to_owned(), second.id, second.id, 0),
            ("random".to_owned(), in_random.id, first.id, 1),
        ]
    );

    // Backwards changes nothing and is not echoed: the next frame the phone
    // sees is the forward move after it.
    laptop
        .send(json!({"type": "read", "room": "general", "up_to": first.id}))
        .await;
    laptop
        .send(json!({"type": "read", "room": "random", "up_to": in_random.id}))
        .await;
    let heard = next_read(&mut phone).await;
    assert_eq!((heard.room.as_str(), heard.up_to), ("random", in_random.id));
    let listed = conversations(&app, &token).await;
    assert_eq!(listed[0].2, second.id, "the marker did not move back");
    assert_eq!(listed[1].3, 0);

    // A new connection is told where it was.
    let mut tablet = app.ws().await;
    tablet
        .send(json!({"type": "join", "token": token, "room": "random"}))
        .await;
    let ServerMessage::Welcome(welcome) = tablet.recv().await else {
        panic!("no welcome")
    };
    assert_eq!(welcome.read_up_to, in_random.id);
}

#[sqlx::test(migrations = false)]
async fn a_dm_is_listed_with_its_unread_count_and_others_cannot_mark_it(pool: PgPool) {
    let app = spawn_app(pool).await;
    let bob_token = app.register("bob").await;
    let carol_token = app.register("carol").await;
    let mut alice = app.joined("alice", "general").await;
    alice
        .send(json!({"type": "message", "to": "bob", "content": "hi bob"}))
        .await;
    let dm = alice.next_message().await;
    assert_eq!(
        conversations(&app, &bob_token).await,
        [("dm:alice:bob".to_owned(), dm.id, 0, 1)]
    );
    let response = app
        .http
        .put(app.url("/conversations/dm:alice:bob/read"))
        .bearer_auth(&carol_token)
        .json(&json!({"up_to": dm.id}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let response = app
        .http
        .put(app.url("/conversations/nowhere/read"))
        .bearer_auth(&bob_token)
        .json(&json!({"up_to": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}
