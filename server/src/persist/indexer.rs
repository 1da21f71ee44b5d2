//! The search indexer: copies new messages into what search reads
//! (`message_search`, with its GIN indexes), in batches, behind the message
//! path. Keeping GIN upkeep out of the writer's INSERT keeps a send's cost
//! a few b-tree entries, and the occasional merge of a GIN pending list
//! (tens of milliseconds) out of any sender's latency.
//!
//! The writer wakes it after each batch it stores; it waits a moment so a
//! busy room's messages are indexed together, then copies until it has
//! caught up. It also runs at start (catching up whatever was stored while
//! no server ran, or before search existed) and every few seconds in case a
//! wake was missed. A search finds a message once it has been indexed:
//! normally within [`GATHER`] of its sending.

use std::{sync::Arc, time::Duration};

use tokio::sync::Notify;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::store::Store;

/// How long the indexer lets messages gather after a wake.
pub const GATHER: Duration = Duration::from_millis(100);
/// Messages copied per statement.
const BATCH: i64 = 2_000;
/// How often it looks even without a wake.
const IDLE: Duration = Duration::from_secs(5);
/// How long it waits after a failure (the database down, say).
const RETRY: Duration = Duration::from_secs(1);

/// A handle to wake the indexer; cheap to clone.
#[derive(Clone)]
pub struct Indexer {
    wake: Arc<Notify>,
}

impl Indexer {
    /// Starts the indexer on `tracker` until `stop`.
    pub fn spawn(store: Store, tracker: &TaskTracker, stop: CancellationToken) -> Self {
        let wake = Arc::new(Notify::new());
        tracker.spawn(run(store, wake.clone(), stop));
        Self { wake }
    }

    /// New messages are stored: index them soon.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

async fn run(store: Store, wake: Arc<Notify>, stop: CancellationToken) {
    loop {
        let caught_up = catch_up(&store, &stop).await;
        let pause = if caught_up { IDLE } else { RETRY };
        tokio::select! {
            () = stop.cancelled() => return,
            () = wake.notified() => {}
            () = tokio::time::sleep(pause) => {}
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(GATHER) => {}
        }
    }
}

/// Copies batches until none is full; false if the database failed.
async fn catch_up(store: &Store, stop: &CancellationToken) -> bool {
    loop {
        if stop.is_cancelled() {
            return true;
        }
        match store.index_batch(BATCH).await {
            Ok(taken) if taken < BATCH => return true,
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "search indexing failed; trying again");
                return false;
            }
        }
    }
}
