//! Test helpers shared by the state-machine and screen tests: a client at a
//! fixed time and size, and builders for the server frames it receives.
//! Test builds only; the tests themselves live in `app/tests/` and
//! `view/tests.rs`.

use std::time::{Duration, Instant};

use sapa_protocol::{
    History, MessageView, Presence, PresenceChange, ServerMessage, Username, Welcome,
};
use time::{OffsetDateTime, UtcOffset};

use crate::app::keys::{Key, KeyCode};
use crate::app::{Event, NetEvent, Options, State};

/// 2026-11-23 10:00:00 UTC, the clock of every test.
pub fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_795_428_000).unwrap()
}

/// A minute after [`t0`] times `n`.
pub fn at(n: i64) -> OffsetDateTime {
    t0() + time::Duration::minutes(n)
}

pub fn name(s: &str) -> Username {
    s.parse().unwrap()
}

/// alice on the chat screen of `localhost:3000`, not connected, 80x24.
pub fn client() -> State {
    State::new(options())
}

/// What [`client`] starts with.
pub fn options() -> Options {
    Options {
        server: "localhost:3000".into(),
        user: name("alice"),
        room: "general".parse().unwrap(),
        client_prefix: "t".into(),
        utc_offset: UtcOffset::UTC,
        now: Instant::now(),
        wall: at(55),
        prefs: Default::default(),
    }
}

pub fn msg(id: i64, user: &str, text: &str) -> MessageView {
    msg_in("general", id, user, text)
}

pub fn msg_in(room: &str, id: i64, user: &str, text: &str) -> MessageView {
    MessageView {
        id,
        room: room.parse().unwrap(),
        username: name(user),
        content: text.parse().unwrap(),
        timestamp: at(id),
        client_id: None,
        to: None,
        edited_at: None,
        deleted: false,
    }
}

pub fn frame(state: &mut State, f: ServerMessage) -> Vec<crate::app::Effect> {
    state.update(Event::Net(NetEvent::Frame(f)))
}

pub fn welcome(room: &str) -> ServerMessage {
    ServerMessage::Welcome(Welcome {
        username: name("alice"),
        room: room.parse().unwrap(),
        content: "Welcome alice!".into(),
        timestamp: at(45),
        limits: sapa_protocol::Limits {
            max_content_chars: 4000,
            max_frame_bytes: 65536,
            messages_per_second: 200,
            burst: 400,
            history_page_max: 100,
        },
        read_up_to: 0,
    })
}

pub fn history(room: &str, messages: Vec<MessageView>, has_more: bool) -> ServerMessage {
    ServerMessage::History(History {
        room: room.parse().unwrap(),
        messages,
        has_more,
    })
}

pub fn presence(room: &str, users: &[&str]) -> ServerMessage {
    ServerMessage::Presence(Presence {
        room: room.parse().unwrap(),
        users: users.iter().map(|u| name(u)).collect(),
        count: None,
    })
}

/// A big room's `presence`: the count only.
pub fn presence_count(room: &str, count: u64) -> ServerMessage {
    ServerMessage::Presence(Presence {
        room: room.parse().unwrap(),
        users: Vec::new(),
        count: Some(count),
    })
}

pub fn joined(room: &str, user: &str) -> ServerMessage {
    ServerMessage::Joined(PresenceChange {
        room: room.parse().unwrap(),
        username: name(user),
        timestamp: at(50),
    })
}

pub fn left(room: &str, user: &str) -> ServerMessage {
    ServerMessage::Left(PresenceChange {
        room: room.parse().unwrap(),
        username: name(user),
        timestamp: at(51),
    })
}

/// A client that connected and joined `general` with this history.
pub fn online(messages: Vec<MessageView>, users: &[&str]) -> State {
    let mut s = client();
    s.update(Event::Net(NetEvent::Connected));
    frame(&mut s, welcome("general"));
    frame(&mut s, history("general", messages, false));
    frame(&mut s, presence("general", users));
    s.update(Event::Net(NetEvent::Rtt(Duration::from_millis(12))));
    s
}

pub fn key(code: KeyCode) -> Event {
    Event::Key(Key::plain(code))
}

pub fn ctrl(c: char) -> Event {
    Event::Key(Key::ctrl(KeyCode::Char(c)))
}

/// Types `text` and presses Enter.
pub fn type_line(state: &mut State, text: &str) -> Vec<crate::app::Effect> {
    for c in text.chars() {
        state.update(key(KeyCode::Char(c)));
    }
    state.update(key(KeyCode::Enter))
}

/// A DM from `from` to `to`, in their `dm:` room.
pub fn dm(id: i64, from: &str, to: &str, text: &str) -> MessageView {
    let room = sapa_protocol::RoomName::direct(&name(from), &name(to));
    MessageView {
        to: Some(name(to)),
        ..msg_in(room.as_str(), id, from, text)
    }
}

/// The welcome of `room` for a user who has read it up to `read_up_to`,
/// on a server that takes `max_chars` characters a message.
pub fn welcome_with(room: &str, read_up_to: i64, max_chars: u32) -> ServerMessage {
    let ServerMessage::Welcome(mut w) = welcome(room) else {
        unreachable!("welcome() builds a welcome")
    };
    w.read_up_to = read_up_to;
    w.limits.max_content_chars = max_chars;
    ServerMessage::Welcome(w)
}
