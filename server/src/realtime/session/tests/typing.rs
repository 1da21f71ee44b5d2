//! `typing`: relayed to the others, not the sender, throttled per user and
//! room, never answered.

use sapa_protocol::{ErrorCode, ServerMessage};
use serde_json::json;

use super::*;

fn typing_frames(queued: &[String]) -> Vec<String> {
    queued
        .iter()
        .filter_map(|text| match ServerMessage::decode(text).unwrap() {
            ServerMessage::Typing(typing) => Some(format!("{} {}", typing.room, typing.username)),
            _ => None,
        })
        .collect()
}

#[test]
fn typing_reaches_the_others_once_per_window_and_never_the_sender() {
    let hub = hub();
    let (mut alice, bob) = alice_and_bob(&hub);
    bob.queued();
    let (replies, step) = alice.send(json!({"type": "typing"}));
    assert!(replies.is_empty() && matches!(step, Step::Idle));
    let (replies, _) = alice.send(json!({"type": "typing", "room": "general"}));
    assert!(replies.is_empty(), "a throttled notice is dropped silently");
    assert_eq!(typing_frames(&bob.queued()), ["general alice"]);
    assert!(typing_frames(&alice.queued()).is_empty());
}

#[test]
fn with_no_window_every_typing_is_relayed() {
    let hub = hub().with_typing_window(std::time::Duration::ZERO);
    let (mut alice, bob) = alice_and_bob(&hub);
    bob.queued();
    alice.send(json!({"type": "typing"}));
    alice.send(json!({"type": "typing"}));
    assert_eq!(typing_frames(&bob.queued()).len(), 2);
}

#[test]
fn typing_in_a_dm_reaches_the_other_person_unjoined_and_others_rooms_are_forbidden() {
    let hub = hub();
    let (mut alice, bob) = alice_and_bob(&hub);
    let mut carol = client(&hub, 3);
    carol.join("carol", "general", 1);
    bob.queued();
    alice.queued();
    alice.send(json!({"type": "typing", "room": "dm:alice:bob"}));
    assert_eq!(typing_frames(&bob.queued()), ["dm:alice:bob alice"]);
    assert!(typing_frames(&carol.queued()).is_empty());
    let (replies, _) = carol.send(json!({"type": "typing", "room": "dm:alice:bob"}));
    assert_code(&replies, ErrorCode::Forbidden);
    let (replies, _) = carol.send(json!({"type": "typing", "room": "ops"}));
    assert_code(&replies, ErrorCode::NotJoined);
}
