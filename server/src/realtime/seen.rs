//! Remembers when users were last online without a database write per
//! disconnect: connections report their user as they close, and one task
//! stores everyone reported in the last second with a single UPDATE.
//! (A write per close, each with its own commit, once held the pool for
//! seconds after thousands of sockets closed together.)

use std::{collections::BTreeSet, time::Duration};

use tokio::sync::mpsc;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::store::Store;

/// How often the reported users are written.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// Where connections report users going offline; cheap to clone.
#[derive(Clone)]
pub struct LastSeen {
    tx: mpsc::UnboundedSender<i64>,
}

impl LastSeen {
    /// Starts the recorder on `tracker`; when `stop` is cancelled it writes
    /// what it holds and ends.
    pub fn spawn(store: Store, tracker: &TaskTracker, stop: CancellationToken) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tracker.spawn(run(store, rx, stop));
        Self { tx }
    }

    /// Records that `user_id` was online until now.
    pub fn record(&self, user_id: i64) {
        // Only fails once the recorder has stopped, at the very end of shutdown.
        let _ = self.tx.send(user_id);
    }
}

async fn run(store: Store, mut rx: mpsc::UnboundedReceiver<i64>, stop: CancellationToken) {
    let mut seen = BTreeSet::new();
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            Some(user_id) = rx.recv() => { seen.insert(user_id); }
            _ = tick.tick() => flush(&store, &mut seen).await,
            () = stop.cancelled() => break,
        }
    }
    while let Ok(user_id) = rx.try_recv() {
        seen.insert(user_id);
    }
    flush(&store, &mut seen).await;
}

async fn flush(store: &Store, seen: &mut BTreeSet<i64>) {
    if seen.is_empty() {
        return;
    }
    let ids: Vec<i64> = std::mem::take(seen).into_iter().collect();
    if let Err(error) = store.touch_users(&ids).await {
        tracing::warn!(%error, users = ids.len(), "could not record last_seen");
    }
}
