//! The sapa wire contract, protocol v1: every frame that crosses a sapa
//! WebSocket, as typed enums both the server and the clients compile against,
//! and the bodies of the REST API.
//!
//! Frames are JSON text with a `"type"` tag in snake_case. Unknown fields are
//! ignored; an unknown `type` is an error the peer reports, never a reason to
//! drop the connection. This crate does no I/O: it turns text into
//! [`ClientMessage`] with [`decode_client`] (telling apart the three ways a
//! frame can be wrong) and [`ServerMessage`] into text with
//! [`ServerMessage::to_json`]. The golden files in `tests/vectors/` pin the
//! exact JSON of every variant, byte for byte.
//!
//! - [`client`]: client -> server frames and [`ClientKind`], their tags
//! - [`server`]: server -> client frames and the shared message view
//! - [`decode`]: decoding a client frame, with a typed reason when it fails
//! - [`errors`]: error codes and what an error frame refers to
//! - [`names`]: the validated newtypes (names, content, secrets)
//! - [`rest`]: the REST API's request and response bodies

pub mod client;
pub mod decode;
pub mod errors;
pub mod names;
pub mod rest;
#[cfg(feature = "openapi")]
pub mod schema;
pub mod server;

pub use client::{
    ClientKind, ClientMessage, DeleteRequest, EditRequest, HistoryRequest, Join, Leave, PageLimit,
    Ping, ReadMarker, SearchLimit, SearchRequest, SendMessage, TypingRequest, WhoRequest,
};
pub use decode::{DecodeError, decode_client};
pub use errors::{ErrorCode, ErrorFrame, ErrorRef, retry_secs};
pub use names::{
    ClientId, Content, MessageText, NewPassword, RoomName, SearchQuery, Secret, Username,
    ValidationError,
};
pub use server::{
    Deleted, Edited, History, Limits, MessageView, Pong, Presence, PresenceChange, SearchResults,
    ServerMessage, SystemNotice, Typing, Welcome, WhoPage, history_frame_json,
    serialize_message_frames,
};

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
