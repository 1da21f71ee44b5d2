//! The hub: which connections are in which rooms, and the fan-out of frames
//! to them.
//!
//! State sits behind one `std::sync::Mutex`: every operation is a few map
//! updates and non-blocking pushes to outboxes, nothing awaits while the
//! lock is held, so an async mutex would only add cost. A frame is encoded
//! once per event and the same shared bytes go to every recipient.
//!
//! Who counts as present and when others hear of it is decided in
//! [`super::presence`]; a room's newest messages, from which joins read
//! their history under the same lock that registers them, are kept in
//! [`super::recent`].
//!
//! Each connection has a bounded [`Outbox`]. A recipient whose queue is full
//! is not waited for: the outbox marks it kicked and its task closes it with
//! code 1013, after which the client resumes with `since_id`.
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

use sapa_protocol::{MessageView, Presence, RoomName, Username};
use tokio_util::sync::CancellationToken;

use super::outbox::{Outbound, Outbox, Pushed, Wake};
use super::presence::{self, Roster};
use super::recent::{EncodedMessage, HistoryFrame, Recent, Replay, Replayed};

/// How long a presence change may wait to share a write with others.
pub const PRESENCE_TICK: Duration = Duration::from_millis(100);

/// Identifies one WebSocket connection for the hub.
pub type ConnId = u64;

/// What entering a room returns.
#[derive(Debug)]
pub struct Entered {
    pub presence: Presence,
    /// `None` when memory cannot answer: read the database.
    pub history: Option<HistoryFrame>,
}

/// A connection's way in (the hub keys it by connection id): who it is
/// and its queue.
#[derive(Debug, Clone)]
pub struct Mailbox {
    pub username: Username,
    pub outbox: Outbox,
}

struct Room {
    /// The room's row id, so joins and sends need no look-up while the
    /// room has members.
    id: i64,
    members: HashMap<ConnId, Mailbox>,
    roster: Roster,
    recent: Recent,
}

impl Room {
    fn new(id: i64) -> Self {
        Self {
            id,
            members: HashMap::new(),
            roster: Roster::default(),
            recent: Recent::default(),
        }
    }

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

    /// The row id of `room` while it has members.
    pub fn room_id(&self, room: &RoomName) -> Option<i64> {
        self.lock().rooms.get(room).map(|state| state.id)
    }

    /// Adds a connection to room `room` (row id `room_id`) and returns the
    /// room's presence and, if memory holds it, the history `replay` asks
    /// for. Others get `joined` if this is the user's first connection
    /// there. Joining a room twice is harmless.
    pub fn join(
        &self,
        room: &RoomName,
        room_id: i64,
        conn: ConnId,
        mailbox: Mailbox,
        replay: Replay,
    ) -> Entered {
        let (presence, replayed) = self.enter(room, room_id, conn, mailbox, replay);
        Entered {
            presence,
            history: replayed.map(|replayed| replayed.into_frame(room)),
        }
    }

    /// [`Hub::join`]'s part under the lock.
    fn enter(
        &self,
        room: &RoomName,
        room_id: i64,
        conn: ConnId,
        mailbox: Mailbox,
        replay: Replay,
    ) -> (Presence, Option<Replayed>) {
        let mut hub = self.lock();
        let State { rooms, due } = &mut *hub;
        let state = rooms
            .entry(room.clone())
            .or_insert_with(|| Room::new(room_id));
        let username = mailbox.username.clone();
        let new_member = state.members.insert(conn, mailbox).is_none();
        if new_member && state.roster.arrive(&username) {
            state.send_all(
                &presence::joined(room, username),
                Some(conn),
                Wake::Later,
                due,
            );
        }
        (state.roster.presence(room), state.recent.replay(replay))
    }

    /// Hands over the newest page of `room` (as many messages as the hub
    /// keeps, or all there are), read from the database after joining it.
    /// The first offer makes the room's history servable from memory; later
    /// ones change nothing.
    pub fn offer_history(&self, room: &RoomName, page: &Replayed) {
        if let Some(state) = self.lock().rooms.get_mut(room) {
            state.recent.offer(page, self.keep);
        }
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
        if state.roster.depart(&mailbox.username) {
            state.send_all(
                &presence::left(room, mailbox.username),
                None,
                Wake::Later,
                due,
            );
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
            for (key, name) in state.roster.users() {
                users.entry(key.to_owned()).or_insert_with(|| name.clone());
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
            .map(|(name, state)| (name.clone(), state.roster.count()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;

    use sapa_protocol::ServerMessage;
    use time::OffsetDateTime;

    use super::super::membership::Membership;
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
        hub.join(&room, 1, 3, b.clone(), Replay::Latest);
        hub.join(&room, 1, 1, a1, Replay::Latest);
        let presence = hub.join(&room, 1, 2, a2, Replay::Latest).presence;
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
        hub.join(&room, 1, 1, a.clone(), Replay::Latest);
        hub.join(&room, 1, 2, b, Replay::Latest);
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
        let first = hub.join(&room, 1, 1, a, Replay::Latest);
        assert!(first.history.is_none(), "nothing is known before the offer");
        // Committed after the page was read, broadcast before the offer.
        hub.broadcast([&message_with_id(&room, 9)]);
        let page = [message_with_id(&room, 3), message_with_id(&room, 5)];
        hub.offer_history(&room, &Replayed::encode(&page, false));
        hub.offer_history(&room, &Replayed::encode(&[], false));
        let join = |conn, replay| {
            let (mailbox, _) = mailbox("bob");
            replayed(hub.join(&room, 1, conn, mailbox, replay).history)
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
        hub.join(&room, 1, 1, a, Replay::Latest);
        hub.offer_history(
            &room,
            &Replayed::encode(&[message_with_id(&room, 3)], false),
        );
        hub.leave(&room, 1);
        let (b, _) = mailbox("bob");
        assert!(hub.join(&room, 1, 2, b, Replay::Latest).history.is_none());
    }

    #[test]
    fn a_full_queue_kicks_the_slow_connection() {
        let hub = Hub::new(2);
        let room = RoomName::general();
        let (slow, outbox) = mailbox("slow");
        hub.join(&room, 1, 1, slow, Replay::Latest);
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
            membership.join(&"a".parse().unwrap(), 1, m.clone(), Replay::Latest, ());
            membership.join(&"b".parse().unwrap(), 2, m, Replay::Latest, ());
            assert_eq!(hub.online(None).len(), 1);
        }
        assert!(hub.online(None).is_empty());
        assert!(hub.online_counts().is_empty());
    }

    #[test]
    fn a_room_knows_its_id_while_it_has_members() {
        let hub = Hub::new(2);
        let room = RoomName::general();
        assert_eq!(hub.room_id(&room), None);
        let (a, _) = mailbox("alice");
        hub.join(&room, 7, 1, a, Replay::Latest);
        assert_eq!(hub.room_id(&room), Some(7));
        hub.leave(&room, 1);
        assert_eq!(hub.room_id(&room), None);
    }
}
