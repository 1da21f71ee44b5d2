//! Direct messages in the session: finding the room once, who may use a
//! `dm:` room, and delivery to sockets that never joined it.

use sapa_protocol::{ErrorCode, ServerMessage};
use serde_json::json;

use super::*;
use crate::store::DirectRoom;

fn alice_and_bob_room() -> DirectRoom {
    DirectRoom {
        id: 9,
        first: name("Alice"),
        second: name("Bob"),
    }
}

#[test]
fn a_dm_finds_its_room_once_then_goes_to_the_writer_with_its_recipient() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    alice.join("Alice", "general", 1);
    let (_, step) = alice.send(json!({"type": "message", "to": "BOB", "content": "hi"}));
    let Step::Run(Task::DirectRoom(room)) = step else {
        panic!("expected a direct room look-up, got {step:?}")
    };
    assert_eq!(room.as_str(), "dm:alice:bob");
    let (replies, step) = alice.done(Done::DirectRoom(Ok(Some(alice_and_bob_room()))));
    assert!(replies.is_empty());
    let Step::Submit(message) = step else {
        panic!("expected a submit, got {step:?}")
    };
    assert_eq!((message.room_id, message.to), (9, Some(name("Bob"))));

    // The next one, by the room's name, needs no look-up.
    let (_, step) =
        alice.send(json!({"type": "message", "room": "dm:bob:alice", "content": "again"}));
    let Step::Submit(message) = step else {
        panic!("expected a submit, got {step:?}")
    };
    assert_eq!(message.room.as_str(), "dm:alice:bob");
}

#[test]
fn a_dm_to_nobody_is_not_found_and_another_pairs_room_is_forbidden() {
    let hub = hub();
    let mut carol = client(&hub, 1);
    carol.join("carol", "general", 1);
    let (_, step) = carol.send(json!({"type": "message", "to": "nobody", "content": "hi"}));
    assert!(matches!(step, Step::Run(Task::DirectRoom(_))), "{step:?}");
    let (replies, _) = carol.done(Done::DirectRoom(Ok(None)));
    assert_code(&replies, ErrorCode::NotFound);
    for frame in [
        json!({"type": "message", "room": "dm:alice:bob", "content": "hi"}),
        json!({"type": "join", "room": "dm:alice:bob"}),
        json!({"type": "history", "room": "dm:alice:bob"}),
        json!({"type": "search", "q": "hi", "room": "dm:alice:bob"}),
    ] {
        let (replies, step) = carol.send(frame.clone());
        assert_code(&replies, ErrorCode::Forbidden);
        assert!(matches!(step, Step::Idle), "{frame}: {step:?}");
    }
    let (replies, _) =
        carol.send(json!({"type": "message", "room": "general", "to": "bob", "content": "x"}));
    assert_code(&replies, ErrorCode::Validation);
}

#[test]
fn a_dm_reaches_every_socket_of_both_people_joined_to_it_or_not() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    let mut bob_one = client(&hub, 2);
    let mut bob_two = client(&hub, 3);
    let mut carol = client(&hub, 4);
    alice.join("alice", "general", 1);
    bob_one.join("bob", "general", 1);
    bob_two.join("bob", "ops", 2);
    carol.join("carol", "general", 1);
    for socket in [&alice, &bob_one, &bob_two, &carol] {
        socket.queued();
    }
    let mut dm = view(7, "dm:alice:bob", "psst");
    dm.to = Some(name("bob"));
    hub.broadcast([&dm]);
    for socket in [&alice, &bob_one, &bob_two] {
        let queued = socket.queued();
        assert_eq!(queued.len(), 1, "{queued:?}");
        let ServerMessage::Message(got) = ServerMessage::decode(&queued[0]).unwrap() else {
            panic!("{queued:?}")
        };
        assert_eq!(got.id, 7);
    }
    assert!(carol.queued().is_empty());
}
