//! What the other nodes publish on the [`crate::bus`], delivered here: to
//! this node's members of each room and, for messages and changes, to its
//! in-memory history (through the hub's `deliver` methods, which never
//! publish again). A batch sent by reference and a change are read back
//! from the table; after a cut in the bus every room with members here is
//! caught up from the table, and the hub skips what it already holds, so
//! nothing arrives twice. Presence is caught up the same way: the table
//! holds every live node's present users (each node writes its own before
//! publishing them), and the hub is made to match it.

use super::nodes::ALIVE;
use crate::{
    bus::{Body, Receiver},
    chat::Hub,
    persist::{changes::change_frame, gaps},
    store::Store,
};

/// A catch-up reads a room in pages of this many messages.
const CATCH_UP_PAGE: u16 = 1000;

/// Delivers the other nodes' bodies to one node's hub.
pub struct Relay {
    pub store: Store,
    pub hub: Hub,
    /// This node's id.
    pub node: String,
}

impl Receiver for Relay {
    async fn receive(&self, from: &str, body: Body) {
        let Self { store, hub, .. } = self;
        match body {
            Body::Messages { messages, before } => {
                gaps::fill(store, hub, &before).await;
                hub.deliver(&messages);
            }
            Body::Reference { ids, before } => {
                gaps::fill(store, hub, &before).await;
                match store.messages_by_id(&ids).await {
                    Ok(messages) => {
                        hub.deliver(&messages);
                    }
                    Err(error) => {
                        tracing::warn!(%error, "reading back a batch failed; catching up");
                        self.catch_up().await;
                    }
                }
            }
            Body::Changed { room, id, seq } => {
                if !hub.hears(&room) {
                    return;
                }
                match store.messages_by_id(&[id]).await {
                    Ok(messages) => {
                        for view in messages {
                            let frame = change_frame(&view, seq);
                            hub.deliver_change(&view, frame.to_json().into());
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, id, "reading back a changed message failed")
                    }
                }
            }
            Body::Presence {
                room,
                username,
                present,
            } => hub.presence_elsewhere(from, &room, &username, present),
            Body::Reset => hub.forget_node(from),
            Body::Typing { room, username } => hub.deliver_typing(&room, &username),
            Body::Read {
                username,
                room,
                up_to,
            } => hub.deliver_read(&username, &room, up_to),
        }
    }

    /// Reads from the table whatever each room with members here may have
    /// missed, and delivers what this node does not hold yet; and makes
    /// presence elsewhere what the table says.
    async fn catch_up(&self) {
        let Self { store, hub, node } = self;
        match store.presence_elsewhere(node, ALIVE.as_secs_f64()).await {
            Ok(rows) => hub.reconcile(rows),
            Err(error) => tracing::warn!(%error, "reading presence on the other nodes failed"),
        }
        for (room_id, mut after) in hub.catch_up_marks() {
            loop {
                match store.history_after(room_id, after, CATCH_UP_PAGE).await {
                    Ok((page, more)) => {
                        let Some(last) = page.last().map(|m| m.id) else {
                            break;
                        };
                        hub.deliver(&page);
                        after = last;
                        if !more {
                            break;
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, room_id, "catching up a room failed");
                        break;
                    }
                }
            }
        }
    }
}
