//! The hub: which connections are in which rooms, who is present, and the
//! fan-out of frames to them.
//!
//! State sits behind one `std::sync::Mutex`: every operation is a few map
//! updates and non-blocking `try_send`s, nothing awaits while the lock is
//! held, so an async mutex would only add cost. A frame is encoded once per
//! event and the same shared bytes go to every recipient.
//!
//! Presence is per user, not per socket: a user counts once however many of
//! their connections are in a room, `joined` goes out for the first and
//! `left` for the last.
//!
//! Each connection has a bounded [`Outbox`]. A recipient whose queue is full
//! is not waited for: its `kick` token is cancelled and its task closes it
//! with code 1013, after which the client resumes with `since_id`.
//!
//! Messages wake their recipients at once. Presence changes wait for the
//! next presence tick ([`PRESENCE_TICK`], driven by [`Hub::run_presence_ticks`]):
//! when many people join a room at once, each member gets the burst in one
//! write rather than one write per join.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use axum::extract::ws::Utf8Bytes;
use sapa_protocol::{MessageView, Presence, PresenceChange, RoomName, ServerMessage, Username};
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use super::outbox::{Outbox, Pushed, Wake};

/// How long a presence change may wait to share a write with others.
pub const PRESENCE_TICK: Duration = Duration::from_millis(100);

/// Identifies one WebSocket connection for the hub.
pub type ConnId = u64;

/// What the hub puts in a connection's queue: one pointer either way.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// A frame for this connection as is (presence changes).
    Frame(Arc<Utf8Bytes>),
    /// A stored message; the connection skips it if its join's history
    /// already contained it.
    Message(Arc<EncodedMessage>),
}

/// A stored message, encoded once for every recipient.
#[derive(Debug)]
pub struct EncodedMessage {
    pub room: RoomName,
    pub id: i64,
    pub frame: Utf8Bytes,
}

/// A connection's way in: who it is and its queue.
#[derive(Debug, Clone)]
pub struct Mailbox {
    pub conn: ConnId,
    pub username: Username,
    pub outbox: Outbox,
}

#[derive(Default)]
struct Room {
    members: HashMap<ConnId, Mailbox>,
    /// lowercased name -> (name as registered, connections in this room)
    users: BTreeMap<String, (Username, usize)>,
}

impl Room {
    /// Queues `item` for every member but `except`. Outboxes that now wait
    /// for the presence tick are added to `due`.
    fn send_all(&self, item: &Outbound, except: Option<ConnId>, wake: Wake, due: &mut Vec<Outbox>) {
        for member in self.members.values() {
            if Some(member.conn) == except {
                continue;
            }
            let was_kicked = member.outbox.is_kicked();
            match member.outbox.push(item.clone(), wake) {
                Pushed::Queued => {}
                Pushed::QueuedDue => due.push(member.outbox.clone()),
                Pushed::Overflowed if !was_kicked => {
                    tracing::warn!(conn = member.conn, user = %member.username, "outbound queue full; closing slow connection");
                }
                Pushed::Overflowed => {}
            }
        }
    }

    fn presence(&self, room: &RoomName) -> Presence {
        Presence {
            room: room.clone(),
            users: self.users.values().map(|(name, _)| name.clone()).collect(),
        }
    }
}

#[derive(Default)]
struct State {
    rooms: HashMap<RoomName, Room>,
    /// Outboxes holding presence changes for the next tick.
    due: Vec<Outbox>,
}

/// Rooms, members and fan-out; cheap to clone.
#[derive(Clone, Default)]
pub struct Hub {
    state: Arc<Mutex<State>>,
}

fn frame(message: &ServerMessage) -> Utf8Bytes {
    Utf8Bytes::from(message.to_json())
}

impl Hub {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves maps that are still
        // consistent (each update is a single insert or remove), so carry on.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Wakes the connections holding presence changes (one tick).
    pub fn wake_due(&self) {
        let due = std::mem::take(&mut self.lock().due);
        for outbox in due {
            outbox.wake_due();
        }
    }

    /// Ticks presence every [`PRESENCE_TICK`] until `stop`.
    pub async fn run_presence_ticks(self, stop: CancellationToken) {
        let mut ticks = tokio::time::interval(PRESENCE_TICK);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = ticks.tick() => self.wake_due(),
            }
        }
    }

    /// Adds a connection to a room and returns the room's presence. Others
    /// get `joined` if this is the user's first connection there. Joining a
    /// room twice is harmless.
    pub fn join(&self, room: &RoomName, mailbox: Mailbox) -> Presence {
        let mut hub = self.lock();
        let State { rooms, due } = &mut *hub;
        let state = rooms.entry(room.clone()).or_default();
        let conn = mailbox.conn;
        let username = mailbox.username.clone();
        if state.members.insert(conn, mailbox).is_some() {
            return state.presence(room);
        }
        let entry = state
            .users
            .entry(username.as_str().to_ascii_lowercase())
            .or_insert_with(|| (username.clone(), 0));
        entry.1 += 1;
        if entry.1 == 1 {
            let joined = ServerMessage::Joined(PresenceChange {
                room: room.clone(),
                username,
                timestamp: OffsetDateTime::now_utc(),
            });
            let joined = Outbound::Frame(Arc::new(frame(&joined)));
            state.send_all(&joined, Some(conn), Wake::Later, due);
        }
        state.presence(room)
    }

    /// Removes a connection from a room; the others get `left` if it was the
    /// user's last connection there. Returns whether it was a member.
    pub fn leave(&self, room: &RoomName, conn: ConnId) -> bool {
        let mut hub = self.lock();
        let State { rooms, due } = &mut *hub;
        let Some(state) = rooms.get_mut(room) else {
            return false;
        };
        let Some(mailbox) = state.members.remove(&conn) else {
            return false;
        };
        let key = mailbox.username.as_str().to_ascii_lowercase();
        if let Some(entry) = state.users.get_mut(&key) {
            entry.1 -= 1;
            if entry.1 == 0 {
                state.users.remove(&key);
                let left = ServerMessage::Left(PresenceChange {
                    room: room.clone(),
                    username: mailbox.username,
                    timestamp: OffsetDateTime::now_utc(),
                });
                let left = Outbound::Frame(Arc::new(frame(&left)));
                state.send_all(&left, None, Wake::Later, due);
            }
        }
        if state.members.is_empty() {
            rooms.remove(room);
        }
        true
    }

    /// Sends stored messages to everyone in their rooms, in order: each
    /// encoded once (before taking the lock), all under one lock.
    pub fn broadcast<'a>(&self, views: impl IntoIterator<Item = &'a MessageView>) {
        let encoded: Vec<Arc<EncodedMessage>> = views
            .into_iter()
            .map(|view| {
                Arc::new(EncodedMessage {
                    room: view.room.clone(),
                    id: view.id,
                    frame: Utf8Bytes::from(view.to_frame_json()),
                })
            })
            .collect();
        let mut hub = self.lock();
        let State { rooms, due } = &mut *hub;
        for message in encoded {
            if let Some(state) = rooms.get(&message.room) {
                state.send_all(&Outbound::Message(message), None, Wake::Now, due);
            }
        }
    }

    /// Users online in `room`, or in any room, sorted and each once.
    pub fn online(&self, room: Option<&RoomName>) -> Vec<Username> {
        let hub = self.lock();
        let mut users: BTreeMap<String, Username> = BTreeMap::new();
        let mut add = |state: &Room| {
            for (key, (name, _)) in &state.users {
                users.entry(key.clone()).or_insert_with(|| name.clone());
            }
        };
        match room {
            Some(room) => hub.rooms.get(room).into_iter().for_each(&mut add),
            None => hub.rooms.values().for_each(&mut add),
        }
        users.into_values().collect()
    }

    /// How many users are online in each room that has any.
    pub fn online_counts(&self) -> HashMap<RoomName, usize> {
        self.lock()
            .rooms
            .iter()
            .map(|(name, state)| (name.clone(), state.users.len()))
            .collect()
    }
}

/// A connection's rooms, each with whatever the connection keeps about it
/// (`T`), left automatically when dropped: whatever ends a connection
/// (close, error, kick, shutdown), leaving happens here. The rooms keep the
/// order they were joined in; the first is where frames naming no room go.
pub struct Membership<T> {
    hub: Hub,
    conn: ConnId,
    rooms: Vec<(RoomName, T)>,
}

impl<T> Membership<T> {
    /// No rooms yet.
    pub fn new(hub: Hub, conn: ConnId) -> Self {
        Self {
            hub,
            conn,
            rooms: Vec::new(),
        }
    }

    /// Joins `room` (see [`Hub::join`]). `data` is kept for a room not
    /// joined before; a room already joined keeps its own.
    pub fn join(&mut self, room: &RoomName, mailbox: Mailbox, data: T) -> Presence {
        let presence = self.hub.join(room, mailbox);
        if self.get(room).is_none() {
            self.rooms.push((room.clone(), data));
        }
        presence
    }

    /// Leaves one room; what was kept for it, if the connection was in it.
    pub fn leave(&mut self, room: &RoomName) -> Option<T> {
        let at = self.rooms.iter().position(|(name, _)| name == room)?;
        let (_, data) = self.rooms.remove(at);
        self.hub.leave(room, self.conn);
        Some(data)
    }

    /// Leaves every room.
    pub fn leave_all(&mut self) {
        for (room, _) in std::mem::take(&mut self.rooms) {
            self.hub.leave(&room, self.conn);
        }
    }

    /// What is kept for `room`, if joined.
    pub fn get(&self, room: &RoomName) -> Option<&T> {
        self.rooms
            .iter()
            .find(|(name, _)| name == room)
            .map(|(_, data)| data)
    }

    /// The same, to change.
    pub fn get_mut(&mut self, room: &RoomName) -> Option<&mut T> {
        self.rooms
            .iter_mut()
            .find(|(name, _)| name == room)
            .map(|(_, data)| data)
    }

    /// The room joined first.
    pub fn first(&self) -> Option<(&RoomName, &T)> {
        self.rooms.first().map(|(name, data)| (name, data))
    }

    /// The rooms joined, in the order they were joined.
    pub fn rooms(&self) -> impl Iterator<Item = &RoomName> {
        self.rooms.iter().map(|(name, _)| name)
    }
}

impl<T> Drop for Membership<T> {
    fn drop(&mut self) {
        self.leave_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailbox(conn: ConnId, name: &str) -> (Mailbox, CancellationToken) {
        let kick = CancellationToken::new();
        let mailbox = Mailbox {
            conn,
            username: name.parse().unwrap(),
            outbox: Outbox::new(4, kick.clone()),
        };
        (mailbox, kick)
    }

    fn message(room: &RoomName) -> MessageView {
        MessageView {
            id: 1,
            room: room.clone(),
            username: "bob".parse().unwrap(),
            content: "hi".parse().unwrap(),
            timestamp: OffsetDateTime::UNIX_EPOCH,
            client_id: None,
        }
    }

    /// What `mailbox` has queued, without waiting.
    fn queued(mailbox: &Mailbox) -> Vec<String> {
        let waker = std::task::Waker::noop();
        match mailbox
            .outbox
            .poll_take(&mut std::task::Context::from_waker(waker))
        {
            std::task::Poll::Ready(batch) => batch.into_iter().map(text).collect(),
            std::task::Poll::Pending => Vec::new(),
        }
    }

    fn text(item: Outbound) -> String {
        match item {
            Outbound::Frame(bytes) => bytes.to_string(),
            Outbound::Message(m) => m.frame.to_string(),
        }
    }

    #[test]
    fn presence_counts_users_not_sockets() {
        let hub = Hub::default();
        let room = RoomName::general();
        let (a1, _) = mailbox(1, "alice");
        let (a2, _) = mailbox(2, "Alice");
        let (b, _) = mailbox(3, "bob");
        hub.join(&room, b.clone());
        hub.join(&room, a1);
        let presence = hub.join(&room, a2);
        let seen = queued(&b);
        assert_eq!(seen.len(), 1, "second socket of alice must not announce");
        assert!(seen[0].contains(r#""type":"joined""#));
        assert_eq!(presence.users.len(), 2);
        hub.leave(&room, 1);
        assert!(queued(&b).is_empty(), "alice still has a socket");
        hub.leave(&room, 2);
        let seen = queued(&b);
        assert!(seen.len() == 1 && seen[0].contains(r#""type":"left""#));
        assert_eq!(hub.online(Some(&room)).len(), 1);
    }

    #[test]
    fn presence_waits_for_the_tick_and_messages_do_not() {
        let hub = Hub::default();
        let room = RoomName::general();
        let (a, _) = mailbox(1, "alice");
        let (b, _) = mailbox(2, "bob");
        hub.join(&room, a.clone());
        hub.join(&room, b);
        assert_eq!(hub.lock().due.len(), 1, "alice waits for the tick");
        hub.wake_due();
        assert!(hub.lock().due.is_empty());
        let view = message(&room);
        hub.broadcast([&view]);
        assert!(hub.lock().due.is_empty(), "messages wake at once");
        let seen = queued(&a);
        assert!(seen[0].contains(r#""type":"joined""#) && seen[1].contains(r#""content":"hi""#));
    }

    #[test]
    fn a_full_queue_kicks_the_slow_connection() {
        let hub = Hub::default();
        let room = RoomName::general();
        let (slow, kick) = mailbox(1, "slow");
        hub.join(&room, slow);
        let view = message(&room);
        for _ in 0..4 {
            hub.broadcast([&view]);
        }
        assert!(!kick.is_cancelled());
        hub.broadcast([&view]);
        assert!(kick.is_cancelled());
    }

    #[test]
    fn dropping_a_membership_leaves_every_room() {
        let hub = Hub::default();
        let (m, _rx) = mailbox(1, "carol");
        {
            let mut membership = Membership::new(hub.clone(), 1);
            membership.join(&"a".parse().unwrap(), m.clone(), ());
            membership.join(&"b".parse().unwrap(), m, ());
            assert_eq!(hub.online(None).len(), 1);
        }
        assert!(hub.online(None).is_empty());
        assert!(hub.online_counts().is_empty());
    }
}
