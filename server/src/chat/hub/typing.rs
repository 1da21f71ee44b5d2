//! `typing`: relayed to a room's other members (every connection of every
//! other user; in a direct room, the other participant's), never stored,
//! at most one per user and room per window (2 s); the rest are dropped
//! silently. The throttle is per user, not per connection, so two devices
//! typing at once still make one notice per window.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use sapa_protocol::{RoomName, ServerMessage, Typing, Username};
use tungstenite::Utf8Bytes;

use super::{Hub, State, users::push_now};
use crate::{bus::Body, chat::outbox::Outbound};

/// How often, at most, a user's typing in one room is relayed.
pub const WINDOW: Duration = Duration::from_secs(2);

/// Slots kept before pruning is worth a pass over them.
const TYPED_FLOOR: usize = 64;

impl Hub {
    /// Relays that `user` is typing in `room` (here and on the other
    /// nodes), unless one was relayed for them there within the window.
    /// Whether it was relayed.
    pub fn typing(&self, room: &RoomName, user: &Username) -> bool {
        let now = Instant::now();
        let window = self.typing_window;
        let mut hub = self.lock();
        if !window.is_zero() {
            let slot = (user.as_str().to_ascii_lowercase(), room.clone());
            if hub
                .typed
                .get(&slot)
                .is_some_and(|at| now.duration_since(*at) < window)
            {
                return false;
            }
            hub.typed.insert(slot, now);
            hub.prune_typed(now, window);
        }
        hub.relay_typing(room, user);
        drop(hub);
        self.publish(|| Body::Typing {
            room: room.clone(),
            username: user.clone(),
        });
        true
    }

    /// Typing relayed by another node (which throttled it): relayed here.
    pub fn deliver_typing(&self, room: &RoomName, user: &Username) {
        self.lock().relay_typing(room, user);
    }
}

impl State {
    /// Forgets the slots whose window has passed, once the map has doubled
    /// since it was last pruned: each typing notice costs a look-up, and
    /// the map stays within twice the users typing in one window.
    fn prune_typed(&mut self, now: Instant, window: Duration) {
        if self.typed.len() < 2 * self.typed_kept.max(TYPED_FLOOR) {
            return;
        }
        self.typed.retain(|_, at| now.duration_since(*at) < window);
        self.typed_kept = self.typed.len();
    }

    /// Queues a typing notice for everyone in `room` but `user`.
    fn relay_typing(&self, room: &RoomName, user: &Username) {
        let frame = ServerMessage::Typing(Typing {
            room: room.clone(),
            username: user.clone(),
        });
        let item = Outbound::Frame(Arc::new(Utf8Bytes::from(frame.to_json())));
        if let Some((a, b)) = room.participants() {
            let peer = if user.same_account(a) { b } else { a };
            if user.same_account(peer) {
                return; // a note to oneself: nobody else to tell
            }
            if let Some(entry) = self.users.get(peer) {
                for (&conn, outbox) in &entry.conns {
                    push_now(conn, outbox, &item);
                }
            }
            return;
        }
        if let Some(state) = self.rooms.get(room) {
            for (&conn, member) in &state.members {
                if !member.username.same_account(user.as_str()) {
                    push_now(conn, &member.outbox, &item);
                }
            }
        }
    }
}
