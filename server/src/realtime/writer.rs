//! The batching writer: the one path by which messages reach the database.
//!
//! It takes the first pending message, drains whatever else is queued (up to
//! a cap), stores them all with one INSERT, and only then broadcasts the new
//! ones and answers each sender. At low load a batch is one message, so no
//! latency is added; under load batches grow and the database sees far fewer
//! round trips. Because broadcast follows commit, a message anyone saw is in
//! the database; if the database fails, every sender in the batch is told
//! `unavailable` and nothing is broadcast.

use tokio::sync::{mpsc, oneshot};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::chat::Hub;
use crate::store::{NewMessage, Store, StoreError, StoredMessage};

/// Why a message was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    /// The database is unreachable; nothing was stored.
    #[error("the database is unavailable; the message was not stored")]
    Unavailable,
    /// Anything else (logged where it happened).
    #[error("the message could not be stored")]
    Internal,
}

/// The answer a sender waits for.
pub type WriteResult = Result<StoredMessage, WriteError>;

struct Pending {
    message: NewMessage,
    reply: oneshot::Sender<WriteResult>,
}

/// A handle for submitting messages; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Pending>,
}

/// How many messages may wait for the writer before senders wait too.
const QUEUE: usize = 16 * 1024;

impl Writer {
    /// Starts the writer task on `tracker`. When `stop` is cancelled it
    /// stores whatever is already queued, answers those senders, and ends.
    pub fn spawn(
        store: Store,
        hub: Hub,
        batch_max: usize,
        tracker: &TaskTracker,
        stop: CancellationToken,
    ) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tracker.spawn(run(rx, store, hub, batch_max.max(1), stop));
        Self { tx }
    }

    /// Queues a message; the receiver yields its outcome once committed.
    pub async fn submit(&self, message: NewMessage) -> oneshot::Receiver<WriteResult> {
        let (reply, answer) = oneshot::channel();
        // If the writer has stopped, `reply` is dropped with the pending
        // item and the receiver reports it; see `outcome`.
        let _ = self.tx.send(Pending { message, reply }).await;
        answer
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

async fn run(
    mut rx: mpsc::Receiver<Pending>,
    store: Store,
    hub: Hub,
    batch_max: usize,
    stop: CancellationToken,
) {
    let mut messages: Vec<NewMessage> = Vec::with_capacity(batch_max);
    let mut replies: Vec<oneshot::Sender<WriteResult>> = Vec::with_capacity(batch_max);
    loop {
        let first = tokio::select! {
            biased;
            next = rx.recv() => next,
            () = stop.cancelled() => {
                // Refuse new work; what is already queued is still stored.
                rx.close();
                rx.recv().await
            }
        };
        let Some(mut next) = first else { break };
        loop {
            messages.push(next.message);
            replies.push(next.reply);
            if messages.len() >= batch_max {
                break;
            }
            match rx.try_recv() {
                Ok(more) => next = more,
                Err(_) => break,
            }
        }
        write_batch(&store, &hub, &messages, replies.drain(..)).await;
        messages.clear();
    }
}

async fn write_batch(
    store: &Store,
    hub: &Hub,
    messages: &[NewMessage],
    replies: impl Iterator<Item = oneshot::Sender<WriteResult>>,
) {
    match store.insert_messages(messages).await {
        Ok(stored) => {
            // Broadcast before answering: a sender that hears "stored" can
            // count on everyone else being sent it already.
            hub.broadcast(stored.iter().filter(|s| s.fresh).map(|s| &s.view));
            for (reply, stored) in replies.zip(stored) {
                let _ = reply.send(Ok(stored));
            }
        }
        Err(error) => {
            let answer = match error {
                StoreError::Unavailable(cause) => {
                    tracing::warn!(%cause, messages = messages.len(), "database unavailable; batch not stored");
                    WriteError::Unavailable
                }
                StoreError::Other(cause) => {
                    tracing::error!(%cause, messages = messages.len(), "storing a batch failed");
                    WriteError::Internal
                }
            };
            for reply in replies {
                let _ = reply.send(Err(answer));
            }
        }
    }
}
