//! Sending: the user's messages stay pending until stored, keep their
//! client_id through retries, and are settled exactly once.

use super::*;

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
    assert!(last_notice(&s).starts_with("not sent: message content must be at most"));
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
