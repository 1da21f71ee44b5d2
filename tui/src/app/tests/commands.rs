//! The line commands and Tab completion.

use super::*;

#[test]
fn join_switches_rooms_and_sends_a_join() {
    let mut s = online(vec![], &[]);
    let fx = type_line(&mut s, "/join rust");
    let ClientMessage::Join(j) = sent(&fx)[0] else {
        panic!()
    };
    assert_eq!(j.room.as_ref().unwrap().as_str(), "rust");
    assert_eq!(s.room().name.as_str(), "rust");
    // Joining a room already joined just switches to it.
    let fx = type_line(&mut s, "/join #General");
    assert!(sent(&fx).is_empty());
    assert_eq!(s.room().name.as_str(), "general");
    type_line(&mut s, "/join Bad!");
    assert!(last_notice(&s).contains("room name"), "{}", last_notice(&s));
}

#[test]
fn leave_leaves_the_room_on_screen_but_never_the_last_one() {
    let mut s = online(vec![], &[]);
    type_line(&mut s, "/leave");
    assert!(last_notice(&s).contains("only room"));
    type_line(&mut s, "/join rust");
    let fx = type_line(&mut s, "/leave");
    let ClientMessage::Leave(l) = sent(&fx)[0] else {
        panic!()
    };
    assert_eq!(l.room.as_ref().unwrap().as_str(), "rust");
    assert_eq!(s.rooms.len(), 1);
    assert_eq!(s.room().name.as_str(), "general");
}

#[test]
fn who_lists_the_users_and_presence_changes_update_them() {
    let mut s = online(vec![], &["alice", "bob"]);
    frame(&mut s, joined("general", "carol"));
    assert_eq!(last_notice(&s), "carol joined");
    type_line(&mut s, "/who");
    assert_eq!(last_notice(&s), "in #general (3): alice, bob, carol");
    frame(
        &mut s,
        ServerMessage::Left(sapa_protocol::PresenceChange {
            room: "general".parse().unwrap(),
            username: name("bob"),
            timestamp: t0(),
        }),
    );
    assert_eq!(s.room().users, vec![name("alice"), name("carol")]);
}

#[test]
fn in_a_big_room_the_count_shows_and_who_pages_the_list_from_the_server() {
    let mut s = online(vec![], &["alice", "bob"]);
    frame(&mut s, presence_count("general", 1204));
    assert!(s.room().users.is_empty());
    assert_eq!(s.room().user_count(), 1204);
    let fx = type_line(&mut s, "/who");
    let ClientMessage::Who(who) = sent(&fx)[0] else {
        panic!("{fx:?}")
    };
    assert_eq!(who.room.as_ref().unwrap().as_str(), "general");
    assert_eq!(who.after, None);
    frame(
        &mut s,
        ServerMessage::Who(sapa_protocol::WhoPage {
            room: "general".parse().unwrap(),
            users: vec![name("alice"), name("bob")],
            next: Some(name("bob")),
        }),
    );
    assert_eq!(
        last_notice(&s),
        "in #general (1204): alice, bob; /who for more"
    );
    let fx = type_line(&mut s, "/who");
    let ClientMessage::Who(who) = sent(&fx)[0] else {
        panic!("{fx:?}")
    };
    assert_eq!(who.after, Some(name("bob")), "the next page");
}

#[test]
fn rooms_help_quit_and_unknown_commands() {
    let mut s = online(vec![], &[]);
    assert!(type_line(&mut s, "/rooms").contains(&Effect::ListRooms));
    s.update(Event::RoomsListed(Ok(vec![("general".into(), 2)])));
    assert_eq!(last_notice(&s), "rooms: #general (2)");
    type_line(&mut s, "/help");
    assert_eq!(s.screen, Screen::Help);
    s.update(key(KeyCode::Char('x')));
    assert_eq!(s.screen, Screen::Chat, "any key closes help");
    assert!(s.input.is_empty(), "and is not typed");
    s.update(key(KeyCode::F(1)));
    assert_eq!(s.screen, Screen::Help);
    s.update(key(KeyCode::Esc));
    type_line(&mut s, "/dance");
    assert_eq!(
        last_notice(&s),
        "unknown command /dance; /help lists the commands"
    );
    assert_eq!(type_line(&mut s, "/quit"), vec![Effect::Quit]);
    assert!(s.quit);
}

fn typed(s: &mut State, text: &str) {
    for c in text.chars() {
        s.update(key(KeyCode::Char(c)));
    }
}

#[test]
fn tab_completes_names_in_the_room_and_cycles() {
    let mut s = online(vec![], &["alice", "Bea", "bob", "carol"]);
    typed(&mut s, "b");
    s.update(key(KeyCode::Tab));
    assert_eq!(s.input.text(), "Bea: ", "in the order of the users pane");
    s.update(key(KeyCode::Tab));
    assert_eq!(s.input.text(), "bob: ");
    s.update(key(KeyCode::Tab));
    assert_eq!(s.input.text(), "Bea: ", "and around again");
    typed(&mut s, "ask @c");
    s.update(key(KeyCode::Tab));
    assert_eq!(s.input.text(), "Bea: ask @carol ");
    typed(&mut s, "al");
    s.update(key(KeyCode::Tab));
    assert!(s.input.text().ends_with(" al"), "not yourself");
}

#[test]
fn tab_completes_commands_at_the_start() {
    let mut s = online(vec![], &["alice"]);
    typed(&mut s, "/jo");
    s.update(key(KeyCode::Tab));
    assert_eq!(s.input.text(), "/join ");
    s.update(ctrl('u'));
    typed(&mut s, "/r");
    s.update(key(KeyCode::Tab));
    assert_eq!(s.input.text(), "/rooms ");
}
