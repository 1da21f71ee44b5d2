//! Frames as such: ping, and every way a frame can be wrong before any
//! command runs.

use sapa_protocol::{ClientKind, ErrorCode, ErrorRef, MAX_FRAME_BYTES, ServerMessage};
use serde_json::json;

use super::*;

#[test]
fn ping_is_answered_with_its_nonce_even_before_a_join() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    let (replies, step) = alice.send(json!({"type": "ping", "nonce": "n7"}));
    assert!(matches!(step, Step::Idle));
    let [ServerMessage::Pong(pong)] = replies.as_slice() else {
        panic!("{replies:?}")
    };
    assert_eq!(pong.nonce.as_deref(), Some("n7"));
}

#[test]
fn text_that_is_not_json_is_refused_and_the_session_goes_on() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    let (replies, step) = alice.text("{nope");
    assert_code(&replies, ErrorCode::InvalidJson);
    assert_eq!(error(&replies).reference, None);
    assert!(matches!(step, Step::Idle), "{step:?}");
    let (replies, _) = alice.send(json!({"type": "ping"}));
    assert_eq!(kinds(&replies), ["pong"]);
}

#[test]
fn an_unknown_type_is_refused_naming_the_type() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    let (replies, step) = alice.send(json!({"type": "dance"}));
    assert_code(&replies, ErrorCode::UnknownType);
    assert_eq!(
        error(&replies).reference,
        Some(ErrorRef::UnknownType("dance".into()))
    );
    assert!(matches!(step, Step::Idle));
}

#[test]
fn a_binary_frame_is_refused_as_not_json_text() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    let (replies, step) = alice.input(Input::Binary(12));
    assert_code(&replies, ErrorCode::InvalidJson);
    assert!(error(&replies).content.contains("binary"), "{replies:?}");
    assert!(matches!(step, Step::Idle));
}

#[test]
fn a_frame_over_the_size_limit_is_refused_and_closes_with_1009() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    let big = json!({"type": "ping", "nonce": "x".repeat(MAX_FRAME_BYTES)}).to_string();
    let (replies, step) = alice.text(&big);
    assert_code(&replies, ErrorCode::TooLarge);
    assert!(is_close(&step, Close::TOO_LARGE), "{step:?}");
    assert_eq!(Close::TOO_LARGE.code, 1009);

    // The same for binary frames, and for one too large to be read at all.
    let mut bob = client(&hub, 2);
    let (replies, step) = bob.input(Input::Binary(MAX_FRAME_BYTES + 1));
    assert_code(&replies, ErrorCode::TooLarge);
    assert!(is_close(&step, Close::TOO_LARGE), "{step:?}");
    let mut carol = client(&hub, 3);
    let (replies, step) = carol.input(Input::TooLarge(None));
    assert_code(&replies, ErrorCode::TooLarge);
    assert!(is_close(&step, Close::TOO_LARGE), "{step:?}");
}

#[test]
fn frames_before_a_join_are_not_joined_and_name_their_kind() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    let cases = [
        (
            json!({"type": "message", "content": "hi", "client_id": "c1"}),
            ClientKind::Message,
        ),
        (json!({"type": "history"}), ClientKind::History),
        (json!({"type": "leave"}), ClientKind::Leave),
    ];
    for (frame, kind) in cases {
        let (replies, step) = alice.send(frame);
        assert_code(&replies, ErrorCode::NotJoined);
        assert_eq!(error(&replies).reference, Some(ErrorRef::Frame(kind)));
        assert!(matches!(step, Step::Idle));
    }
}

#[test]
fn a_bad_field_after_the_join_is_refused_without_closing() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    alice.join("alice", "general", 1);
    let (replies, step) = alice.send(json!({"type": "message", "content": " ", "client_id": "c9"}));
    assert_code(&replies, ErrorCode::Validation);
    assert_eq!(
        error(&replies).reference,
        Some(ErrorRef::ClientId("c9".into()))
    );
    assert!(matches!(step, Step::Idle));
    let (replies, step) = alice.send(json!({"type": "join", "username": "a b"}));
    assert_code(&replies, ErrorCode::Validation);
    assert!(
        matches!(step, Step::Idle),
        "an authenticated connection stays"
    );
}
