//! Screen snapshots: every state a user meets, drawn on a TestBackend at
//! 80x24 (the size the client must be usable at) and 40x12 (where the users
//! pane hides instead of breaking). Snapshots live in `src/view/snapshots/`.
//! Styles the text snapshot cannot show (mention highlight, dimmed system
//! lines, the cursor) are checked cell by cell.

use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};
use sapa_protocol::ServerMessage;

use super::*;
use crate::app::fixtures::*;
use crate::app::keys::KeyCode;
use crate::app::layout::Size;
use crate::app::{Event, NetEvent};

fn render(state: &State, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut state = state.clone();
    state.update(Event::Resize(Size::new(w, h)));
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| draw(f, &state, &Theme::dark())).unwrap();
    terminal
}

/// Snapshots `state` at 80x24 and 40x12 (the state is resized first, as a
/// terminal resize would).
fn snap(name: &str, state: &State) {
    for (w, h) in [(80, 24), (40, 12)] {
        let terminal = render(state, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), terminal.backend());
    }
}

fn busy_room() -> State {
    let lines = [
        ("bob", "morning all"),
        ("carol", "hi bob"),
        ("alice", "hey! coffee first"),
        ("dave", "did anyone look at the deploy?"),
        ("bob", "yes, it went fine"),
        ("carol", "nice"),
        ("erin", "lunch at noon?"),
        ("alice", "sure"),
        ("bob", "+1"),
        ("dave", "ok"),
    ];
    let msgs = lines
        .iter()
        .enumerate()
        .map(|(i, (u, t))| msg(i as i64 + 1, u, t))
        .collect();
    let mut s = online(msgs, &["alice", "bob", "carol", "dave", "erin"]);
    frame(&mut s, joined("general", "frank"));
    s
}

#[test]
fn empty_room() {
    snap("empty_room", &online(vec![], &["alice"]));
}

#[test]
fn busy_room_with_pending_message() {
    let mut s = busy_room();
    type_line(&mut s, "on my way");
    snap("busy_room", &s);
}

#[test]
fn long_and_wide_lines_wrap_by_display_width() {
    let msgs = vec![
        msg(1, "bob", &"a long line that goes on and on ".repeat(6)),
        msg(
            2,
            "kenji",
            "日本語のメッセージです。幅の広い文字は二列を使います。折り返しても崩れません。",
        ),
        msg(3, "zoe", "emoji 👍🏽🎉🚀 mixed with text and 한국어 too"),
        msg(4, "bob", "two\nlines"),
        msg(5, "a_very_long_username_indeed", "short"),
    ];
    let mut s = online(msgs, &["alice", "bob", "kenji", "zoe"]);
    for c in "typing something long enough to scroll the input line sideways 日本語".chars() {
        s.update(key(KeyCode::Char(c)));
    }
    snap("long_and_wide_lines", &s);
}

#[test]
fn scrolled_up_with_new_messages_waiting() {
    let msgs: Vec<_> = (1..=40)
        .map(|i| {
            msg(
                i,
                if i % 2 == 0 { "bob" } else { "carol" },
                &format!("message number {i}"),
            )
        })
        .collect();
    for (w, h) in [(80, 24), (40, 12)] {
        let mut s = online(msgs.clone(), &["alice", "bob", "carol"]);
        s.update(Event::Resize(Size::new(w, h)));
        s.update(key(KeyCode::PageUp));
        frame(&mut s, ServerMessage::Message(msg(41, "bob", "you there?")));
        frame(&mut s, ServerMessage::Message(msg(42, "bob", "hello?")));
        frame(&mut s, ServerMessage::Message(msg(43, "carol", "ping")));
        let terminal = render(&s, w, h);
        insta::assert_snapshot!(format!("scrolled_up_{w}x{h}"), terminal.backend());
    }
}

#[test]
fn reconnecting_shows_the_countdown() {
    let mut s = busy_room();
    let now = s.clock.now;
    s.update(Event::Net(NetEvent::Disconnected {
        reason: "connection refused".into(),
        retry_at: now + Duration::from_millis(3200),
        attempt: 3,
    }));
    type_line(&mut s, "queued while offline");
    snap("reconnecting", &s);
}

#[test]
fn help_overlay() {
    let mut s = busy_room();
    s.update(key(KeyCode::F(1)));
    snap("help_overlay", &s);
}

#[test]
fn login_screen() {
    let mut s = client();
    s.update(Event::LoginNeeded(Some("wrong password for alice".into())));
    for c in "secret".chars() {
        s.update(key(KeyCode::Char(c)));
    }
    snap("login_screen", &s);
}

#[test]
fn unread_rooms_show_in_the_status_line() {
    let mut s = busy_room();
    type_line(&mut s, "/join rust");
    frame(&mut s, welcome("rust"));
    frame(&mut s, history("rust", vec![], false));
    s.update(ctrl('p'));
    frame(
        &mut s,
        ServerMessage::Message(msg_in("rust", 20, "bob", "psst")),
    );
    frame(
        &mut s,
        ServerMessage::Message(msg_in("rust", 21, "bob", "over here")),
    );
    let t = render(&s, 80, 24);
    let top: String = (0..80)
        .map(|x| t.backend().buffer()[(x, 0)].symbol().to_owned())
        .collect();
    assert!(top.contains("#rust 2"), "{top}");
}

#[test]
fn mentions_are_highlighted_and_system_lines_dimmed() {
    let mut s = online(vec![msg(1, "bob", "alice: look")], &["alice", "bob"]);
    frame(&mut s, joined("general", "carol"));
    let t = render(&s, 80, 24);
    let buf = t.backend().buffer();
    let find = |needle: &str| {
        (0..24u16)
            .find_map(|y| {
                let row: String = (0..80u16)
                    .map(|x| buf[(x, y)].symbol().to_owned())
                    .collect();
                row.find(needle).map(|x| (x as u16, y))
            })
            .unwrap_or_else(|| panic!("{needle} not on screen"))
    };
    let (x, y) = find("alice: look");
    assert_eq!(buf[(x, y)].bg, Color::Yellow, "mention highlighted");
    let (x, y) = find("carol joined");
    assert_eq!(buf[(x, y)].fg, Color::DarkGray, "joined line dimmed");
    let (x, y) = find("bob alice");
    assert!(buf[(x, y)].modifier.contains(Modifier::BOLD));
    assert_eq!(buf[(x, y)].fg, name_color("bob"), "names keep their colour");
}

#[test]
fn the_cursor_sits_after_wide_characters_in_the_input() {
    let mut s = online(vec![], &[]);
    for c in "日本".chars() {
        s.update(key(KeyCode::Char(c)));
    }
    let mut t = render(&s, 80, 24);
    let pos = t.get_cursor_position().unwrap();
    assert_eq!((pos.x, pos.y), (2 + 4, 23));
}

#[test]
fn name_colours_are_stable_and_case_insensitive() {
    assert_eq!(name_color("Bob"), name_color("bob"));
    let distinct: std::collections::HashSet<_> = ["alice", "bob", "carol", "dave", "erin"]
        .iter()
        .map(|n| format!("{:?}", name_color(n)))
        .collect();
    assert!(distinct.len() >= 3, "names get different colours");
}

#[test]
fn a_crowded_users_pane_says_how_many_are_not_shown() {
    let names: Vec<String> = (1..=25).map(|i| format!("user{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let s = online(vec![], &refs);
    let t = render(&s, 80, 24);
    let buf = t.backend().buffer();
    let pane: Vec<String> = (0..24u16)
        .map(|y| {
            (62..80u16)
                .map(|x| buf[(x, y)].symbol().to_owned())
                .collect()
        })
        .collect();
    assert!(pane[1].contains("users (25)"), "{pane:#?}");
    assert!(pane[20].contains("user19"), "{pane:#?}");
    assert!(pane[21].contains("+6 more (/who)"), "{pane:#?}");
}

#[test]
fn tiny_and_odd_sizes_draw_without_panicking() {
    let mut busy = busy_room();
    type_line(
        &mut busy,
        "a pending line long enough to wrap on a small screen",
    );
    let mut help = busy.clone();
    help.update(key(KeyCode::F(1)));
    let mut login = client();
    login.update(Event::LoginNeeded(Some("an error".into())));
    for state in [&busy, &help, &login] {
        for w in [1, 2, 5, 10, 17, 59, 60, 61] {
            for h in [1, 2, 3, 4, 7] {
                let mut s = state.clone();
                s.update(key(KeyCode::PageUp));
                render(&s, w, h);
            }
        }
    }
}

#[test]
fn editing_composer_edited_and_deleted_lines() {
    // Bob's first line was edited, his second deleted; alice is editing
    // her own last line.
    let mut s = busy_room();
    frame(
        &mut s,
        ServerMessage::Edited(sapa_protocol::Edited {
            room: "general".parse().unwrap(),
            id: 9,
            content: "+1, see you there".parse().unwrap(),
            edited_at: at(12),
            seq: 12,
        }),
    );
    frame(
        &mut s,
        ServerMessage::Deleted(sapa_protocol::Deleted {
            room: "general".parse().unwrap(),
            id: 5,
            seq: 13,
        }),
    );
    s.update(key(KeyCode::Up));
    assert!(s.editing.is_some());
    snap("editing", &s);
}

#[test]
fn a_run_of_joins_and_leaves_folded_into_one_line() {
    let mut s = busy_room();
    for _ in 0..40 {
        frame(&mut s, joined("general", "carol"));
        frame(&mut s, left("general", "carol"));
    }
    frame(&mut s, joined("general", "gina"));
    snap("folded_comings", &s);
}

#[test]
fn search_overlay_with_the_second_result_chosen() {
    let mut s = busy_room();
    frame(
        &mut s,
        ServerMessage::SearchResults(sapa_protocol::SearchResults {
            q: "deploy".to_owned(),
            messages: vec![
                msg(5, "bob", "the deploy went fine"),
                msg_in("ops", 4, "dave", "did anyone look at the Deploy?"),
                msg(2, "kenji", "デプロイ deploy 完了"),
            ],
            has_more: true,
        }),
    );
    s.update(key(KeyCode::Down));
    snap("search_overlay", &s);
    let terminal = render(&s, 80, 24);
    let cell = |x, y| terminal.backend().buffer()[(x, y)].clone();
    assert!(
        cell(5, 11).modifier.contains(Modifier::REVERSED),
        "the chosen line"
    );
    assert!(!cell(5, 10).modifier.contains(Modifier::REVERSED));
}

/// alice in #general and #rust, and in a DM with bob that is on screen;
/// #rust has unread lines.
fn in_a_dm() -> State {
    let mut s = busy_room();
    type_line(&mut s, "/join rust");
    frame(&mut s, welcome("rust"));
    frame(&mut s, history("rust", vec![], false));
    type_line(&mut s, "/query bob");
    frame(&mut s, welcome("dm:alice:bob"));
    let dms = vec![
        dm(20, "bob", "alice", "got a minute?"),
        dm(21, "alice", "bob", "sure, what's up"),
        dm(22, "bob", "alice", "the deploy key expired"),
    ];
    frame(&mut s, history("dm:alice:bob", dms, false));
    frame(&mut s, presence("dm:alice:bob", &["alice", "bob"]));
    for id in 30..=31 {
        frame(
            &mut s,
            ServerMessage::Message(msg_in("rust", id, "carol", "psst")),
        );
    }
    s
}

#[test]
fn a_dm_view_listed_with_the_rooms_and_their_unread_counts() {
    snap("dm_view", &in_a_dm());
}

#[test]
fn the_new_divider_sits_at_the_read_marker() {
    let mut s = client();
    s.update(Event::Net(NetEvent::Connected));
    frame(&mut s, welcome_with("general", 4, 4000));
    let lines = [
        "morning",
        "hi",
        "coffee?",
        "in five",
        "deploy went out",
        "all green",
        "nice",
    ];
    let msgs = lines
        .iter()
        .enumerate()
        .map(|(i, t)| msg(i as i64 + 1, if i % 2 == 0 { "bob" } else { "carol" }, t))
        .collect();
    frame(&mut s, history("general", msgs, false));
    frame(&mut s, presence("general", &["alice", "bob", "carol"]));
    s.update(Event::Net(NetEvent::Rtt(Duration::from_millis(12))));
    snap("unread_divider", &s);
}

#[test]
fn who_is_typing_shows_above_the_input() {
    let mut s = busy_room();
    frame(
        &mut s,
        ServerMessage::Typing(sapa_protocol::Typing {
            room: "general".parse().unwrap(),
            username: name("bob"),
        }),
    );
    for c in "hang on".chars() {
        s.update(key(KeyCode::Char(c)));
    }
    snap("typing_line", &s);
}

#[test]
fn the_composer_counts_down_near_the_servers_limit() {
    let mut s = client();
    s.update(Event::Net(NetEvent::Connected));
    frame(&mut s, welcome_with("general", 0, 200));
    frame(
        &mut s,
        history("general", vec![msg(1, "bob", "write me an essay")], false),
    );
    frame(&mut s, presence("general", &["alice", "bob"]));
    let essay = "All work and no play makes a dull day. ".repeat(5);
    for c in essay.chars().take(188) {
        s.update(key(KeyCode::Char(c)));
    }
    snap("composer_near_limit", &s);
    // Past the limit, the count says by how much, in the warning colour.
    for c in "and more".chars().chain(std::iter::repeat_n('!', 8)) {
        s.update(key(KeyCode::Char(c)));
    }
    let terminal = render(&s, 80, 24);
    insta::assert_snapshot!("composer_over_limit_80x24", terminal.backend());
    let buffer = terminal.backend().buffer();
    assert_eq!(buffer[(79, 23)].symbol(), "r");
    assert_eq!(buffer[(79, 23)].fg, Theme::dark().warning.fg.unwrap());
}
