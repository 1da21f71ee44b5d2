//! Presence rules: who is in a room, and when others hear of it.
//!
//! Presence is per user, not per socket: a user counts once however many of
//! their connections are in a room; `joined` goes out when the user's first
//! connection enters and `left` when the last one leaves. Names compare
//! case-insensitively and are shown as registered. The hub calls these rules
//! under its lock; the frames they produce wait for the next presence tick
//! (see [`super::hub::PRESENCE_TICK`]).

use std::{collections::BTreeMap, sync::Arc};

use axum::extract::ws::Utf8Bytes;
use sapa_protocol::{Presence, PresenceChange, RoomName, ServerMessage, Username};
use time::OffsetDateTime;

use super::outbox::Outbound;

/// The users in one room, each with how many of their connections are in it.
#[derive(Debug, Default)]
pub struct Roster {
    /// lowercased name -> (name as registered, connections in this room)
    users: BTreeMap<String, (Username, usize)>,
}

impl Roster {
    /// Counts one more connection of `user`; true when it is the user's
    /// first in the room, so the others are told `joined`.
    pub fn arrive(&mut self, user: &Username) -> bool {
        let entry = self
            .users
            .entry(user.as_str().to_ascii_lowercase())
            .or_insert_with(|| (user.clone(), 0));
        entry.1 += 1;
        entry.1 == 1
    }

    /// Counts one connection of `user` out; true when it was the user's
    /// last in the room, so the others are told `left`.
    pub fn depart(&mut self, user: &Username) -> bool {
        let key = user.as_str().to_ascii_lowercase();
        let Some(entry) = self.users.get_mut(&key) else {
            return false;
        };
        entry.1 -= 1;
        if entry.1 > 0 {
            return false;
        }
        self.users.remove(&key);
        true
    }

    /// How many users (not sockets) are in the room.
    pub fn count(&self) -> usize {
        self.users.len()
    }

    /// The users, sorted case-insensitively, with their lowercased key.
    pub fn users(&self) -> impl Iterator<Item = (&str, &Username)> {
        self.users
            .iter()
            .map(|(key, (name, _))| (key.as_str(), name))
    }

    /// The `presence` frame's content for `room`.
    pub fn presence(&self, room: &RoomName) -> Presence {
        Presence {
            room: room.clone(),
            users: self.users.values().map(|(name, _)| name.clone()).collect(),
        }
    }
}

/// A `joined` frame for the room's other members.
pub fn joined(room: &RoomName, user: Username) -> Outbound {
    change(ServerMessage::Joined(PresenceChange {
        room: room.clone(),
        username: user,
        timestamp: OffsetDateTime::now_utc(),
    }))
}

/// A `left` frame for the room's members.
pub fn left(room: &RoomName, user: Username) -> Outbound {
    change(ServerMessage::Left(PresenceChange {
        room: room.clone(),
        username: user,
        timestamp: OffsetDateTime::now_utc(),
    }))
}

fn change(frame: ServerMessage) -> Outbound {
    Outbound::Frame(Arc::new(Utf8Bytes::from(frame.to_json())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_arrives_once_and_departs_with_the_last_socket() {
        let mut roster = Roster::default();
        let alice: Username = "alice".parse().unwrap();
        let shouting: Username = "ALICE".parse().unwrap();
        assert!(roster.arrive(&alice), "first socket announces");
        assert!(!roster.arrive(&shouting), "same account, second socket");
        assert_eq!(roster.count(), 1);
        assert!(!roster.depart(&alice), "one socket is still there");
        assert!(roster.depart(&shouting), "the last socket announces");
        assert_eq!(roster.count(), 0);
        assert!(!roster.depart(&alice), "no one left to depart");
    }

    #[test]
    fn presence_lists_names_as_registered_sorted_ignoring_case() {
        let mut roster = Roster::default();
        for name in ["bob", "Alice", "carol"] {
            roster.arrive(&name.parse().unwrap());
        }
        let presence = roster.presence(&RoomName::general());
        let names: Vec<&str> = presence.users.iter().map(Username::as_str).collect();
        assert_eq!(names, ["Alice", "bob", "carol"]);
    }
}
