//! Scrolling the room on screen: by page, by wheel notch, back to the
//! newest; and the row counts it needs, from the same layout the screen
//! draws. Scrolling past the oldest message asks for older history, and so
//! does a room too short to fill its pane.

use super::layout::{self, RoomLayout};
use super::rooms::Entry;
use super::{Effect, State};

impl State {
    /// Rows a page scroll moves: the pane's height less one, so a line of
    /// context stays.
    pub(super) fn page(&self) -> usize {
        let h = usize::from(layout::areas(self.size).messages.height);
        h.saturating_sub(1).max(1)
    }

    /// The width of the messages pane, in columns.
    fn pane_width(&self) -> usize {
        usize::from(layout::areas(self.size).messages.width)
    }

    /// The rows `entry` takes in the messages pane.
    pub(super) fn rows_of(&self, entry: &Entry) -> usize {
        let offset = self.clock.utc_offset;
        let format = &self.prefs.time_format;
        layout::entry_rows(entry, &self.user, offset, format, self.pane_width()).len()
    }

    /// The active room's scrollback as laid out on screen.
    pub fn layout(&self) -> RoomLayout<'_> {
        self.layout_of(self.active)
    }

    /// Room `i`'s scrollback as it would be laid out on screen.
    pub(super) fn layout_of(&self, i: usize) -> RoomLayout<'_> {
        let room = &self.rooms[i];
        RoomLayout {
            room,
            pending: self.outbox.in_room(&room.name).collect(),
            me: &self.user,
            offset: self.clock.utc_offset,
            time_format: &self.prefs.time_format,
            today: self.clock.wall.to_offset(self.clock.utc_offset).date(),
            width: self.pane_width(),
            fold_comings: !self.show_comings,
        }
    }

    /// Every row the active room takes at the current width.
    pub fn total_rows(&self) -> usize {
        self.layout().total_rows()
    }

    fn max_scroll(&self) -> usize {
        let h = usize::from(layout::areas(self.size).messages.height);
        self.total_rows().saturating_sub(h)
    }

    /// Scrolls `rows` towards older messages; reaching the oldest asks for
    /// more.
    pub(super) fn scroll_up(&mut self, rows: usize, fx: &mut Vec<Effect>) {
        let max = self.max_scroll();
        let room = self.room_mut();
        room.scroll = (room.scroll + rows).min(max);
        if room.scroll >= max {
            self.fetch_older(fx);
        }
    }

    /// Scrolls `rows` towards the newest; at the bottom nothing is unseen.
    pub(super) fn scroll_down(&mut self, rows: usize) {
        let room = self.room_mut();
        room.scroll = room.scroll.saturating_sub(rows);
        if room.scroll == 0 {
            room.unseen = 0;
        }
    }

    /// Back to following new messages.
    pub(super) fn jump_newest(&mut self) {
        let room = self.room_mut();
        room.scroll = 0;
        room.unseen = 0;
    }

    /// Loads older history while the room does not fill its pane, so a
    /// tall terminal does not open on a half-empty screen.
    pub(super) fn fill_screen(&mut self, fx: &mut Vec<Effect>) {
        let h = usize::from(layout::areas(self.size).messages.height);
        if self.total_rows() < h {
            self.fetch_older(fx);
        }
    }
}
