//! Read markers and unread counts: what is on screen is read, markers go
//! to the server debounced and only forward, the server's counts (at
//! connect) and other devices' markers (as `read` frames) set the counts,
//! and a room opens with the "new" divider at its marker.

use sapa_protocol::{ReadMarker, rest::Conversation};

use super::*;
use crate::app::unread::READ_DEBOUNCE;

fn reads(fx: &[Effect]) -> Vec<(String, i64)> {
    sent(fx)
        .iter()
        .filter_map(|m| match m {
            ClientMessage::Read(r) => Some((r.room.to_string(), r.up_to)),
            _ => None,
        })
        .collect()
}

fn bobs(ids: std::ops::RangeInclusive<i64>) -> Vec<sapa_protocol::MessageView> {
    ids.map(|i| msg(i, "bob", &format!("line {i}"))).collect()
}

/// Connected to general, read up to `read_up_to`, with bob's lines
/// 1..=`last` as its history, and the clock at `start`.
fn opened(read_up_to: i64, last: i64, start: Instant) -> State {
    let mut s = client();
    tick(&mut s, start);
    s.update(Event::Net(NetEvent::Connected));
    frame(&mut s, welcome_with("general", read_up_to, 4000));
    frame(&mut s, history("general", bobs(1..=last), false));
    s
}

fn conversation(room: &str, last_id: i64, read_up_to: i64, unread: i64) -> Conversation {
    Conversation {
        room: room.parse().unwrap(),
        last_id,
        read_up_to,
        unread,
    }
}

#[test]
fn the_newest_messages_on_screen_are_read_and_sent_once_after_a_second() {
    let start = Instant::now();
    let mut s = opened(2, 5, start);
    assert_eq!(s.room().read.up_to, 5, "read as shown");
    assert!(reads(&tick(&mut s, start + READ_DEBOUNCE / 2)).is_empty());
    // More lines arrive within the second: still one frame, the newest.
    frame(&mut s, ServerMessage::Message(msg(6, "bob", "more")));
    frame(&mut s, ServerMessage::Message(msg(7, "bob", "and more")));
    let fx = tick(&mut s, start + READ_DEBOUNCE);
    assert_eq!(reads(&fx), vec![("general".to_owned(), 7)]);
    assert!(reads(&tick(&mut s, start + READ_DEBOUNCE * 3)).is_empty());
}

#[test]
fn a_room_opens_with_the_new_divider_at_its_marker() {
    let s = opened(3, 6, Instant::now());
    assert_eq!(s.room().read.divider, Some(3));
    let rows: Vec<String> = s
        .layout()
        .last_rows(100)
        .iter()
        .map(|row| row.iter().map(|seg| seg.text.as_str()).collect())
        .collect();
    let at = rows
        .iter()
        .position(|r| r.contains("─ new ─"))
        .expect("a divider");
    assert!(rows[at - 1].ends_with("line 3"), "{rows:#?}");
    assert!(rows[at + 1].ends_with("line 4"), "{rows:#?}");
    // Nothing new since the marker: no divider.
    assert_eq!(opened(6, 6, Instant::now()).room().read.divider, None);
}

#[test]
fn scrolled_up_nothing_is_read_until_the_newest_is_back_in_view() {
    let start = Instant::now();
    let mut s = opened(40, 40, start);
    s.update(key(KeyCode::PageUp));
    frame(
        &mut s,
        ServerMessage::Message(msg(41, "bob", "below the view")),
    );
    assert_eq!(s.room().read.up_to, 40);
    assert_eq!(s.room().unread, 1);
    s.update(key(KeyCode::End));
    assert_eq!(s.room().read.up_to, 41);
    assert_eq!(s.room().unread, 0);
    assert_eq!(
        reads(&tick(&mut s, start + READ_DEBOUNCE)),
        vec![("general".to_owned(), 41)]
    );
}

#[test]
fn a_marker_from_another_device_clears_the_rooms_unread_count() {
    let start = Instant::now();
    let mut s = opened(0, 0, start);
    type_line(&mut s, "/join rust");
    frame(&mut s, welcome("rust"));
    frame(&mut s, history("rust", vec![], false));
    s.update(ctrl('p'));
    for id in 10..=12 {
        frame(
            &mut s,
            ServerMessage::Message(msg_in("rust", id, "bob", "hi")),
        );
    }
    assert_eq!(s.rooms[1].unread, 3);
    let read = |up_to| {
        ServerMessage::Read(ReadMarker {
            room: "rust".parse().unwrap(),
            up_to,
        })
    };
    frame(&mut s, read(11));
    assert_eq!(s.rooms[1].unread, 1, "read up to 11 elsewhere");
    frame(&mut s, read(10));
    assert_eq!(s.rooms[1].unread, 1, "markers never move back");
    frame(&mut s, read(12));
    assert_eq!(s.rooms[1].unread, 0);
    // The other device sent it: this one does not send it again.
    assert!(
        reads(&tick(&mut s, start + READ_DEBOUNCE * 2))
            .iter()
            .all(|(room, _)| room != "rust")
    );
}

#[test]
fn the_servers_counts_at_connect_set_unread_and_list_dms() {
    // Joined to #rust too, whose newest page is in but never looked at.
    let mut options = options();
    options.prefs.also_join = vec!["rust".parse().unwrap()];
    let mut s = State::new(options);
    s.update(Event::Net(NetEvent::Connected));
    frame(&mut s, welcome_with("general", 5, 4000));
    frame(&mut s, history("general", bobs(1..=5), false));
    frame(&mut s, welcome_with("rust", 10, 4000));
    frame(
        &mut s,
        history("rust", vec![msg_in("rust", 30, "bob", "x")], true),
    );
    let fx = s.update(Event::Conversations(Ok(vec![
        conversation("general", 5, 5, 0),
        conversation("rust", 30, 10, 12),
        conversation("dm:alice:carol", 44, 40, 2),
        conversation("dm:alice:dave", 0, 0, 0),
        conversation("never-joined", 9, 0, 9),
    ])));
    let labels: Vec<String> = s.rooms.iter().map(|r| r.label(&s.user)).collect();
    assert_eq!(
        labels,
        ["#general", "#rust", "@carol"],
        "DMs with messages join the list"
    );
    assert_eq!(
        s.rooms[1].unread, 12,
        "the server counts what was never loaded"
    );
    assert_eq!(s.rooms[2].unread, 2);
    assert!(
        sent(&fx).iter().any(
            |m| matches!(m, ClientMessage::Join(j) if j.room.as_ref().is_some_and(|r| r.as_str() == "dm:alice:carol"))
        ),
        "{fx:?}"
    );
}

#[test]
fn a_connection_asks_for_the_counts_once_its_first_join_is_welcomed() {
    let mut s = client();
    s.update(Event::Net(NetEvent::Connected));
    let fx = frame(&mut s, welcome("general"));
    assert!(fx.contains(&Effect::FetchConversations));
    type_line(&mut s, "/join rust");
    assert!(!frame(&mut s, welcome("rust")).contains(&Effect::FetchConversations));
    s.update(Event::Net(NetEvent::Disconnected {
        reason: "gone".into(),
        retry_at: Instant::now(),
        attempt: 1,
    }));
    s.update(Event::Net(NetEvent::Connected));
    assert!(frame(&mut s, welcome("general")).contains(&Effect::FetchConversations));
}

#[test]
fn a_client_that_reads_nothing_sends_no_markers() {
    let start = Instant::now();
    let mut s = client();
    s.reader = false;
    tick(&mut s, start);
    s.update(Event::Net(NetEvent::Connected));
    let fx = frame(&mut s, welcome_with("general", 0, 4000));
    assert!(!fx.contains(&Effect::FetchConversations));
    frame(&mut s, history("general", bobs(1..=3), false));
    assert!(reads(&tick(&mut s, start + READ_DEBOUNCE)).is_empty());
}
