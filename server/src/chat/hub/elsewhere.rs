//! Presence through the other nodes (DESIGN.md section 6): who is present
//! in which room on which other node, as the bus (and, after a cut or at
//! start, the table) says. Each room's roster counts a user once however
//! many nodes and connections they are present through, so a user who
//! moves from a dying node to this one is neither announced as left nor
//! joined again, and one with sockets on two nodes shows once.
//!
//! This node's own changes are published as they happen: a user's first
//! listed connection in a room here (`present`) and their last one leaving
//! (`absent`), under the hub's lock so their order is kept. A node shutting
//! down stops publishing them (its `stopping` token): its users stay listed
//! elsewhere until its heartbeat goes stale, which gives them time to
//! reconnect to another node without flapping.

use std::collections::{BTreeMap, HashMap, HashSet};

use sapa_protocol::{RoomName, Username};

use super::{Hub, Room, State};
use crate::bus::Body;

/// Who is present through the other nodes.
#[derive(Default)]
pub(super) struct Elsewhere {
    /// node -> (room, lowercased name) -> the name as registered
    by_node: HashMap<String, HashMap<(RoomName, String), Username>>,
    /// room -> lowercased name -> (name, how many nodes)
    rooms: HashMap<RoomName, BTreeMap<String, (Username, usize)>>,
}

impl Elsewhere {
    /// Records `user` present in `room` through `node`; whether that is new.
    fn add(&mut self, node: &str, room: &RoomName, user: &Username) -> bool {
        let key = user.as_str().to_ascii_lowercase();
        let slot = (room.clone(), key.clone());
        let entries = self.by_node.entry(node.to_owned()).or_default();
        if entries.insert(slot, user.clone()).is_some() {
            return false;
        }
        let users = self.rooms.entry(room.clone()).or_default();
        users.entry(key).or_insert_with(|| (user.clone(), 0)).1 += 1;
        true
    }

    /// Records `user` no longer present in `room` through `node`; whether
    /// they were.
    fn remove(&mut self, node: &str, room: &RoomName, user: &Username) -> bool {
        let key = user.as_str().to_ascii_lowercase();
        let Some(entries) = self.by_node.get_mut(node) else {
            return false;
        };
        if entries.remove(&(room.clone(), key.clone())).is_none() {
            return false;
        }
        if entries.is_empty() {
            self.by_node.remove(node);
        }
        if let Some(users) = self.rooms.get_mut(room) {
            if let Some(entry) = users.get_mut(&key) {
                entry.1 -= 1;
                if entry.1 == 0 {
                    users.remove(&key);
                }
            }
            if users.is_empty() {
                self.rooms.remove(room);
            }
        }
        true
    }

    /// The users of `room` on other nodes, each with how many nodes.
    pub(super) fn users(&self, room: &RoomName) -> impl Iterator<Item = &(Username, usize)> {
        self.rooms.get(room).into_iter().flat_map(BTreeMap::values)
    }

    /// Every room with users elsewhere, with how many.
    pub(super) fn counts(&self) -> impl Iterator<Item = (&RoomName, usize)> {
        self.rooms.iter().map(|(room, users)| (room, users.len()))
    }

    /// Every user present elsewhere (lowercased name, name).
    pub(super) fn everyone(&self) -> impl Iterator<Item = (&str, &Username)> {
        self.rooms
            .values()
            .flat_map(|users| users.iter().map(|(key, (name, _))| (key.as_str(), name)))
    }
}

impl Room {
    /// A room that gets its first member here starts with the users
    /// present in it elsewhere (nobody to tell yet).
    pub(super) fn seed(&mut self, elsewhere: &Elsewhere, room: &RoomName) {
        for (user, nodes) in elsewhere.users(room) {
            for _ in 0..*nodes {
                self.roster.arrive_elsewhere(user);
            }
        }
    }
}

impl State {
    /// Applies one node's change to `user`'s presence in `room`, telling
    /// the room's members here what it means.
    fn apply(&mut self, node: &str, room: &RoomName, user: &Username, present: bool) {
        let changed = if present {
            self.elsewhere.add(node, room, user)
        } else {
            self.elsewhere.remove(node, room, user)
        };
        if !changed {
            return;
        }
        let State {
            rooms,
            due,
            counting,
            ..
        } = self;
        let Some(state) = rooms.get_mut(room) else {
            return;
        };
        let notice = if present {
            state.roster.arrive_elsewhere(user)
        } else {
            state.roster.depart_elsewhere(user)
        };
        state.notify(room, notice, user.clone(), None, due, counting);
    }
}

impl Hub {
    /// Publishes this node's change to `user`'s presence in `room`, unless
    /// the node is shutting down. Called under the lock, so changes to one
    /// user go out in the order they happened.
    pub(super) fn publish_presence(&self, room: &RoomName, user: &Username, present: bool) {
        if self.stopping.is_cancelled() {
            return;
        }
        self.publish(|| Body::Presence {
            room: room.clone(),
            username: user.clone(),
            present,
        });
    }

    /// `user` became present (or absent) in `room` through node `node`.
    pub fn presence_elsewhere(&self, node: &str, room: &RoomName, user: &Username, present: bool) {
        self.lock().apply(node, room, user, present);
    }

    /// Everyone present through `node` is gone (it died, was shut down,
    /// or started afresh): each who is not present anywhere else leaves.
    pub fn forget_node(&self, node: &str) {
        let mut hub = self.lock();
        let Some(entries) = hub.elsewhere.by_node.get(node) else {
            return;
        };
        let entries: Vec<(RoomName, Username)> = entries
            .iter()
            .map(|((room, _), user)| (room.clone(), user.clone()))
            .collect();
        for (room, user) in entries {
            hub.apply(node, &room, &user, false);
        }
    }

    /// The other nodes anyone is present through.
    pub fn nodes_elsewhere(&self) -> Vec<String> {
        self.lock().elsewhere.by_node.keys().cloned().collect()
    }

    /// Makes presence elsewhere exactly `rows` (node, room, user), as read
    /// from the table: what is missing leaves, what is new joins, and what
    /// is already known changes nothing.
    pub fn reconcile(&self, rows: Vec<(String, RoomName, Username)>) {
        let wanted: HashSet<(String, RoomName, String)> = rows
            .iter()
            .map(|(node, room, user)| {
                (
                    node.clone(),
                    room.clone(),
                    user.as_str().to_ascii_lowercase(),
                )
            })
            .collect();
        let mut hub = self.lock();
        let mut stale = Vec::new();
        for (node, entries) in &hub.elsewhere.by_node {
            for ((room, key), user) in entries {
                if !wanted.contains(&(node.clone(), room.clone(), key.clone())) {
                    stale.push((node.clone(), room.clone(), user.clone()));
                }
            }
        }
        for (node, room, user) in stale {
            hub.apply(&node, &room, &user, false);
        }
        for (node, room, user) in rows {
            hub.apply(&node, &room, &user, true);
        }
    }

    /// Every (room, user) present here, as this node would publish them.
    pub fn present_here(&self) -> Vec<(RoomName, Username)> {
        let hub = self.lock();
        hub.rooms
            .iter()
            .flat_map(|(name, state)| {
                state
                    .roster
                    .users_here()
                    .map(move |user| (name.clone(), user.clone()))
            })
            .collect()
    }
}
