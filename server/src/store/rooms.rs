//! The `rooms` table: a room exists once someone has joined or written to it.

use sapa_protocol::RoomName;

use super::{Store, StoreError};

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
