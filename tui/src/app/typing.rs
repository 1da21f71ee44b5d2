//! "bob is typing…": who is typing in a room, until when, and how the line
//! above the input says it; and the user's own typing, announced to the
//! room at most once per [`TYPING_EVERY`].
//!
//! Pure data. The server relays one `typing` frame per user and room every
//! 2 s and nothing when they stop, so a name is shown for [`TYPING_SHOWN`]
//! after its last frame, or until that user's message arrives.

use std::time::{Duration, Instant};

use sapa_protocol::{RoomName, Username};

/// How long a `typing` frame keeps its name on screen (DESIGN.md 2.1).
pub const TYPING_SHOWN: Duration = Duration::from_secs(6);
/// The least time between two `typing` frames this client sends for one
/// room (the server would drop the ones in between anyway).
pub const TYPING_EVERY: Duration = Duration::from_secs(2);

/// The others typing in one room, each until a time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Typers {
    typing: Vec<(Username, Instant)>,
}

impl Typers {
    /// `user` is typing, as of `now`.
    pub fn typing(&mut self, user: Username, now: Instant) {
        self.stopped(user.as_str());
        self.typing.push((user, now + TYPING_SHOWN));
    }

    /// `user` sent their message (or left): no longer typing.
    pub fn stopped(&mut self, user: &str) {
        self.typing.retain(|(u, _)| !u.same_account(user));
    }

    /// Forgets the names whose time is over.
    pub fn expire(&mut self, now: Instant) {
        self.typing.retain(|(_, until)| *until > now);
    }

    /// Whether nobody is typing.
    pub fn is_empty(&self) -> bool {
        self.typing.is_empty()
    }

    /// The line shown above the input: `bob is typing…`, `bob and carol
    /// are typing…`, `4 people are typing…`; `None` when nobody is.
    pub fn line(&self) -> Option<String> {
        let names: Vec<&str> = self.typing.iter().map(|(u, _)| u.as_str()).collect();
        match names.as_slice() {
            [] => None,
            [one] => Some(format!("{one} is typing…")),
            [a, b] => Some(format!("{a} and {b} are typing…")),
            [a, b, c] => Some(format!("{a}, {b} and {c} are typing…")),
            more => Some(format!("{} people are typing…", more.len())),
        }
    }
}

/// When the user's own typing was last announced, and where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Typist {
    last: Option<(RoomName, Instant)>,
}

impl Typist {
    /// The user typed in `room` at `now`: whether to say so to the room.
    pub fn keystroke(&mut self, room: &RoomName, now: Instant) -> bool {
        let quiet = self
            .last
            .as_ref()
            .is_some_and(|(r, at)| r == room && now < *at + TYPING_EVERY);
        if !quiet {
            self.last = Some((room.clone(), now));
        }
        !quiet
    }

    /// The line was sent: the next keystroke announces again.
    pub fn sent(&mut self) {
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Username {
        s.parse().unwrap()
    }

    #[test]
    fn names_show_for_six_seconds_after_their_last_frame() {
        let t = Instant::now();
        let mut typers = Typers::default();
        typers.typing(name("bob"), t);
        typers.typing(name("carol"), t + Duration::from_secs(3));
        assert_eq!(typers.line().unwrap(), "bob and carol are typing…");
        typers.expire(t + TYPING_SHOWN);
        assert_eq!(typers.line().unwrap(), "carol is typing…");
        typers.stopped("CAROL");
        assert_eq!(typers.line(), None);
    }

    #[test]
    fn own_typing_is_announced_once_per_two_seconds_per_room() {
        let t = Instant::now();
        let general: RoomName = "general".parse().unwrap();
        let rust: RoomName = "rust".parse().unwrap();
        let mut me = Typist::default();
        assert!(me.keystroke(&general, t));
        assert!(!me.keystroke(&general, t + Duration::from_millis(1900)));
        assert!(me.keystroke(&rust, t + Duration::from_millis(1950)));
        assert!(me.keystroke(&rust, t + Duration::from_millis(1950) + TYPING_EVERY));
        me.sent();
        assert!(me.keystroke(&rust, t + Duration::from_millis(1951) + TYPING_EVERY));
    }
}
