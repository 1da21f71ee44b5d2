//! Client -> server: every frame a client sends, and [`ClientKind`], the
//! list of their `type` tags, written once.

use serde::{Deserialize, Serialize};

use crate::names::{ClientId, Content, RoomName, SearchQuery, Secret, Username, ValidationError};
use crate::{DEFAULT_HISTORY, MAX_HISTORY_PAGE};

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
    /// Asks for a page of a room's member list.
    Who(WhoRequest),
    /// Changes the text of one's own message.
    Edit(EditRequest),
    /// Deletes one's own message.
    Delete(DeleteRequest),
    /// Searches the messages one may read.
    Search(SearchRequest),
    /// Says the user is typing in a room (relayed, never stored).
    Typing(TypingRequest),
    /// Moves the user's read marker in a room forward.
    Read(ReadMarker),
}

/// The `type` of a client frame. The serde tags of [`ClientMessage`] are
/// these names; a test holds the two together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKind {
    Join,
    Message,
    Leave,
    History,
    Ping,
    Who,
    Edit,
    Delete,
    Search,
    Typing,
    Read,
}

impl ClientKind {
    /// Every kind, in the order the protocol lists them.
    pub const ALL: [Self; 11] = [
        Self::Join,
        Self::Message,
        Self::Leave,
        Self::History,
        Self::Ping,
        Self::Who,
        Self::Edit,
        Self::Delete,
        Self::Search,
        Self::Typing,
        Self::Read,
    ];

    /// The `type` tag as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Join => "join",
            Self::Message => "message",
            Self::Leave => "leave",
            Self::History => "history",
            Self::Ping => "ping",
            Self::Who => "who",
            Self::Edit => "edit",
            Self::Delete => "delete",
            Self::Search => "search",
            Self::Typing => "typing",
            Self::Read => "read",
        }
    }

    /// The kind whose tag is `tag`.
    pub fn parse(tag: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == tag)
    }

    /// "join, message, leave, history, ping, who, edit, delete, search, typing or read": for error messages.
    pub fn list() -> String {
        let names: Vec<&str> = Self::ALL.iter().map(|kind| kind.as_str()).collect();
        let (last, rest) = names.split_last().expect("there are kinds");
        format!("{} or {last}", rest.join(", "))
    }
}

impl std::fmt::Display for ClientKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ClientMessage {
    /// The frame's kind (its `type` tag).
    pub fn kind(&self) -> ClientKind {
        match self {
            Self::Join(_) => ClientKind::Join,
            Self::Message(_) => ClientKind::Message,
            Self::Leave(_) => ClientKind::Leave,
            Self::History(_) => ClientKind::History,
            Self::Ping(_) => ClientKind::Ping,
            Self::Who(_) => ClientKind::Who,
            Self::Edit(_) => ClientKind::Edit,
            Self::Delete(_) => ClientKind::Delete,
            Self::Search(_) => ClientKind::Search,
            Self::Typing(_) => ClientKind::Typing,
            Self::Read(_) => ClientKind::Read,
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
    /// Needed with a password. With a token it may be left out; if given,
    /// it must name the token's user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<Username>,
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
    /// `false`: enter without being announced (`joined`/`left`) or listed in
    /// presence, for scripts that post a line and go (`sapa send`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announce: Option<bool>,
}

/// `message`: store and broadcast `content` to a room, or (with `to`) to
/// a direct conversation; naming both is refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendMessage {
    pub content: Content,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomName>,
    /// A direct message to this user (matched ignoring case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Username>,
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

/// `who`: a page of up to 500 of a room's members, sorted, starting after
/// `after` (case-insensitively), or from the first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WhoRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Username>,
}

/// `edit`: message `id` (one's own) now reads `content`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditRequest {
    pub id: i64,
    pub content: Content,
}

/// `delete`: message `id` (one's own) is erased, leaving a tombstone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeleteRequest {
    pub id: i64,
}

/// `search`: messages matching `q`, newest first, from one room or from
/// every room the user may read; `before_id` pages to older results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchRequest {
    pub q: SearchQuery,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<SearchLimit>,
}

/// How many results a search page holds: 1 to 100 (20 when not asked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u16")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchLimit(u16);

impl SearchLimit {
    /// The most results one search page may hold.
    pub const MAX: u16 = 100;

    /// Checks that `value` is between 1 and [`Self::MAX`].
    pub fn parse(value: i64) -> Result<Self, ValidationError> {
        match u16::try_from(value) {
            Ok(n) if (1..=Self::MAX).contains(&n) => Ok(Self(n)),
            _ => Err(ValidationError(format!(
                "limit must be between 1 and {}, got {value}",
                Self::MAX
            ))),
        }
    }

    /// The number of results.
    pub fn get(self) -> u16 {
        self.0
    }
}

impl Default for SearchLimit {
    fn default() -> Self {
        Self(20)
    }
}

impl TryFrom<i64> for SearchLimit {
    type Error = ValidationError;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<SearchLimit> for u16 {
    fn from(value: SearchLimit) -> u16 {
        value.0
    }
}

/// `typing`: the user is typing in `room` (or the first joined). The
/// room's other members hear it as the server's `typing` frame, at most
/// once per user and room every two seconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TypingRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomName>,
}

/// `read`: the user has read `room` up to message `up_to`. The same frame
/// comes back from the server to the user's other connections, with the
/// marker as stored, when it moved forward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadMarker {
    pub room: RoomName,
    pub up_to: i64,
}

/// `ping`: the server answers `pong` with the same nonce.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ping {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_the_serde_tag_of_its_variant() {
        let frames = [
            ClientMessage::Join(Join {
                username: Some("alice".parse().unwrap()),
                password: None,
                token: None,
                room: None,
                since_id: None,
                announce: None,
            }),
            ClientMessage::Message(SendMessage {
                content: "hi".parse().unwrap(),
                room: None,
                to: None,
                client_id: None,
                username: None,
            }),
            ClientMessage::Leave(Leave::default()),
            ClientMessage::History(HistoryRequest::default()),
            ClientMessage::Ping(Ping::default()),
            ClientMessage::Who(WhoRequest::default()),
            ClientMessage::Edit(EditRequest {
                id: 1,
                content: "fixed".parse().unwrap(),
            }),
            ClientMessage::Delete(DeleteRequest { id: 1 }),
            ClientMessage::Search(SearchRequest {
                q: "deploy".parse().unwrap(),
                room: None,
                before_id: None,
                limit: None,
            }),
            ClientMessage::Typing(TypingRequest::default()),
            ClientMessage::Read(ReadMarker {
                room: RoomName::general(),
                up_to: 42,
            }),
        ];
        let kinds: Vec<ClientKind> = frames.iter().map(ClientMessage::kind).collect();
        assert_eq!(kinds, ClientKind::ALL, "one frame per kind, in order");
        for frame in &frames {
            let json: serde_json::Value = serde_json::from_str(&frame.to_json()).unwrap();
            assert_eq!(json["type"], frame.kind().as_str());
            assert_eq!(ClientKind::parse(frame.kind().as_str()), Some(frame.kind()));
        }
        assert_eq!(
            ClientKind::list(),
            "join, message, leave, history, ping, who, edit, delete, search, typing or read"
        );
    }
}
