//! Screen geometry and text layout, shared by the state machine (which needs
//! to know how many rows a message takes to keep the view still while
//! scrolled up) and the renderer (which draws those same rows). Pure: sizes
//! and areas are this module's own types, which [`crate::view`] converts.
//!
//! Wrapping is by display width, grapheme by grapheme: a CJK character or an
//! emoji takes two columns and is never split across rows. Nothing here
//! draws; [`crate::view`] turns [`Row`]s into styled ratatui lines.

use sapa_protocol::Username;
use time::UtcOffset;
use time::macros::format_description;
use unicode_width::UnicodeWidthStr;

use super::comings;
use super::pending::Pending;
use super::rooms::{Entry, NoticeKind, Older, Room};
use super::stamp::TimeFormat;

mod wrap;

use wrap::message_rows;
pub use wrap::wrap;

/// Width of the active-users pane, its separator included.
pub const USERS_WIDTH: u16 = 18;
/// Below this terminal width the users pane hides to leave room for text.
pub const USERS_MIN_TERMINAL_WIDTH: u16 = 60;
/// The divider above the first message the user has not read.
pub const NEW_DIVIDER: &str = "new";
/// Continuation rows of a message start under the name, after `HH:MM `
/// (with the default time format; a wider one indents further).
pub const INDENT: usize = 6;

/// The terminal's size in cells. The state machine needs it to know how
/// many rows a message takes and how far a page scrolls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub width: u16,
    pub height: u16,
}

impl Size {
    /// `width` columns by `height` rows.
    pub const fn new(width: u16, height: u16) -> Self {
        Self { width, height }
    }
}

/// A rectangle of cells, counted from the terminal's top left corner. The
/// view turns it into ratatui's own rectangle; the numbers are decided here
/// only, so the state machine and the screen always agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Area {
    pub x: u16,
    pub y: u16,
    pub width: u16,
    pub height: u16,
}

impl Area {
    const fn new(x: u16, y: u16, width: u16, height: u16) -> Self {
        Self {
            x,
            y,
            width,
            height,
        }
    }
}

/// Where each part of the chat screen goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub status: Area,
    pub messages: Area,
    /// The users pane, absent on narrow terminals.
    pub users: Option<Area>,
    /// The rule between messages and input; it carries scroll hints.
    pub rule: Area,
    pub input: Area,
}

/// Splits a terminal of `size` into the chat screen's areas.
pub fn areas(size: Size) -> Areas {
    let (w, h) = (size.width, size.height);
    let status = Area::new(0, 0, w, h.min(1));
    let input = Area::new(0, h.saturating_sub(1), w, h.min(1));
    let rule = Area::new(0, h.saturating_sub(2), w, u16::from(h >= 3));
    let body_h = h.saturating_sub(3);
    let body = Area::new(0, 1, w, body_h);
    if w >= USERS_MIN_TERMINAL_WIDTH {
        let messages = Area::new(body.x, body.y, body.width - USERS_WIDTH, body_h);
        let users = Area::new(body.x + messages.width, body.y, USERS_WIDTH, body_h);
        Areas {
            status,
            messages,
            users: Some(users),
            rule,
            input,
        }
    } else {
        Areas {
            status,
            messages: body,
            users: None,
            rule,
            input,
        }
    }
}

/// How a piece of a row should look; the renderer picks the colours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tone {
    Time,
    /// A user's name, coloured by the name.
    Nick(String),
    /// The user's own name.
    OwnNick,
    Text,
    /// Text of a message that mentions the user.
    Mention,
    /// joined / left / system lines.
    Dim,
    /// Errors and local warnings.
    Warn,
    /// The user's own message not yet stored by the server.
    Pending,
}

/// A run of text with one look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seg {
    pub text: String,
    pub tone: Tone,
}

/// One screen row of the messages pane.
pub type Row = Vec<Seg>;

fn seg(text: impl Into<String>, tone: Tone) -> Seg {
    Seg {
        text: text.into(),
        tone,
    }
}

/// How a message's text looks: highlighted when it mentions the user.
fn text_tone(mention: bool) -> Tone {
    if mention { Tone::Mention } else { Tone::Text }
}

/// The rows one entry takes at `width` columns, its time written in
/// `format` for the time zone `offset`.
pub fn entry_rows(
    entry: &Entry,
    me: &Username,
    offset: UtcOffset,
    format: &TimeFormat,
    width: usize,
) -> Vec<Row> {
    match entry {
        Entry::Message { view, mention } => {
            let own = me.same_account(view.username.as_str());
            let nick = if own {
                Tone::OwnNick
            } else {
                Tone::Nick(view.username.as_str().to_owned())
            };
            let (text, tone) = if view.deleted {
                ("message deleted".to_owned(), Tone::Dim)
            } else if view.edited_at.is_some() {
                (format!("{} (edited)", view.content), text_tone(*mention))
            } else {
                (view.content.as_str().to_owned(), text_tone(*mention))
            };
            message_rows(
                &format.format(view.timestamp, offset),
                view.username.as_str(),
                nick,
                &text,
                tone,
                width,
            )
        }
        Entry::Notice { time, text, kind } => {
            let (marker, tone) = match kind {
                NoticeKind::Joined => ("→", Tone::Dim),
                NoticeKind::Left => ("←", Tone::Dim),
                NoticeKind::System => ("*", Tone::Dim),
                NoticeKind::Warn => ("!", Tone::Warn),
            };
            message_rows(
                &format.format(*time, offset),
                marker,
                tone.clone(),
                text,
                tone,
                width,
            )
        }
        Entry::Marker(text) => {
            let pad = width.saturating_sub(text.width() + 2) / 2;
            vec![vec![seg(
                format!("{} {} {}", "─".repeat(pad), text, "─".repeat(pad)),
                Tone::Dim,
            )]]
        }
    }
}

/// Everything needed to lay out one room's scrollback at one width: the
/// state machine counts these rows to keep a scrolled view still, and the
/// renderer draws them, so both always agree.
pub struct RoomLayout<'a> {
    pub room: &'a Room,
    /// The user's unconfirmed messages in this room, oldest first.
    pub pending: Vec<&'a Pending>,
    pub me: &'a Username,
    pub offset: UtcOffset,
    pub time_format: &'a TimeFormat,
    /// The viewer's date: a first message from another day gets a marker.
    pub today: time::Date,
    pub width: usize,
    /// Runs of joins and leaves read as one line each (see `comings`).
    pub fold_comings: bool,
}

fn entry_time(entry: &Entry) -> Option<time::OffsetDateTime> {
    match entry {
        Entry::Message { view, .. } => Some(view.timestamp),
        Entry::Notice { time, .. } => Some(*time),
        Entry::Marker(_) => None,
    }
}

/// `Mon 23 Nov 2026`, the text of a day marker.
pub fn day_label(date: time::Date) -> String {
    date.format(format_description!(
        "[weekday repr:short] [day padding:none] [month repr:short] [year]"
    ))
    .unwrap_or_else(|_| date.to_string())
}

impl RoomLayout<'_> {
    /// The day marker due before entry `i`, if its day differs from the
    /// entry before it (or, for the first, from today).
    fn day_before(&self, i: usize) -> Option<Entry> {
        let date = entry_time(&self.room.entries[i])?
            .to_offset(self.offset)
            .date();
        let previous = self.room.entries[..i]
            .iter()
            .rev()
            .find_map(entry_time)
            .map(|t| t.to_offset(self.offset).date())
            .unwrap_or(self.today);
        (date != previous).then(|| Entry::Marker(day_label(date)))
    }

    /// Whether the "new" divider goes above entry `i`: the first message
    /// after the read marker the room opened with.
    fn new_from(&self, i: usize) -> bool {
        let Some(marker) = self.room.read.divider else {
            return false;
        };
        let id_of = |e: &Entry| match e {
            Entry::Message { view, .. } => Some(view.id),
            _ => None,
        };
        let Some(id) = id_of(&self.room.entries[i]) else {
            return false;
        };
        let before = self.room.entries[..i].iter().rev().find_map(id_of);
        id > marker && before.is_none_or(|b| b <= marker)
    }

    /// The room's blocks of rows, newest first.
    fn blocks_from_bottom(&self) -> impl Iterator<Item = Vec<Row>> + '_ {
        self.blocks_with_ids().map(|(_, rows)| rows)
    }

    /// How many rows lie below stored message `id`, if it is shown.
    pub fn rows_below(&self, id: i64) -> Option<usize> {
        let mut below = 0;
        for (block, rows) in self.blocks_with_ids() {
            if block == Some(id) {
                return Some(below);
            }
            below += rows.len();
        }
        None
    }

    /// The blocks, newest first, each with the id of the stored message it
    /// shows, if it shows one.
    fn blocks_with_ids(&self) -> impl Iterator<Item = (Option<i64>, Vec<Row>)> + '_ {
        let pending = self
            .pending
            .iter()
            .rev()
            .map(|p| (None, pending_rows(p, self.me, self.time_format, self.width)));
        let rows_of =
            move |e: &Entry| entry_rows(e, self.me, self.offset, self.time_format, self.width);
        let all = &self.room.entries;
        let mut end = all.len();
        let mut marker: Option<Vec<Row>> = None;
        let mut divider: Option<Vec<Row>> = None;
        // Each entry's rows, bottom up, then its day marker if one is due;
        // a run of joins and leaves within one day is one block.
        let entries = std::iter::from_fn(move || {
            if let Some(rows) = divider.take().or_else(|| marker.take()) {
                return Some((None, rows));
            }
            let mut start = end.checked_sub(1)?;
            if self.fold_comings && comings::is_coming(&all[start]) {
                while start > 0
                    && comings::is_coming(&all[start - 1])
                    && self.day_before(start).is_none()
                {
                    start -= 1;
                }
            }
            let mut id = None;
            let rows = match &all[start] {
                _ if end - start > 1 => {
                    let time = self
                        .time_format
                        .format(entry_time(&all[end - 1])?, self.offset);
                    let text = comings::summary(&all[start..end]);
                    message_rows(&time, "↔", Tone::Dim, &text, Tone::Dim, self.width)
                }
                Entry::Message { view, .. } if self.room.marked == Some(view.id) => {
                    id = Some(view.id);
                    let marked = Entry::Message {
                        view: view.clone(),
                        mention: true,
                    };
                    rows_of(&marked)
                }
                entry @ Entry::Message { view, .. } => {
                    id = Some(view.id);
                    rows_of(entry)
                }
                entry => rows_of(entry),
            };
            marker = self.day_before(start).map(|m| rows_of(&m));
            if self.new_from(start) {
                divider = Some(rows_of(&Entry::Marker(NEW_DIVIDER.to_owned())));
            }
            end = start;
            Some((id, rows))
        });
        let start = (self.room.older == Older::AllShown).then(|| {
            let marker = Entry::Marker(format!("start of {}", self.room.label(self.me)));
            (None, rows_of(&marker))
        });
        pending.chain(entries).chain(start)
    }

    /// The bottom `n` rows (fewer if the room has fewer), top to bottom.
    /// Only the blocks that reach into them are laid out.
    pub fn last_rows(&self, n: usize) -> Vec<Row> {
        let mut blocks = Vec::new();
        let mut count = 0;
        for block in self.blocks_from_bottom() {
            if count >= n {
                break;
            }
            count += block.len();
            blocks.push(block);
        }
        let mut rows: Vec<Row> = blocks.into_iter().rev().flatten().collect();
        if rows.len() > n {
            rows.drain(..rows.len() - n);
        }
        rows
    }

    /// How many rows the whole room takes.
    pub fn total_rows(&self) -> usize {
        self.blocks_from_bottom().map(|b| b.len()).sum()
    }
}

/// The rows of a pending (unconfirmed) message of the user's own: `⋯`
/// where its time will be.
pub fn pending_rows(
    pending: &Pending,
    me: &Username,
    format: &TimeFormat,
    width: usize,
) -> Vec<Row> {
    let w = format.width().max(1);
    let left = (w - 1) / 2;
    let time = format!("{}⋯{}", " ".repeat(left), " ".repeat(w - 1 - left));
    message_rows(
        &time,
        me.as_str(),
        Tone::OwnNick,
        pending.content.as_str(),
        Tone::Pending,
        width,
    )
}
