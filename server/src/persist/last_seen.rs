//! Remembers when users were last online without a database write per
//! disconnect: connections report their user as they close, and the
//! [`batcher`](super::batcher) lingers up to a second after the first report
//! to gather the others, then stores them all with a single UPDATE. (A
//! write per close, each with its own commit, once held the pool for
//! seconds after thousands of sockets closed together; now they cost a
//! handful of UPDATEs.)
//!
//! The SQL is `Store::touch_users` in `store/users.rs`.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::batcher::{Answers, Batcher, Job, Options, PushError};
use crate::store::Store;

/// Reports waiting to be written. Above the default connection cap
/// (20,000), so even every socket closing at once fits.
const QUEUE: usize = 64 * 1024;

/// Most users touched by one UPDATE.
const BATCH_MAX: usize = 4096;

/// How long the first report waits for others to share its UPDATE.
const LINGER: Duration = Duration::from_secs(1);

/// Where connections report users going offline; cheap to clone.
#[derive(Clone)]
pub struct LastSeen {
    batcher: Batcher<i64, ()>,
    /// Reports dropped because the queue was full.
    dropped: Arc<AtomicU64>,
}

impl LastSeen {
    /// Starts the recorder on `tracker`; when `stop` is cancelled it writes
    /// what is queued and ends.
    pub fn spawn(store: Store, tracker: &TaskTracker, stop: CancellationToken) -> Self {
        let options = Options {
            queue: QUEUE,
            batch_max: BATCH_MAX,
            linger: LINGER,
        };
        Self::spawn_with(store, options, tracker, stop)
    }

    fn spawn_with(
        store: Store,
        options: Options,
        tracker: &TaskTracker,
        stop: CancellationToken,
    ) -> Self {
        let touch = Touch {
            store,
            user_ids: Vec::with_capacity(options.batch_max),
        };
        Self {
            batcher: Batcher::spawn(touch, options, tracker, stop),
            dropped: Arc::default(),
        }
    }

    /// Records that `user_id` was online until now. Never waits, so a
    /// closing connection is never held up by it: if the queue is full (the
    /// database is far behind), the report is dropped, counted and logged.
    /// `last_seen` is informational, and the user's next disconnect
    /// records it again.
    pub fn record(&self, user_id: i64) {
        match self.batcher.try_push(user_id) {
            Ok(()) => {}
            Err(PushError::Full) => {
                let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                // Every time the count doubles: a burst is one log line, not
                // thousands.
                if dropped.is_power_of_two() {
                    tracing::warn!(dropped, "last_seen queue full; reports dropped");
                }
            }
            // Only once the recorder has stopped, at the very end of shutdown.
            Err(PushError::Stopped) => {}
        }
    }

    /// How many reports were dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// The recorder's job: one UPDATE for every user reported in a batch.
struct Touch {
    store: Store,
    /// The batch's users, each once (reused).
    user_ids: Vec<i64>,
}

impl Job for Touch {
    type Item = i64;
    type Answer = ();

    async fn run(&mut self, batch: &[i64], _answers: &mut Answers<'_, ()>) {
        // A user with many sockets closing together is touched once.
        self.user_ids.clear();
        self.user_ids.extend_from_slice(batch);
        self.user_ids.sort_unstable();
        self.user_ids.dedup();
        if let Err(error) = self.store.touch_users(&self.user_ids).await {
            tracing::warn!(%error, users = self.user_ids.len(), "could not record last_seen");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_drops_reports_instead_of_holding_up_the_closing_socket() {
        // Never connected: the recorder never gets to run before the end.
        let pool = sqlx::PgPool::connect_lazy("postgres://unused@127.0.0.1:1/none").unwrap();
        let options = Options {
            queue: 2,
            batch_max: 1,
            linger: Duration::ZERO,
        };
        let tracker = TaskTracker::new();
        let last_seen = LastSeen::spawn_with(
            Store::from_pool(pool),
            options,
            &tracker,
            CancellationToken::new(),
        );
        // On this single-threaded runtime the recorder cannot take anything
        // off the queue until the test yields, which it never does: every
        // report past the second finds the queue full, and none waits.
        for user_id in 1..=10 {
            last_seen.record(user_id);
        }
        assert_eq!(last_seen.dropped(), 8);
    }
}
