//! The bodies of the REST API, shared by the server (which documents them in
//! its OpenAPI document) and the clients (which send and read them), so the
//! two cannot drift apart. Query parameters stay with the server's routes.
//!
//! The fields a route validates itself (a new account's name, a posted
//! message's content) arrive as plain strings here: the route turns them
//! into the validated types and answers 422 with the rule that was broken.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::errors::ErrorCode;
use crate::names::{RoomName, Secret, Username};
use crate::timestamp;

/// `POST /users` and `POST /sessions`: a name and a password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"username": "alice", "password": "correct horse"})))]
pub struct Credentials {
    /// 1-32 ASCII letters, digits, `_`, `-`, `.`; unique ignoring case.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::names::Username))]
    pub username: String,
    /// 8-256 characters.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::names::NewPassword))]
    pub password: Secret,
}

/// `POST /users` 201: the account just made, with a token to use right away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Registered {
    pub id: i64,
    #[cfg_attr(feature = "openapi", schema(example = "alice"))]
    pub username: Username,
    /// A bearer token (also valid for WebSocket joins).
    pub token: String,
    #[serde(with = "timestamp")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub expires_at: OffsetDateTime,
}

/// `POST /sessions` 200: a login token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    pub token: String,
    #[serde(with = "timestamp")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub expires_at: OffsetDateTime,
}

/// The JSON body of every REST error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// A stable code, shared with WebSocket error frames.
    #[cfg_attr(feature = "openapi", schema(example = "validation"))]
    pub error: ErrorCode,
    /// What went wrong, for people.
    #[cfg_attr(feature = "openapi", schema(example = "what went wrong, in words"))]
    #[serde(default)]
    pub message: String,
}

/// One room of `GET /rooms`, with how many users are online in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"name": "general", "online": 3})))]
pub struct RoomInfo {
    pub name: RoomName,
    pub online: u64,
}

/// `POST /messages`: a message to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"content": "hello from REST", "room": "general", "client_id": "rest-1"})))]
pub struct PostMessage {
    /// 1-4000 characters, not blank, no control characters but newline and tab.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::names::Content))]
    pub content: String,
    /// The room (default `general`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<RoomName>))]
    pub room: Option<String>,
    /// A direct message to this user, instead of `room` (with both: 422).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Username>))]
    pub to: Option<String>,
    /// Makes retries idempotent: the same client_id is stored once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::names::ClientId>))]
    pub client_id: Option<String>,
}

/// `PATCH /messages/{id}`: the message's new text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"content": "hello, world!"})))]
pub struct EditMessage {
    /// 1-4000 characters, not blank, no control characters but newline and tab.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::names::Content))]
    pub content: String,
}

/// `PUT /conversations/{room}/read`: how far the caller has read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"up_to": 42})))]
pub struct MarkRead {
    /// A message id; above the room's newest it counts as the newest.
    #[serde(deserialize_with = "whole_number")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    pub up_to: i64,
}

/// An integer as JSON Schema reads one: `42` and `42.0` alike (a client's
/// JSON library may write either), but not `42.5`.
fn whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    use serde::de::Error;
    match serde_json::Number::deserialize(deserializer)? {
        n if n.is_i64() => n.as_i64().ok_or_else(|| Error::custom("not an integer")),
        n => n
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
            .ok_or_else(|| Error::custom(format!("{n} is not a whole number"))),
    }
}

/// One entry of `GET /conversations`: a room or DM of the caller's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"room": "general", "last_id": 57, "read_up_to": 42, "unread": 3})))]
pub struct Conversation {
    pub room: RoomName,
    /// The newest message's id (0: none yet).
    pub last_id: i64,
    /// The caller's read marker (0: none).
    pub read_up_to: i64,
    /// Messages by others, not deleted, above the marker.
    pub unread: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_marker_takes_whole_numbers_written_either_way() {
        let read = |text: &str| serde_json::from_str::<MarkRead>(text).map(|m| m.up_to);
        assert_eq!(read(r#"{"up_to":42}"#).unwrap(), 42);
        assert_eq!(read(r#"{"up_to":42.0}"#).unwrap(), 42);
        assert!(read(r#"{"up_to":42.5}"#).is_err());
        assert!(read(r#"{"up_to":"42"}"#).is_err());
    }
}
