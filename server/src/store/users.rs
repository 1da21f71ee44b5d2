//! The `users` table: accounts and their password hashes.

use sapa_protocol::Username;
use sqlx::FromRow;

use super::{Store, StoreError, is_unique_violation};

/// An account as stored.
#[derive(Debug, Clone, FromRow)]
pub struct UserRecord {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub username: Username,
    pub password_hash: String,
}

impl Store {
    /// Finds an account by name, case-insensitively.
    pub async fn find_user(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query_as::<_, UserRecord>(
            "SELECT id, username, password_hash FROM users WHERE lower(username) = lower($1)",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row)
    }

    /// Creates an account; `Ok(None)` when the name (in any case) is taken.
    pub async fn create_user(
        &self,
        username: &Username,
        password_hash: &str,
    ) -> Result<Option<UserRecord>, StoreError> {
        let result = sqlx::query_as::<_, UserRecord>(
            "INSERT INTO users (username, password_hash, last_seen) VALUES ($1, $2, now())
             RETURNING id, username, password_hash",
        )
        .bind(username.as_str())
        .bind(password_hash)
        .fetch_one(&self.pool)
        .await;
        match result {
            Ok(user) => Ok(Some(user)),
            Err(e) if is_unique_violation(&e) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Records that these users were just active.
    pub async fn touch_users(&self, user_ids: &[i64]) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET last_seen = now() WHERE id = ANY($1)")
            .bind(user_ids)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
