//! When a message calls for the user's attention, and how: the terminal
//! bell, plus a desktop notification while the terminal is not the focused
//! window (a user looking at it sees the highlighted line already).
//!
//! The decision is here, in the state machine, so it is tested with plain
//! calls: whether the window has focus arrives as an event, the clock as
//! ticks, and the outcome leaves as [`Effect::Bell`] and
//! [`Effect::Notify`]. Writing the escape sequences that make a terminal
//! show a notification is [`crate::run::notify`]'s.
//!
//! Rate limit: after a signal, [`QUIET`] passes before the next one. What
//! arrives meanwhile while unfocused is counted, and said in one summary
//! notification when the quiet time is over; a flood of mentions makes one
//! notification every [`QUIET`], never a flood of them. Regaining focus
//! drops the summary: the user is looking.
//!
//! Which messages call for attention: ones that mention the user, by
//! someone else, and direct messages in a view the user is not looking at
//! (`State::attention_for` in `frames`).

use std::time::{Duration, Instant};

use sapa_protocol::RoomName;

use super::Effect;

/// The least time between two signals (bells or notifications).
pub const QUIET: Duration = Duration::from_secs(10);
/// Notification text longer than this is cut (with `…`).
const BODY_CHARS: usize = 160;

/// Why a message calls for attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Someone else's message names the user.
    Mention,
    /// A direct message, in a view the user is not looking at.
    Direct,
}

/// Which signals the user wants (config file, `[notifications]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotifyPrefs {
    /// Ring the bell for a mention.
    pub bell: bool,
    /// A desktop notification for a mention while unfocused.
    pub desktop: bool,
}

impl Default for NotifyPrefs {
    fn default() -> Self {
        Self {
            bell: true,
            desktop: true,
        }
    }
}

/// A desktop notification: a title and one line of text, both free of
/// control characters (the terminal layer only frames them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub title: String,
    pub body: String,
}

/// What the message to signal was.
#[derive(Debug, Clone, Copy)]
pub struct Calling<'a> {
    pub reason: Reason,
    pub room: &'a RoomName,
    pub from: &'a str,
    pub text: &'a str,
}

/// Focus and the rate limit's memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attention {
    /// Whether the terminal window has focus. A terminal that never reports
    /// focus counts as focused, so it never gets notifications it may not
    /// understand.
    pub focused: bool,
    /// When the last signal went out.
    last: Option<Instant>,
    /// Messages not signalled during the quiet time, while unfocused.
    held: usize,
    /// The rooms they were in, in order of arrival.
    held_rooms: Vec<RoomName>,
}

impl Default for Attention {
    fn default() -> Self {
        Self {
            focused: true,
            last: None,
            held: 0,
            held_rooms: Vec::new(),
        }
    }
}

impl Attention {
    /// The window gained or lost focus.
    pub fn focus(&mut self, focused: bool) {
        self.focused = focused;
        if focused {
            self.held = 0;
            self.held_rooms.clear();
        }
    }

    fn quiet(&self, now: Instant) -> bool {
        self.last.is_some_and(|last| now < last + QUIET)
    }

    /// A message calls for attention at `now`: the signals due.
    pub fn call(&mut self, now: Instant, prefs: NotifyPrefs, msg: Calling<'_>) -> Vec<Effect> {
        let desktop = prefs.desktop && !self.focused;
        if !prefs.bell && !desktop {
            return Vec::new();
        }
        if self.quiet(now) {
            if desktop {
                self.held += 1;
                if !self.held_rooms.contains(msg.room) {
                    self.held_rooms.push(msg.room.clone());
                }
            }
            return Vec::new();
        }
        self.last = Some(now);
        let mut fx = Vec::new();
        if prefs.bell {
            fx.push(Effect::Bell);
        }
        if desktop {
            let title = match msg.reason {
                Reason::Mention => format!("{} mentioned you in #{}", msg.from, msg.room),
                Reason::Direct => format!("{} sent you a direct message", msg.from),
            };
            fx.push(Effect::Notify(Notification {
                title: clean(&title),
                body: clean(msg.text),
            }));
        }
        fx
    }

    /// The clock moved on: the summary of what the quiet time held back,
    /// once it is over.
    pub fn tick(&mut self, now: Instant, prefs: NotifyPrefs) -> Vec<Effect> {
        if self.held == 0 || self.quiet(now) {
            return Vec::new();
        }
        let n = std::mem::take(&mut self.held);
        let rooms: Vec<String> = self.held_rooms.drain(..).map(|r| format!("#{r}")).collect();
        if self.focused || !prefs.desktop {
            return Vec::new();
        }
        self.last = Some(now);
        let s = if n == 1 { "" } else { "s" };
        let mut fx = Vec::new();
        if prefs.bell {
            fx.push(Effect::Bell);
        }
        fx.push(Effect::Notify(Notification {
            title: "sapa".to_owned(),
            body: clean(&format!(
                "{n} more message{s} for you in {}",
                rooms.join(", ")
            )),
        }));
        fx
    }
}

/// One line without control characters (newlines and tabs become spaces),
/// at most [`BODY_CHARS`] long.
fn clean(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(BODY_CHARS + 1)
        .collect();
    if out.chars().count() > BODY_CHARS {
        out = out.chars().take(BODY_CHARS - 1).collect();
        out.push('…');
    }
    out
}
