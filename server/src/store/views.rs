//! How a stored message is read back as a message view: the columns every
//! query of messages selects ([`select_view!`]) and the row they fill
//! ([`MessageRow`]), shared by history, retries, changes and search. A
//! direct room's message also names its recipient (`to`).

use sapa_protocol::{ClientId, MessageText, MessageView, RoomName, Username};
use sqlx::FromRow;
use time::OffsetDateTime;

/// A message as the view queries read it.
#[derive(FromRow)]
pub(super) struct MessageRow {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub room: RoomName,
    #[sqlx(try_from = "String")]
    pub username: Username,
    /// The latest text; empty once deleted.
    #[sqlx(try_from = "String")]
    pub content: MessageText,
    pub created_at: OffsetDateTime,
    pub client_id: Option<String>,
    /// In a direct room, the participant who is not the author.
    #[sqlx(try_from = "Option<String>")]
    pub to: OptionalUsername,
    pub edited_at: Option<OffsetDateTime>,
    pub deleted_at: Option<OffsetDateTime>,
}

impl From<MessageRow> for MessageView {
    fn from(row: MessageRow) -> Self {
        Self {
            id: row.id,
            room: row.room,
            username: row.username,
            content: row.content,
            timestamp: row.created_at,
            client_id: row.client_id.and_then(|c| ClientId::parse(c).ok()),
            to: row.to.0,
            edited_at: row.edited_at,
            deleted: row.deleted_at.is_some(),
        }
    }
}

/// A username column that may be null.
pub(super) struct OptionalUsername(Option<Username>);

impl TryFrom<Option<String>> for OptionalUsername {
    type Error = sapa_protocol::ValidationError;
    fn try_from(value: Option<String>) -> Result<Self, Self::Error> {
        value.map(Username::parse).transpose().map(Self)
    }
}

/// `SELECT` of message views (with `$extra` columns), then `$tail`: the
/// columns [`MessageRow`] reads, from `messages m` with its author `u` and
/// room `r`.
macro_rules! select_view {
    ($tail:literal) => {
        select_view!("", $tail)
    };
    ($extra:literal, $tail:literal) => {
        concat!(
            "SELECT m.id, r.name AS room, u.username, m.content, m.created_at, m.client_id, ",
            "t.username AS to, m.edited_at, m.deleted_at",
            $extra,
            " FROM messages m JOIN users u ON u.id = m.user_id JOIN rooms r ON r.id = m.room_id ",
            // A direct room's recipient: the participant who is not the author.
            "LEFT JOIN users t ON t.id = CASE WHEN m.user_id = r.dm_user_a ",
            "THEN r.dm_user_b ELSE r.dm_user_a END ",
            $tail
        )
    };
}

pub(super) use select_view;
