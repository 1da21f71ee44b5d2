//! Editing and deleting one's own last message, and `/search`: what goes
//! to the server, what the composer holds, and what is refused locally.

use sapa_protocol::{DeleteRequest, EditRequest};

use super::*;

/// alice's client with two of her messages and one of bob's after them.
fn with_own_messages() -> State {
    online(
        vec![
            msg(1, "alice", "first"),
            msg(2, "alice", "teh second"),
            msg(3, "bob", "hi"),
        ],
        &["alice", "bob"],
    )
}

fn edit_of(fx: &[Effect]) -> Vec<(i64, String)> {
    sent(fx)
        .into_iter()
        .filter_map(|m| match m {
            ClientMessage::Edit(EditRequest { id, content }) => {
                Some((*id, content.as_str().to_owned()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn up_on_an_empty_line_puts_ones_last_message_in_the_composer_and_enter_saves_it() {
    let mut s = with_own_messages();
    s.update(key(KeyCode::Up));
    assert_eq!(
        s.input.text(),
        "teh second",
        "alice's last, not bob's newer one"
    );
    assert!(s.editing.is_some(), "the composer says editing");
    s.update(key(KeyCode::Home));
    for _ in 0..3 {
        s.update(key(KeyCode::Delete));
    }
    let fx = type_line(&mut s, "the");
    assert_eq!(edit_of(&fx), [(2, "the second".to_owned())]);
    assert!(s.editing.is_none());
    assert_eq!(s.input.text(), "");
    assert!(
        !sent(&fx)
            .iter()
            .any(|m| matches!(m, ClientMessage::Message(_))),
        "an edit is not a new message"
    );
}

#[test]
fn esc_leaves_the_message_as_it_was_and_the_next_line_is_a_new_message() {
    let mut s = with_own_messages();
    s.update(key(KeyCode::Up));
    s.update(key(KeyCode::Esc));
    assert!(s.editing.is_none());
    assert_eq!(s.input.text(), "");
    let fx = type_line(&mut s, "new line");
    assert!(edit_of(&fx).is_empty());
    assert!(matches!(sent(&fx)[..], [ClientMessage::Message(_)]));
}

#[test]
fn up_again_while_editing_recalls_sent_lines_instead() {
    let mut s = with_own_messages();
    type_line(&mut s, "sent earlier");
    s.update(key(KeyCode::Up));
    assert!(s.editing.is_some());
    assert_eq!(s.input.text(), "teh second");
    s.update(key(KeyCode::Up));
    assert!(s.editing.is_none(), "Up again leaves editing");
    assert_eq!(s.input.text(), "sent earlier");
}

#[test]
fn without_a_message_of_ones_own_up_recalls_as_before() {
    let mut s = online(vec![msg(1, "bob", "hi")], &["alice", "bob"]);
    type_line(&mut s, "/who");
    s.update(key(KeyCode::Up));
    assert!(s.editing.is_none());
    assert_eq!(s.input.text(), "/who");
}

#[test]
fn an_empty_edit_is_refused_here_and_the_composer_keeps_editing() {
    let mut s = with_own_messages();
    s.update(key(KeyCode::Up));
    s.update(ctrl('u'));
    let fx = s.update(key(KeyCode::Enter));
    assert!(sent(&fx).is_empty());
    assert!(s.editing.is_some());
    assert!(
        last_notice(&s).contains("/delete removes it"),
        "{}",
        last_notice(&s)
    );
}

#[test]
fn an_unchanged_edit_sends_nothing() {
    let mut s = with_own_messages();
    s.update(key(KeyCode::Up));
    let fx = s.update(key(KeyCode::Enter));
    assert!(sent(&fx).is_empty());
    assert!(s.editing.is_none());
}

#[test]
fn slash_edit_with_text_replaces_the_last_message_and_slash_delete_removes_it() {
    let mut s = with_own_messages();
    let fx = type_line(&mut s, "/edit the second");
    assert_eq!(edit_of(&fx), [(2, "the second".to_owned())]);
    let fx = type_line(&mut s, "/delete");
    assert!(matches!(
        sent(&fx)[..],
        [ClientMessage::Delete(DeleteRequest { id: 2 })]
    ));
    // Once the server says it is deleted, the one before is the last.
    frame(
        &mut s,
        ServerMessage::Deleted(sapa_protocol::Deleted {
            room: "general".parse().unwrap(),
            id: 2,
            seq: 5,
        }),
    );
    let fx = type_line(&mut s, "/delete");
    assert!(matches!(
        sent(&fx)[..],
        [ClientMessage::Delete(DeleteRequest { id: 1 })]
    ));
}

#[test]
fn edit_and_delete_with_nothing_of_ones_own_say_so() {
    let mut s = online(vec![msg(1, "bob", "hi")], &["alice", "bob"]);
    assert!(sent(&type_line(&mut s, "/edit x")).is_empty());
    assert_eq!(last_notice(&s), "nothing of yours to edit in #general");
    assert!(sent(&type_line(&mut s, "/delete")).is_empty());
    assert_eq!(last_notice(&s), "nothing of yours to delete in #general");
}

#[test]
fn slash_search_asks_the_server_across_rooms() {
    let mut s = with_own_messages();
    let fx = type_line(&mut s, "/search \"deploy failed\" -staging");
    let [ClientMessage::Search(request)] = sent(&fx)[..] else {
        panic!("{fx:?}")
    };
    assert_eq!(request.q.as_str(), "\"deploy failed\" -staging");
    assert_eq!(request.room, None);
    assert!(sent(&type_line(&mut s, "/search")).is_empty());
    assert_eq!(last_notice(&s), "usage: /search WORDS");
}
