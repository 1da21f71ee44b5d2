//! Read markers and unread counts, synced across the user's devices.
//!
//! The room on screen, followed to its newest message on a focused
//! terminal, counts as read: its marker moves there and, after the
//! debounce of [`super::unread`], goes to the server in a `read` frame,
//! which the server echoes to the user's other connections. Markers only
//! move forward. Unread counts come from `GET /conversations` at each
//! connection (exact, even for messages never loaded), then grow with each
//! message by someone else that arrives after the marker while the room is
//! not being read, and shrink when another device reads the room. The
//! "new" divider is set when a room opens, at its marker as it was then.

use sapa_protocol::{ClientMessage, ReadMarker, RoomName, rest::Conversation};

use super::{Effect, Screen, State};

impl State {
    /// After every update: the room on screen, at its newest message,
    /// is read up to it.
    pub(super) fn read_what_is_shown(&mut self) {
        if !self.reader || self.screen != Screen::Chat || !self.attention.focused {
            return;
        }
        let now = self.clock.now;
        let room = &mut self.rooms[self.active];
        if room.scroll > 0 || !room.loaded() {
            return;
        }
        if let Some(last) = room.last_id {
            room.read.read_here(last, now);
        }
        room.unread = 0;
    }

    /// Sends the markers whose debounce is over, on a connection that can
    /// take them.
    pub(super) fn send_due_reads(&mut self, fx: &mut Vec<Effect>) {
        if !self.link.is_online() || !self.link.authenticated {
            return;
        }
        let now = self.clock.now;
        for room in self.rooms.iter_mut().filter(|r| r.is_joined()) {
            if let Some(up_to) = room.read.take_due(now) {
                fx.push(Effect::Send(ClientMessage::Read(ReadMarker {
                    room: room.name.clone(),
                    up_to,
                })));
            }
        }
    }

    /// The server holds `up_to` as room `i`'s marker (a welcome, or a
    /// `read` frame from another device): what was read there is no
    /// longer unread here.
    pub(super) fn marker_stored(&mut self, i: usize, up_to: i64) {
        let room = &mut self.rooms[i];
        if !room.read.stored_at(up_to) {
            return;
        }
        // The count is exact when every message after the marker is held;
        // a marker older than what is loaded leaves the server's count.
        if room.oldest_id.is_some_and(|o| up_to >= o) || !room.has_older() {
            room.unread = room.unread.min(room.others_after(up_to, &self.user));
        }
    }

    /// A `read` frame: the user read a room on another device.
    pub(super) fn on_read(&mut self, marker: ReadMarker) {
        if let Some(i) = self.room_index(&marker.room) {
            self.marker_stored(i, marker.up_to);
        }
    }

    /// `GET /conversations` answered: each room's unread count and marker
    /// as the server has them; DMs not listed yet join the list.
    pub(super) fn on_conversations(&mut self, list: Vec<Conversation>, fx: &mut Vec<Effect>) {
        for c in list {
            let i = match self.room_index(&c.room) {
                Some(i) => i,
                None if c.room.is_direct() && c.last_id > 0 => self.add_direct(c.room, fx),
                None => continue,
            };
            let me = self.user.clone();
            let room = &mut self.rooms[i];
            let local_ahead = room.read.up_to > c.read_up_to;
            room.read.stored_at(c.read_up_to);
            room.unread = if local_ahead {
                room.others_after(room.read.up_to, &me)
            } else {
                // Messages that arrived after the server counted.
                let later = room.others_after(c.last_id.max(c.read_up_to), &me);
                usize::try_from(c.unread).unwrap_or(0) + later
            };
            room.read.counted = room.read.counted.max(c.last_id);
        }
    }

    /// Room `i` opens: the divider goes at its marker, if messages by
    /// others follow it. A room never read has no marker to divide at.
    pub(super) fn open_divider(&mut self, i: usize) {
        let room = &mut self.rooms[i];
        let up_to = room.read.up_to;
        let new = up_to > 0 && room.others_after(up_to, &self.user) > 0;
        room.read.divider = new.then_some(up_to);
    }

    /// The room named `name` is a DM view to add (one arrived, or the
    /// server lists it): added at the end of the list, joined if the
    /// connection is up, and not switched to. Its index.
    pub(super) fn add_direct(&mut self, name: RoomName, fx: &mut Vec<Effect>) -> usize {
        self.rooms.push(super::rooms::Room::new(name));
        let i = self.rooms.len() - 1;
        if self.link.is_online() && self.link.authenticated {
            self.send_join(i, fx);
        }
        i
    }
}
