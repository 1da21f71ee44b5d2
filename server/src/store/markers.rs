//! The `read_markers` table: how far each user has read each room, moved
//! only forward; and `GET /conversations`, a user's rooms and DMs with
//! their newest id, marker and unread count, read from indexes (the
//! markers' primary key, the DM participants' indexes, and each room's
//! `(room_id, id)` index above the marker), never a scan of a room.

use sapa_protocol::{RoomName, rest::Conversation};
use sqlx::FromRow;

use super::{Store, StoreError};

/// What a `read` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marked {
    /// No room has that name.
    UnknownRoom,
    /// The marker was already there or beyond: nothing changed.
    Unchanged,
    /// The marker moved forward to this id.
    Moved(i64),
}

/// Moves user `$1`'s marker in room `$2` to `$3`, or to the room's newest
/// id when `$3` is beyond it, if that is forward. One row back: the room's
/// id (null: no such room) and the new marker (null: unchanged).
const MARK: &str = "
    WITH room AS (SELECT id FROM rooms WHERE name = $2),
    target AS (
        SELECT room.id AS room_id,
               least($3::int8, coalesce((SELECT max(m.id) FROM messages m
                                          WHERE m.room_id = room.id), 0)) AS up_to
          FROM room
    ), moved AS (
        INSERT INTO read_markers (user_id, room_id, up_to)
        SELECT $1, room_id, up_to FROM target WHERE up_to > 0
        ON CONFLICT (user_id, room_id) DO UPDATE SET up_to = EXCLUDED.up_to
         WHERE read_markers.up_to < EXCLUDED.up_to
        RETURNING up_to
    )
    SELECT (SELECT room_id FROM target) AS room_id, (SELECT up_to FROM moved) AS up_to";

/// User `$1`'s rooms: those with a marker, and the DMs with a message.
const CONVERSATIONS: &str = "
    WITH ids AS (
        SELECT room_id AS id FROM read_markers WHERE user_id = $1
        UNION SELECT id FROM rooms WHERE dm_user_a = $1
        UNION SELECT id FROM rooms WHERE dm_user_b = $1
    )
    SELECT r.name AS room, l.last_id, coalesce(k.up_to, 0) AS read_up_to, u.unread
      FROM ids JOIN rooms r ON r.id = ids.id
      LEFT JOIN read_markers k ON k.user_id = $1 AND k.room_id = ids.id
     CROSS JOIN LATERAL (SELECT coalesce(max(m.id), 0) AS last_id
                           FROM messages m WHERE m.room_id = ids.id) l
     CROSS JOIN LATERAL (SELECT count(*) AS unread FROM messages m
                          WHERE m.room_id = ids.id AND m.id > coalesce(k.up_to, 0)
                            AND m.user_id <> $1 AND m.deleted_at IS NULL) u
     WHERE r.dm_user_a IS NULL OR l.last_id > 0
     ORDER BY r.name";

#[derive(FromRow)]
struct ConversationRow {
    #[sqlx(try_from = "String")]
    room: RoomName,
    last_id: i64,
    read_up_to: i64,
    unread: i64,
}

impl Store {
    /// Moves `user_id`'s marker in `room` forward to `up_to` (at most the
    /// room's newest id).
    pub async fn mark_read(
        &self,
        user_id: i64,
        room: &RoomName,
        up_to: i64,
    ) -> Result<Marked, StoreError> {
        let (room_id, moved): (Option<i64>, Option<i64>) = sqlx::query_as(MARK)
            .bind(user_id)
            .bind(room.as_str())
            .bind(up_to)
            .fetch_one(&self.pool)
            .await?;
        Ok(match (room_id, moved) {
            (None, _) => Marked::UnknownRoom,
            (Some(_), None) => Marked::Unchanged,
            (Some(_), Some(up_to)) => Marked::Moved(up_to),
        })
    }

    /// Every marker of `user_id`.
    pub async fn read_markers(&self, user_id: i64) -> Result<Vec<(RoomName, i64)>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT r.name, k.up_to FROM read_markers k JOIN rooms r ON r.id = k.room_id
              WHERE k.user_id = $1",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(name, up_to)| Some((RoomName::parse(name).ok()?, up_to)))
            .collect())
    }

    /// `user_id`'s conversations, by room name.
    pub async fn conversations(&self, user_id: i64) -> Result<Vec<Conversation>, StoreError> {
        let rows = sqlx::query_as::<_, ConversationRow>(CONVERSATIONS)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| Conversation {
                room: row.room,
                last_id: row.last_id,
                read_up_to: row.read_up_to,
                unread: row.unread,
            })
            .collect())
    }
}
