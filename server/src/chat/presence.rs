//! Presence rules: who is in a room, and when and how others hear of it.
//!
//! Presence is per user, not per socket: a user counts once however many of
//! their connections are in a room, on this node or (with several nodes)
//! on others; `joined` goes out when the user's first connection anywhere
//! enters and `left` when the last one leaves. Names compare
//! case-insensitively and are shown as registered.
//!
//! That is for rooms up to the big-room size (`SAPA_BIG_ROOM`, 500 users by
//! default). In a bigger room, a `joined` per arrival to every member would
//! cost a join storm of n users n² frames, and the full list in every
//! newcomer's `presence` grows without bound; so there the members hear only
//! the count, at most once a second while it changes (the hub's count tick),
//! a newcomer gets the count, and the list is paged on request (`who`). A
//! room that shrinks back to the big-room size sends its members the whole
//! list once, and from then on `joined` and `left` again.
//!
//! The hub calls these rules under its lock; the frames they produce wait
//! for the next presence tick (see [`super::hub::PRESENCE_TICK`]).

use std::{collections::BTreeMap, ops::Bound, sync::Arc};

use sapa_protocol::{Presence, PresenceChange, RoomName, ServerMessage, Username};
use time::OffsetDateTime;
use tungstenite::Utf8Bytes;

use super::outbox::Outbound;

/// What an arrival or a departure means for the room's other members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// Nothing: another socket of a user already there (or still there).
    None,
    /// A user's first socket arrived: `joined`.
    Joined,
    /// A user's last socket left: `left`.
    Left,
    /// A big room's count changed: the next count tick tells them.
    Count,
    /// The room just became small again: everyone gets the whole list.
    List,
}

/// The users in one room, each with how many of their connections are in
/// it here and through how many other nodes (DESIGN.md section 6): a user
/// present through either counts, once.
#[derive(Debug)]
pub struct Roster {
    /// lowercased name -> the user's entry
    users: BTreeMap<String, Entry>,
    /// Above this many users the room is big; 0: never.
    big: usize,
}

#[derive(Debug)]
struct Entry {
    /// The name as registered.
    name: Username,
    /// Connections on this node.
    here: usize,
    /// Other nodes the user is present through.
    elsewhere: usize,
}

impl Roster {
    /// An empty room that becomes big above `big` users (0: never).
    pub fn new(big: usize) -> Self {
        Self {
            users: BTreeMap::new(),
            big,
        }
    }

    /// Whether the room is too big for per-user notices and full lists.
    pub fn is_big(&self) -> bool {
        self.big > 0 && self.users.len() > self.big
    }

    /// Counts one more connection of `user` here, and says what the others
    /// hear.
    pub fn arrive(&mut self, user: &Username) -> Notice {
        self.add(user, |entry| entry.here += 1)
    }

    /// Counts `user` present through one more other node.
    pub fn arrive_elsewhere(&mut self, user: &Username) -> Notice {
        self.add(user, |entry| entry.elsewhere += 1)
    }

    /// Counts one connection of `user` here out, and says what the others
    /// hear.
    pub fn depart(&mut self, user: &Username) -> Notice {
        self.remove(user, |entry| &mut entry.here)
    }

    /// Counts `user` present through one node fewer.
    pub fn depart_elsewhere(&mut self, user: &Username) -> Notice {
        self.remove(user, |entry| &mut entry.elsewhere)
    }

    /// How many of `user`'s connections are in the room on this node.
    pub fn here(&self, user: &Username) -> usize {
        self.users
            .get(&user.as_str().to_ascii_lowercase())
            .map_or(0, |entry| entry.here)
    }

    /// The users with a connection in the room on this node.
    pub fn users_here(&self) -> impl Iterator<Item = &Username> {
        self.users
            .values()
            .filter(|entry| entry.here > 0)
            .map(|entry| &entry.name)
    }

    fn add(&mut self, user: &Username, count: impl FnOnce(&mut Entry)) -> Notice {
        let big = self.big;
        let size = self.users.len();
        let entry = self
            .users
            .entry(user.as_str().to_ascii_lowercase())
            .or_insert_with(|| Entry {
                name: user.clone(),
                here: 0,
                elsewhere: 0,
            });
        let first = entry.here + entry.elsewhere == 0;
        count(entry);
        match (first, big > 0 && size + 1 > big) {
            (true, true) => Notice::Count,
            (true, false) => Notice::Joined,
            _ => Notice::None,
        }
    }

    fn remove(&mut self, user: &Username, count: impl FnOnce(&mut Entry) -> &mut usize) -> Notice {
        let key = user.as_str().to_ascii_lowercase();
        let Some(entry) = self.users.get_mut(&key) else {
            return Notice::None;
        };
        let counted = count(entry);
        if *counted == 0 {
            return Notice::None;
        }
        *counted -= 1;
        if entry.here + entry.elsewhere > 0 {
            return Notice::None;
        }
        let was_big = self.is_big();
        self.users.remove(&key);
        match (was_big, self.is_big()) {
            (true, true) => Notice::Count,
            (true, false) => Notice::List,
            _ => Notice::Left,
        }
    }

    /// How many users (not sockets) are in the room.
    pub fn count(&self) -> usize {
        self.users.len()
    }

    /// The users, sorted case-insensitively, with their lowercased key.
    pub fn users(&self) -> impl Iterator<Item = (&str, &Username)> {
        self.users
            .iter()
            .map(|(key, entry)| (key.as_str(), &entry.name))
    }

    /// The `presence` frame's content for `room`: the list, or in a big
    /// room the count.
    pub fn presence(&self, room: &RoomName) -> Presence {
        if self.is_big() {
            return Presence {
                room: room.clone(),
                users: Vec::new(),
                count: Some(self.users.len() as u64),
            };
        }
        Presence {
            room: room.clone(),
            users: self
                .users
                .values()
                .map(|entry| entry.name.clone())
                .collect(),
            count: None,
        }
    }

    /// Up to `limit` users after `after` (case-insensitively), sorted, and
    /// where the next page starts if there is more.
    pub fn page(
        &self,
        after: Option<&Username>,
        limit: usize,
    ) -> (Vec<Username>, Option<Username>) {
        let from = after.map(|name| name.as_str().to_ascii_lowercase());
        let lower = match &from {
            Some(key) => Bound::Excluded(key.as_str()),
            None => Bound::Unbounded,
        };
        let mut names = self
            .users
            .range::<str, _>((lower, Bound::Unbounded))
            .map(|(_, entry)| entry.name.clone());
        let page: Vec<Username> = names.by_ref().take(limit).collect();
        let next = match names.next() {
            Some(_) => page.last().cloned(),
            None => None,
        };
        (page, next)
    }
}

/// A `joined` frame for the room's other members.
pub fn joined(room: &RoomName, user: Username) -> Outbound {
    encode(ServerMessage::Joined(PresenceChange {
        room: room.clone(),
        username: user,
        timestamp: OffsetDateTime::now_utc(),
    }))
}

/// A `left` frame for the room's members.
pub fn left(room: &RoomName, user: Username) -> Outbound {
    encode(ServerMessage::Left(PresenceChange {
        room: room.clone(),
        username: user,
        timestamp: OffsetDateTime::now_utc(),
    }))
}

/// The room's `presence` frame (the list, or the count), for every member.
pub fn presence(room: &RoomName, roster: &Roster) -> Outbound {
    encode(ServerMessage::Presence(roster.presence(room)))
}

fn encode(frame: ServerMessage) -> Outbound {
    Outbound::Frame(Arc::new(Utf8Bytes::from(frame.to_json())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Username {
        text.parse().unwrap()
    }

    #[test]
    fn a_user_arrives_once_and_departs_with_the_last_socket() {
        let mut roster = Roster::new(500);
        let alice = name("alice");
        let shouting = name("ALICE");
        assert_eq!(roster.arrive(&alice), Notice::Joined, "first socket");
        assert_eq!(roster.arrive(&shouting), Notice::None, "same account");
        assert_eq!(roster.count(), 1);
        assert_eq!(roster.depart(&alice), Notice::None, "one socket is left");
        assert_eq!(roster.depart(&shouting), Notice::Left, "the last socket");
        assert_eq!(roster.count(), 0);
        assert_eq!(roster.depart(&alice), Notice::None, "no one left");
    }

    #[test]
    fn a_user_present_here_and_elsewhere_joins_once_and_leaves_with_the_last() {
        let mut roster = Roster::new(500);
        let bob = name("bob");
        assert_eq!(
            roster.arrive_elsewhere(&bob),
            Notice::Joined,
            "on another node"
        );
        assert_eq!(roster.arrive(&bob), Notice::None, "already listed");
        assert_eq!(roster.here(&bob), 1);
        assert_eq!(roster.depart_elsewhere(&bob), Notice::None, "still here");
        assert_eq!(
            roster.depart_elsewhere(&bob),
            Notice::None,
            "not counted twice"
        );
        assert_eq!(roster.count(), 1);
        assert_eq!(roster.users_here().count(), 1);
        assert_eq!(roster.depart(&bob), Notice::Left);
        assert_eq!(roster.count(), 0);
    }

    #[test]
    fn presence_lists_names_as_registered_sorted_ignoring_case() {
        let mut roster = Roster::new(500);
        for user in ["bob", "Alice", "carol"] {
            roster.arrive(&name(user));
        }
        let presence = roster.presence(&RoomName::general());
        let names: Vec<&str> = presence.users.iter().map(Username::as_str).collect();
        assert_eq!(names, ["Alice", "bob", "carol"]);
        assert_eq!(presence.count, None);
    }

    #[test]
    fn above_the_big_room_size_only_the_count_changes_and_below_it_the_list_comes_back() {
        let mut roster = Roster::new(2);
        assert_eq!(roster.arrive(&name("a")), Notice::Joined);
        assert_eq!(roster.arrive(&name("b")), Notice::Joined);
        assert_eq!(roster.arrive(&name("c")), Notice::Count, "now big");
        assert_eq!(roster.arrive(&name("d")), Notice::Count);
        let presence = roster.presence(&RoomName::general());
        assert!(presence.users.is_empty());
        assert_eq!(presence.count, Some(4));
        assert_eq!(roster.depart(&name("d")), Notice::Count, "3 is still big");
        assert_eq!(roster.depart(&name("c")), Notice::List, "2 is small again");
        assert_eq!(roster.depart(&name("b")), Notice::Left);
        assert_eq!(roster.presence(&RoomName::general()).users, [name("a")]);
    }

    #[test]
    fn a_big_room_size_of_zero_never_makes_a_room_big() {
        let mut roster = Roster::new(0);
        for n in 0..1000 {
            assert_eq!(roster.arrive(&name(&format!("u{n}"))), Notice::Joined);
        }
        assert!(!roster.is_big());
    }

    #[test]
    fn the_member_list_is_paged_in_order_after_a_name() {
        let mut roster = Roster::new(2);
        for user in ["dave", "Bob", "alice", "carol", "eve"] {
            roster.arrive(&name(user));
        }
        let (first, next) = roster.page(None, 2);
        assert_eq!(first, [name("alice"), name("Bob")]);
        assert_eq!(next, Some(name("Bob")));
        let (second, next) = roster.page(next.as_ref(), 2);
        assert_eq!(second, [name("carol"), name("dave")]);
        let (last, next) = roster.page(next.as_ref(), 2);
        assert_eq!(last, [name("eve")]);
        assert_eq!(next, None, "nothing after the last page");
        let (exact, next) = roster.page(Some(&name("BOB")), 3);
        assert_eq!(exact, [name("carol"), name("dave"), name("eve")]);
        assert_eq!(next, None, "a page that ends exactly at the end");
    }
}
