//! The hub: which connections are in which rooms, who is present, and the
//! fan-out of frames to them.
//!
//! State sits behind one `std::sync::Mutex`: every operation is a few map
//! updates and non-blocking pushes to outboxes, nothing awaits while the
//! lock is held, so an async mutex would only add cost. A frame is encoded once per
//! event and the same shared bytes go to every recipient.
//!
//! Presence is per user, not per socket: a user counts once however many of
//! their connections are in a room, `joined` goes out for the first and
//! `left` for the last.
//!
//! Each connection has a bounded [`Outbox`]. A recipient whose queue is full
//! is not waited for: the outbox marks it kicked and its task closes it with
//! code 1013, after which the client resumes with `since_id`.
//!
//! Each room with members also keeps its newest messages (as many as a join
//! replays), so joins read history from memory: the room's history is
//! snapshotted under the same lock that registers the joiner, so it and the
//! live messages that follow meet exactly. Until a room's first joiner has
//! read the newest page from the database and handed it over
//! ([`Hub::offer_history`]), joins read from the database.
//!
//! Messages wake their recipients at once. Presence changes wait for the
//! next presence tick ([`PRESENCE_TICK`], driven by [`Hub::run_presence_ticks`]):
//! when many people join a room at once, each member gets the burst in one
//! write rather than one write per join.

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use axum::extract::ws::Utf8Bytes;
use sapa_protocol::{
    MessageView, Presence, PresenceChange, RoomName, ServerMessage, Username, history_frame_json,
};
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

impl EncodedMessage {
    fn new(view: &MessageView) -> Arc<Self> {
        Arc::new(Self {
            room: view.room.clone(),
            id: view.id,
            frame: Utf8Bytes::from(view.to_frame_json()),
        })
    }
}

/// What a join asks to be replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// The newest messages (as many as the hub keeps per room).
    Latest,
    /// Everything after this id.
    After(i64),
}

/// A join's `history` frame, ready to send.
#[derive(Debug)]
pub struct HistoryFrame {
    /// The `history` frame.
    pub frame: String,
    /// The newest id in it.
    pub last_id: Option<i64>,
}

/// What entering a room returns.
#[derive(Debug)]
pub struct Entered {
    pub presence: Presence,
    /// `None` when memory cannot answer: read the database.
    pub history: Option<HistoryFrame>,
}

/// The newest messages of a room, oldest first.
#[derive(Debug, Default)]
struct Recent {
    messages: VecDeque<Arc<EncodedMessage>>,
    /// Whether the database holds older messages than these.
    older: bool,
    /// Whether these are known to be the room's newest. Until then every
    /// broadcast is still collected, for [`Hub::offer_history`] to merge.
    loaded: bool,
}

impl Recent {
    fn push(&mut self, message: Arc<EncodedMessage>, keep: usize) {
        self.messages.push_back(message);
        if self.messages.len() > keep {
            self.messages.pop_front();
            self.older = true;
        }
    }

    /// The history `replay` asks for, if these messages hold all of it.
    fn replay(&self, replay: Replay) -> Option<Replayed> {
        if !self.loaded {
            return None;
        }
        let (from, has_more) = match replay {
            Replay::Latest => (0, self.older),
            Replay::After(after) => {
                // Everything after `after` is here if nothing older is
                // missing, or if the oldest kept follows it directly.
                let whole = !self.older
                    || self
                        .messages
                        .front()
                        .is_some_and(|oldest| after >= oldest.id - 1);
                if !whole {
                    return None;
                }
                (self.messages.partition_point(|m| m.id <= after), false)
            }
        };
        Some(Replayed {
            messages: self.messages.range(from..).cloned().collect(),
            has_more,
        })
    }
}

/// A join's history, each message encoded once: taken from memory (shared
/// pointers, so the lock is held only while they are copied, not while the
/// frame is assembled) or read from the database.
#[derive(Debug)]
pub struct Replayed {
    messages: Vec<Arc<EncodedMessage>>,
    has_more: bool,
}

impl Replayed {
    /// A page read from the database, oldest first.
    pub fn encode(page: &[MessageView], has_more: bool) -> Self {
        Self {
            messages: page.iter().map(EncodedMessage::new).collect(),
            has_more,
        }
    }

    /// The `history` frame, assembled from the encoded messages.
    pub fn into_frame(self, room: &RoomName) -> HistoryFrame {
        let frames = self.messages.iter().map(|m| m.frame.as_str());
        HistoryFrame {
            last_id: self.messages.last().map(|m| m.id),
            frame: history_frame_json(room, frames, self.has_more),
        }
    }
}

/// A connection's way in (the hub keys it by connection id): who it is
/// and its queue.
#[derive(Debug, Clone)]
pub struct Mailbox {
    pub username: Username,
    pub outbox: Outbox,
}

#[derive(Default)]
struct Room {
    members: HashMap<ConnId, Mailbox>,
    /// lowercased name -> (name as registered, connections in this room)
    users: BTreeMap<String, (Username, usize)>,
    recent: Recent,
}

impl Room {
    /// Queues `item` for every member but `except`. Outboxes that now wait
    /// for the presence tick are added to `due`.
    fn send_all(&self, item: &Outbound, except: Option<ConnId>, wake: Wake, due: &mut Vec<Outbox>) {
        for (&conn, member) in &self.members {
            if Some(conn) == except {
                continue;
            }
            match member.outbox.push(item.clone(), wake) {
                Pushed::Queued | Pushed::Dropped => {}
                Pushed::QueuedDue => due.push(member.outbox.clone()),
                Pushed::Kicked => {
                    tracing::warn!(conn, user = %member.username, "outbound queue full; closing slow connection");
                }
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
#[derive(Clone)]
pub struct Hub {
    state: Arc<Mutex<State>>,
    /// Messages kept per room: as many as a join replays.
    keep: usize,
}

fn frame(message: &ServerMessage) -> Utf8Bytes {
    Utf8Bytes::from(message.to_json())
}

impl Hub {
    /// A hub that keeps the newest `keep` messages of each room with members.
    pub fn new(keep: usize) -> Self {
        Self {
            state: Arc::default(),
            keep: keep.max(1),
        }
    }

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

    /// Adds a connection to a room and returns the room's presence and,
    /// if memory holds it, the history `replay` asks for. Others get
    /// `joined` if this is the user's first connection there. Joining a
    /// room twice is harmless.
    pub fn join(&self, room: &RoomName, conn: ConnId, mailbox: Mailbox, replay: Replay) -> Entered {
        let (presence, replayed) = self.enter(room, conn, mailbox, replay);
        Entered {
            presence,
            history: replayed.map(|replayed| replayed.into_frame(room)),
        }
    }

    /// [`Hub::join`]'s part under the lock.
    fn enter(
        &self,
        room: &RoomName,
        conn: ConnId,
        mailbox: Mailbox,
        replay: Replay,
    ) -> (Presence, Option<Replayed>) {
        let mut hub = self.lock();
        let State { rooms, due } = &mut *hub;
        let state = rooms.entry(room.clone()).or_default();
        let entered = |state: &Room| (state.presence(room), state.recent.replay(replay));
        let username = mailbox.username.clone();
        if state.members.insert(conn, mailbox).is_some() {
            return entered(state);
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
        entered(state)
    }

    /// Hands over the newest page of `room` (as many messages as the hub
    /// keeps, or all there are), read from the database after joining it.
    /// The first offer makes the room's history servable from memory; later
    /// ones change nothing.
    pub fn offer_history(&self, room: &RoomName, page: &Replayed) {
        let mut hub = self.lock();
        let Some(recent) = hub.rooms.get_mut(room).map(|state| &mut state.recent) else {
            return;
        };
        if recent.loaded {
            return;
        }
        // What was broadcast since the room appeared and is newer than the
        // page: the page was read after that, so together they miss nothing.
        let newest = page.messages.last().map_or(0, |m| m.id);
        let collected = std::mem::take(&mut recent.messages);
        recent.older |= page.has_more;
        for message in page
            .messages
            .iter()
            .cloned()
            .chain(collected.into_iter().filter(|m| m.id > newest))
        {
            recent.push(message, self.keep);
        }
        recent.loaded = true;
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
        let encoded: Vec<Arc<EncodedMessage>> =
            views.into_iter().map(EncodedMessage::new).collect();
        let mut hub = self.lock();
        let State { rooms, due } = &mut *hub;
        for message in encoded {
            if let Some(state) = rooms.get_mut(&message.room) {
                state.recent.push(message.clone(), self.keep);
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
    pub fn join(&mut self, room: &RoomName, mailbox: Mailbox, replay: Replay, data: T) -> Entered {
        let entered = self.hub.join(room, self.conn, mailbox, replay);
        if self.get(room).is_none() {
            self.rooms.push((room.clone(), data));
        }
        entered
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
    use std::future::Future;

    use super::*;

    fn mailbox(name: &str) -> (Mailbox, Outbox) {
        let outbox = Outbox::new(4);
        let mailbox = Mailbox {
            username: name.parse().unwrap(),
            outbox: outbox.clone(),
        };
        (mailbox, outbox)
    }

    fn is_kicked(outbox: &Outbox) -> bool {
        let waker = std::task::Waker::noop();
        let kicked = std::pin::pin!(outbox.kicked());
        kicked
            .poll(&mut std::task::Context::from_waker(waker))
            .is_ready()
    }

    fn message(room: &RoomName) -> MessageView {
        message_with_id(room, 1)
    }

    fn message_with_id(room: &RoomName, id: i64) -> MessageView {
        MessageView {
            id,
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
        let hub = Hub::new(2);
        let room = RoomName::general();
        let (a1, _) = mailbox("alice");
        let (a2, _) = mailbox("Alice");
        let (b, _) = mailbox("bob");
        hub.join(&room, 3, b.clone(), Replay::Latest);
        hub.join(&room, 1, a1, Replay::Latest);
        let presence = hub.join(&room, 2, a2, Replay::Latest).presence;
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
        let hub = Hub::new(2);
        let room = RoomName::general();
        let (a, _) = mailbox("alice");
        let (b, _) = mailbox("bob");
        hub.join(&room, 1, a.clone(), Replay::Latest);
        hub.join(&room, 2, b, Replay::Latest);
        assert_eq!(hub.lock().due.len(), 1, "alice waits for the tick");
        hub.wake_due();
        assert!(hub.lock().due.is_empty());
        let view = message(&room);
        hub.broadcast([&view]);
        assert!(hub.lock().due.is_empty(), "messages wake at once");
        let seen = queued(&a);
        assert!(seen[0].contains(r#""type":"joined""#) && seen[1].contains(r#""content":"hi""#));
    }

    /// The ids in a served history frame, and its `has_more`.
    fn replayed(history: Option<HistoryFrame>) -> Option<(Vec<i64>, bool)> {
        let frame = ServerMessage::decode(&history?.frame).unwrap();
        let ServerMessage::History(history) = frame else {
            panic!("not a history frame: {frame:?}");
        };
        Some((
            history.messages.iter().map(|m| m.id).collect(),
            history.has_more,
        ))
    }

    #[test]
    fn history_comes_from_memory_once_the_first_page_is_offered() {
        let hub = Hub::new(2);
        let room = RoomName::general();
        let (a, _) = mailbox("alice");
        let first = hub.join(&room, 1, a, Replay::Latest);
        assert!(first.history.is_none(), "nothing is known before the offer");
        // Committed after the page was read, broadcast before the offer.
        hub.broadcast([&message_with_id(&room, 9)]);
        let page = [message_with_id(&room, 3), message_with_id(&room, 5)];
        hub.offer_history(&room, &Replayed::encode(&page, false));
        hub.offer_history(&room, &Replayed::encode(&[], false));
        let join = |conn, replay| {
            let (mailbox, _) = mailbox("bob");
            replayed(hub.join(&room, conn, mailbox, replay).history)
        };
        assert_eq!(
            join(2, Replay::Latest),
            Some((vec![5, 9], true)),
            "kept 2 of 3"
        );
        assert_eq!(join(3, Replay::After(5)), Some((vec![9], false)));
        assert_eq!(
            join(4, Replay::After(4)),
            Some((vec![5, 9], false)),
            "4 is just before 5"
        );
        assert_eq!(
            join(5, Replay::After(2)),
            None,
            "3 is not in memory any more"
        );
        hub.broadcast([&message_with_id(&room, 10)]);
        assert_eq!(join(6, Replay::Latest), Some((vec![9, 10], true)));
    }

    #[test]
    fn a_room_emptied_forgets_its_history() {
        let hub = Hub::new(2);
        let room = RoomName::general();
        let (a, _) = mailbox("alice");
        hub.join(&room, 1, a, Replay::Latest);
        hub.offer_history(
            &room,
            &Replayed::encode(&[message_with_id(&room, 3)], false),
        );
        hub.leave(&room, 1);
        let (b, _) = mailbox("bob");
        assert!(hub.join(&room, 2, b, Replay::Latest).history.is_none());
    }

    #[test]
    fn a_full_queue_kicks_the_slow_connection() {
        let hub = Hub::new(2);
        let room = RoomName::general();
        let (slow, outbox) = mailbox("slow");
        hub.join(&room, 1, slow, Replay::Latest);
        let view = message(&room);
        for _ in 0..4 {
            hub.broadcast([&view]);
        }
        assert!(!is_kicked(&outbox));
        hub.broadcast([&view]);
        assert!(is_kicked(&outbox));
    }

    #[test]
    fn dropping_a_membership_leaves_every_room() {
        let hub = Hub::new(2);
        let (m, _) = mailbox("carol");
        {
            let mut membership = Membership::new(hub.clone(), 1);
            membership.join(&"a".parse().unwrap(), m.clone(), Replay::Latest, ());
            membership.join(&"b".parse().unwrap(), m, Replay::Latest, ());
            assert_eq!(hub.online(None).len(), 1);
        }
        assert!(hub.online(None).is_empty());
        assert!(hub.online_counts().is_empty());
    }
}
