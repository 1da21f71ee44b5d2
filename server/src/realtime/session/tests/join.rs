//! `join`: authentication, finding the room, history from memory or the
//! database, and every way a join can fail.

use sapa_protocol::{ClientKind, ErrorCode, ErrorRef, ServerMessage};
use serde_json::json;

use super::*;
use crate::{
    accounts::AuthError,
    chat::Replay,
    realtime::session::{Credential, Task},
};

fn join_ref() -> Option<ErrorRef> {
    Some(ErrorRef::Frame(ClientKind::Join))
}

#[test]
fn a_password_join_authenticates_finds_the_room_reads_history_and_answers() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    let (_, step) =
        alice.send(json!({"type": "join", "username": "alice", "password": "secret123"}));
    let Step::Run(Task::Authenticate(Credential::Password { username, password })) = step else {
        panic!("expected a password check, got {step:?}")
    };
    assert_eq!(
        (username.as_str(), password.expose()),
        ("alice", "secret123")
    );
    let (replies, step) = alice.authenticated(identity("Alice", 1));
    assert!(replies.is_empty());
    let Step::Run(Task::RoomId(room)) = step else {
        panic!("expected a room look-up, got {step:?}")
    };
    assert_eq!(room, RoomName::general(), "the default room");
    let (_, step) = alice.done(Done::RoomId(Ok(Some(3))));
    let Step::Run(Task::JoinHistory { room_id: 3, replay }) = step else {
        panic!("expected a history read, got {step:?}")
    };
    assert_eq!(replay, Replay::Latest);
    let page = Replayed::encode(&[view(5, "general", "earlier")], false);
    let (replies, step) = alice.done(Done::JoinHistory(Ok(page)));
    assert!(matches!(step, Step::Idle));
    assert_eq!(kinds(&replies), ["welcome", "history", "presence"]);
    let ServerMessage::Welcome(welcome) = &replies[0] else {
        unreachable!()
    };
    assert_eq!(
        welcome.username.as_str(),
        "Alice",
        "the registered spelling"
    );
    assert_eq!(welcome.content, "Welcome Alice!");
    let ServerMessage::History(history) = &replies[1] else {
        unreachable!()
    };
    assert_eq!(history.messages[0].content.as_str(), "earlier");
    assert_eq!(alice.session.identity().map(|i| i.user_id), Some(1));
    assert_eq!(hub.online(None), [name("Alice")]);
}

#[test]
fn a_join_without_password_or_token_is_unauthorized_and_closes() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    let (replies, step) = alice.send(json!({"type": "join", "username": "alice"}));
    assert_code(&replies, ErrorCode::Unauthorized);
    assert_eq!(error(&replies).reference, join_ref());
    assert!(is_close(&step, Close::AUTH_FAILED));
}

#[test]
fn a_first_join_with_a_bad_field_is_refused_and_closes() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    let (replies, step) =
        alice.send(json!({"type": "join", "username": "no spaces", "password": "x"}));
    assert_code(&replies, ErrorCode::Validation);
    assert_eq!(error(&replies).reference, join_ref());
    assert!(is_close(&step, Close::AUTH_FAILED));
}

#[test]
fn a_refused_credential_or_a_database_down_at_login_closes_the_connection() {
    let cases = [
        (
            AuthError::Denied("wrong username or password"),
            ErrorCode::Unauthorized,
        ),
        (
            AuthError::Invalid("password too short".into()),
            ErrorCode::Validation,
        ),
        (AuthError::Store(database_down()), ErrorCode::Unavailable),
    ];
    for (refusal, code) in cases {
        let hub = hub();
        let mut alice = client(&hub, 1);
        alice.send(json!({"type": "join", "username": "alice", "password": "secret123"}));
        let (replies, step) = alice.done(Done::Authenticated(Err(refusal)));
        assert_code(&replies, code);
        assert_eq!(error(&replies).reference, join_ref());
        assert!(is_close(&step, Close::AUTH_FAILED), "{code}");
        assert!(alice.session.identity().is_none());
    }
}

#[test]
fn a_token_of_another_user_is_unauthorized_and_closes() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    let (_, step) = alice.send(json!({"type": "join", "username": "alice", "token": "t0k"}));
    let Step::Run(Task::Authenticate(Credential::Token(token))) = step else {
        panic!("expected a token check, got {step:?}")
    };
    assert_eq!(token.expose(), "t0k");
    let (replies, step) = alice.authenticated(identity("mallory", 9));
    assert_code(&replies, ErrorCode::Unauthorized);
    assert!(
        error(&replies).content.contains("another user"),
        "{replies:?}"
    );
    assert!(is_close(&step, Close::AUTH_FAILED));
}

#[test]
fn a_token_join_without_a_username_is_the_tokens_user() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    let (_, step) = alice.send(json!({"type": "join", "token": "t0k"}));
    let Step::Run(Task::Authenticate(Credential::Token(_))) = step else {
        panic!("expected a token check, got {step:?}")
    };
    let (_, step) = alice.authenticated(identity("Alice", 1));
    let replies = alice.finish_join(step, 1);
    assert_eq!(kinds(&replies), ["welcome", "history", "presence"]);
    let ServerMessage::Welcome(welcome) = &replies[0] else {
        unreachable!()
    };
    assert_eq!(welcome.username.as_str(), "Alice");
}

#[test]
fn a_token_join_naming_its_user_in_another_case_is_welcomed() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    let (_, step) = alice.send(json!({"type": "join", "username": "ALICE", "token": "t0k"}));
    let (_, step) = match step {
        Step::Run(Task::Authenticate(_)) => alice.authenticated(identity("alice", 1)),
        other => panic!("expected a token check, got {other:?}"),
    };
    let replies = alice.finish_join(step, 1);
    assert_eq!(kinds(&replies), ["welcome", "history", "presence"]);
}

#[test]
fn a_password_join_without_a_username_is_refused_and_closes() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    let (replies, step) = alice.send(json!({"type": "join", "password": "secret123"}));
    assert_code(&replies, ErrorCode::Validation);
    assert_eq!(error(&replies).reference, join_ref());
    assert!(is_close(&step, Close::AUTH_FAILED));
}

#[test]
fn the_upgrade_token_logs_in_a_join_that_brings_no_credential() {
    let hub = hub();
    let mut alice = client_with(&hub, 1, SETTINGS, Some("from-query"));
    let (_, step) = alice.send(json!({"type": "join", "username": "alice"}));
    let Step::Run(Task::Authenticate(Credential::Token(token))) = step else {
        panic!("expected a token check, got {step:?}")
    };
    assert_eq!(token.expose(), "from-query");
    let (_, step) = alice.authenticated(identity("alice", 1));
    let replies = alice.finish_join(step, 1);
    assert_eq!(kinds(&replies), ["welcome", "history", "presence"]);
}

#[test]
fn joining_as_someone_else_later_is_forbidden_and_the_session_goes_on() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    alice.join("alice", "general", 1);
    let (replies, step) = alice.send(json!({"type": "join", "username": "bob", "room": "ops"}));
    assert_code(&replies, ErrorCode::Forbidden);
    assert_eq!(error(&replies).reference, join_ref());
    assert!(matches!(step, Step::Idle));
    let (replies, _) = alice.send(json!({"type": "join", "username": "ALICE", "room": "ops"}));
    assert!(
        replies.is_empty(),
        "the same account in another case may join"
    );
}

#[test]
fn a_room_the_hub_knows_needs_no_look_up_and_its_history_comes_from_memory() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    alice.join("alice", "general", 4);
    let mut bob = client(&hub, 2);
    bob.send(json!({"type": "join", "username": "bob", "password": "secret123"}));
    let (replies, step) = bob.authenticated(identity("bob", 2));
    assert!(matches!(step, Step::Idle), "no task: {step:?}");
    assert_eq!(kinds(&replies), ["welcome", "history", "presence"]);
    let ServerMessage::Presence(presence) = &replies[2] else {
        unreachable!()
    };
    assert_eq!(presence.users, [name("alice"), name("bob")]);
    hub.wake_due();
    assert!(alice.queued()[0].contains(r#""type":"joined""#));
}

#[test]
fn joining_a_room_again_replays_it_without_telling_the_others() {
    let hub = hub();
    let (alice, mut bob) = alice_and_bob(&hub);
    let (replies, step) = bob.send(json!({"type": "join", "username": "bob", "since_id": 0}));
    assert!(matches!(step, Step::Idle), "answered from memory: {step:?}");
    assert_eq!(kinds(&replies), ["welcome", "history", "presence"]);
    assert!(alice.queued().is_empty(), "no second joined");
}

#[test]
fn a_room_look_up_that_fails_is_unavailable_and_the_session_goes_on() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    alice.send(json!({"type": "join", "username": "alice", "password": "secret123"}));
    alice.authenticated(identity("alice", 1));
    let (replies, step) = alice.done(Done::RoomId(Err(database_down())));
    assert_code(&replies, ErrorCode::Unavailable);
    assert_eq!(error(&replies).reference, join_ref());
    assert!(
        matches!(step, Step::Idle),
        "authenticated: the connection stays"
    );
    assert!(hub.online(None).is_empty());
}

#[test]
fn a_history_read_that_fails_leaves_the_room_again() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    alice.send(json!({"type": "join", "username": "alice", "password": "secret123"}));
    alice.authenticated(identity("alice", 1));
    alice.done(Done::RoomId(Ok(Some(1))));
    assert_eq!(hub.online(None).len(), 1, "registered before reading");
    let (replies, step) = alice.done(Done::JoinHistory(Err(database_down())));
    assert_code(&replies, ErrorCode::Unavailable);
    assert!(matches!(step, Step::Idle));
    assert!(hub.online(None).is_empty(), "a join that failed is no join");
}

#[test]
fn a_resume_asks_for_everything_after_since_id() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    alice.send(
        json!({"type": "join", "username": "alice", "password": "secret123", "since_id": 41}),
    );
    let (_, step) = alice.authenticated(identity("alice", 1));
    let (_, step) = match step {
        Step::Run(Task::RoomId(_)) => alice.done(Done::RoomId(Ok(Some(1)))),
        other => panic!("{other:?}"),
    };
    assert!(
        matches!(
            step,
            Step::Run(Task::JoinHistory {
                replay: Replay::After(41),
                ..
            })
        ),
        "{step:?}"
    );
    // Then the changes made since to the messages it holds, replayed after
    // the history and before presence.
    let page = Replayed::encode(&[view(42, "general", "new")], false);
    let (replies, step) = alice.done(Done::JoinHistory(Ok(page)));
    assert!(replies.is_empty());
    assert!(
        matches!(
            step,
            Step::Run(Task::Changes {
                room_id: 1,
                since: 41
            })
        ),
        "{step:?}"
    );
    let mut edited = view(40, "general", "fixed");
    edited.edited_at = Some(time::OffsetDateTime::UNIX_EPOCH);
    let mut gone = view(39, "general", "x");
    gone.content = sapa_protocol::MessageText::erased();
    gone.deleted = true;
    let (replies, step) = alice.done(Done::Changes(Ok(vec![(edited, 43), (gone, 44)])));
    assert!(matches!(step, Step::Idle));
    assert_eq!(
        kinds(&replies),
        ["welcome", "history", "edited", "deleted", "presence"]
    );
}

#[test]
fn a_rejoin_of_a_room_already_joined_replays_no_changes() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    alice.join("alice", "general", 1);
    let (replies, step) = alice.send(json!({"type": "join", "username": "alice", "since_id": 0}));
    assert!(matches!(step, Step::Idle), "served from memory: {step:?}");
    assert_eq!(kinds(&replies), ["welcome", "history", "presence"]);
}

#[test]
fn every_welcome_announces_the_connections_limits_and_zero_for_one_turned_off() {
    let hub = hub();
    let mut alice = client(&hub, 1);
    let replies = alice.join("alice", "general", 1);
    let ServerMessage::Welcome(welcome) = &replies[0] else {
        panic!("expected welcome, got {replies:?}")
    };
    let limits = welcome.limits;
    assert_eq!(
        (limits.max_content_chars, limits.max_frame_bytes),
        (4000, 65536)
    );
    assert_eq!((limits.messages_per_second, limits.burst), (1000, 2000));
    assert_eq!(limits.history_page_max, 100);

    let unlimited = Settings {
        messages_per_second: 0,
    };
    let mut bot = client_with(&hub, 2, unlimited, None);
    let replies = bot.join("bot", "general", 1);
    let ServerMessage::Welcome(welcome) = &replies[0] else {
        panic!("expected welcome, got {replies:?}")
    };
    assert_eq!(
        (welcome.limits.messages_per_second, welcome.limits.burst),
        (0, 0)
    );
}
