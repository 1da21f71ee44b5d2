//! Sending: the user's messages stay pending until stored, keep their
//! client_id through retries, and are settled exactly once.

use super::*;
use crate::app::Settled;

fn stored(id: i64, text: &str, client_id: &str) -> ServerMessage {
    let mut m = msg(id, "alice", text);
    m.client_id = Some(client_id.parse().unwrap());
    ServerMessage::Message(m)
}

#[test]
fn enter_sends_the_line_as_a_pending_message_with_a_client_id() {
    let mut s = online(vec![], &["alice"]);
    let fx = type_line(&mut s, "hello there");
    let frames = sent(&fx);
    let ClientMessage::Message(m) = frames[0] else {
        panic!("{frames:?}")
    };
    assert_eq!(m.content.as_str(), "hello there");
    assert_eq!(m.client_id.as_ref().unwrap().as_str(), "t-1");
    assert_eq!(s.outbox.len(), 1);
    assert!(s.input.is_empty());
    frame(&mut s, stored(1, "hello there", "t-1"));
    assert!(s.outbox.is_empty(), "confirmed by the server");
    assert_eq!(shown_ids(&s), vec![1]);
}

#[test]
fn blank_lines_are_not_sent() {
    let mut s = online(vec![], &[]);
    assert!(sent(&type_line(&mut s, "   ")).is_empty());
    assert!(s.outbox.is_empty());
}

#[test]
fn a_double_slash_sends_a_literal_slash() {
    let mut s = online(vec![], &[]);
    let fx = type_line(&mut s, "//shrug");
    let ClientMessage::Message(m) = sent(&fx)[0] else {
        panic!()
    };
    assert_eq!(m.content.as_str(), "/shrug");
}

#[test]
fn a_rejected_message_is_dropped_from_pending_with_the_reason() {
    let mut s = online(vec![], &[]);
    type_line(&mut s, "spam");
    frame(
        &mut s,
        ServerMessage::error(
            ErrorCode::Forbidden,
            "not yours",
            Some(ErrorRef::ClientId("t-1".into())),
        ),
    );
    assert!(s.outbox.is_empty());
    assert_eq!(last_notice(&s), "not sent (forbidden): spam — not yours");
}

#[test]
fn too_long_a_message_is_refused_locally() {
    let mut s = online(vec![], &[]);
    let fx = type_line(&mut s, &"x".repeat(4001));
    assert!(sent(&fx).is_empty());
    assert_eq!(
        last_notice(&s),
        "not sent: 1 character over the server's limit of 4000; the line is still in the composer"
    );
    assert_eq!(s.input.text().chars().count(), 4001, "kept to be cut");
}

#[test]
fn a_message_the_server_could_not_store_is_retried_with_the_same_client_id() {
    let mut s = online(vec![], &[]);
    let start = Instant::now();
    tick(&mut s, start);
    type_line(&mut s, "important");
    frame(
        &mut s,
        ServerMessage::error(
            ErrorCode::Unavailable,
            "database down",
            Some(ErrorRef::ClientId("t-1".into())),
        ),
    );
    assert_eq!(s.outbox.len(), 1, "kept");
    assert!(last_notice(&s).starts_with("not stored yet (unavailable)"));
    let early = tick(&mut s, start + Duration::from_secs(1));
    assert!(sent(&early).is_empty());
    let due = tick(&mut s, start + Duration::from_secs(4));
    let ClientMessage::Message(m) = sent(&due)[0] else {
        panic!("{due:?}")
    };
    assert_eq!(m.client_id.as_ref().unwrap().as_str(), "t-1");
    frame(&mut s, stored(1, "important", "t-1"));
    assert!(s.outbox.is_empty());
}

#[test]
fn a_message_sent_before_the_rejoin_stays_pending_quietly() {
    let mut s = online(vec![], &[]);
    type_line(&mut s, "early");
    let notices = s.room().entries.len();
    frame(
        &mut s,
        ServerMessage::error(
            ErrorCode::NotJoined,
            "not in room",
            Some(ErrorRef::ClientId("t-1".into())),
        ),
    );
    assert_eq!(s.outbox.len(), 1);
    assert_eq!(s.room().entries.len(), notices, "no notice");
}

/// What the state machine reported about the user's messages.
fn settled(fx: &[Effect]) -> Vec<&Settled> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Settled(s) => Some(s),
            _ => None,
        })
        .collect()
}

fn post(s: &mut State, text: &str) -> Vec<Effect> {
    s.update(Event::Post(text.parse().unwrap()))
}

#[test]
fn a_posted_line_is_sent_as_text_even_when_it_looks_like_a_command() {
    let mut s = online(vec![], &[]);
    let fx = post(&mut s, "/quit");
    let ClientMessage::Message(m) = sent(&fx)[0] else {
        panic!("{fx:?}")
    };
    assert_eq!(m.content.as_str(), "/quit");
    assert_eq!(m.client_id.as_ref().unwrap().as_str(), "t-1");
    assert!(!s.quit);
}

#[test]
fn a_stored_message_is_settled_once_with_its_id() {
    let mut s = online(vec![msg(1, "bob", "hi")], &[]);
    post(&mut s, "mine");
    let fx = frame(&mut s, stored(7, "mine", "t-1"));
    assert_eq!(
        settled(&fx),
        [&Settled::Stored {
            client_id: "t-1".parse().unwrap(),
            id: 7
        }]
    );
    // The same message again, in a replay after a reconnect: already
    // settled, so nothing more is said.
    s.update(Event::Net(NetEvent::Disconnected {
        reason: "gone".into(),
        retry_at: Instant::now(),
        attempt: 1,
    }));
    s.update(Event::Net(NetEvent::Connected));
    frame(&mut s, welcome("general"));
    let mut replayed = msg(7, "alice", "mine");
    replayed.client_id = Some("t-1".parse().unwrap());
    let fx = frame(&mut s, history("general", vec![replayed], false));
    assert!(settled(&fx).is_empty(), "{fx:?}");
    assert!(sent(&fx).is_empty(), "nothing left to re-send");
}

#[test]
fn a_message_whose_answer_was_lost_is_settled_by_the_resume() {
    let mut s = online(vec![msg(1, "bob", "hi")], &[]);
    post(&mut s, "mine");
    s.update(Event::Net(NetEvent::Disconnected {
        reason: "gone".into(),
        retry_at: Instant::now(),
        attempt: 1,
    }));
    s.update(Event::Net(NetEvent::Connected));
    frame(&mut s, welcome("general"));
    let mut replayed = msg(2, "alice", "mine");
    replayed.client_id = Some("t-1".parse().unwrap());
    let fx = frame(&mut s, history("general", vec![replayed], false));
    assert_eq!(
        settled(&fx),
        [&Settled::Stored {
            client_id: "t-1".parse().unwrap(),
            id: 2
        }]
    );
    assert!(sent(&fx).is_empty(), "stored once: not sent again");
}

#[test]
fn a_refused_message_is_settled_with_the_code_and_why() {
    let mut s = online(vec![], &[]);
    post(&mut s, "spam");
    let fx = frame(
        &mut s,
        ServerMessage::error(
            ErrorCode::Forbidden,
            "not yours",
            Some(ErrorRef::ClientId("t-1".into())),
        ),
    );
    assert_eq!(
        settled(&fx),
        [&Settled::Refused {
            client_id: "t-1".parse().unwrap(),
            code: ErrorCode::Forbidden,
            why: "not yours".into(),
        }]
    );
}

#[test]
fn a_rate_limited_message_is_not_settled_but_sent_again_and_then_settled() {
    let mut s = online(vec![], &[]);
    let start = Instant::now();
    tick(&mut s, start);
    post(&mut s, "slow down");
    let fx = frame(
        &mut s,
        ServerMessage::error(
            ErrorCode::RateLimited,
            "slow down",
            Some(ErrorRef::ClientId("t-1".into())),
        ),
    );
    assert!(settled(&fx).is_empty());
    let due = tick(&mut s, start + Duration::from_secs(3));
    let ClientMessage::Message(m) = sent(&due)[0] else {
        panic!("{due:?}")
    };
    assert_eq!(m.client_id.as_ref().unwrap().as_str(), "t-1");
    let fx = frame(&mut s, stored(3, "slow down", "t-1"));
    assert_eq!(settled(&fx).len(), 1);
}
