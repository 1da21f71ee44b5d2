//! Every SQL statement of the server, one file per table family. Nothing
//! outside this module writes SQL; callers get typed rows and a
//! [`StoreError`] that tells "the database is down" apart from bugs.
//!
//! Queries use `query_as` with `FromRow` rather than the `query!` macros, so
//! building the server never needs a live database.

mod bus;
mod changes;
mod markers;
mod messages;
mod nodes;
mod rooms;
mod search;
mod sessions;
mod users;
mod views;

pub use bus::BUS_APPLICATION_NAME;
pub use changes::Changed;
pub use markers::Marked;
pub use messages::{Inserted, NewMessage, StoredMessage};
pub use nodes::PresenceRow;
pub use rooms::DirectRoom;
#[doc(hidden)]
pub use search::INDEX_BATCH;
pub use sessions::SessionUser;
pub use users::UserRecord;

use std::sync::Arc;

use sqlx::{PgPool, postgres::PgPoolOptions};

/// The database handle: a connection pool, cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: PgPool,
    /// With several writers (nodes): each batch takes its rooms' row locks
    /// before its ids, so ids rise in commit order per room.
    ordered: bool,
}

/// Why a query failed. Cheap to clone, so one failed query can answer
/// everyone whose request it carried.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached (down, restarting, pool exhausted).
    #[error("database unavailable: {0}")]
    Unavailable(Arc<sqlx::Error>),
    /// Anything else: a bug or a constraint we did not expect.
    #[error("database error: {0}")]
    Other(Arc<sqlx::Error>),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        let unavailable = match &error {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Protocol(_) => true,
            // admin shutdown, crash recovery, connection failures
            sqlx::Error::Database(db) => db
                .code()
                .is_some_and(|c| c.starts_with("57P") || c.starts_with("08")),
            _ => false,
        };
        // Every failed query passes through here, once.
        if unavailable {
            crate::telemetry::database_error("unavailable");
            Self::Unavailable(Arc::new(error))
        } else {
            crate::telemetry::database_error("other");
            Self::Other(Arc::new(error))
        }
    }
}

/// Whether an error is a unique-constraint violation (SQLSTATE 23505).
fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.code().as_deref() == Some("23505"))
}

impl Store {
    /// Connects a pool to `url`.
    pub async fn connect(url: &str, size: u32) -> anyhow::Result<Self> {
        use anyhow::Context;
        let pool = PgPoolOptions::new()
            .max_connections(size)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect(url)
            .await
            .context("connecting to PostgreSQL (is DATABASE_URL right, and the server up?)")?;
        Ok(Self::from_pool(pool))
    }

    /// Wraps an existing pool (tests hand one in).
    pub fn from_pool(pool: PgPool) -> Self {
        Self {
            pool,
            ordered: false,
        }
    }

    /// This store, for one of several nodes: a batch's ids are taken under
    /// its rooms' row locks, so within a room an id committed later is
    /// always greater (DESIGN.md section 6). One node needs no locks: its
    /// one writer commits batch after batch.
    pub fn ordered_across_writers(self) -> Self {
        Self {
            ordered: true,
            ..self
        }
    }

    /// Applies the migrations in `migrations/` that are not applied yet.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        use anyhow::Context;
        sqlx::migrate!("../migrations")
            .run(&self.pool)
            .await
            .context("applying database migrations")
    }

    /// One round trip, for readiness checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool, waiting for checked-out connections.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
