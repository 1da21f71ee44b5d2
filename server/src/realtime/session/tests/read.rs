//! `read`: the user's marker, moved through the store, never answered to
//! the sender; refused for another pair's DM and for an unknown room.

use sapa_protocol::ErrorCode;
use serde_json::json;

use super::*;
use crate::store::Marked;

#[test]
fn a_read_asks_the_store_as_the_user_and_answers_nothing_when_it_moves_or_not() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    alice.join("alice", "general", 1);
    let (replies, step) = alice.send(json!({"type": "read", "room": "ops", "up_to": 9}));
    assert!(replies.is_empty());
    let Step::Run(Task::MarkRead {
        who,
        room,
        up_to,
        conn,
    }) = step
    else {
        panic!("expected a marker move, got {step:?}")
    };
    assert_eq!(
        (who.user_id, room.as_str(), up_to, conn),
        (100, "ops", 9, 1)
    );
    for outcome in [Marked::Moved(9), Marked::Unchanged] {
        alice.send(json!({"type": "read", "room": "ops", "up_to": 9}));
        let (replies, step) = alice.done(Done::Marked(Ok(outcome)));
        assert!(replies.is_empty() && matches!(step, Step::Idle));
    }
    alice.send(json!({"type": "read", "room": "nowhere", "up_to": 9}));
    let (replies, _) = alice.done(Done::Marked(Ok(Marked::UnknownRoom)));
    assert_code(&replies, ErrorCode::NotFound);
}

#[test]
fn a_read_needs_a_room_and_another_pairs_dm_is_forbidden() {
    let hub = hub();
    let mut carol = client(&hub, 1);
    carol.join("carol", "general", 1);
    let (replies, _) = carol.send(json!({"type": "read", "up_to": 9}));
    assert_code(&replies, ErrorCode::Validation);
    let (replies, _) = carol.send(json!({"type": "read", "room": "dm:alice:bob", "up_to": 9}));
    assert_code(&replies, ErrorCode::Forbidden);
}

#[test]
fn a_welcome_tells_the_marker_the_hub_holds_for_the_user() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    alice.join("alice", "general", 1);
    let room = RoomName::general();
    hub.marked(&name("alice"), &room, 41, None);
    let replies = alice.join("alice", "general", 1);
    let ServerMessage::Welcome(welcome) = &replies[0] else {
        panic!("{replies:?}")
    };
    assert_eq!(welcome.read_up_to, 41);
    hub.marked(&name("alice"), &room, 7, None);
    assert_eq!(hub.read_up_to(&name("ALICE"), &room), 41, "never back");
}
