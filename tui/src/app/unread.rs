//! How far the user has read one room or DM, and what that makes unread:
//! the read marker as this client knows it, the part of it the server
//! holds, when the next `read` frame is due, and where the "new" divider
//! sits while the room is open.
//!
//! Pure data and its rules. The marker only moves forward, whoever moves
//! it (this client seeing the newest messages, the server's `welcome` and
//! `GET /conversations`, a `read` frame from another device), and a `read`
//! frame goes out at most once per [`READ_DEBOUNCE`] per room, carrying
//! the newest marker, however many messages came into view meanwhile.
//! What reads and sends markers is `reading`.

use std::time::{Duration, Instant};

/// How long a marker that moved waits before it is sent, so a busy room
/// on screen sends one `read` frame a second, not one per message.
pub const READ_DEBOUNCE: Duration = Duration::from_secs(1);

/// One room's read state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadState {
    /// The newest message id the user has read (0: none).
    pub up_to: i64,
    /// The marker the server is known to hold (welcome, conversations,
    /// an echo from another device, or a `read` this client sent).
    pub stored: i64,
    /// When the marker, moved past `stored`, is to be sent.
    pub due: Option<Instant>,
    /// The highest message id already counted in (or left out of) the
    /// room's unread count: a message at or below it is never counted
    /// again, whether it comes live, in a replay or in older history.
    pub counted: i64,
    /// While the room is open: the marker as it was when it opened. The
    /// "new" divider goes above the first message after it.
    pub divider: Option<i64>,
}

impl ReadState {
    /// Whether a message `id` by someone else is new to the user (and not
    /// counted yet); counts it as seen by the count either way.
    pub fn count(&mut self, id: i64) -> bool {
        let new = id > self.up_to && id > self.counted;
        self.counted = self.counted.max(id);
        new
    }

    /// The user read up to `id` on this client: the marker moves forward
    /// and is sent after [`READ_DEBOUNCE`]. Whether it moved.
    pub fn read_here(&mut self, id: i64, now: Instant) -> bool {
        if id <= self.up_to {
            return false;
        }
        self.up_to = id;
        self.counted = self.counted.max(id);
        if id > self.stored && self.due.is_none() {
            self.due = Some(now + READ_DEBOUNCE);
        }
        true
    }

    /// The server holds `id` as the marker (from a welcome, the
    /// conversation list, or another device). Whether the local marker
    /// moved.
    pub fn stored_at(&mut self, id: i64) -> bool {
        self.stored = self.stored.max(id);
        if self.due.is_some() && self.up_to <= self.stored {
            self.due = None;
        }
        if id <= self.up_to {
            return false;
        }
        self.up_to = id;
        true
    }

    /// The marker to send at `now`, if one is due; it then counts as
    /// stored.
    pub fn take_due(&mut self, now: Instant) -> Option<i64> {
        if self.due.is_none_or(|at| at > now) {
            return None;
        }
        self.due = None;
        (self.up_to > self.stored).then(|| {
            self.stored = self.up_to;
            self.up_to
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_never_moves_back_and_is_sent_once_per_debounce() {
        let t = Instant::now();
        let mut r = ReadState::default();
        assert!(r.read_here(5, t));
        assert!(r.read_here(9, t + Duration::from_millis(300)));
        assert!(!r.read_here(7, t));
        assert_eq!(r.take_due(t + Duration::from_millis(900)), None);
        assert_eq!(r.take_due(t + READ_DEBOUNCE), Some(9));
        assert_eq!(r.take_due(t + 2 * READ_DEBOUNCE), None, "sent once");
        assert!(!r.stored_at(3));
        assert_eq!(r.up_to, 9);
    }

    #[test]
    fn a_message_is_counted_unread_once_and_never_below_the_marker() {
        let mut r = ReadState::default();
        r.stored_at(10);
        assert!(!r.count(8));
        assert!(r.count(11));
        assert!(!r.count(11), "the same message again");
        assert!(!r.count(9));
    }
}
