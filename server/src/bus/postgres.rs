//! The bus over PostgreSQL LISTEN/NOTIFY: no component beyond the database.
//!
//! One NOTIFY per committed batch (and per event), sent by a task of its
//! own so no sender waits for it. A batch's messages go inline when the
//! payload fits under PostgreSQL's 8000-byte limit, else only their ids,
//! which receivers read back from the table (both numbered, see
//! [`super::sequence`]). Receivers listen on a connection of their own
//! (`application_name` `sapa-bus`); when it drops they reconnect with
//! backoff and, once listening again, catch up every room they have
//! members in from the table, so nothing sent meanwhile is lost (and the
//! hub skips what it already holds, so nothing arrives twice).

use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::{
    Body, Bus, Receiver,
    sequence::{Inbox, Publisher},
};
use crate::store::Store;

/// The channel every node listens on.
const CHANNEL: &str = "sapa_bus";
/// PostgreSQL refuses payloads of 8000 bytes or more.
pub const PAYLOAD_MAX: usize = 7999;
const BACKOFF_FIRST: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// The publishing half. Its task ends once every handle is dropped; the
/// listening half is [`listen`], a task of its own.
pub struct PgBus {
    outgoing: mpsc::UnboundedSender<Body>,
}

impl PgBus {
    /// Starts the publisher, as node `node`, on `tracker`.
    pub fn spawn(store: Store, node: String, tracker: &TaskTracker) -> Self {
        let (outgoing, bodies) = mpsc::unbounded_channel();
        tracker.spawn(publish(store, node, bodies));
        Self { outgoing }
    }
}

impl Bus for PgBus {
    fn publish(&self, body: Body) {
        if matches!(&body, Body::Messages { messages, .. } if messages.is_empty()) {
            return;
        }
        // Fails only once the publisher has ended (shutdown).
        let _ = self.outgoing.send(body);
    }
}

/// Sends each batch and event handed over, in order. Ends when every
/// handle is gone.
async fn publish(store: Store, node: String, mut bodies: mpsc::UnboundedReceiver<Body>) {
    let mut publisher = Publisher::new(&node);
    while let Some(body) = bodies.recv().await {
        for payload in publisher.payloads(body, PAYLOAD_MAX) {
            if let Err(error) = store.notify(CHANNEL, &payload).await {
                // Its number is spent: receivers notice the gap at the
                // next one and catch up from the table.
                tracing::warn!(%error, "publishing a batch on the bus failed");
            }
        }
    }
}

/// Listens as node `node` until `stop`, handing what the other nodes
/// publish to `receiver`, reconnecting with backoff and having it catch up
/// from the table each time it starts listening.
pub async fn listen(store: Store, node: String, receiver: impl Receiver, stop: CancellationToken) {
    let mut inbox = Inbox::new(&node);
    let mut backoff = BACKOFF_FIRST;
    let mut first = true;
    loop {
        let connected = tokio::select! {
            () = stop.cancelled() => return,
            connected = store.listen(CHANNEL) => connected,
        };
        let mut listener = match connected {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, ?backoff, "the bus connection failed; retrying");
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(BACKOFF_MAX);
                continue;
            }
        };
        backoff = BACKOFF_FIRST;
        if !first {
            tracing::info!("the bus is back; catching up from the table");
        }
        first = false;
        // Listening now: whatever is published from here on is heard, and
        // whatever was before is in the table (at start, only presence).
        receiver.catch_up().await;
        loop {
            let received = tokio::select! {
                () = stop.cancelled() => return,
                received = listener.try_recv() => received,
            };
            match received {
                Ok(Some(notification)) => {
                    let payload = notification.payload().as_bytes();
                    inbox.accept(payload, &receiver).await;
                }
                Ok(None) => break,
                Err(error) => {
                    tracing::warn!(%error, "the bus connection was lost");
                    break;
                }
            }
        }
        // Lost: wait a moment before reconnecting (the database may be
        // restarting); the catch-up covers what is sent meanwhile.
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(BACKOFF_FIRST) => {}
        }
    }
}
