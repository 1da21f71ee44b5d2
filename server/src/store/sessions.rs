//! The `sessions` table: login tokens, stored only as their SHA-256 hash.

use sapa_protocol::Username;
use sqlx::FromRow;
use time::OffsetDateTime;

use super::{Store, StoreError};

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

    /// The user behind an unexpired token, if any.
    pub async fn session_user(&self, token_hash: &[u8]) -> Result<Option<SessionUser>, StoreError> {
        let row = sqlx::query_as::<_, SessionUser>(
            "SELECT u.id AS user_id, u.username, s.expires_at
               FROM sessions s JOIN users u ON u.id = s.user_id
              WHERE s.token_hash = $1 AND s.expires_at > now()",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row)
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
