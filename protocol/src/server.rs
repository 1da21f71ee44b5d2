//! Server -> client: every frame the server sends, the message view they
//! share with the REST API, and the `history` frame assembled from message
//! frames already encoded (so a message is serialized once, however many
//! joins replay it).

use serde::{Deserialize, Serialize, Serializer};
use time::OffsetDateTime;

use crate::client::ReadMarker;
use crate::errors::{ErrorCode, ErrorFrame, ErrorRef};
use crate::names::{ClientId, Content, MessageText, RoomName, Username};
use crate::timestamp;

/// A frame the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The answer to a successful join.
    Welcome(Welcome),
    /// A stored message, broadcast to its room.
    Message(MessageView),
    /// A page of stored messages, oldest first.
    History(History),
    /// Who is in a room right now.
    Presence(Presence),
    /// A user's first connection entered a room.
    Joined(PresenceChange),
    /// A user's last connection left a room (or this connection left it).
    Left(PresenceChange),
    /// A free-text notice.
    System(SystemNotice),
    /// Something the client sent was refused.
    Error(ErrorFrame),
    /// The answer to `ping`.
    Pong(Pong),
    /// A page of a room's members, the answer to `who`.
    Who(WhoPage),
    /// A stored message's text was changed by its author.
    Edited(Edited),
    /// A stored message was deleted by its author.
    Deleted(Deleted),
    /// The answer to `search`.
    SearchResults(SearchResults),
    /// Another member is typing in a room.
    Typing(Typing),
    /// The user's read marker moved, on another of their connections.
    Read(ReadMarker),
}

impl ServerMessage {
    /// Encodes the frame as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("server frames always serialize")
    }

    /// Decodes a server frame (for clients).
    pub fn decode(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// An error frame.
    pub fn error(code: ErrorCode, content: impl Into<String>, reference: Option<ErrorRef>) -> Self {
        Self::Error(ErrorFrame {
            code,
            content: content.into(),
            reference,
            retry_after: None,
        })
    }

    /// `rate_limited`: refused for rate, with the seconds until a retry can
    /// succeed (at least one).
    pub fn rate_limited(
        content: impl Into<String>,
        reference: Option<ErrorRef>,
        retry_after: std::time::Duration,
    ) -> Self {
        Self::Error(ErrorFrame {
            code: ErrorCode::RateLimited,
            content: content.into(),
            reference,
            retry_after: Some(crate::errors::retry_secs(retry_after)),
        })
    }
}

/// `welcome`: the join succeeded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Welcome {
    pub username: Username,
    pub room: RoomName,
    pub content: String,
    #[serde(with = "timestamp")]
    pub timestamp: OffsetDateTime,
    /// What this connection may send, so a composer counts against the
    /// server's numbers instead of constants of its own.
    pub limits: Limits,
    /// The id up to which the user has read this room (0: no marker).
    #[serde(default)]
    pub read_up_to: i64,
}

/// `welcome.limits`: the limits in force for one connection, as integers;
/// a limit that is turned off is 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Most characters (not bytes) of a message's content.
    pub max_content_chars: u32,
    /// Largest frame, in bytes.
    pub max_frame_bytes: u32,
    /// Messages per second, sustained.
    pub messages_per_second: u32,
    /// Messages that may be sent at once before the rate applies.
    pub burst: u32,
    /// The most messages one `history` request may ask for.
    pub history_page_max: u32,
}

/// A stored message, the same object wherever it appears: as a `message`
/// frame, inside `history`, and in the REST API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "type": "message", "id": 42, "room": "general", "username": "alice",
    "content": "hello", "timestamp": "2026-11-23T10:00:00Z", "client_id": "c-1"
})))]
pub struct MessageView {
    pub id: i64,
    pub room: RoomName,
    pub username: Username,
    /// The latest text; empty for a deleted message.
    pub content: MessageText,
    #[serde(with = "timestamp")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub timestamp: OffsetDateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientId>,
    /// In a direct conversation, the recipient (as registered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Username>,
    /// When its author last changed the text, if ever.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub edited_at: Option<OffsetDateTime>,
    /// A tombstone: its author deleted it, and its text is gone.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

/// A message view borrowed as a `message` frame, `"type"` included.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum MessageFrame<'a> {
    Message(&'a MessageView),
}

impl MessageView {
    /// The `message` frame's JSON, the same as
    /// `ServerMessage::Message(view).to_json()` without copying the view.
    pub fn to_frame_json(&self) -> String {
        serde_json::to_string(&MessageFrame::Message(self))
            .expect("message frames always serialize")
    }
}

/// The `history` frame's JSON assembled from `message` frames already
/// encoded (by [`MessageView::to_frame_json`]), oldest first: the same text
/// as serializing [`ServerMessage::History`], without encoding any message
/// again.
pub fn history_frame_json<'a>(
    room: &RoomName,
    message_frames: impl IntoIterator<Item = &'a str>,
    has_more: bool,
) -> String {
    let room = serde_json::to_string(room).expect("room names always serialize");
    let mut json = format!(r#"{{"type":"history","room":{room},"messages":["#);
    for (index, frame) in message_frames.into_iter().enumerate() {
        if index > 0 {
            json.push(',');
        }
        json.push_str(frame);
    }
    json.push_str(if has_more {
        r#"],"has_more":true}"#
    } else {
        r#"],"has_more":false}"#
    });
    json
}

/// Serializes message views as `message` frames (with `"type":"message"`),
/// the form they take inside `history` and in REST lists. Deserializing
/// needs no counterpart: the extra `type` field is ignored.
pub fn serialize_message_frames<S: Serializer>(
    messages: &[MessageView],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(messages.iter().map(MessageFrame::Message))
}

/// `history`: messages of one room, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    pub room: RoomName,
    #[serde(serialize_with = "serialize_message_frames")]
    pub messages: Vec<MessageView>,
    /// Whether older (or, for a resume, newer) messages were left out.
    pub has_more: bool,
}

/// `presence`: who is in a room. In a room up to the server's big-room size
/// it lists the users, sorted, each once (and `count` is left out). In a
/// bigger room it carries only `count`, at most once a second while the
/// count changes; the list is paged with `who`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    pub room: RoomName,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<Username>,
    /// How many users are in a big room.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

impl Presence {
    /// How many users are in the room, whichever form the frame has.
    pub fn user_count(&self) -> u64 {
        self.count.unwrap_or(self.users.len() as u64)
    }
}

/// `edited`: message `id` of `room` now reads `content`. `seq` is the
/// change's place in the room's stream, from the same sequence as message
/// ids: a resume with `since_id` replays the changes above it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edited {
    pub room: RoomName,
    pub id: i64,
    pub content: Content,
    #[serde(with = "timestamp")]
    pub edited_at: OffsetDateTime,
    pub seq: i64,
}

/// `deleted`: message `id` of `room` is gone (its view is a tombstone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deleted {
    pub room: RoomName,
    pub id: i64,
    pub seq: i64,
}

/// `search_results`: messages matching `q`, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResults {
    pub q: String,
    #[serde(serialize_with = "serialize_message_frames")]
    pub messages: Vec<MessageView>,
    /// Whether older matches exist (ask with `before_id`).
    pub has_more: bool,
}

/// `typing`: `username` is typing in `room`. Never stored; clients show
/// it for 6 s, or until that user's next message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Typing {
    pub room: RoomName,
    pub username: Username,
}

/// `who`: one page of a room's member list, sorted case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhoPage {
    pub room: RoomName,
    pub users: Vec<Username>,
    /// Where the next page starts (`after` of the next `who`), when there
    /// is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<Username>,
}

/// `joined` / `left`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PresenceChange {
    pub room: RoomName,
    pub username: Username,
    #[serde(with = "timestamp")]
    pub timestamp: OffsetDateTime,
}

/// `system`: a free-text notice, for one room or for the connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemNotice {
    pub content: String,
    #[serde(with = "timestamp")]
    pub timestamp: OffsetDateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomName>,
}

/// `pong`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pong {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_views_inside_history_carry_the_message_tag() {
        let view = MessageView {
            id: 7,
            room: RoomName::general(),
            username: "bob".parse().unwrap(),
            content: "hi".parse().unwrap(),
            timestamp: OffsetDateTime::UNIX_EPOCH,
            client_id: None,
            to: None,
            edited_at: None,
            deleted: false,
        };
        let frame = ServerMessage::History(History {
            room: RoomName::general(),
            messages: vec![view.clone()],
            has_more: false,
        });
        let json = frame.to_json();
        assert!(
            json.contains(r#""messages":[{"type":"message","id":7"#),
            "{json}"
        );
        assert_eq!(ServerMessage::decode(&json).unwrap(), frame);
    }

    #[test]
    fn history_assembled_from_encoded_frames_equals_serde_encoding() {
        let view = |id, client_id: Option<&str>| MessageView {
            id,
            room: RoomName::general(),
            username: "bob".parse().unwrap(),
            content: "hi \"there\"\n".parse().unwrap(),
            timestamp: OffsetDateTime::UNIX_EPOCH,
            client_id: client_id.map(|c| c.parse().unwrap()),
            to: None,
            edited_at: None,
            deleted: false,
        };
        let room = RoomName::general();
        for (messages, has_more) in [
            (vec![], false),
            (vec![view(1, None)], true),
            (vec![view(1, Some("c-1")), view(5, None)], false),
        ] {
            let frames: Vec<String> = messages.iter().map(MessageView::to_frame_json).collect();
            let assembled = history_frame_json(&room, frames.iter().map(String::as_str), has_more);
            let encoded = ServerMessage::History(History {
                room: room.clone(),
                messages,
                has_more,
            })
            .to_json();
            assert_eq!(assembled, encoded);
        }
    }
}
