//! Presence across nodes: this node's part (DESIGN.md section 6).
//!
//! - [`Nodes`] is the bus as the hub sees it. Presence changes go through a
//!   task that records them in the table (in batches) before publishing
//!   them, so a node that reads the table after hearing a change never
//!   finds it missing; everything else goes straight to the transport. At
//!   start it clears what an earlier run under the same id left and tells
//!   the others to forget it (`reset`).
//! - [`heartbeats`] beats every [`BEAT`]; a node whose beat is [`ALIVE`]
//!   old is dead: every node forgets its users (each who is not present
//!   anywhere else gets `left`, so within 15 s of the death) and any node
//!   deletes its rows. A node buried while it was alive (a database
//!   hiccup) writes and publishes its presence again on its next beat.
//! - A node shutting down stops publishing its presence (the hub's
//!   `stopping` token) and makes its beat look [`ALIVE`] minus [`GRACE`]
//!   old: its users stay listed for [`GRACE`], time to reconnect to
//!   another node without being seen to leave and join again.

use std::{collections::HashSet, sync::Arc, time::Duration};

use tokio::sync::mpsc;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    bus::{Body, Bus},
    chat::Hub,
    store::Store,
};

/// How often a node beats.
pub const BEAT: Duration = Duration::from_secs(1);
/// A node whose beat is this old is dead.
pub const ALIVE: Duration = Duration::from_secs(10);
/// How long a node shutting down stays listed.
pub const GRACE: Duration = Duration::from_secs(5);
/// Presence changes recorded per transaction, at most.
const BATCH: usize = 512;

/// The bus as the hub sees it: presence recorded first, then published.
pub struct Nodes {
    transport: Arc<dyn Bus>,
    presence: mpsc::UnboundedSender<Body>,
}

impl Nodes {
    /// Starts the presence recorder of node `node` on `tracker`, in front
    /// of `transport`.
    pub fn spawn(
        store: Store,
        node: String,
        transport: Arc<dyn Bus>,
        tracker: &TaskTracker,
    ) -> Self {
        let (presence, changes) = mpsc::unbounded_channel();
        tracker.spawn(record(store, node, transport.clone(), changes));
        Self {
            transport,
            presence,
        }
    }
}

impl Bus for Nodes {
    fn publish(&self, body: Body) {
        match body {
            Body::Presence { .. } => {
                // Fails only once the recorder has ended (shutdown).
                let _ = self.presence.send(body);
            }
            body => self.transport.publish(body),
        }
    }
}

/// Clears what an earlier run left, then records each presence change
/// (in batches) and publishes it. Ends when every handle is gone.
async fn record(
    store: Store,
    node: String,
    transport: Arc<dyn Bus>,
    mut changes: mpsc::UnboundedReceiver<Body>,
) {
    let cleared = async {
        store.clear_presence(&node).await?;
        store.beat(&node).await
    };
    if let Err(error) = cleared.await {
        // The heartbeats retry the beat; stale rows of an earlier run go
        // when the others see that run's beat stop, or with the reset.
        tracing::warn!(%error, "starting presence on the bus failed");
    }
    transport.publish(Body::Reset);
    let mut batch = Vec::with_capacity(BATCH);
    while changes.recv_many(&mut batch, BATCH).await > 0 {
        let rows: Vec<_> = batch
            .iter()
            .filter_map(|body| match body {
                Body::Presence {
                    room,
                    username,
                    present,
                } => Some((room.clone(), username.clone(), *present)),
                _ => None,
            })
            .collect();
        if let Err(error) = store.record_presence(&node, &rows).await {
            // Published anyway: the others hear it live; only a node that
            // reads the table meanwhile misses it.
            tracing::warn!(%error, "recording presence failed");
        }
        for body in batch.drain(..) {
            transport.publish(body);
        }
    }
}

/// Beats as node `node` every [`BEAT`] until `stopping`, forgetting the
/// nodes that stopped beating; then makes its own beat stale within
/// [`GRACE`].
pub async fn heartbeats(
    store: Store,
    hub: Hub,
    node: String,
    bus: Arc<dyn Bus>,
    stopping: CancellationToken,
) {
    let mut ticks = tokio::time::interval(BEAT);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut started = false;
    loop {
        tokio::select! {
            () = stopping.cancelled() => break,
            _ = ticks.tick() => {}
        }
        match store.beat(&node).await {
            // Buried while alive (or the recorder's first beat failed):
            // write and publish this node's presence again.
            Ok(true) if started => {
                tracing::warn!("this node was taken for dead; announcing its presence again");
                for (room, username) in hub.present_here() {
                    bus.publish(Body::Presence {
                        room,
                        username,
                        present: true,
                    });
                }
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "the heartbeat failed"),
        }
        started = true;
        bury(&store, &hub, &node).await;
    }
    let stale = (ALIVE - GRACE).as_secs_f64();
    if let Err(error) = store.age_beat(&node, stale).await {
        tracing::warn!(%error, "ending the heartbeat failed; the others wait for it to go stale");
    }
}

/// Forgets the nodes that stopped beating, and deletes their rows.
async fn bury(store: &Store, hub: &Hub, node: &str) {
    let alive = ALIVE.as_secs_f64();
    let live: HashSet<String> = match store.live_nodes(node, alive).await {
        Ok(live) => live.into_iter().collect(),
        Err(error) => {
            tracing::warn!(%error, "reading the live nodes failed");
            return;
        }
    };
    for dead in hub.nodes_elsewhere() {
        if !live.contains(&dead) {
            tracing::info!(node = %dead, "a node stopped beating; its users leave");
            hub.forget_node(&dead);
        }
    }
    if let Err(error) = store.bury_nodes(alive).await {
        tracing::warn!(%error, "deleting dead nodes failed");
    }
}
