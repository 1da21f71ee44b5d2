//! `leave` and `history`, what a joined connection receives from the hub,
//! and leaving when the session ends.

use sapa_protocol::{ClientKind, ErrorCode, ErrorRef, ServerMessage};
use serde_json::json;

use super::*;

#[test]
fn leaving_confirms_to_the_leaver_and_tells_the_others() {
    let hub = hub();
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
    let hub = hub();
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
    let hub = hub();
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
    let hub = hub();
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
    let hub = hub();
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
    let hub = hub();
    let mut alice = client(&hub, 1);
    let (replies, step) = alice.done(Done::RoomId(Ok(Some(1))));
    assert_code(&replies, ErrorCode::Internal);
    assert!(matches!(step, Step::Idle));
}

#[test]
fn messages_the_joins_history_held_are_not_delivered_again() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    alice.send(json!({"type": "join", "username": "alice", "password": "secret123"}));
    alice.authenticated(identity("alice", 1));
    alice.done(Done::RoomId(Ok(Some(1))));
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
    let hub = hub();
    let mut alice = client(&hub, 1);
    let mut bob = client(&hub, 2);
    alice.join("alice", "general", 1);
    bob.join("bob", "general", 1);
    alice.join("alice", "ops", 2);
    drop(alice);
    assert_eq!(hub.online(None), [name("bob")]);
    assert_eq!(hub.online_counts().len(), 1);
}

#[test]
fn who_pages_the_member_list_of_a_joined_room() {
    let hub = hub();
    let (mut alice, _bob) = alice_and_bob(&hub);
    let (replies, step) = alice.send(json!({"type": "who"}));
    assert!(matches!(step, Step::Idle));
    let [ServerMessage::Who(page)] = replies.as_slice() else {
        panic!("{replies:?}")
    };
    assert_eq!(page.room, RoomName::general());
    assert_eq!(page.users, [name("alice"), name("bob")]);
    assert_eq!(page.next, None);
    let (replies, _) = alice.send(json!({"type": "who", "after": "alice"}));
    let [ServerMessage::Who(page)] = replies.as_slice() else {
        panic!("{replies:?}")
    };
    assert_eq!(page.users, [name("bob")]);
    let (replies, _) = alice.send(json!({"type": "who", "room": "ops"}));
    assert_code(&replies, ErrorCode::NotJoined);
    assert_eq!(
        error(&replies).reference,
        Some(ErrorRef::Frame(ClientKind::Who))
    );
}

#[test]
fn in_a_big_room_a_newcomer_hears_the_count_and_the_others_no_joined() {
    let hub = Hub::new(50, 2);
    let (alice, mut bob) = alice_and_bob(&hub);
    let mut carol = client(&hub, 3);
    let replies = carol.join("carol", "general", 1);
    let ServerMessage::Presence(presence) = &replies[2] else {
        panic!("{replies:?}")
    };
    assert!(presence.users.is_empty(), "no list above the big-room size");
    assert_eq!(presence.count, Some(3));
    assert!(alice.queued().is_empty(), "no joined in a big room");
    hub.tell_counts();
    let seen = alice.queued();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].contains(r#""count":3"#), "{seen:?}");
    assert!(bob.queued()[0].contains(r#""count":3"#));
    hub.tell_counts();
    assert!(alice.queued().is_empty(), "the count did not change");
    let (replies, _) = bob.send(json!({"type": "who"}));
    let [ServerMessage::Who(page)] = replies.as_slice() else {
        panic!("{replies:?}")
    };
    assert_eq!(page.users.len(), 3, "who still lists everyone");
}

#[test]
fn a_join_that_does_not_announce_is_neither_heard_nor_listed_but_hears_the_room() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    alice.join("alice", "general", 1);
    let mut bot = client(&hub, 2);
    let (_, step) = bot.send(
        json!({"type": "join", "username": "bot", "password": "secret123", "announce": false}),
    );
    let replies = bot.finish_join(step, 1);
    let ServerMessage::Presence(presence) = &replies[2] else {
        panic!("{replies:?}")
    };
    assert_eq!(presence.users, [name("alice")], "the bot is not listed");
    hub.wake_due();
    assert!(alice.queued().is_empty(), "no joined for the bot");
    hub.broadcast([&view(9, "general", "deployed")]);
    assert_eq!(bot.queued().len(), 1, "the bot hears the room");
    bot.send(json!({"type": "leave"}));
    alice.queued();
    hub.wake_due();
    assert!(alice.queued().is_empty(), "no left for the bot");
    assert_eq!(hub.online(None), [name("alice")]);
}
