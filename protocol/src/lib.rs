//! The sapa wire contract, protocol v1: every frame that crosses a sapa
//! WebSocket, as typed enums both the server and the clients compile against.
//!
//! Frames are JSON text with a `"type"` tag in snake_case. Unknown fields are
//! ignored; an unknown `type` is an error the peer reports, never a reason to
//! drop the connection. This crate does no I/O: it turns text into
//! [`ClientMessage`] with [`decode_client`] (telling apart the three ways a
//! frame can be wrong) and [`ServerMessage`] into text with
//! [`ServerMessage::to_json`]. The golden files in `tests/vectors/` pin the
//! exact JSON of every variant.

pub mod names;

use serde::{Deserialize, Serialize, Serializer};
use time::OffsetDateTime;

pub use names::{ClientId, Content, NewPassword, RoomName, Secret, Username, ValidationError};

/// Largest frame, in bytes, a server accepts; larger ones get `too_large` and
/// close code 1009.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// How many messages `history` returns when the request names no limit.
pub const DEFAULT_HISTORY: u16 = 50;
/// The most messages one `history` request may ask for.
pub const MAX_HISTORY_PAGE: u16 = 100;
/// The most messages a join with `since_id` replays before `has_more`.
pub const MAX_RESUME: u16 = 1000;

/// Serde helpers for RFC 3339 timestamps, the only time format on the wire.
pub mod timestamp {
    pub use time::serde::rfc3339::{deserialize, serialize};
}

// ---------------------------------------------------------------- client -> server

/// A frame a client sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Authenticates (on the first join) and enters a room.
    Join(Join),
    /// Sends a message to a room.
    Message(SendMessage),
    /// Leaves one room, or every room.
    Leave(Leave),
    /// Asks for older messages of a room.
    History(HistoryRequest),
    /// Asks for a `pong`; measures round trips and keeps idle links alive.
    Ping(Ping),
}

impl ClientMessage {
    /// The frame's `type` tag, as written on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Join(_) => "join",
            Self::Message(_) => "message",
            Self::Leave(_) => "leave",
            Self::History(_) => "history",
            Self::Ping(_) => "ping",
        }
    }

    /// Encodes the frame as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("client frames always serialize")
    }
}

/// `join`: the first one authenticates the connection with a password (which
/// registers the name on its first use) or a token; every one enters a room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Join {
    pub username: Username,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Secret>,
    /// The room to enter; the connection's default room (`general`) if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomName>,
    /// Resume: deliver every message of the room with an id above this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_id: Option<i64>,
}

/// `message`: store and broadcast `content` to a room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendMessage {
    pub content: Content,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomName>,
    /// Makes a retry idempotent: the same (user, client_id) is stored once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientId>,
    /// If present, must be the connection's own name (else `forbidden`).
    /// Kept for clients of the tutorial protocol, which send it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

/// `leave`: one room, or every room when `room` is absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Leave {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomName>,
}

/// `history`: a page of messages older than `before_id` (or the newest page).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<PageLimit>,
}

/// A page size for history: 1 to 100 messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u16")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PageLimit(u16);

impl PageLimit {
    /// Checks that `value` is between 1 and [`MAX_HISTORY_PAGE`].
    pub fn parse(value: i64) -> Result<Self, ValidationError> {
        match u16::try_from(value) {
            Ok(n) if (1..=MAX_HISTORY_PAGE).contains(&n) => Ok(Self(n)),
            _ => Err(ValidationError(format!(
                "limit must be between 1 and {MAX_HISTORY_PAGE}, got {value}"
            ))),
        }
    }

    /// The number of messages.
    pub fn get(self) -> u16 {
        self.0
    }
}

impl Default for PageLimit {
    fn default() -> Self {
        Self(DEFAULT_HISTORY)
    }
}

impl TryFrom<i64> for PageLimit {
    type Error = ValidationError;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<PageLimit> for u16 {
    fn from(value: PageLimit) -> u16 {
        value.0
    }
}

/// `ping`: the server answers `pong` with the same nonce.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ping {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

// ---------------------------------------------------------------- decoding

/// Why a client frame could not be decoded; each maps to one error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Not JSON, or not a JSON object with a string `type`.
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// A JSON object whose `type` is not one this protocol knows.
    #[error("unknown frame type {0:?}; expected join, message, leave, history or ping")]
    UnknownType(String),
    /// A known frame with a missing or invalid field.
    #[error("invalid {kind} frame: {reason}")]
    Validation {
        kind: String,
        reason: String,
        /// The frame's `client_id`, when it carried a readable one.
        client_id: Option<String>,
    },
}

impl DecodeError {
    /// The error code the server answers with.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidJson(_) => ErrorCode::InvalidJson,
            Self::UnknownType(_) => ErrorCode::UnknownType,
            Self::Validation { .. } => ErrorCode::Validation,
        }
    }

    /// What the error frame's `ref` names: the client_id, else the type.
    pub fn reference(&self) -> Option<String> {
        match self {
            Self::InvalidJson(_) => None,
            Self::UnknownType(kind) => Some(kind.clone()),
            Self::Validation {
                kind, client_id, ..
            } => Some(client_id.clone().unwrap_or_else(|| kind.clone())),
        }
    }
}

/// The fields read before the full decode, to tell the failures apart.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
    #[serde(default)]
    client_id: Option<serde_json::Value>,
}

const CLIENT_KINDS: [&str; 5] = ["join", "message", "leave", "history", "ping"];

/// Decodes one client frame, telling apart bad JSON, an unknown `type` and
/// an invalid field, so the server can answer each with its own code.
pub fn decode_client(text: &str) -> Result<ClientMessage, DecodeError> {
    let envelope: Envelope<'_> = serde_json::from_str(text).map_err(|e| {
        let reason = if e.is_data() {
            "a frame must be a JSON object with a string \"type\" field".to_owned()
        } else {
            strip_position(&e)
        };
        DecodeError::InvalidJson(reason)
    })?;
    if !CLIENT_KINDS.contains(&envelope.kind.as_ref()) {
        return Err(DecodeError::UnknownType(envelope.kind.into_owned()));
    }
    serde_json::from_str(text).map_err(|e| DecodeError::Validation {
        kind: envelope.kind.into_owned(),
        reason: strip_position(&e),
        client_id: envelope
            .client_id
            .and_then(|v| v.as_str().map(str::to_owned)),
    })
}

/// serde_json appends " at line 1 column 17"; people reading an error frame
/// care about the field, not the column.
fn strip_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

// ---------------------------------------------------------------- server -> client

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
    pub fn error(code: ErrorCode, content: impl Into<String>, reference: Option<String>) -> Self {
        Self::Error(ErrorFrame {
            code,
            content: content.into(),
            reference,
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
    pub content: Content,
    #[serde(with = "timestamp")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub timestamp: OffsetDateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientId>,
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

/// `presence`: the users in a room, sorted, each once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    pub room: RoomName,
    pub users: Vec<Username>,
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

/// `error`: what was refused and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorFrame {
    pub code: ErrorCode,
    pub content: String,
    /// The client_id or frame type that caused it.
    #[serde(rename = "ref", default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// `pong`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pong {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

/// Every error code, shared by error frames and REST error bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ErrorCode {
    InvalidJson,
    UnknownType,
    Validation,
    Unauthorized,
    Forbidden,
    NotJoined,
    RateLimited,
    TooLarge,
    /// The database is down: nothing was stored.
    Unavailable,
    Internal,
    /// REST only: the name is already registered.
    Conflict,
    /// REST only: no such route or resource.
    NotFound,
}

impl ErrorCode {
    /// The code as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidJson => "invalid_json",
            Self::UnknownType => "unknown_type",
            Self::Validation => "validation",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotJoined => "not_joined",
            Self::RateLimited => "rate_limited",
            Self::TooLarge => "too_large",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
            Self::Conflict => "conflict",
            Self::NotFound => "not_found",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tutorial_join_frame_decodes() {
        let frame =
            decode_client(r#"{"type":"join","username":"alice","password":"secret123","extra":1}"#)
                .unwrap();
        let ClientMessage::Join(join) = frame else {
            panic!("not a join: {frame:?}")
        };
        assert_eq!(join.username.as_str(), "alice");
        assert_eq!(join.password.unwrap().expose(), "secret123");
        assert_eq!(join.room, None);
    }

    #[test]
    fn bad_json_unknown_type_and_bad_fields_are_told_apart() {
        assert_eq!(
            decode_client("{nope").unwrap_err().code(),
            ErrorCode::InvalidJson
        );
        assert_eq!(
            decode_client("[1,2]").unwrap_err().code(),
            ErrorCode::InvalidJson
        );
        assert_eq!(
            decode_client(r#"{"content":"x"}"#).unwrap_err().code(),
            ErrorCode::InvalidJson
        );
        let unknown = decode_client(r#"{"type":"dance"}"#).unwrap_err();
        assert_eq!(unknown.code(), ErrorCode::UnknownType);
        assert_eq!(unknown.reference().as_deref(), Some("dance"));
        let empty =
            decode_client(r#"{"type":"message","content":"  ","client_id":"c9"}"#).unwrap_err();
        assert_eq!(empty.code(), ErrorCode::Validation);
        assert_eq!(empty.reference().as_deref(), Some("c9"));
        assert!(empty.to_string().contains("must not be empty"), "{empty}");
        let missing = decode_client(r#"{"type":"message"}"#).unwrap_err();
        assert_eq!(missing.code(), ErrorCode::Validation);
        assert!(missing.to_string().contains("content"), "{missing}");
    }

    #[test]
    fn history_limit_is_bounded() {
        assert!(decode_client(r#"{"type":"history","limit":100}"#).is_ok());
        for bad in ["0", "101", "-1", "1.5", "\"ten\""] {
            let text = format!(r#"{{"type":"history","limit":{bad}}}"#);
            assert_eq!(
                decode_client(&text).unwrap_err().code(),
                ErrorCode::Validation,
                "{bad}"
            );
        }
    }

    #[test]
    fn message_views_inside_history_carry_the_message_tag() {
        let view = MessageView {
            id: 7,
            room: RoomName::general(),
            username: "bob".parse().unwrap(),
            content: "hi".parse().unwrap(),
            timestamp: OffsetDateTime::UNIX_EPOCH,
            client_id: None,
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

    #[test]
    fn error_codes_display_as_on_the_wire() {
        assert_eq!(ErrorCode::NotJoined.to_string(), "not_joined");
        assert_eq!(
            serde_json::to_string(&ErrorCode::TooLarge).unwrap(),
            "\"too_large\""
        );
    }
}
