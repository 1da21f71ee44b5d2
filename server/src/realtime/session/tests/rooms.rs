//! `leave` and `history`, what a joined connection receives from the hub,
//! and leaving when the session ends.

use sapa_protocol::{ClientKind, ErrorCode, ErrorRef, ServerMessage};
use serde_json::json;

use super::*;

#[test]
fn leaving_confirms_to_the_leaver_and_tells_the_others() {
    let hub = Hub::new(50);
    let (alice, mut bob) = alice_and_bob(&hub);
    let (replies, step) = bob.send(json!({"type": "leave", "room": "general"}));
    assert!(matches!(step, Step::Idle));
    let [ServerMessage::Left(left)] = replies.as_slice() else {
        panic!("{replies:?}")
    };
    assert_eq!(left.username, name("bob"));
    let seen = alice.queued();
    assert!(
        seen.len() == 1 && seen[0].contains(r#""type":"left""#),
        "{seen:?}"
    );
    assert_eq!(hub.online(None), [name("alice")]);
}

#[test]
fn leaving_a_room_not_joined_is_not_joined() {
    let hub = Hub::new(50);
    let mut alice = client(&hub, 1);
    alice.join("alice", "general", 1);
    let (replies, step) = alice.send(json!({"type": "leave", "room": "ops"}));
    assert_code(&replies, ErrorCode::NotJoined);
    assert_eq!(
        error(&replies).reference,
        Some(ErrorRef::Frame(ClientKind::Leave))
    );
    assert!(matches!(step, Step::Idle));
}

#[test]
fn leave_without_a_room_leaves_every_room() {
    let hub = Hub::new(50);
    let mut alice = client(&hub, 1);
    alice.join("alice", "general", 1);
    alice.join("alice", "ops", 2);
    let (replies, _) = alice.send(json!({"type": "leave"}));
    assert_eq!(kinds(&replies), ["left", "left"]);
    assert!(hub.online(None).is_empty());
    let (replies, _) = alice.send(json!({"type": "message", "content": "anyone?"}));
    assert_code(&replies, ErrorCode::NotJoined);
}

#[test]
fn a_history_request_reads_a_page_of_the_room_and_answers_it() {
    let hub = Hub::new(50);
    let mut alice = client(&hub, 1);
    alice.join("alice", "general", 6);
    let (replies, step) = alice.send(json!({"type": "history", "before_id": 100, "limit": 20}));
    assert!(replies.is_empty());
    let Step::Run(Task::Page {
        room_id: 6,
        before_id: Some(100),
        limit: 20,
    }) = step
    else {
        panic!("expected a page read, got {step:?}")
    };
    let page = vec![view(8, "general", "older"), view(9, "general", "newer")];
    let (replies, step) = alice.done(Done::Page(Ok((page, true))));
    assert!(matches!(step, Step::Idle));
    let [ServerMessage::History(history)] = replies.as_slice() else {
        panic!("{replies:?}")
    };
    assert_eq!(history.room, RoomName::general());
    assert_eq!(history.messages.len(), 2);
    assert!(history.has_more);
}

#[test]
fn a_history_request_outside_the_rooms_joined_or_with_the_database_down_is_refused() {
    let hub = Hub::new(50);
    let mut alice = client(&hub, 1);
    alice.join("alice", "general", 6);
    let (replies, _) = alice.send(json!({"type": "history", "room": "ops"}));
    assert_code(&replies, ErrorCode::NotJoined);
    assert_eq!(
        error(&replies).reference,
        Some(ErrorRef::Frame(ClientKind::History))
    );
    let (_, step) = alice.send(json!({"type": "history"}));
    assert!(
        matches!(step, Step::Run(Task::Page { limit: 50, .. })),
        "{step:?}"
    );
    let (replies, step) = alice.done(Done::Page(Err(database_down())));
    assert_code(&replies, ErrorCode::Unavailable);
    assert_eq!(
        error(&replies).reference,
        Some(ErrorRef::Frame(ClientKind::History))
    );
    assert!(matches!(step, Step::Idle));
}

#[test]
fn an_outcome_nobody_asked_for_is_an_internal_error_not_a_panic() {
    let hub = Hub::new(50);
    let mut alice = client(&hub, 1);
    let (replies, step) = alice.done(Done::RoomId(Ok(1)));
    assert_code(&replies, ErrorCode::Internal);
    assert!(matches!(step, Step::Idle));
}

#[test]
fn messages_the_joins_history_held_are_not_delivered_again() {
    let hub = Hub::new(50);
    let mut alice = client(&hub, 1);
    alice.send(json!({"type": "join", "username": "alice", "password": "secret123"}));
    alice.done(Done::Authenticated(Ok(identity("alice", 1))));
    alice.done(Done::RoomId(Ok(1)));
    // Committed while the history was read: broadcast, then in the page too.
    hub.broadcast([&view(5, "general", "both")]);
    let page = Replayed::encode(&[view(5, "general", "both")], false);
    let (replies, _) = alice.done(Done::JoinHistory(Ok(page)));
    assert_eq!(kinds(&replies), ["welcome", "history", "presence"]);
    hub.broadcast([&view(6, "general", "after")]);
    let seen = alice.queued();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].contains(r#""id":6"#));
}

#[test]
fn a_session_that_ends_leaves_every_room() {
    let hub = Hub::new(50);
    let mut alice = client(&hub, 1);
    let mut bob = client(&hub, 2);
    alice.join("alice", "general", 1);
    bob.join("bob", "general", 1);
    alice.join("alice", "ops", 2);
    drop(alice);
    assert_eq!(hub.online(None), [name("bob")]);
    assert_eq!(hub.online_counts().len(), 1);
}
