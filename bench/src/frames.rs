//! What travels inside the benchmark's frames: the marker a sender writes at
//! the start of every message's content (run, sender, sequence number and
//! planned send time), the frames the tool sends, and a cheap reader for the
//! frames it receives.
//!
//! Receiving is the tool's hot path (a busy room delivers hundreds of
//! thousands of frames a second to one core), so a `message` frame is not
//! decoded into `sapa_protocol::ServerMessage`: the reader finds the
//! `"content"` and `"id"` fields by scanning the text, which is exact for
//! JSON written by a serializer (quotes inside strings are escaped, so the
//! patterns cannot match inside a string). Every other frame is rare and goes
//! through serde, leniently, so a tutorial-style server whose frames carry
//! other fields (or no `id`) works too.

use std::borrow::Cow;

use sapa_protocol::{
    ClientId, ClientMessage, Content, Join, RoomName, Secret, SendMessage, Username,
};
use serde::Deserialize;

/// What every benchmark message starts with; the rest is padding.
const PREFIX: &str = "SB|";

/// The facts a sender puts into a message so receivers can measure it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Marker {
    /// Which run of the tool sent it (messages of earlier runs come back in
    /// join history and must not count).
    pub run: u32,
    /// The sender's client index.
    pub sender: u32,
    /// The sender's sequence number, from 0.
    pub seq: u32,
    /// When the message was planned to be sent, in microseconds since the
    /// tool's clock origin: latency is measured from here (open loop).
    pub planned_us: u64,
}

impl Marker {
    /// The message text: the marker, then `x` up to `size` bytes (never
    /// shorter than the marker itself).
    pub fn encode(&self, size: usize) -> String {
        let mut text = format!(
            "{PREFIX}{:08x}|{}|{}|{}|",
            self.run, self.sender, self.seq, self.planned_us
        );
        if text.len() < size {
            text.extend(std::iter::repeat_n('x', size - text.len()));
        }
        text
    }

    /// Reads a marker from the start of a message's content; `None` for
    /// anything that is not a benchmark message.
    pub fn parse(content: &str) -> Option<Self> {
        let rest = content.strip_prefix(PREFIX)?;
        let mut fields = rest.splitn(5, '|');
        let run = u32::from_str_radix(fields.next()?, 16).ok()?;
        let sender = fields.next()?.parse().ok()?;
        let seq = fields.next()?.parse().ok()?;
        let planned_us = fields.next()?.parse().ok()?;
        fields.next()?; // the marker ends with '|'
        Some(Self {
            run,
            sender,
            seq,
            planned_us,
        })
    }
}

/// One benchmark message as seen by a receiver: the server's id (when the
/// server sends one) and the marker (when the content is a benchmark
/// message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub id: Option<i64>,
    pub marker: Option<Marker>,
}

/// A received frame, reduced to what the tool needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A live `message` frame.
    Message(Seen),
    /// A `history` page (join replay or resume), oldest first.
    History { messages: Vec<Seen>, has_more: bool },
    /// The answer to a successful join.
    Welcome,
    /// An `error` frame.
    Error { code: String, content: String },
    /// Anything else (presence, joined, left, system, pong, unknown types).
    Other,
    /// Text that is not a JSON object with a `type`.
    Garbage,
}

/// Reads one text frame.
pub fn classify(text: &str) -> Incoming {
    if text.starts_with(r#"{"type":"message""#) {
        return Incoming::Message(scan_message(text));
    }
    #[derive(Deserialize)]
    struct Frame<'a> {
        #[serde(rename = "type", borrow)]
        kind: Cow<'a, str>,
        #[serde(default)]
        id: Option<serde_json::Value>,
        #[serde(default, borrow)]
        content: Option<Cow<'a, str>>,
        #[serde(default, borrow)]
        code: Option<Cow<'a, str>>,
        #[serde(default)]
        messages: Option<Vec<HistoryItem>>,
        #[serde(default)]
        has_more: Option<bool>,
    }
    #[derive(Deserialize)]
    struct HistoryItem {
        #[serde(default)]
        id: Option<serde_json::Value>,
        #[serde(default)]
        content: Option<String>,
    }
    let Ok(frame) = serde_json::from_str::<Frame>(text) else {
        return Incoming::Garbage;
    };
    let seen = |id: Option<&serde_json::Value>, content: Option<&str>| Seen {
        id: id.and_then(serde_json::Value::as_i64),
        marker: content.and_then(Marker::parse),
    };
    match frame.kind.as_ref() {
        "message" => Incoming::Message(seen(frame.id.as_ref(), frame.content.as_deref())),
        "history" => Incoming::History {
            messages: frame
                .messages
                .unwrap_or_default()
                .iter()
                .map(|m| seen(m.id.as_ref(), m.content.as_deref()))
                .collect(),
            has_more: frame.has_more.unwrap_or(false),
        },
        "welcome" => Incoming::Welcome,
        "error" => Incoming::Error {
            code: frame.code.unwrap_or_default().into_owned(),
            content: frame.content.unwrap_or_default().into_owned(),
        },
        _ => Incoming::Other,
    }
}

/// The fast path for `message` frames: the id and the marker, found by
/// scanning. A frame whose content is not a benchmark message has no marker.
fn scan_message(text: &str) -> Seen {
    let marker = text
        .find(r#""content":""#)
        .map(|at| &text[at + r#""content":""#.len()..])
        .and_then(|rest| rest.find('"').map(|end| &rest[..end]))
        .and_then(Marker::parse);
    let id = text.find(r#""id":"#).and_then(|at| {
        let digits = &text[at + r#""id":"#.len()..];
        let end = digits
            .find(|c: char| !c.is_ascii_digit() && c != '-')
            .unwrap_or(digits.len());
        digits[..end].parse().ok()
    });
    Seen { id, marker }
}

/// How a connection proves who it is on its first join.
#[derive(Debug, Clone)]
pub enum Credential {
    Password(Secret),
    Token(Secret),
}

/// The name and credential one simulated client joins with.
#[derive(Debug, Clone)]
pub struct Identity {
    pub username: Username,
    pub credential: Credential,
}

/// The `join` frame. `room` and `since_id` are left out for servers that
/// speak only the tutorial's frames.
pub fn join_frame(identity: &Identity, room: Option<&RoomName>, since_id: Option<i64>) -> String {
    let (password, token) = match &identity.credential {
        Credential::Password(secret) => (Some(secret.clone()), None),
        Credential::Token(secret) => (None, Some(secret.clone())),
    };
    ClientMessage::Join(Join {
        username: Some(identity.username.clone()),
        password,
        token,
        room: room.cloned(),
        since_id,
        announce: None,
    })
    .to_json()
}

/// The `message` frame carrying `marker`, padded to `size` bytes of content.
/// With a room the frame names it and carries a client id, as the terminal
/// client does; without one it is exactly the tutorial's
/// `{"type":"message","content":...}`.
pub fn message_frame(marker: &Marker, size: usize, room: Option<&RoomName>) -> String {
    let content = Content::parse(marker.encode(size)).expect("markers are valid content");
    let client_id = room.map(|_| {
        ClientId::parse(format!(
            "{:08x}-{}-{}",
            marker.run, marker.sender, marker.seq
        ))
        .expect("numeric client ids are valid")
    });
    ClientMessage::Message(SendMessage {
        content,
        room: room.cloned(),
        to: None,
        client_id,
        username: None,
    })
    .to_json()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARKER: Marker = Marker {
        run: 0xabc,
        sender: 7,
        seq: 42,
        planned_us: 1_234_567,
    };

    #[test]
    fn a_marker_survives_encoding_and_padding() {
        let text = MARKER.encode(100);
        assert_eq!(text.len(), 100);
        assert_eq!(Marker::parse(&text), Some(MARKER));
    }

    #[test]
    fn a_size_smaller_than_the_marker_keeps_the_whole_marker() {
        let text = MARKER.encode(5);
        assert_eq!(Marker::parse(&text), Some(MARKER));
    }

    #[test]
    fn ordinary_text_has_no_marker() {
        assert_eq!(Marker::parse("hello"), None);
        assert_eq!(Marker::parse("SB|zz|1|2|3|"), None);
        assert_eq!(Marker::parse("SB|1|2|3|4"), None);
    }

    #[test]
    fn a_server_message_frame_is_read_by_the_fast_path() {
        let text = format!(
            r#"{{"type":"message","id":981,"room":"a-0","username":"b1","content":"{}","timestamp":"2026-11-23T10:00:00Z","client_id":"x-1"}}"#,
            MARKER.encode(60)
        );
        assert_eq!(
            classify(&text),
            Incoming::Message(Seen {
                id: Some(981),
                marker: Some(MARKER)
            })
        );
    }

    #[test]
    fn a_tutorial_message_frame_without_id_is_read() {
        let text = format!(
            r#"{{"username":"b1","type":"message","content":"{}","timestamp":"t"}}"#,
            MARKER.encode(60)
        );
        assert_eq!(
            classify(&text),
            Incoming::Message(Seen {
                id: None,
                marker: Some(MARKER)
            })
        );
    }

    #[test]
    fn history_pages_list_every_message() {
        let text = format!(
            r#"{{"type":"history","room":"a","messages":[{{"type":"message","id":1,"content":"hi"}},{{"type":"message","id":2,"content":"{}"}}],"has_more":true}}"#,
            MARKER.encode(40)
        );
        assert_eq!(
            classify(&text),
            Incoming::History {
                messages: vec![
                    Seen {
                        id: Some(1),
                        marker: None
                    },
                    Seen {
                        id: Some(2),
                        marker: Some(MARKER)
                    }
                ],
                has_more: true
            }
        );
    }

    #[test]
    fn errors_and_other_frames_are_told_apart() {
        assert_eq!(
            classify(r#"{"type":"error","code":"rate_limited","content":"slow down"}"#),
            Incoming::Error {
                code: "rate_limited".into(),
                content: "slow down".into()
            }
        );
        assert_eq!(
            classify(r#"{"type":"presence","room":"a","users":[]}"#),
            Incoming::Other
        );
        assert_eq!(classify("not json"), Incoming::Garbage);
    }

    #[test]
    fn the_message_frame_round_trips_through_the_protocol() {
        let room = RoomName::parse("a-0".into()).unwrap();
        let text = message_frame(&MARKER, 100, Some(&room));
        let Ok(ClientMessage::Message(sent)) = sapa_protocol::decode_client(&text) else {
            panic!("not a message frame: {text}");
        };
        assert_eq!(Marker::parse(sent.content.as_str()), Some(MARKER));
        assert_eq!(sent.room, Some(room));
        assert!(sent.client_id.is_some());
    }

    #[test]
    fn without_a_room_the_frame_is_the_tutorials() {
        let text = message_frame(&MARKER, 10, None);
        assert_eq!(
            text,
            format!(r#"{{"type":"message","content":"{}"}}"#, MARKER.encode(10))
        );
    }
}
