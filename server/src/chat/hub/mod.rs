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
//! What the database committed reaches the rooms through [`stored`].
//!
//! Authenticated connections are also listed by user ([`users`]): a
//! direct room's frames go to its participants' connections, not to the
//! room's members.
//!
//! Each connection has a bounded [`Outbox`]. A recipient whose queue is full
//! is not waited for: the outbox marks it kicked and its task closes it with
//! code 1013, after which the client resumes with `since_id`.
//!
//! Messages wake their recipients at once. Presence changes wait for the
//! next presence tick ([`PRESENCE_TICK`], driven by [`Hub::run_presence_ticks`]):
//! when many people join a room at once, each member gets the burst in one
//! write rather than one write per join. A big room's members hear its
//! count instead, on the count tick ([`COUNT_TICK`]), once per tick at most.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use sapa_protocol::{Presence, RoomName, Username};
use tokio_util::sync::CancellationToken;

use super::outbox::{Outbound, Outbox, Pushed, Wake};
use super::presence::{self, Notice, Roster};
use super::recent::{HistoryFrame, Recent, Replay, Replayed};
use crate::bus::{Body, Bus};

/// How long a presence change may wait to share a write with others.
pub const PRESENCE_TICK: Duration = Duration::from_millis(100);

/// How often, at most, a big room's members hear its count.
pub const COUNT_TICK: Duration = Duration::from_secs(1);

/// The most names one `who` page holds.
pub const WHO_PAGE: usize = 500;

/// Identifies one WebSocket connection for the hub.
pub type ConnId = u64;

/// What entering a room returns.
#[derive(Debug)]
pub struct Entered {
    pub presence: Presence,
    /// `None` when memory cannot answer: read the database.
    pub history: Option<HistoryFrame>,
}

/// A connection's way in (the hub keys it by connection id): who it is,
/// its queue, and whether it counts in presence.
#[derive(Debug, Clone)]
pub struct Mailbox {
    pub username: Username,
    pub outbox: Outbox,
    /// `false` for a connection that joined without being announced (a
    /// script posting a line): it receives the room's frames, but nobody
    /// hears it come or go and presence does not list it.
    pub listed: bool,
}

struct Room {
    /// The room's row id, so joins and sends need no look-up while the
    /// room has members.
    id: i64,
    members: HashMap<ConnId, Mailbox>,
    roster: Roster,
    recent: Recent,
    /// A big room whose count changed since its members last heard it
    /// (and which is listed in [`State::counting`]).
    count_changed: bool,
}

impl Room {
    fn new(id: i64, big: usize) -> Self {
        Self {
            id,
            members: HashMap::new(),
            roster: Roster::new(big),
            recent: Recent::default(),
            count_changed: false,
        }
    }

    /// Tells the members what the presence rules decided about `user`
    /// (`except` the connection that caused it), or lists the room for the
    /// next count tick.
    fn notify(
        &mut self,
        room: &RoomName,
        notice: Notice,
        user: Username,
        except: Option<ConnId>,
        due: &mut Vec<Outbox>,
        counting: &mut Vec<RoomName>,
    ) {
        let item = match notice {
            Notice::None => return,
            Notice::Joined => presence::joined(room, user),
            Notice::Left => presence::left(room, user),
            Notice::List => presence::presence(room, &self.roster),
            Notice::Count => {
                if !self.count_changed {
                    self.count_changed = true;
                    counting.push(room.clone());
                }
                return;
            }
        };
        self.send_all(&item, except, Wake::Later, due);
    }

    /// Queues `item` for every member but `except`, and says for how
    /// many. Outboxes that now wait for the presence tick are added to
    /// `due`.
    fn send_all(
        &self,
        item: &Outbound,
        except: Option<ConnId>,
        wake: Wake,
        due: &mut Vec<Outbox>,
    ) -> usize {
        let mut queued = 0;
        for (&conn, member) in &self.members {
            if Some(conn) == except {
                continue;
            }
            match member.outbox.push(item.clone(), wake) {
                Pushed::Queued => queued += 1,
                Pushed::Dropped => {}
                Pushed::QueuedDue => {
                    queued += 1;
                    due.push(member.outbox.clone());
                }
                Pushed::Kicked => {
                    tracing::warn!(conn, user = %member.username, "outbound queue full; closing slow connection");
                }
            }
        }
        queued
    }
}

#[derive(Default)]
struct State {
    rooms: HashMap<RoomName, Room>,
    /// Every authenticated connection, by user (see [`users`]).
    users: HashMap<String, users::UserEntry>,
    /// When each (user, room) last had a `typing` relayed, within the
    /// typing window (see [`typing`]).
    typed: HashMap<(String, RoomName), std::time::Instant>,
    /// How many slots `typed` kept after it was last pruned.
    typed_kept: usize,
    /// Outboxes holding presence changes for the next tick.
    due: Vec<Outbox>,
    /// Big rooms whose count changed, for the next count tick.
    counting: Vec<RoomName>,
    /// Who is present through the other nodes (see [`elsewhere`]).
    elsewhere: elsewhere::Elsewhere,
}

impl State {
    /// Queues a room's frame at once for those who hear it: a public
    /// room's members, or every connection of a direct room's two
    /// participants, joined or not. Says for how many.
    fn send_to_room(&mut self, room: &RoomName, item: &Outbound) -> usize {
        if room.is_direct() {
            return self.send_participants(room, item);
        }
        let State { rooms, due, .. } = self;
        rooms
            .get(room)
            .map_or(0, |state| state.send_all(item, None, Wake::Now, due))
    }
}

/// Rooms, members and fan-out; cheap to clone.
#[derive(Clone)]
pub struct Hub {
    state: Arc<Mutex<State>>,
    /// Messages kept per room: as many as a join replays.
    keep: usize,
    /// Above this many users a room is big (see [`super::presence`]); 0: never.
    big: usize,
    /// At most one `typing` per user and room is relayed in this long.
    typing_window: Duration,
    /// With other nodes: where everything sent to members here is also
    /// published (see [`crate::bus`]).
    bus: Option<Arc<dyn Bus>>,
    /// Cancelled when the node begins to shut down: from then on its
    /// presence changes are not published (see [`elsewhere`]).
    stopping: CancellationToken,
}

impl Hub {
    /// A hub that keeps the newest `keep` messages of each room with
    /// members, and counts rooms of more than `big` users as big (0: none).
    pub fn new(keep: usize, big: usize) -> Self {
        Self {
            state: Arc::default(),
            keep: keep.max(1),
            big,
            typing_window: typing::WINDOW,
            bus: None,
            stopping: CancellationToken::new(),
        }
    }

    /// The same hub publishing what it sends to `bus` too, until the node
    /// begins to shut down (`stopping`), after which its presence changes
    /// stay unpublished.
    pub fn with_bus(mut self, bus: Arc<dyn Bus>, stopping: CancellationToken) -> Self {
        self.bus = Some(bus);
        self.stopping = stopping;
        self
    }

    /// Hands `body` to the other nodes, if there are any.
    fn publish(&self, body: impl FnOnce() -> Body) {
        if let Some(bus) = &self.bus {
            bus.publish(body());
        }
    }

    /// The same hub relaying at most one `typing` per user and room every
    /// `window` (zero: every one).
    pub fn with_typing_window(mut self, window: Duration) -> Self {
        self.typing_window = window;
        self
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

    /// Tells the members of every big room whose count changed since the
    /// last count tick the new count (one frame per room, encoded once).
    pub fn tell_counts(&self) {
        let mut hub = self.lock();
        let State {
            rooms,
            due,
            counting,
            ..
        } = &mut *hub;
        for name in std::mem::take(counting) {
            let Some(room) = rooms.get_mut(&name) else {
                continue;
            };
            room.count_changed = false;
            if room.roster.is_big() {
                let count = presence::presence(&name, &room.roster);
                room.send_all(&count, None, Wake::Later, due);
            }
        }
    }

    /// Ticks presence every [`PRESENCE_TICK`], and big rooms' counts every
    /// [`COUNT_TICK`], until `stop`.
    pub async fn run_presence_ticks(self, stop: CancellationToken) {
        let mut ticks = tokio::time::interval(PRESENCE_TICK);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let per_count = (COUNT_TICK.as_millis() / PRESENCE_TICK.as_millis()).max(1);
        let mut n: u128 = 0;
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = ticks.tick() => {
                    n += 1;
                    if n.is_multiple_of(per_count) {
                        self.tell_counts();
                    }
                    self.wake_due();
                }
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
        let State {
            rooms,
            due,
            counting,
            elsewhere,
            ..
        } = &mut *hub;
        let state = rooms.entry(room.clone()).or_insert_with(|| {
            let mut state = Room::new(room_id, self.big);
            state.seed(elsewhere, room);
            state
        });
        let username = mailbox.username.clone();
        let listed = mailbox.listed;
        if state.members.insert(conn, mailbox).is_none() && listed {
            let notice = state.roster.arrive(&username);
            let first_here = state.roster.here(&username) == 1;
            state.notify(room, notice, username.clone(), Some(conn), due, counting);
            if first_here {
                self.publish_presence(room, &username, true);
            }
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
        let State {
            rooms,
            due,
            counting,
            ..
        } = &mut *hub;
        let Some(state) = rooms.get_mut(room) else {
            return false;
        };
        let Some(mailbox) = state.members.remove(&conn) else {
            return false;
        };
        if mailbox.listed {
            let notice = state.roster.depart(&mailbox.username);
            let gone_here = state.roster.here(&mailbox.username) == 0;
            state.notify(room, notice, mailbox.username.clone(), None, due, counting);
            if gone_here {
                self.publish_presence(room, &mailbox.username, false);
            }
        }
        if state.members.is_empty() {
            rooms.remove(room);
        }
        true
    }

    /// Users online in `room`, or in any room, sorted and each once: here
    /// and on the other nodes.
    pub fn online(&self, room: Option<&RoomName>) -> Vec<Username> {
        let hub = self.lock();
        let mut users: BTreeMap<String, Username> = BTreeMap::new();
        let mut add = |key: &str, name: &Username| {
            users.entry(key.to_owned()).or_insert_with(|| name.clone());
        };
        match room {
            Some(room) => match hub.rooms.get(room) {
                // The roster counts the other nodes' users too.
                Some(state) => state.roster.users().for_each(|(k, n)| add(k, n)),
                None => hub.elsewhere.users(room).for_each(|(name, _)| {
                    add(&name.as_str().to_ascii_lowercase(), name);
                }),
            },
            None => {
                for state in hub.rooms.values() {
                    state.roster.users().for_each(|(k, n)| add(k, n));
                }
                hub.elsewhere.everyone().for_each(|(k, n)| add(k, n));
            }
        }
        users.into_values().collect()
    }

    /// A page of up to [`WHO_PAGE`] of `room`'s users after `after`, and
    /// where the next page starts; `None` when the room has no members.
    pub fn who(
        &self,
        room: &RoomName,
        after: Option<&Username>,
    ) -> Option<(Vec<Username>, Option<Username>)> {
        let hub = self.lock();
        let state = hub.rooms.get(room)?;
        Some(state.roster.page(after, WHO_PAGE))
    }

    /// How many rooms have members.
    pub fn room_count(&self) -> usize {
        self.lock().rooms.len()
    }

    /// How many users are online in each room that has any, here and on
    /// the other nodes.
    pub fn online_counts(&self) -> HashMap<RoomName, usize> {
        let hub = self.lock();
        let mut counts: HashMap<RoomName, usize> = hub
            .elsewhere
            .counts()
            .map(|(name, count)| (name.clone(), count))
            .collect();
        // A room with members here counts everyone in its roster.
        for (name, state) in &hub.rooms {
            counts.insert(name.clone(), state.roster.count());
        }
        counts
    }
}

mod elsewhere;
mod stored;
mod typing;
mod users;

pub use users::UserSlot;

#[cfg(test)]
mod tests;
