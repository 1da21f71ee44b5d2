//! The bus over PostgreSQL LISTEN/NOTIFY: no component beyond the database.
//!
//! One NOTIFY per committed batch (and per event), sent by a task of its
//! own so no sender waits for it. A batch's messages go inline when the
//! payload fits under PostgreSQL's 8000-byte limit, else only their ids,
//! which receivers read back from the table. Receivers listen on a connection of their own
//! (`application_name` `sapa-bus`); when it drops they reconnect with
//! backoff and, once listening again, catch up every room they have
//! members in from the table, so nothing sent meanwhile is lost (and the
//! hub skips what it already holds, so nothing arrives twice).

use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::{Body, Bus, Envelope, Receiver};
use crate::store::Store;

/// The channel every node listens on.
const CHANNEL: &str = "sapa_bus";
/// PostgreSQL refuses payloads of 8000 bytes or more.
const PAYLOAD_MAX: usize = 7999;
/// Ids per reference notification (each id is at most 20 bytes).
const IDS_PER_NOTIFY: usize = 300;
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

/// The payloads that carry `body`: a batch's messages inline if they fit,
/// else their ids (in as many notifications as they need); an event, which
/// is always small, as it is.
pub fn payloads(node: &str, body: Body) -> Vec<String> {
    let (ids, before): (Vec<i64>, _) = match &body {
        Body::Messages { messages, before } => {
            (messages.iter().map(|m| m.id).collect(), before.clone())
        }
        _ => (Vec::new(), Vec::new()),
    };
    let inline = Envelope {
        node: node.to_owned(),
        body,
    };
    let encoded = serde_json::to_string(&inline).expect("a bus body always encodes");
    if encoded.len() <= PAYLOAD_MAX || ids.is_empty() {
        return vec![encoded];
    }
    ids.chunks(IDS_PER_NOTIFY)
        .map(|chunk| {
            let reference = Envelope {
                node: node.to_owned(),
                body: Body::Reference {
                    ids: chunk.to_vec(),
                    before: before.clone(),
                },
            };
            serde_json::to_string(&reference).expect("ids always encode")
        })
        .collect()
}

/// Sends each batch and event handed over, in order. Ends when every
/// handle is gone.
async fn publish(store: Store, node: String, mut bodies: mpsc::UnboundedReceiver<Body>) {
    while let Some(body) = bodies.recv().await {
        for payload in payloads(&node, body) {
            if let Err(error) = store.notify(CHANNEL, &payload).await {
                // Receivers that miss it catch up once the database is back.
                tracing::warn!(%error, "publishing a batch on the bus failed");
            }
        }
    }
}

/// Listens as node `node` until `stop`, handing what the other nodes
/// publish to `receiver`, reconnecting with backoff and having it catch up
/// from the table each time it starts listening.
pub async fn listen(store: Store, node: String, receiver: impl Receiver, stop: CancellationToken) {
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
                    if let Some(envelope) = super::decode(&node, notification.payload()) {
                        receiver.receive(&envelope.node, envelope.body).await;
                    }
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
