//! The `rooms` table: a room exists once someone has joined or written to it.

use sapa_protocol::RoomName;

use super::{Store, StoreError};

impl Store {
    /// The id of room `name`, creating the room on first use. Rooms are
    /// never deleted, so ids are cached: joining a known room costs no
    /// round trip.
    pub async fn ensure_room(&self, name: &RoomName) -> Result<i64, StoreError> {
        if let Some(id) = self.cached_room_id(name) {
            return Ok(id);
        }
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
        self.cache_room_id(name, id);
        Ok(id)
    }

    fn cached_room_id(&self, name: &RoomName) -> Option<i64> {
        self.room_ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .copied()
    }

    fn cache_room_id(&self, name: &RoomName, id: i64) {
        self.room_ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.clone(), id);
    }

    /// The id of an existing room.
    pub async fn room_id(&self, name: &RoomName) -> Result<Option<i64>, StoreError> {
        if let Some(id) = self.cached_room_id(name) {
            return Ok(Some(id));
        }
        let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM rooms WHERE name = $1")
            .bind(name.as_str())
            .fetch_optional(&self.pool)
            .await?;
        let id = row.map(|(id,)| id);
        if let Some(id) = id {
            self.cache_room_id(name, id);
        }
        Ok(id)
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
