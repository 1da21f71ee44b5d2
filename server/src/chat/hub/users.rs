//! The hub's second index: every authenticated connection by user, for
//! what goes to people rather than to rooms. A direct conversation's
//! frames (messages, edits, deletes) reach every connection of both
//! participants, joined to the `dm:` room or not; nothing of a direct room
//! goes through room membership, so no socket gets a frame twice.
//!
//! A connection is listed while its [`UserSlot`] lives: the session holds
//! it from the moment it is authenticated, and dropping it (whatever ends
//! the connection) takes the connection out.

use std::collections::HashMap;

use sapa_protocol::{RoomName, Username};

use super::{ConnId, Hub, State};
use crate::chat::outbox::{Outbound, Outbox, Pushed, Wake};

/// The key of a user: the name in lowercase (names are unique ignoring
/// case, and a direct room's name spells them so).
fn key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// A connection's place in the user index, removed on drop.
pub struct UserSlot {
    hub: Hub,
    conn: ConnId,
    key: String,
}

impl Drop for UserSlot {
    fn drop(&mut self) {
        let mut hub = self.hub.lock();
        if let Some(conns) = hub.users.get_mut(&self.key) {
            conns.remove(&self.conn);
            if conns.is_empty() {
                hub.users.remove(&self.key);
            }
        }
    }
}

impl Hub {
    /// Lists connection `conn` of `user`, until the slot is dropped.
    pub fn register_user(&self, conn: ConnId, user: &Username, outbox: Outbox) -> UserSlot {
        let key = key(user.as_str());
        self.lock()
            .users
            .entry(key.clone())
            .or_default()
            .insert(conn, outbox);
        UserSlot {
            hub: self.clone(),
            conn,
            key,
        }
    }
}

impl State {
    /// Queues `item` for every connection of the participants of direct
    /// room `room` (once each, also in a note to oneself).
    pub(super) fn send_participants(&self, room: &RoomName, item: &Outbound) {
        let Some((a, b)) = room.participants() else {
            return;
        };
        let people: &[&str] = if a == b { &[a] } else { &[a, b] };
        for person in people {
            if let Some(conns) = self.users.get(*person) {
                send_each(conns, item);
            }
        }
    }
}

/// Queues `item` for each connection, at once.
fn send_each(conns: &HashMap<ConnId, Outbox>, item: &Outbound) {
    for (&conn, outbox) in conns {
        if outbox.push(item.clone(), Wake::Now) == Pushed::Kicked {
            tracing::warn!(conn, "outbound queue full; closing slow connection");
        }
    }
}
