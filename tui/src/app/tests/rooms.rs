//! Rooms: unread counts, mentions, and server text kept printable.

use super::*;

#[test]
fn messages_in_other_rooms_count_as_unread_until_shown() {
    let mut s = online(vec![], &[]);
    type_line(&mut s, "/join rust");
    frame(&mut s, welcome("rust"));
    frame(&mut s, history("rust", vec![], false));
    s.update(ctrl('p'));
    assert_eq!(s.room().name.as_str(), "general");
    frame(
        &mut s,
        ServerMessage::Message(msg_in("rust", 7, "bob", "psst")),
    );
    assert_eq!(s.rooms[1].unread, 1);
    s.update(ctrl('n'));
    assert_eq!(s.room().name.as_str(), "rust");
    assert_eq!(s.room().unread, 0);
}

#[test]
fn a_mention_is_highlighted_and_rings_the_bell() {
    let mut s = online(vec![], &[]);
    let fx = frame(
        &mut s,
        ServerMessage::Message(msg(1, "bob", "hey @Alice, look")),
    );
    assert_eq!(fx, vec![Effect::Bell]);
    assert!(matches!(
        s.room().entries.last(),
        Some(Entry::Message { mention: true, .. })
    ));
    let fx = frame(
        &mut s,
        ServerMessage::Message(msg(2, "bob", "malice aforethought")),
    );
    assert!(fx.is_empty());
}

#[test]
fn mentions_match_whole_names_only() {
    assert!(mentions("alice: hi", "alice"));
    assert!(mentions("hi ALICE", "alice"));
    assert!(!mentions("malice", "alice"));
    assert!(!mentions("alice_2 hi", "alice"));
    assert!(mentions("x alice_2 alice", "alice"));
}

#[test]
fn server_text_cannot_reach_the_terminal_as_escape_sequences() {
    let mut s = online(vec![], &[]);
    frame(
        &mut s,
        ServerMessage::System(sapa_protocol::SystemNotice {
            content: "hi\u{1b}]0;pwned\u{7}\u{1b}[2J".into(),
            timestamp: t0(),
            room: None,
        }),
    );
    assert_eq!(last_notice(&s), "hi\u{fffd}]0;pwned\u{fffd}\u{fffd}[2J");
    s.update(Event::LoginNeeded(Some("bad\u{1b}[31m".into())));
    let Screen::Login(form) = &s.screen else {
        panic!()
    };
    assert_eq!(form.error.as_deref(), Some("bad\u{fffd}[31m"));
}

#[test]
fn an_edit_and_a_delete_change_the_lines_shown_in_place() {
    let mut s = online(
        vec![msg(1, "bob", "typo hre"), msg(2, "bob", "oops secret")],
        &[],
    );
    frame(
        &mut s,
        ServerMessage::Edited(sapa_protocol::Edited {
            room: "general".parse().unwrap(),
            id: 1,
            content: "typo here".parse().unwrap(),
            edited_at: at(3),
            seq: 3,
        }),
    );
    frame(
        &mut s,
        ServerMessage::Deleted(sapa_protocol::Deleted {
            room: "general".parse().unwrap(),
            id: 2,
            seq: 4,
        }),
    );
    let shown: Vec<String> = s
        .layout()
        .last_rows(3)
        .iter()
        .map(|row| row.iter().map(|seg| seg.text.as_str()).collect())
        .collect();
    assert_eq!(
        shown,
        [
            "10:01 bob typo here (edited)",
            "10:02 bob message deleted",
            "10:45 * Welcome alice!"
        ]
    );
    let views: Vec<&sapa_protocol::MessageView> = s.room().messages().collect();
    assert!(
        views[1].content.is_erased(),
        "the text is gone from memory too"
    );
}

#[test]
fn a_local_warning_shows_as_a_warning_line() {
    let mut s = client();
    s.update(Event::Warn(
        "config file x: line 2, `theme`: no theme".into(),
    ));
    assert_eq!(last_notice(&s), "config file x: line 2, `theme`: no theme");
    assert!(matches!(
        s.room().entries.last(),
        Some(Entry::Notice {
            kind: crate::app::rooms::NoticeKind::Warn,
            ..
        })
    ));
}

#[test]
fn rooms_from_the_config_are_joined_at_start_after_the_one_on_screen() {
    let prefs = crate::app::prefs::Prefs {
        also_join: vec!["ops".parse().unwrap(), "general".parse().unwrap()],
        ..Default::default()
    };
    let mut s = State::new(crate::app::Options { prefs, ..options() });
    let names: Vec<&str> = s.rooms.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["general", "ops"], "once each, the first on screen");
    let fx = s.update(Event::Net(NetEvent::Connected));
    let joins: Vec<String> = sent(&fx)
        .iter()
        .filter_map(|m| match m {
            ClientMessage::Join(j) => j.room.as_ref().map(ToString::to_string),
            _ => None,
        })
        .collect();
    assert_eq!(joins, ["general", "ops"]);
}
