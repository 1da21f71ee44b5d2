//! `edit`, `delete` and `search`: what goes to the database and what the
//! connection is told.

use sapa_protocol::{ClientKind, ErrorCode, ErrorRef, ServerMessage};
use serde_json::json;

use super::*;
use crate::persist::changes::{Applied, Change, ChangeError, change_frame};

fn applied(room: &str) -> Box<Applied> {
    let mut view = view(7, room, "fixed");
    view.edited_at = Some(OffsetDateTime::UNIX_EPOCH);
    let frame = change_frame(&view, 9);
    Box::new(Applied { view, frame })
}

#[test]
fn an_edit_goes_to_the_database_as_the_connections_user() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    alice.join("alice", "general", 1);
    let (replies, step) = alice.send(json!({"type": "edit", "id": 7, "content": "fixed"}));
    assert!(replies.is_empty());
    let Step::Run(Task::Change {
        id: 7,
        user_id: 100,
        change: Change::Edit(content),
    }) = step
    else {
        panic!("expected an edit, got {step:?}")
    };
    assert_eq!(content.as_str(), "fixed");
    let (replies, step) = alice.done(Done::Changed(Ok(applied("general"))));
    assert!(replies.is_empty(), "the room's broadcast tells this socket");
    assert!(matches!(step, Step::Idle));
}

#[test]
fn a_change_made_from_outside_the_room_is_answered_directly() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    alice.join("alice", "general", 1);
    let (_, step) = alice.send(json!({"type": "delete", "id": 7}));
    assert!(matches!(
        step,
        Step::Run(Task::Change {
            change: Change::Delete,
            ..
        })
    ));
    let (replies, _) = alice.done(Done::Changed(Ok(applied("ops"))));
    let [ServerMessage::Edited(edited)] = replies.as_slice() else {
        panic!("{replies:?}")
    };
    assert_eq!((edited.id, edited.seq), (7, 9));
}

#[test]
fn changing_someone_elses_or_an_unknown_message_is_refused() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    alice.join("alice", "general", 1);
    let cases = [
        (
            "edit",
            ChangeError::NotAuthor,
            ErrorCode::Forbidden,
            ClientKind::Edit,
        ),
        (
            "delete",
            ChangeError::NotFound,
            ErrorCode::NotFound,
            ClientKind::Delete,
        ),
        (
            "edit",
            ChangeError::Store(database_down()),
            ErrorCode::Unavailable,
            ClientKind::Edit,
        ),
    ];
    for (kind, refusal, code, ref_kind) in cases {
        alice.send(json!({"type": kind, "id": 7, "content": "x"}));
        let (replies, step) = alice.done(Done::Changed(Err(refusal)));
        assert_code(&replies, code);
        assert_eq!(error(&replies).reference, Some(ErrorRef::Frame(ref_kind)));
        assert!(matches!(step, Step::Idle));
    }
}

#[test]
fn an_edit_to_nothing_is_refused_before_the_database() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    alice.join("alice", "general", 1);
    let (replies, step) = alice.send(json!({"type": "edit", "id": 7, "content": "  "}));
    assert_code(&replies, ErrorCode::Validation);
    assert!(matches!(step, Step::Idle));
}

#[test]
fn a_search_asks_the_database_and_answers_with_the_results() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    alice.join("alice", "general", 1);
    let (_, step) = alice.send(json!({"type": "search", "q": "deploy", "room": "ops", "limit": 5}));
    let Step::Run(Task::Search {
        query,
        reader: _,
        room,
        before_id: None,
        limit: 5,
    }) = step
    else {
        panic!("expected a search, got {step:?}")
    };
    assert_eq!(query.as_str(), "deploy");
    assert_eq!(room.map(String::from).as_deref(), Some("ops"));
    let found = vec![view(12, "ops", "deploy done")];
    let (replies, _) = alice.done(Done::Found(Ok((found, true))));
    let [ServerMessage::SearchResults(results)] = replies.as_slice() else {
        panic!("{replies:?}")
    };
    assert_eq!(results.q, "deploy");
    assert_eq!(results.messages[0].id, 12);
    assert!(results.has_more);
    let (replies, _) = alice.send(json!({"type": "search", "q": " "}));
    assert_code(&replies, ErrorCode::Validation);
}
