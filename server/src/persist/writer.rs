//! The message writer: the one path by which messages reach the database.
//!
//! It runs on the [`batcher`](super::batcher): the first pending message and
//! whatever else is queued (up to a cap) are stored with one INSERT, and
//! only then are the new ones broadcast through the hub and each sender
//! answered. At low load a batch is one message, so no latency is added;
//! under load batches grow and the database sees far fewer round trips.
//! Because broadcast follows commit, a message anyone saw is in the
//! database; if the database fails, every sender in the batch is told
//! [`WriteError::Unavailable`] and nothing is broadcast.
//!
//! The INSERT itself (and how retried client_ids are answered) is
//! `store/messages.rs`; fan-out is the hub's.

use std::collections::HashMap;

use sapa_protocol::RoomName;
use tokio::sync::oneshot;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::{
    batcher::{Answers, Batcher, Job, Options},
    gaps,
    indexer::Indexer,
};
use crate::{
    chat::Hub,
    store::{Inserted, NewMessage, Store, StoreError, StoredMessage},
    telemetry,
};

/// Why a message was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    /// The database is unreachable (or the writer has stopped); nothing was
    /// stored.
    #[error("the database is unavailable; the message was not stored")]
    Unavailable,
    /// Anything else (logged where it happened).
    #[error("the message could not be stored")]
    Internal,
}

/// The answer a sender waits for.
pub type WriteResult = Result<StoredMessage, WriteError>;

/// A handle for submitting messages; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    batcher: Batcher<NewMessage, WriteResult>,
}

/// How many messages may wait for the writer before senders wait too.
const QUEUE: usize = 16 * 1024;

impl Writer {
    /// Starts the writer on `tracker`, storing up to `batch_max` messages
    /// per INSERT. When `stop` is cancelled it stores whatever is already
    /// queued, answers those senders, and ends.
    pub fn spawn(
        store: Store,
        hub: Hub,
        indexer: Indexer,
        batch_max: usize,
        tracker: &TaskTracker,
        stop: CancellationToken,
    ) -> Self {
        let options = Options {
            queue: QUEUE,
            batch_max,
            linger: std::time::Duration::ZERO,
        };
        let job = StoreAndBroadcast {
            store,
            hub,
            indexer,
            metrics: telemetry::WriterMetrics::new(),
        };
        let batcher = Batcher::spawn(job, options, tracker, stop);
        Self { batcher }
    }

    /// Queues a message; the receiver yields its outcome once committed (see
    /// [`outcome`]). A connection awaits it alongside its other work.
    pub async fn submit(&self, message: NewMessage) -> oneshot::Receiver<WriteResult> {
        self.batcher.submit(message).await
    }

    /// Queues a message and waits until it is stored.
    pub async fn store(&self, message: NewMessage) -> WriteResult {
        outcome(self.submit(message).await.await)
    }
}

/// Turns a writer reply into a result; a dropped reply means the writer has
/// shut down before storing it.
pub fn outcome(reply: Result<WriteResult, oneshot::error::RecvError>) -> WriteResult {
    reply.unwrap_or(Err(WriteError::Unavailable))
}

/// The writer's job: one INSERT per batch, then the broadcast.
struct StoreAndBroadcast {
    store: Store,
    /// Fans each committed batch out, here and to the other nodes.
    hub: Hub,
    /// Told after each batch, so search finds the new messages soon.
    indexer: Indexer,
    metrics: telemetry::WriterMetrics,
}

impl Job for StoreAndBroadcast {
    type Item = NewMessage;
    type Answer = WriteResult;

    async fn run(&mut self, batch: &[NewMessage], answers: &mut Answers<'_, WriteResult>) {
        let started = std::time::Instant::now();
        match self.store.insert_messages(batch).await {
            Ok(Inserted { stored, before }) => {
                let fresh: Vec<_> = stored.iter().filter(|s| s.fresh).map(|s| &s.view).collect();
                self.metrics
                    .batch(batch.len(), started.elapsed(), Some(fresh.len()));
                // With other nodes: what they committed in these rooms
                // before this batch goes out first, so ids never go back.
                let before = rooms_by_name(batch, &stored, &before);
                if !before.is_empty() {
                    gaps::fill(&self.store, &self.hub, &before).await;
                }
                // Broadcast before answering: a sender that hears "stored"
                // can count on everyone else being sent it already.
                let delivered = self.hub.broadcast_after(fresh, before);
                self.metrics.delivered(delivered);
                self.indexer.wake();
                answers.extend(stored.into_iter().map(Ok));
            }
            Err(error) => {
                self.metrics.batch(batch.len(), started.elapsed(), None);
                let answer = match error {
                    StoreError::Unavailable(cause) => {
                        tracing::warn!(%cause, messages = batch.len(), "database unavailable; batch not stored");
                        WriteError::Unavailable
                    }
                    StoreError::Other(cause) => {
                        tracing::error!(%cause, messages = batch.len(), "storing a batch failed");
                        WriteError::Internal
                    }
                };
                answers.extend(batch.iter().map(|_| Err(answer)));
            }
        }
    }
}

/// `before` (by room id) by the name of each room a fresh message of the
/// batch went to.
fn rooms_by_name(
    batch: &[NewMessage],
    stored: &[StoredMessage],
    before: &HashMap<i64, i64>,
) -> Vec<(RoomName, i64)> {
    if before.is_empty() {
        return Vec::new();
    }
    let mut named: HashMap<i64, (RoomName, i64)> = HashMap::new();
    for (input, outcome) in batch.iter().zip(stored).filter(|(_, s)| s.fresh) {
        if let Some(&newest) = before.get(&input.room_id) {
            named
                .entry(input.room_id)
                .or_insert_with(|| (outcome.view.room.clone(), newest));
        }
    }
    named.into_values().collect()
}
