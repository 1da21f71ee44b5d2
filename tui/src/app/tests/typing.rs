//! Typing: others' typing shows above the input until it expires or their
//! message arrives; the user's own is announced while typing text, at most
//! every two seconds, never for commands.

use sapa_protocol::Typing;

use super::*;
use crate::app::typing::{TYPING_EVERY, TYPING_SHOWN};

fn typing(room: &str, user: &str) -> ServerMessage {
    ServerMessage::Typing(Typing {
        room: room.parse().unwrap(),
        username: name(user),
    })
}

fn typings(fx: &[Effect]) -> usize {
    sent(fx)
        .iter()
        .filter(|m| matches!(m, ClientMessage::Typing(_)))
        .count()
}

fn press(s: &mut State, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| s.update(key(KeyCode::Char(c))))
        .collect()
}

#[test]
fn bob_is_typing_until_his_message_or_six_seconds() {
    let start = Instant::now();
    let mut s = online(vec![], &["alice", "bob"]);
    tick(&mut s, start);
    frame(&mut s, typing("general", "bob"));
    assert_eq!(s.room().typers.line().unwrap(), "bob is typing…");
    frame(&mut s, ServerMessage::Message(msg(1, "bob", "done")));
    assert_eq!(s.room().typers.line(), None, "his message arrived");
    frame(&mut s, typing("general", "bob"));
    tick(&mut s, start + TYPING_SHOWN - Duration::from_millis(250));
    assert!(s.room().typers.line().is_some());
    tick(&mut s, start + TYPING_SHOWN);
    assert_eq!(s.room().typers.line(), None, "expired");
}

#[test]
fn ones_own_typing_frames_are_not_shown() {
    let mut s = online(vec![], &["alice"]);
    frame(&mut s, typing("general", "Alice"));
    assert!(s.room().typers.is_empty());
}

#[test]
fn typing_text_is_announced_at_most_every_two_seconds() {
    let start = Instant::now();
    let mut s = online(vec![], &["alice", "bob"]);
    tick(&mut s, start);
    assert_eq!(typings(&press(&mut s, "hello the")), 1);
    tick(&mut s, start + TYPING_EVERY - Duration::from_millis(250));
    assert_eq!(typings(&press(&mut s, "re")), 0);
    tick(&mut s, start + TYPING_EVERY);
    let fx = press(&mut s, " bob");
    assert_eq!(typings(&fx), 1);
    let ClientMessage::Typing(t) = sent(&fx)[0] else {
        panic!("{fx:?}")
    };
    assert_eq!(t.room.as_ref().unwrap().as_str(), "general");
    // Sent: the next line announces again at once.
    s.update(key(KeyCode::Enter));
    assert_eq!(typings(&press(&mut s, "x")), 1);
}

#[test]
fn commands_are_not_typing() {
    let mut s = online(vec![], &["alice", "bob"]);
    assert_eq!(typings(&press(&mut s, "/join rust")), 0);
    s.input.clear();
    assert_eq!(typings(&press(&mut s, "//not a command")), 1);
}

#[test]
fn pasted_text_is_typing_too() {
    let mut s = online(vec![], &["alice", "bob"]);
    assert_eq!(typings(&s.update(Event::Paste("a pasted line".into()))), 1);
}
