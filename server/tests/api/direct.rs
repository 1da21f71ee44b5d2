//! Direct messages as users meet them: delivered to every socket of both
//! people whether or not they joined the `dm:` room, and closed to
//! everyone else (join, history, search, REST).

use sapa_protocol::{ErrorCode, ServerMessage};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{Client, spawn_app};

/// The next `search_results` frame's contents, or the error's code.
async fn search(client: &mut Client, frame: Value) -> Result<Vec<String>, ErrorCode> {
    client.send(frame).await;
    match client
        .recv_until(|f| matches!(f, ServerMessage::SearchResults(_) | ServerMessage::Error(_)))
        .await
    {
        ServerMessage::SearchResults(results) => Ok(results
            .messages
            .iter()
            .map(|m| m.content.as_str().to_owned())
            .collect()),
        ServerMessage::Error(error) => Err(error.code),
        _ => unreachable!(),
    }
}

#[sqlx::test(migrations = false)]
async fn a_dm_reaches_both_sockets_of_its_recipient_and_no_one_else_may_read_it(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut alice = app.joined("alice", "general").await;
    let mut bob_laptop = app.joined("Bob", "general").await;
    let mut bob_phone = app.joined("bob", "random").await;
    let mut carol = app.joined("carol", "general").await;

    alice
        .send(json!({"type": "message", "to": "BOB", "content": "psst, bob"}))
        .await;
    for socket in [&mut bob_laptop, &mut bob_phone, &mut alice] {
        let view = socket.next_message().await;
        assert_eq!(view.room.as_str(), "dm:alice:bob");
        assert_eq!(view.to.as_ref().map(|to| to.as_str()), Some("Bob"));
        assert_eq!(view.content.as_str(), "psst, bob");
    }
    // Bob answers into the room by name, never having joined it.
    bob_phone
        .send(json!({"type": "message", "room": "dm:bob:alice", "content": "hi alice"}))
        .await;
    let answer = alice.next_message().await;
    assert_eq!(answer.to.as_ref().map(|to| to.as_str()), Some("alice"));
    assert_eq!(bob_laptop.next_message().await.id, answer.id);

    // Carol may not join, read or search it.
    carol
        .send(json!({"type": "join", "room": "dm:alice:bob"}))
        .await;
    assert_eq!(carol.next_error().await.code, ErrorCode::Forbidden);
    carol
        .send(json!({"type": "history", "room": "dm:alice:bob"}))
        .await;
    assert_eq!(carol.next_error().await.code, ErrorCode::Forbidden);
    let room_search = json!({"type": "search", "q": "alice", "room": "dm:alice:bob"});
    assert_eq!(
        search(&mut carol, room_search.clone()).await,
        Err(ErrorCode::Forbidden)
    );
    let everywhere = json!({"type": "search", "q": "psst"});
    assert_eq!(search(&mut carol, everywhere.clone()).await, Ok(vec![]));
    assert_eq!(
        search(&mut alice, everywhere).await,
        Ok(vec!["psst, bob".to_owned()]),
        "a participant finds it"
    );
    let carol_token = app.register("carol2").await;
    let response = app.get("/messages?room=dm:alice:bob", &carol_token).await;
    assert_eq!(response.status(), 403);

    // Alice may join it: its history holds both messages, with `to`.
    let history = alice
        .join_with(json!({"type": "join", "room": "dm:alice:bob"}))
        .await;
    let shown: Vec<(&str, Option<&str>)> = history
        .messages
        .iter()
        .map(|m| (m.content.as_str(), m.to.as_ref().map(|to| to.as_str())))
        .collect();
    assert_eq!(
        shown,
        [("psst, bob", Some("Bob")), ("hi alice", Some("alice"))]
    );
}

#[sqlx::test(migrations = false)]
async fn a_dm_to_a_name_nobody_has_is_not_found_and_room_with_to_is_invalid(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut alice = app.joined("alice", "general").await;
    alice
        .send(json!({"type": "message", "to": "nobody", "content": "hello?"}))
        .await;
    assert_eq!(alice.next_error().await.code, ErrorCode::NotFound);
    alice
        .send(json!({"type": "message", "to": "alice", "room": "general", "content": "x"}))
        .await;
    assert_eq!(alice.next_error().await.code, ErrorCode::Validation);
    assert_eq!(app.message_count().await, 0);
}

#[sqlx::test(migrations = false)]
async fn a_note_to_oneself_arrives_once_on_each_of_ones_sockets(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut one = app.joined("alice", "general").await;
    let mut two = app.joined("alice", "general").await;
    one.send(json!({"type": "message", "to": "alice", "content": "remember the milk"}))
        .await;
    let first = one.next_message().await;
    assert_eq!(first.room.as_str(), "dm:alice:alice");
    assert_eq!(two.next_message().await.id, first.id);
    // Nothing else follows on either socket: a ping's pong comes next.
    for socket in [&mut one, &mut two] {
        socket.send(json!({"type": "ping", "nonce": "n"})).await;
        let next = socket
            .recv_until(|f| matches!(f, ServerMessage::Message(_) | ServerMessage::Pong(_)))
            .await;
        assert!(matches!(next, ServerMessage::Pong(_)), "{next:?}");
    }
}

#[sqlx::test(migrations = false)]
async fn a_dm_over_rest_is_delivered_and_edits_reach_both_people(pool: PgPool) {
    let app = spawn_app(pool).await;
    let token = app.register("alice").await;
    let mut bob = app.joined("bob", "general").await;
    let response = app
        .http
        .post(app.url("/messages"))
        .bearer_auth(&token)
        .json(&json!({"content": "over rest", "to": "bob"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let view = bob.next_message().await;
    assert_eq!(view.room.as_str(), "dm:alice:bob");
    let mut alice = app.joined("alice", "general").await;
    let edit = app
        .http
        .patch(app.url(&format!("/messages/{}", view.id)))
        .bearer_auth(&token)
        .json(&json!({"content": "over rest, fixed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(edit.status(), 200);
    for socket in [&mut bob, &mut alice] {
        let edited = socket
            .recv_until(|f| matches!(f, ServerMessage::Edited(_)))
            .await;
        let ServerMessage::Edited(edited) = edited else {
            unreachable!()
        };
        assert_eq!(edited.id, view.id);
    }
    for (body, status) in [
        (json!({"content": "x", "to": "nobody"}), 404),
        (json!({"content": "x", "to": "bob", "room": "general"}), 422),
        (json!({"content": "x", "room": "dm:bob:carol"}), 403),
    ] {
        let response = app
            .http
            .post(app.url("/messages"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{body}");
    }
}
