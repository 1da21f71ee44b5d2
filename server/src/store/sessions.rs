//! The `sessions` table: login tokens, stored only as their SHA-256 hash.

use std::collections::HashMap;

use sapa_protocol::Username;
use sqlx::FromRow;
use time::OffsetDateTime;

use super::{Store, StoreError};

#[derive(FromRow)]
struct SessionRow {
    token_hash: Vec<u8>,
    #[sqlx(flatten)]
    user: SessionUser,
}

/// The account behind a valid token.
#[derive(Debug, Clone, FromRow)]
pub struct SessionUser {
    pub user_id: i64,
    #[sqlx(try_from = "String")]
    pub username: Username,
    pub expires_at: OffsetDateTime,
}

impl Store {
    /// Stores a new session for `user_id`.
    pub async fn create_session(
        &self,
        token_hash: &[u8],
        user_id: i64,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(user_id)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The users behind those of `token_hashes` that are valid and
    /// unexpired, keyed by hash: one query for a whole batch of logins.
    pub async fn session_users(
        &self,
        token_hashes: &[[u8; 32]],
    ) -> Result<HashMap<[u8; 32], SessionUser>, StoreError> {
        let hashes: Vec<&[u8]> = token_hashes.iter().map(|h| h.as_slice()).collect();
        let rows = sqlx::query_as::<_, SessionRow>(
            "SELECT s.token_hash, u.id AS user_id, u.username, s.expires_at
               FROM sessions s JOIN users u ON u.id = s.user_id
              WHERE s.token_hash = ANY($1) AND s.expires_at > now()",
        )
        .bind(&hashes)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| Some((row.token_hash.try_into().ok()?, row.user)))
            .collect())
    }

    /// Revokes a token; whether it existed.
    pub async fn delete_session(&self, token_hash: &[u8]) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
