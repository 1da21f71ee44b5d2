//! `typing`: relayed to a room's other members (every connection of every
//! other user; in a direct room, the other participant's), never stored,
//! at most one per user and room per window (2 s); the rest are dropped
//! silently. The throttle is per user, not per connection, so two devices
//! typing at once still make one notice per window.

use std::time::{Duration, Instant};

use axum::extract::ws::Utf8Bytes;
use sapa_protocol::{RoomName, ServerMessage, Typing, Username};

use super::{Hub, State};
use crate::chat::outbox::{Outbound, Wake};

/// How often, at most, a user's typing in one room is relayed.
pub const WINDOW: Duration = Duration::from_secs(2);

impl Hub {
    /// Relays that `user` is typing in `room`, unless one was relayed for
    /// them there within the window. Whether it was relayed.
    pub fn typing(&self, room: &RoomName, user: &Username) -> bool {
        let now = Instant::now();
        let key = user.as_str().to_ascii_lowercase();
        let mut hub = self.lock();
        let window = self.typing_window;
        hub.typed.retain(|_, at| now.duration_since(*at) < window);
        let slot = (key, room.clone());
        if hub.typed.contains_key(&slot) {
            return false;
        }
        if !window.is_zero() {
            hub.typed.insert(slot, now);
        }
        let frame = ServerMessage::Typing(Typing {
            room: room.clone(),
            username: user.clone(),
        });
        let item = Outbound::Frame(std::sync::Arc::new(Utf8Bytes::from(frame.to_json())));
        hub.relay_typing(room, user, &item);
        true
    }
}

impl State {
    /// Queues a typing notice for everyone in `room` but `user`.
    fn relay_typing(&self, room: &RoomName, user: &Username, item: &Outbound) {
        if let Some((a, b)) = room.participants() {
            let peer = if user.same_account(a) { b } else { a };
            if user.same_account(peer) {
                return; // a note to oneself: nobody else to tell
            }
            if let Some(entry) = self.users.get(peer) {
                for outbox in entry.conns.values() {
                    outbox.push(item.clone(), Wake::Now);
                }
            }
            return;
        }
        if let Some(state) = self.rooms.get(room) {
            for member in state.members.values() {
                if !member.username.same_account(user.as_str()) {
                    member.outbox.push(item.clone(), Wake::Now);
                }
            }
        }
    }
}
