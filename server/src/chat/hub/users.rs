//! The hub's second index: every authenticated connection by user, for
//! what goes to people rather than to rooms. A direct conversation's
//! frames (messages, edits, deletes) reach every connection of both
//! participants, joined to the `dm:` room or not; nothing of a direct room
//! goes through room membership, so no socket gets a frame twice.
//!
//! The user's read markers live here too, while they have a connection:
//! loaded from the database when a connection authenticates, moved by every
//! `read` (WebSocket or REST), so each `welcome` tells the latest without
//! a query. Markers only move forward, so merging is taking the larger.
//!
//! A connection is listed while its [`UserSlot`] lives: the session holds
//! it from the moment it is authenticated, and dropping it (whatever ends
//! the connection) takes the connection out.

use std::{collections::HashMap, sync::Arc};

use sapa_protocol::{ReadMarker, RoomName, ServerMessage, Username};
use tungstenite::Utf8Bytes;

use super::{ConnId, Hub, State};
use crate::bus::Body;
use crate::chat::outbox::{Outbound, Outbox, Pushed, Wake};

/// The key of a user: the name in lowercase (names are unique ignoring
/// case, and a direct room's name spells them so).
fn key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// A user's connections and read markers.
#[derive(Default)]
pub(super) struct UserEntry {
    pub(super) conns: HashMap<ConnId, Outbox>,
    markers: HashMap<RoomName, i64>,
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
        if let Some(entry) = hub.users.get_mut(&self.key) {
            entry.conns.remove(&self.conn);
            if entry.conns.is_empty() {
                hub.users.remove(&self.key);
            }
        }
    }
}

impl Hub {
    /// Lists connection `conn` of `user`, until the slot is dropped, with
    /// the user's `markers` as the database had them.
    pub fn register_user(
        &self,
        conn: ConnId,
        user: &Username,
        outbox: Outbox,
        markers: Vec<(RoomName, i64)>,
    ) -> UserSlot {
        let key = key(user.as_str());
        let mut hub = self.lock();
        let entry = hub.users.entry(key.clone()).or_default();
        entry.conns.insert(conn, outbox);
        for (room, up_to) in markers {
            raise(&mut entry.markers, room, up_to);
        }
        drop(hub);
        UserSlot {
            hub: self.clone(),
            conn,
            key,
        }
    }
}

impl Hub {
    /// The user's read marker in `room` (0: none), as far as this hub knows.
    pub fn read_up_to(&self, user: &Username, room: &RoomName) -> i64 {
        self.lock()
            .users
            .get(&key(user.as_str()))
            .and_then(|entry| entry.markers.get(room).copied())
            .unwrap_or(0)
    }

    /// `user`'s marker in `room` moved forward to `up_to`: remembered, and
    /// the `read` frame goes to every connection of theirs but `except`
    /// (the one that moved it), here and on the other nodes.
    pub fn marked(&self, user: &Username, room: &RoomName, up_to: i64, except: Option<ConnId>) {
        self.tell_marker(user, room, up_to, except);
        self.publish(|| Body::Read {
            username: user.clone(),
            room: room.clone(),
            up_to,
        });
    }

    /// A marker moved through another node, as [`Hub::marked`] but only
    /// here.
    pub fn deliver_read(&self, user: &Username, room: &RoomName, up_to: i64) {
        self.tell_marker(user, room, up_to, None);
    }

    fn tell_marker(&self, user: &Username, room: &RoomName, up_to: i64, except: Option<ConnId>) {
        let frame = ServerMessage::Read(ReadMarker {
            room: room.clone(),
            up_to,
        });
        let item = Outbound::Frame(Arc::new(Utf8Bytes::from(frame.to_json())));
        let mut hub = self.lock();
        let Some(entry) = hub.users.get_mut(&key(user.as_str())) else {
            return;
        };
        raise(&mut entry.markers, room.clone(), up_to);
        let others = entry
            .conns
            .iter()
            .filter(|(conn, _)| Some(**conn) != except);
        for (&conn, outbox) in others {
            push_now(conn, outbox, &item);
        }
    }
}

/// Moves a marker forward, never back.
fn raise(markers: &mut HashMap<RoomName, i64>, room: RoomName, up_to: i64) {
    let marker = markers.entry(room).or_insert(0);
    *marker = (*marker).max(up_to);
}

impl State {
    /// Queues `item` for every connection of the participants of direct
    /// room `room` (once each, also in a note to oneself).
    pub(super) fn send_participants(&self, room: &RoomName, item: &Outbound) -> usize {
        let Some((a, b)) = room.participants() else {
            return 0;
        };
        let people: &[&str] = if a == b { &[a] } else { &[a, b] };
        people
            .iter()
            .filter_map(|person| self.users.get(*person))
            .map(|entry| send_each(&entry.conns, item))
            .sum()
    }
}

/// Queues `item` for each connection, at once; how many it was queued for.
fn send_each(conns: &HashMap<ConnId, Outbox>, item: &Outbound) -> usize {
    for (&conn, outbox) in conns {
        push_now(conn, outbox, item);
    }
    conns.len()
}

/// Queues `item` for connection `conn` at once (a full queue kicks it).
pub(super) fn push_now(conn: ConnId, outbox: &Outbox, item: &Outbound) {
    if outbox.push(item.clone(), Wake::Now) == Pushed::Kicked {
        tracing::warn!(conn, "outbound queue full; closing slow connection");
    }
}
