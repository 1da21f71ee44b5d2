//! State-machine tests: keys, commands, scrolling, the connection's life
//! (reconnect, resume, re-send) and exactly-once, in-order display.

use std::time::{Duration, Instant};

use sapa_protocol::{ClientMessage, ErrorCode, ServerMessage};

use super::keys::{KeyCode, Wheel};
use super::layout::Size;
use super::*;
use crate::app::fixtures::*;

fn sent(fx: &[Effect]) -> Vec<&ClientMessage> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Send(m) => Some(m),
            _ => None,
        })
        .collect()
}

fn shown_ids(s: &State) -> Vec<i64> {
    s.room().messages().map(|m| m.id).collect()
}

/// The clock moves on to `now`.
fn tick(s: &mut State, now: Instant) -> Vec<Effect> {
    s.update(Event::Tick { now, wall: t0() })
}

fn last_notice(s: &State) -> String {
    s.room()
        .entries
        .iter()
        .rev()
        .find_map(|e| match e {
            Entry::Notice { text, .. } => Some(text.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

fn stored(id: i64, text: &str, client_id: &str) -> ServerMessage {
    let mut m = msg(id, "alice", text);
    m.client_id = Some(client_id.parse().unwrap());
    ServerMessage::Message(m)
}

#[test]
fn connecting_joins_every_room_and_welcome_marks_it_joined() {
    let mut s = client();
    let fx = s.update(Event::Net(NetEvent::Connected));
    let frames = sent(&fx);
    assert_eq!(frames.len(), 1);
    let ClientMessage::Join(join) = frames[0] else {
        panic!("{frames:?}")
    };
    assert_eq!(join.room.as_ref().unwrap().as_str(), "general");
    assert_eq!(join.since_id, None, "nothing seen yet");
    assert!(!s.room().joined);
    frame(&mut s, welcome("general"));
    assert!(s.room().joined);
    frame(
        &mut s,
        history("general", vec![msg(1, "bob", "earlier")], false),
    );
    assert_eq!(last_notice(&s), "Welcome alice!");
    assert!(
        matches!(s.room().entries.last(), Some(Entry::Notice { .. })),
        "the welcome reads after the history"
    );
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
    assert_eq!(s.pending.len(), 1);
    assert!(s.input.is_empty());
    frame(&mut s, stored(1, "hello there", "t-1"));
    assert!(s.pending.is_empty(), "confirmed by the server");
    assert_eq!(shown_ids(&s), vec![1]);
}

#[test]
fn blank_lines_are_not_sent() {
    let mut s = online(vec![], &[]);
    assert!(sent(&type_line(&mut s, "   ")).is_empty());
    assert!(s.pending.is_empty());
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
fn messages_typed_while_offline_wait_and_go_out_after_the_resume() {
    let mut s = online(vec![msg(1, "bob", "hi")], &["alice", "bob"]);
    s.update(Event::Net(NetEvent::Disconnected {
        reason: "connection reset".into(),
        retry_at: Instant::now(),
        attempt: 1,
    }));
    let fx = type_line(&mut s, "are you there?");
    assert!(sent(&fx).is_empty(), "nothing goes out while offline");
    assert_eq!(s.pending.len(), 1);

    let fx = s.update(Event::Net(NetEvent::Connected));
    let ClientMessage::Join(join) = sent(&fx)[0] else {
        panic!()
    };
    assert_eq!(join.since_id, Some(1), "resume after the last seen id");
    frame(&mut s, welcome("general"));
    let fx = frame(
        &mut s,
        history("general", vec![msg(2, "bob", "missed")], false),
    );
    let frames = sent(&fx);
    let ClientMessage::Message(m) = frames[0] else {
        panic!("{frames:?}")
    };
    assert_eq!(m.client_id.as_ref().unwrap().as_str(), "t-1");
    assert_eq!(shown_ids(&s), vec![1, 2]);
}

#[test]
fn a_message_stored_before_the_drop_is_not_resent_and_shown_once() {
    let mut s = online(vec![msg(1, "bob", "hi")], &[]);
    type_line(&mut s, "mine");
    s.update(Event::Net(NetEvent::Disconnected {
        reason: "timeout".into(),
        retry_at: Instant::now(),
        attempt: 1,
    }));
    s.update(Event::Net(NetEvent::Connected));
    frame(&mut s, welcome("general"));
    // The replay holds our message: it was stored, only the answer was lost.
    let mut mine = msg(2, "alice", "mine");
    mine.client_id = Some("t-1".parse().unwrap());
    let fx = frame(
        &mut s,
        history("general", vec![mine.clone(), msg(3, "bob", "ok")], false),
    );
    assert!(sent(&fx).is_empty(), "nothing left to re-send");
    assert!(s.pending.is_empty());
    // A late duplicate (live frame of the same id) changes nothing.
    frame(&mut s, ServerMessage::Message(mine));
    assert_eq!(shown_ids(&s), vec![1, 2, 3]);
}

#[test]
fn resume_removes_duplicates_and_keeps_order() {
    let mut s = online(vec![msg(1, "bob", "a"), msg(2, "bob", "b")], &[]);
    frame(&mut s, ServerMessage::Message(msg(4, "bob", "d")));
    s.update(Event::Net(NetEvent::Disconnected {
        reason: "gone".into(),
        retry_at: Instant::now(),
        attempt: 1,
    }));
    s.update(Event::Net(NetEvent::Connected));
    frame(&mut s, welcome("general"));
    frame(
        &mut s,
        history(
            "general",
            vec![msg(3, "carol", "c"), msg(4, "bob", "d"), msg(5, "bob", "e")],
            false,
        ),
    );
    frame(&mut s, ServerMessage::Message(msg(5, "bob", "e")));
    frame(&mut s, ServerMessage::Message(msg(6, "bob", "f")));
    assert_eq!(shown_ids(&s), vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(s.room().last_id, Some(6));
}

#[test]
fn a_resume_that_was_cut_short_asks_again_from_where_it_ended() {
    let mut s = online(vec![msg(1, "bob", "a")], &[]);
    s.update(Event::Net(NetEvent::Disconnected {
        reason: "gone".into(),
        retry_at: Instant::now(),
        attempt: 1,
    }));
    s.update(Event::Net(NetEvent::Connected));
    frame(&mut s, welcome("general"));
    let fx = frame(&mut s, history("general", vec![msg(2, "bob", "b")], true));
    let ClientMessage::Join(again) = sent(&fx)[0] else {
        panic!("{fx:?}")
    };
    assert_eq!(again.since_id, Some(2));
}

#[test]
fn losing_the_connection_says_so_and_counts_down() {
    let mut s = online(vec![], &[]);
    let now = Instant::now();
    tick(&mut s, now);
    s.update(Event::Net(NetEvent::Disconnected {
        reason: "connection refused".into(),
        retry_at: now + Duration::from_secs(4),
        attempt: 2,
    }));
    assert!(matches!(s.conn, Conn::Offline { attempt: 2, .. }));
    assert_eq!(last_notice(&s), "connection lost: connection refused");
    assert!(!s.room().joined);
    assert_eq!(s.rtt, None);
    s.update(Event::Net(NetEvent::Connecting { attempt: 3 }));
    assert_eq!(s.conn, Conn::Connecting { attempt: 3 });
    s.update(Event::Net(NetEvent::Connected));
    frame(&mut s, welcome("general"));
    frame(&mut s, history("general", vec![], false));
    assert_eq!(last_notice(&s), "reconnected");
}

#[test]
fn a_rejected_token_asks_for_the_password_again() {
    let mut s = client();
    s.update(Event::Net(NetEvent::Connected));
    let fx = frame(
        &mut s,
        ServerMessage::error(
            ErrorCode::Unauthorized,
            "unknown token",
            Some(ErrorRef::Frame(ClientKind::Join)),
        ),
    );
    assert_eq!(fx, vec![Effect::AuthRejected]);
    s.update(Event::LoginNeeded(Some(
        "your saved session expired".into(),
    )));
    let Screen::Login(form) = &s.screen else {
        panic!()
    };
    assert_eq!(form.username.text(), "alice");
    assert_eq!(form.focus, LoginField::Password);
}

#[test]
fn the_login_screen_masks_and_submits_the_password() {
    let mut s = client();
    s.update(Event::LoginNeeded(None));
    for c in "hunter22".chars() {
        assert!(s.update(key(KeyCode::Char(c))).is_empty());
    }
    assert!(!format!("{s:?}").contains("hunter22"), "Debug hides it");
    let fx = s.update(key(KeyCode::Enter));
    let [Effect::Login { username, password }] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert_eq!(username.as_str(), "alice");
    assert_eq!(password.expose(), "hunter22");
    s.update(Event::LoginFailed("wrong password for alice".into()));
    let Screen::Login(form) = &s.screen else {
        panic!()
    };
    assert!(form.password.is_empty(), "a failed password is cleared");
    assert_eq!(form.error.as_deref(), Some("wrong password for alice"));
    s.update(Event::LoggedIn {
        user: name("alice"),
        registered: true,
    });
    assert_eq!(s.screen, Screen::Chat);
    s.update(Event::Net(NetEvent::Connected));
    frame(&mut s, welcome("general"));
    frame(&mut s, history("general", vec![msg(1, "bob", "hi")], false));
    assert_eq!(last_notice(&s), "registered alice on localhost:3000");
}

#[test]
fn the_login_screen_refuses_an_invalid_name() {
    let mut s = client();
    s.update(Event::LoginNeeded(None));
    s.update(key(KeyCode::Tab));
    s.update(ctrl('u'));
    for c in "bad name".chars() {
        s.update(key(KeyCode::Char(c)));
    }
    assert!(s.update(key(KeyCode::Enter)).is_empty());
    let Screen::Login(form) = &s.screen else {
        panic!()
    };
    assert!(form.error.as_deref().unwrap().contains("username"));
}

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
fn rooms_help_quit_and_unknown_commands() {
    let mut s = online(vec![], &[]);
    assert!(type_line(&mut s, "/rooms").contains(&Effect::ListRooms));
    s.update(Event::RoomsListed(Ok(vec![("general".into(), 2)])));
    assert_eq!(last_notice(&s), "rooms: #general (2)");
    type_line(&mut s, "/help");
    assert!(s.help);
    s.update(key(KeyCode::Char('x')));
    assert!(!s.help, "any key closes help");
    assert!(s.input.is_empty(), "and is not typed");
    s.update(key(KeyCode::F(1)));
    assert!(s.help);
    s.update(key(KeyCode::Esc));
    type_line(&mut s, "/dance");
    assert_eq!(
        last_notice(&s),
        "unknown command /dance; /help lists the commands"
    );
    assert_eq!(type_line(&mut s, "/quit"), vec![Effect::Quit]);
    assert!(s.quit);
}

#[test]
fn ctrl_c_quits_from_any_screen() {
    let mut s = client();
    assert_eq!(s.update(ctrl('c')), vec![Effect::Quit]);
    let mut s = client();
    s.update(Event::LoginNeeded(None));
    assert_eq!(s.update(ctrl('c')), vec![Effect::Quit]);
}

#[test]
fn editing_keys_reach_the_line_editor() {
    let mut s = online(vec![], &[]);
    for c in "héllo wörld".chars() {
        s.update(key(KeyCode::Char(c)));
    }
    s.update(ctrl('w'));
    assert_eq!(s.input.text(), "héllo ");
    s.update(key(KeyCode::Backspace));
    s.update(key(KeyCode::Backspace));
    assert_eq!(s.input.text(), "héll");
    s.update(ctrl('a'));
    s.update(key(KeyCode::Delete));
    assert_eq!(s.input.text(), "éll");
    s.update(ctrl('e'));
    s.update(key(KeyCode::Char('!')));
    assert_eq!(s.input.text(), "éll!");
    s.update(ctrl('u'));
    assert!(s.input.is_empty());
    type_line(&mut s, "one");
    s.update(key(KeyCode::Up));
    assert_eq!(s.input.text(), "one");
    s.update(key(KeyCode::Down));
    assert!(s.input.is_empty());
    s.update(Event::Paste("pasted\ntext".into()));
    assert_eq!(s.input.text(), "pasted text");
}

fn busy(n: i64) -> State {
    let msgs = (1..=n)
        .map(|i| msg(i, "bob", &format!("message {i}")))
        .collect();
    let mut s = online(msgs, &["alice", "bob"]);
    // The initial history said nothing older exists unless told otherwise.
    s.update(Event::Resize(Size::new(80, 24)));
    s
}

#[test]
fn scrolling_up_holds_the_view_and_counts_new_messages() {
    let mut s = busy(60);
    s.update(key(KeyCode::PageUp));
    let scrolled = s.room().scroll;
    assert!(scrolled > 0);
    frame(&mut s, ServerMessage::Message(msg(61, "bob", "new one")));
    frame(&mut s, ServerMessage::Message(msg(62, "bob", "another")));
    assert_eq!(s.room().unseen, 2);
    assert_eq!(s.room().scroll, scrolled + 2, "the view did not move");
    // End at the end of an empty input line jumps to the newest.
    s.update(key(KeyCode::End));
    assert_eq!((s.room().scroll, s.room().unseen), (0, 0));
}

#[test]
fn new_messages_at_the_bottom_are_not_counted_as_waiting() {
    let mut s = busy(5);
    frame(&mut s, ServerMessage::Message(msg(6, "bob", "x")));
    assert_eq!((s.room().scroll, s.room().unseen), (0, 0));
}

#[test]
fn page_down_and_the_wheel_scroll_back() {
    let mut s = busy(60);
    s.update(Event::Wheel(Wheel::Up));
    assert_eq!(s.room().scroll, 3);
    s.update(Event::Wheel(Wheel::Down));
    assert_eq!(s.room().scroll, 0);
    s.update(key(KeyCode::PageUp));
    s.update(key(KeyCode::PageUp));
    s.update(key(KeyCode::PageDown));
    s.update(key(KeyCode::PageDown));
    assert_eq!(s.room().scroll, 0);
}

#[test]
fn scrolling_past_the_oldest_fetches_older_history() {
    let msgs = (51..=100)
        .map(|i| msg(i, "bob", &format!("m{i}")))
        .collect();
    let mut s = client();
    s.update(Event::Net(NetEvent::Connected));
    frame(&mut s, welcome("general"));
    frame(&mut s, history("general", msgs, true));
    let mut fx = Vec::new();
    for _ in 0..10 {
        fx.extend(s.update(key(KeyCode::PageUp)));
    }
    let requests: Vec<_> = sent(&fx);
    assert_eq!(requests.len(), 1, "one request in flight at a time");
    let ClientMessage::History(h) = requests[0] else {
        panic!()
    };
    assert_eq!(h.before_id, Some(51));
    assert!(s.room().fetching_older);
    let before = s.room().scroll;
    let older = (1..=50).map(|i| msg(i, "bob", &format!("m{i}"))).collect();
    frame(&mut s, history("general", older, false));
    assert_eq!(shown_ids(&s), (1..=100).collect::<Vec<_>>());
    assert!(!s.room().has_older);
    assert_eq!(s.room().scroll, before, "prepending keeps the view");
}

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
    assert!(s.pending.is_empty());
    assert_eq!(last_notice(&s), "not sent (forbidden): spam — not yours");
}

#[test]
fn too_long_a_message_is_refused_locally() {
    let mut s = online(vec![], &[]);
    let fx = type_line(&mut s, &"x".repeat(4001));
    assert!(sent(&fx).is_empty());
    assert!(last_notice(&s).starts_with("not sent: message content must be at most"));
}

fn row_text(row: &layout::Row) -> String {
    row.iter().map(|s| s.text.as_str()).collect()
}

#[test]
fn a_new_day_gets_a_marker_and_today_needs_none() {
    let mut old = msg(1, "bob", "from saturday");
    old.timestamp = t0() - time::Duration::days(2);
    let mut s = online(vec![old, msg(2, "bob", "from today")], &[]);
    s.update(Event::Resize(Size::new(80, 24)));
    let rows: Vec<String> = s.layout().last_rows(100).iter().map(row_text).collect();
    let at = |needle: &str| {
        rows.iter()
            .position(|r| r.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not in {rows:#?}"))
    };
    assert!(at("Sat 21 Nov 2026") < at("from saturday"));
    assert!(at("from saturday") < at("Mon 23 Nov 2026"));
    assert!(at("Mon 23 Nov 2026") < at("from today"));

    let today_only = online(vec![msg(1, "bob", "hi")], &[]);
    let rows: Vec<String> = today_only
        .layout()
        .last_rows(100)
        .iter()
        .map(row_text)
        .collect();
    assert!(!rows.iter().any(|r| r.contains("Nov 2026")), "{rows:#?}");
}

#[test]
fn the_bottom_rows_are_the_end_of_all_rows() {
    let msgs = (1..=30)
        .map(|i| msg(i, "bob", &"word ".repeat(i as usize)))
        .collect();
    let mut s = online(msgs, &[]);
    type_line(&mut s, "pending one");
    let layout = s.layout();
    let all: Vec<String> = layout.last_rows(usize::MAX).iter().map(row_text).collect();
    assert_eq!(all.len(), layout.total_rows());
    for n in [0, 1, 7, 40, all.len(), all.len() + 5] {
        let bottom: Vec<String> = layout.last_rows(n).iter().map(row_text).collect();
        assert_eq!(bottom, all[all.len().saturating_sub(n)..], "n = {n}");
    }
    assert!(all.last().unwrap().contains("pending one"));
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
    assert_eq!(s.pending.len(), 1, "kept");
    assert!(last_notice(&s).starts_with("not stored yet (unavailable)"));
    let early = tick(&mut s, start + Duration::from_secs(1));
    assert!(sent(&early).is_empty());
    let due = tick(&mut s, start + Duration::from_secs(4));
    let ClientMessage::Message(m) = sent(&due)[0] else {
        panic!("{due:?}")
    };
    assert_eq!(m.client_id.as_ref().unwrap().as_str(), "t-1");
    frame(&mut s, stored(1, "important", "t-1"));
    assert!(s.pending.is_empty());
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
    assert_eq!(s.pending.len(), 1);
    assert_eq!(s.room().entries.len(), notices, "no notice");
}

#[test]
fn messages_missed_while_offline_count_as_new_when_scrolled_up() {
    let msgs = (1..=60).map(|i| msg(i, "bob", &format!("m{i}"))).collect();
    let mut s = online(msgs, &[]);
    s.update(key(KeyCode::PageUp));
    s.update(Event::Net(NetEvent::Disconnected {
        reason: "gone".into(),
        retry_at: Instant::now(),
        attempt: 1,
    }));
    let scrolled = s.room().scroll;
    s.update(Event::Net(NetEvent::Connected));
    frame(&mut s, welcome("general"));
    frame(
        &mut s,
        history(
            "general",
            vec![msg(61, "bob", "x"), msg(62, "bob", "y")],
            false,
        ),
    );
    assert_eq!(s.room().unseen, 2);
    // Two message rows plus the "reconnected" line, all below the view.
    assert_eq!(s.room().scroll, scrolled + 3);
}

#[test]
fn a_join_the_server_could_not_take_is_tried_again() {
    let mut s = online(vec![], &[]);
    let start = Instant::now();
    tick(&mut s, start);
    type_line(&mut s, "/join rust");
    frame(
        &mut s,
        ServerMessage::error(
            ErrorCode::Unavailable,
            "database down",
            Some(ErrorRef::Frame(ClientKind::Join)),
        ),
    );
    assert!(
        last_notice(&s).starts_with("cannot join #rust yet (unavailable)"),
        "{}",
        last_notice(&s)
    );
    assert!(!s.room().joined);
    let due = tick(&mut s, start + Duration::from_secs(4));
    let ClientMessage::Join(j) = sent(&due)[0] else {
        panic!("{due:?}")
    };
    assert_eq!(j.room.as_ref().unwrap().as_str(), "rust");
    frame(&mut s, welcome("rust"));
    frame(
        &mut s,
        history("rust", vec![msg_in("rust", 1, "bob", "hi")], false),
    );
    assert!(s.room().joined);
    assert_eq!(shown_ids(&s), vec![1]);
    // Nothing more is scheduled.
    let later = tick(&mut s, start + Duration::from_secs(10));
    assert!(sent(&later).is_empty());
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
fn a_room_that_does_not_fill_the_screen_loads_older_history_by_itself() {
    let mut s = client();
    s.update(Event::Resize(Size::new(100, 60)));
    s.update(Event::Net(NetEvent::Connected));
    frame(&mut s, welcome("general"));
    let page = |from: i64| (from..from + 10).map(|i| msg(i, "bob", "x")).collect();
    let fx = frame(&mut s, history("general", page(91), true));
    let ClientMessage::History(h) = sent(&fx)[0] else {
        panic!("{fx:?}")
    };
    assert_eq!(h.before_id, Some(91));
    let fx = frame(&mut s, history("general", page(81), true));
    assert_eq!(sent(&fx).len(), 1, "still short: the next page");
    // Enough to fill the pane: no more requests.
    let many = (1..=80).map(|i| msg(i, "bob", "x")).collect();
    let fx = frame(&mut s, history("general", many, true));
    assert!(sent(&fx).is_empty(), "{fx:?}");
}
