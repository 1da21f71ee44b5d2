//! One joined room as the client holds it: its scrollback ([`Entry`]s, each
//! stored message once, in id order), who is in it, how far the user has
//! scrolled, and where its join stands on the current connection
//! ([`SyncState`]) and what is known of older history ([`Older`]).
//!
//! Pure data and its invariants. What frames and keys do to a room is in
//! `sync` and `frames`; how a room is laid out on screen
//! is [`super::layout`].

use std::collections::HashSet;
use std::time::Instant;

use sapa_protocol::{MessageView, RoomName, Username};
use time::OffsetDateTime;

use super::typing::Typers;
use super::unread::ReadState;

/// Kinds of non-message lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Joined,
    Left,
    System,
    Warn,
}

/// One line of a room's scrollback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A stored message; `mention` when it names the user.
    Message { view: MessageView, mention: bool },
    /// joined / left / system / local notices.
    Notice {
        time: OffsetDateTime,
        text: String,
        kind: NoticeKind,
    },
    /// A centred divider, such as the start of a room.
    Marker(String),
}

/// How a stored message reached the client, which decides whether it
/// counts as new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// Broadcast as it was stored.
    Live,
    /// Replayed after a reconnect: missed, so new to the user.
    Resumed,
    /// Older history (the first page, or scrolling back).
    Backfill,
}

/// A line held back until the history it follows is in: the welcome
/// ("Welcome alice!") or "reconnected", so that it reads after the
/// messages that came before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    pub time: OffsetDateTime,
    pub text: String,
}

/// Where a room's join stands on the current connection. A join goes out,
/// is welcomed, and its history follows; only then is the room live. The
/// server answers a room's requests in order, so whatever `history` frame
/// arrives while the join is unanswered is the join's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncState {
    /// Not joined on this connection: offline, not asked yet, or refused
    /// for a reason that waiting does not fix.
    NotJoined,
    /// A join went out and has not been welcomed yet. `since` is the id it
    /// resumes after; `None` asks for the newest page instead.
    Joining { since: Option<i64> },
    /// The server could not take the join (`unavailable`, `rate_limited`,
    /// `internal`): it goes out again at this time.
    RetryAt(Instant),
    /// Welcomed: the room takes messages, and the join's history comes
    /// next. A resume cut short (`has_more`) stays here while the rest is
    /// asked for from the new `since`. `greeting` is shown once the history
    /// is in.
    Welcomed {
        since: Option<i64>,
        greeting: Option<Greeting>,
    },
    /// The history is in; messages arrive as they are stored.
    Live,
}

impl SyncState {
    /// Whether the server counts this connection in the room (welcomed),
    /// so a message sent now is taken.
    pub fn is_joined(&self) -> bool {
        matches!(self, Self::Welcomed { .. } | Self::Live)
    }

    /// The join awaiting its history, with the id it resumes after: a
    /// `history` frame for the room now answers the join.
    pub fn awaiting_history(&self) -> Option<Option<i64>> {
        match self {
            Self::Joining { since } | Self::Welcomed { since, .. } => Some(*since),
            _ => None,
        }
    }
}

/// What the room knows of messages older than the oldest it shows: asked
/// for a page at a time, when scrolling reaches the top or the pane is not
/// full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Older {
    /// No history has arrived yet.
    Unknown,
    /// The server has older messages.
    More,
    /// A page of them has been asked for and not arrived yet (at most one
    /// at a time).
    Fetching,
    /// The room's first message is shown (the "start of #room" marker).
    AllShown,
}

impl Older {
    /// After a page that says whether the server has more.
    pub fn after_page(has_more: bool) -> Self {
        if has_more { Self::More } else { Self::AllShown }
    }
}

/// One joined room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Room {
    pub name: RoomName,
    /// Messages (sorted by id) and notices (in arrival order).
    pub entries: Vec<Entry>,
    /// The ids in `entries`: a message is shown once however many times it
    /// arrives (live, in a resume replay, as the answer to a re-send).
    ids: HashSet<i64>,
    /// Who is in the room, when the server lists them (rooms up to its
    /// big-room size).
    pub users: Vec<Username>,
    /// How many are in a big room, whose list the server does not send
    /// (`/who` pages it); `None` in a room that is listed.
    pub count: Option<u64>,
    /// Where the next `/who` page of a big room starts, after one that had
    /// more.
    pub who_next: Option<Username>,
    /// Highest stored message id seen: where a resume starts.
    pub last_id: Option<i64>,
    /// Lowest stored message id seen: where older history continues.
    pub oldest_id: Option<i64>,
    pub sync: SyncState,
    pub older: Older,
    /// Rows scrolled up from the newest (0 = following new messages).
    pub scroll: usize,
    /// Messages that arrived while scrolled up.
    pub unseen: usize,
    /// Messages by others after the read marker: counted as they arrive
    /// while the room is not being read, or as `GET /conversations` says.
    pub unread: usize,
    /// How far the user has read, and where the "new" divider sits.
    pub read: ReadState,
    /// Who is typing here.
    pub typers: Typers,
    /// The message a search result jumped to, highlighted.
    pub marked: Option<i64>,
}

impl Room {
    /// A room not joined yet, with nothing in it.
    pub fn new(name: RoomName) -> Self {
        Self {
            name,
            entries: Vec::new(),
            ids: HashSet::new(),
            users: Vec::new(),
            count: None,
            who_next: None,
            last_id: None,
            oldest_id: None,
            sync: SyncState::NotJoined,
            older: Older::Unknown,
            scroll: 0,
            marked: None,
            unseen: 0,
            unread: 0,
            read: ReadState::default(),
            typers: Typers::default(),
        }
    }

    /// How the room is named on screen: `#general`, or `@bob` for the
    /// direct conversation with bob.
    pub fn label(&self, me: &Username) -> String {
        match self.name.peer_of(me) {
            Some(peer) => format!("@{peer}"),
            None => format!("#{}", self.name),
        }
    }

    /// Whether this is a direct conversation.
    pub fn is_direct(&self) -> bool {
        self.name.is_direct()
    }

    /// How many messages shown, by others and not deleted, are newer than
    /// `id`.
    pub fn others_after(&self, id: i64, me: &Username) -> usize {
        self.messages()
            .filter(|m| m.id > id && !m.deleted && !me.same_account(m.username.as_str()))
            .count()
    }

    /// How many users are in the room.
    pub fn user_count(&self) -> u64 {
        self.count.unwrap_or(self.users.len() as u64)
    }

    /// Whether the first history has arrived (on any connection).
    pub fn loaded(&self) -> bool {
        self.older != Older::Unknown
    }

    /// Whether the server has messages older than those shown.
    pub fn has_older(&self) -> bool {
        matches!(self.older, Older::More | Older::Fetching)
    }

    /// Whether a page of older messages is on its way.
    pub fn fetching_older(&self) -> bool {
        self.older == Older::Fetching
    }

    /// Whether the server counts this connection in the room.
    pub fn is_joined(&self) -> bool {
        self.sync.is_joined()
    }

    /// The stored messages shown, in order.
    pub fn messages(&self) -> impl Iterator<Item = &MessageView> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Message { view, .. } => Some(view),
            _ => None,
        })
    }

    /// Whether message `id` is shown.
    pub fn holds(&self, id: i64) -> bool {
        self.ids.contains(&id)
    }

    /// A shown message changed (edited or deleted): it now reads as
    /// `change` says. Returns whether the room shows it.
    pub fn change(&mut self, id: i64, change: impl FnOnce(&mut MessageView)) -> bool {
        let found = self.entries.iter_mut().find_map(|entry| match entry {
            Entry::Message { view, .. } if view.id == id => Some(view),
            _ => None,
        });
        match found {
            Some(view) => {
                change(view);
                true
            }
            None => false,
        }
    }

    /// Adds a stored message at its place by id; returns the index it took,
    /// or `None` if that id is already shown.
    pub fn insert(&mut self, view: MessageView, mention: bool) -> Option<usize> {
        if !self.ids.insert(view.id) {
            return None;
        }
        let id = view.id;
        self.last_id = Some(self.last_id.map_or(id, |l| l.max(id)));
        self.oldest_id = Some(self.oldest_id.map_or(id, |o| o.min(id)));
        let entry = Entry::Message { view, mention };
        // Usually the newest: append. Otherwise before the first larger id.
        let at = self
            .entries
            .iter()
            .position(|e| matches!(e, Entry::Message { view, .. } if view.id > id))
            .unwrap_or(self.entries.len());
        self.entries.insert(at, entry);
        Some(at)
    }
}

/// `text` with control characters (other than newline and tab) shown as
/// `�`: free text from a server (notices, error messages) must not be able
/// to send escape sequences to the terminal.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

/// Whether `text` names `user` as a word (case-insensitively; `@alice`,
/// `alice:` and `alice,` count, `malice` does not).
pub fn mentions(text: &str, user: &str) -> bool {
    let text = text.to_lowercase();
    let user = user.to_lowercase();
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-');
    let mut from = 0;
    while let Some(at) = text[from..].find(&user) {
        let start = from + at;
        let end = start + user.len();
        let before_ok = text[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !is_name_char(c));
        let after_ok = text[end..].chars().next().is_none_or(|c| !is_name_char(c));
        if before_ok && after_ok {
            return true;
        }
        from = start + user.len().max(1);
    }
    false
}
