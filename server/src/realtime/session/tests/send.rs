//! `message`: what goes to the writer, what is refused, and how the
//! writer's answers are told.

use sapa_protocol::{ClientKind, ErrorCode, ErrorRef, ServerMessage};
use serde_json::json;

use super::*;
use crate::{persist::WriteError, realtime::limits::ABUSE_LIMIT, store::StoredMessage};

#[test]
fn a_message_goes_to_the_writer_as_the_connections_user_in_its_room() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    alice.join("alice", "general", 4);
    let (replies, step) =
        alice.send(json!({"type": "message", "content": " hi ", "client_id": "c1"}));
    assert!(replies.is_empty(), "the broadcast answers, later");
    let Step::Submit(message) = step else {
        panic!("expected a submit, got {step:?}")
    };
    assert_eq!(message.room_id, 4);
    assert_eq!(message.room, RoomName::general());
    assert_eq!(message.user_id, 400);
    assert_eq!(message.username, name("alice"));
    assert_eq!(message.content.as_str(), " hi ", "stored as sent");
    assert_eq!(message.client_id.map(String::from).as_deref(), Some("c1"));
}

#[test]
fn a_message_names_its_room_or_goes_to_the_first_joined() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    alice.join("alice", "general", 1);
    alice.join("alice", "ops", 2);
    let room_of = |step: Step| match step {
        Step::Submit(message) => message.room_id,
        other => panic!("{other:?}"),
    };
    let (_, step) = alice.send(json!({"type": "message", "content": "a"}));
    assert_eq!(room_of(step), 1);
    let (_, step) = alice.send(json!({"type": "message", "content": "b", "room": "ops"}));
    assert_eq!(room_of(step), 2);
    let (replies, step) =
        alice.send(json!({"type": "message", "content": "c", "room": "elsewhere"}));
    assert_code(&replies, ErrorCode::NotJoined);
    assert_eq!(
        error(&replies).reference,
        Some(ErrorRef::Frame(ClientKind::Message))
    );
    assert!(matches!(step, Step::Idle));
}

#[test]
fn sending_as_someone_else_is_forbidden_naming_the_client_id() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    alice.join("alice", "general", 1);
    let (replies, step) = alice
        .send(json!({"type": "message", "content": "hi", "username": "bob", "client_id": "fake"}));
    assert_code(&replies, ErrorCode::Forbidden);
    assert_eq!(
        error(&replies).reference,
        Some(ErrorRef::ClientId("fake".into()))
    );
    assert!(matches!(step, Step::Idle));
    let (_, step) = alice.send(json!({"type": "message", "content": "hi", "username": "ALICE"}));
    assert!(
        matches!(step, Step::Submit(_)),
        "one's own name in any case"
    );
}

#[test]
fn a_sender_over_the_rate_is_refused_and_closed_when_it_keeps_on() {
    let hub = hub();
    let slow = Settings {
        messages_per_second: 1,
    };
    let mut alice = client_with(&hub, 1, slow, None);
    alice.join("alice", "general", 1);
    let mut send = |n: u32| {
        alice.send(json!({"type": "message", "content": "x", "client_id": format!("c{n}")}))
    };
    // A burst of twice the rate passes.
    assert!(matches!(send(0).1, Step::Submit(_)));
    assert!(matches!(send(1).1, Step::Submit(_)));
    let (replies, step) = send(2);
    assert_code(&replies, ErrorCode::RateLimited);
    assert_eq!(
        error(&replies).retry_after,
        Some(1),
        "told when to try again"
    );
    assert_eq!(
        error(&replies).reference,
        Some(ErrorRef::ClientId("c2".into()))
    );
    assert!(matches!(step, Step::Idle));
    for n in 3..=ABUSE_LIMIT + 1 {
        let (replies, step) = send(n);
        assert_code(&replies, ErrorCode::RateLimited);
        assert!(matches!(step, Step::Idle), "refusal {n}");
    }
    let (replies, step) = send(ABUSE_LIMIT + 2);
    assert_code(&replies, ErrorCode::RateLimited);
    assert!(is_close(&step, Close::ABUSE), "{step:?}");
}

fn stored(id: i64, fresh: bool) -> StoredMessage {
    let mut view = view(id, "general", "hello");
    view.client_id = Some("c1".parse().unwrap());
    StoredMessage { view, fresh }
}

#[test]
fn a_fresh_message_needs_no_answer_and_a_retry_gets_the_original() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    alice.join("alice", "general", 1);
    let client_id = Some("c1".parse().unwrap());
    let (replies, step) = alice.input(Input::Stored {
        client_id: client_id.clone(),
        result: Ok(stored(7, true)),
    });
    assert!(
        replies.is_empty(),
        "the broadcast tells everyone, sender too"
    );
    assert!(matches!(step, Step::Idle));
    let (replies, _) = alice.input(Input::Stored {
        client_id,
        result: Ok(stored(7, false)),
    });
    let [ServerMessage::Message(original)] = replies.as_slice() else {
        panic!("{replies:?}")
    };
    assert_eq!(original.id, 7);
}

#[test]
fn a_message_the_writer_could_not_store_is_told_with_its_client_id() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    alice.join("alice", "general", 1);
    for (failure, code) in [
        (WriteError::Unavailable, ErrorCode::Unavailable),
        (WriteError::Internal, ErrorCode::Internal),
    ] {
        let (replies, step) = alice.input(Input::Stored {
            client_id: Some("c-down".parse().unwrap()),
            result: Err(failure),
        });
        assert_code(&replies, code);
        assert_eq!(
            error(&replies).reference,
            Some(ErrorRef::ClientId("c-down".into()))
        );
        assert!(matches!(step, Step::Idle), "the connection stays");
    }
}
