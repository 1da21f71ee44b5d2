//! The SQL behind the PostgreSQL bus (`bus/postgres.rs`): the NOTIFY that
//! publishes a committed batch, the listening connection, and reading back
//! the messages a notification only refers to.

use sapa_protocol::MessageView;
use sqlx::postgres::{PgListener, PgPoolOptions};

use super::{
    Store, StoreError,
    views::{MessageRow, select_view},
};

/// The connection name operators (and tests) find the listener by.
pub const BUS_APPLICATION_NAME: &str = "sapa-bus";

const BY_IDS: &str = select_view!("WHERE m.id = ANY($1) ORDER BY m.id ASC");

impl Store {
    /// Sends `payload` to every listener of `channel` (one NOTIFY).
    pub async fn notify(&self, channel: &str, payload: &str) -> Result<(), StoreError> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(channel)
            .bind(payload)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A connection of its own (`application_name` [`BUS_APPLICATION_NAME`])
    /// listening on `channel`.
    pub async fn listen(&self, channel: &str) -> Result<PgListener, StoreError> {
        let options = (*self.pool.connect_options())
            .clone()
            .application_name(BUS_APPLICATION_NAME);
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_lazy_with(options);
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(channel).await?;
        Ok(listener)
    }

    /// The messages with these ids, oldest first.
    pub async fn messages_by_id(&self, ids: &[i64]) -> Result<Vec<MessageView>, StoreError> {
        let rows = sqlx::query_as::<_, MessageRow>(BY_IDS)
            .bind(ids)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(MessageView::from).collect())
    }
}
