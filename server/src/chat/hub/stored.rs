//! What the database committed, told to the rooms: new messages
//! ([`Hub::broadcast`] for this node's writer, [`Hub::deliver`] for what
//! another node committed or a catch-up read back) and edits and deletes
//! ([`Hub::changed`], [`Hub::deliver_change`]). Each keeps the room's
//! recent history in step, so a join served from memory is never stale.

use std::sync::Arc;

use sapa_protocol::{MessageView, RoomName};
use tungstenite::Utf8Bytes;

use super::Hub;
use crate::{
    bus::Body,
    chat::{outbox::Outbound, recent::EncodedMessage},
};

impl Hub {
    /// Sends stored messages to everyone in their rooms, in order: each
    /// encoded once (before taking the lock), all under one lock, then to
    /// the other nodes. Returns how many frames were queued here, over all
    /// messages and members.
    pub fn broadcast<'a>(&self, views: impl IntoIterator<Item = &'a MessageView>) -> usize {
        self.broadcast_after(views, Vec::new())
    }

    /// [`Hub::broadcast`] of a batch that followed, in each room of
    /// `before`, the newest id there: the other nodes read what they have
    /// not delivered up to it first (see `persist::gaps`). With other
    /// nodes, a message already delivered here (read back by such a fill
    /// before this node's own broadcast) is not sent again.
    pub fn broadcast_after<'a>(
        &self,
        views: impl IntoIterator<Item = &'a MessageView>,
        before: Vec<(RoomName, i64)>,
    ) -> usize {
        let views: Vec<&MessageView> = views.into_iter().collect();
        let encoded: Vec<Arc<EncodedMessage>> =
            views.iter().copied().map(EncodedMessage::new).collect();
        let clustered = self.bus.is_some();
        let mut hub = self.lock();
        let mut queued = 0;
        for message in encoded {
            if let Some(state) = hub.rooms.get_mut(&message.room) {
                if clustered && state.recent.holds(message.id) {
                    continue;
                }
                state.recent.push(message.clone(), self.keep);
            }
            queued += hub.send_to_room(&message.room, &Outbound::Message(message.clone()));
        }
        drop(hub);
        self.publish(|| Body::Messages {
            messages: views.into_iter().cloned().collect(),
            before,
        });
        queued
    }

    /// The row id of `room` and the newest message id delivered to it
    /// here, while it has members whose history is loaded.
    pub fn delivered_up_to(&self, room: &RoomName) -> Option<(i64, i64)> {
        let hub = self.lock();
        let state = hub.rooms.get(room)?;
        Some((state.id, state.recent.mark()?))
    }

    /// Messages another node committed (from the bus, or read back from
    /// the table after a cut): delivered like [`Hub::broadcast`], except
    /// that a message this node already holds is skipped, so a catch-up
    /// that overlaps the bus never delivers anything twice.
    pub fn deliver(&self, views: &[MessageView]) -> usize {
        let mut hub = self.lock();
        let mut queued = 0;
        for view in views {
            let message = match hub.rooms.get_mut(&view.room) {
                Some(state) if state.recent.holds(view.id) => continue,
                Some(state) => {
                    let message = EncodedMessage::new(view);
                    state.recent.push(message.clone(), self.keep);
                    message
                }
                // A direct message reaches its participants whether or not
                // they joined its room.
                None if view.room.is_direct() => EncodedMessage::new(view),
                None => continue,
            };
            queued += hub.send_to_room(&view.room, &Outbound::Message(message));
        }
        queued
    }

    /// Every room with members here, by row id, with the newest message id
    /// it holds (0 for a room known to be empty); rooms whose first join is
    /// still reading the database are left out (that read catches up).
    pub fn catch_up_marks(&self) -> Vec<(i64, i64)> {
        let hub = self.lock();
        hub.rooms
            .values()
            .filter_map(|state| Some((state.id, state.recent.mark()?)))
            .collect()
    }

    /// A stored message changed (edited or deleted) by change `seq`: its
    /// room's recent history takes the new form `view`, and everyone who
    /// hears the room gets `frame` (`edited` or `deleted`) at once, here
    /// and on the other nodes.
    pub fn changed(&self, view: &MessageView, seq: i64, frame: Utf8Bytes) {
        self.deliver_change(view, frame);
        self.publish(|| Body::Changed {
            room: view.room.clone(),
            id: view.id,
            seq,
        });
    }

    /// A change another node made, as [`Hub::changed`] but only here.
    pub fn deliver_change(&self, view: &MessageView, frame: Utf8Bytes) {
        let message = EncodedMessage::new(view);
        let item = Outbound::Frame(Arc::new(frame));
        let mut hub = self.lock();
        if let Some(state) = hub.rooms.get_mut(&view.room) {
            state.recent.change(message);
        }
        hub.send_to_room(&view.room, &item);
    }

    /// Whether anyone here hears `room`: a member, or for a direct room a
    /// participant's connection.
    pub fn hears(&self, room: &RoomName) -> bool {
        let hub = self.lock();
        hub.rooms.contains_key(room)
            || room
                .participants()
                .is_some_and(|(a, b)| hub.users.contains_key(a) || hub.users.contains_key(b))
    }
}
