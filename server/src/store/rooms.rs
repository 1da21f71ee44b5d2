//! The `rooms` table: a room exists once someone has joined or written to
//! it; a direct room also knows its two participants.

use sapa_protocol::RoomName;

use sapa_protocol::Username;
use sqlx::FromRow;

use super::{Store, StoreError};

/// A direct conversation's room and its two participants, as registered
/// (in the order of the room's name).
#[derive(Debug, Clone, FromRow)]
pub struct DirectRoom {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub first: Username,
    #[sqlx(try_from = "String")]
    pub second: Username,
}

impl DirectRoom {
    /// The participant who is not `user` (`user` in a note to oneself).
    pub fn peer_of(&self, user: &Username) -> &Username {
        if user.same_account(self.first.as_str()) {
            &self.second
        } else {
            &self.first
        }
    }
}

impl Store {
    /// The id of room `name`, creating the room on first use. Callers ask
    /// the hub first: a room with members knows its id.
    pub async fn ensure_room(&self, name: &RoomName) -> Result<i64, StoreError> {
        // The no-op update makes RETURNING yield the id whether or not the
        // row was new, in one round trip.
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO rooms (name) VALUES ($1)
             ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
             RETURNING id",
        )
        .bind(name.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok(id)
    }

    /// The id of direct room `room` and its participants as registered,
    /// creating the room on first use; `None` when either participant has
    /// no account.
    pub async fn direct_room(&self, room: &RoomName) -> Result<Option<DirectRoom>, StoreError> {
        let Some((a, b)) = room.participants() else {
            return Ok(None);
        };
        let row = sqlx::query_as::<_, DirectRoom>(
            "WITH a AS (SELECT id, username FROM users WHERE lower(username) = $2),
                  b AS (SELECT id, username FROM users WHERE lower(username) = $3),
                  r AS (INSERT INTO rooms (name, dm_user_a, dm_user_b)
                        SELECT $1, a.id, b.id FROM a, b
                        ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
                        RETURNING id)
             SELECT r.id, a.username AS first, b.username AS second FROM r, a, b",
        )
        .bind(room.as_str())
        .bind(a)
        .bind(b)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row)
    }

    /// The id of an existing room.
    pub async fn room_id(&self, name: &RoomName) -> Result<Option<i64>, StoreError> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM rooms WHERE name = $1")
            .bind(name.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(id,)| id))
    }

    /// Every room's name, alphabetically.
    pub async fn room_names(&self) -> Result<Vec<RoomName>, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT name FROM rooms ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(name,)| RoomName::parse(name).ok())
            .collect())
    }
}
