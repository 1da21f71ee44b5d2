//! The client's state machine: everything the terminal client reacts to
//! (keys, the mouse wheel, resizes, clock ticks, server frames, connection
//! changes, login results) arrives as one [`Event`]; [`State::update`]
//! changes the [`State`] and returns the [`Effect`]s the caller must perform
//! (send a frame, log in over REST, ring the bell, quit).
//!
//! No I/O, no terminal and no terminal library here (keys and sizes are
//! this module's own types), so every behaviour is tested with plain
//! function calls. Time comes in through events too ([`Event::Tick`]), so
//! the countdown to the next reconnect is deterministic in tests.
//!
//! This file holds the types every part shares and the dispatch of events;
//! the parts live beside it, by concern:
//!
//! - [`rooms`]: a room's scrollback, exactly once and in id order
//! - `sync`: joining, resuming with since_id, refused joins, older pages
//! - `frames`: what each server frame does
//! - [`pending`]: the user's unconfirmed messages and their retries
//! - `commands`: the line commands and Tab completion
//! - `found`: `/search`'s results overlay and jumping to a result
//! - [`comings`]: runs of joins and leaves folded into one line
//! - `edits`: editing and deleting one's own messages, and `/search`
//! - [`keymap`] and [`help`]: every key and command, and the texts listing them
//! - `scroll`: scrolling and the rows it counts
//! - [`notify`]: when a message rings the bell or notifies the desktop
//! - `direct`: `/msg`, `/query` and the DM views they (and arriving DMs)
//!   open; `reading`: read markers, unread counts and the "new" divider,
//!   over the pure [`unread`]; [`typing`]: who is typing, and announcing
//!   one's own; [`composer`]: the line against the server's limits
//! - `keyboard`: what each key does on each screen
//! - [`prefs`], [`bindings`], [`stamp`]: the user's choices from the
//!   config file (keys rebound, the time format, notifications)
//! - [`login`], [`editor`], [`layout`], [`keys`], [`link`]: the pieces
//!
//! The linked modules hold types and know nothing of [`State`]; `sync`,
//! `frames`, `commands`, `edits`, `found`, `scroll`, `direct`, `reading`
//! and `keyboard` add `impl State` blocks and are
//! imported by nobody, so no two modules import each other.
//!
//! Message order and exactly-once display: messages are kept sorted by
//! their server id and a message id is shown once however many times it
//! arrives (live, in a resume replay, as the answer to a re-sent
//! client_id). The user's own messages stay pending, marked, until the
//! server has stored them; after a reconnect the pending ones are re-sent
//! with the same client_id, which the server stores at most once.

use std::time::{Duration, Instant};

use sapa_protocol::{
    ClientId, ClientMessage, Content, ErrorCode, Limits, RoomName, Secret, ServerMessage, Username,
    rest::Conversation,
};
use time::{OffsetDateTime, UtcOffset};

pub mod bindings;
pub mod comings;
mod commands;
pub mod composer;
mod direct;
pub mod editor;
mod edits;
pub mod found;
mod frames;
pub mod help;
mod keyboard;
pub mod keymap;
pub mod keys;
pub mod layout;
pub mod link;
pub mod login;
pub mod notify;
pub mod pending;
pub mod prefs;
mod reading;
pub mod rooms;
mod scroll;
pub mod stamp;
mod sync;
pub mod typing;
pub mod unread;

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;

use editor::{Completion, LineEditor};
use edits::Editing;
use keys::{Key, Wheel};
use layout::Size;
use link::Link;
use login::LoginForm;
use notify::{Attention, Notification};
use pending::Outbox;
use prefs::Prefs;
use rooms::{Entry, NoticeKind, Room};

pub use link::Conn;
pub use rooms::{mentions, printable};

/// Rows the mouse wheel scrolls per notch.
const WHEEL_ROWS: usize = 3;
/// How long after a temporary refusal (`unavailable`, `rate_limited`, and
/// `internal` for a join) a message or join is sent again.
const RETRY_AFTER: Duration = Duration::from_secs(3);
/// Older messages fetched per request when scrolling past the oldest.
const OLDER_PAGE: u16 = 50;

/// What the caller must do after an update.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Send this frame if the socket is up (the network task adds the
    /// credential to `join` frames). Dropped while offline: the state
    /// machine re-sends what matters after reconnecting.
    Send(ClientMessage),
    /// Get a token over REST with this name and password (registering the
    /// name if it is new), then start the connection.
    Login {
        username: Username,
        password: Secret,
    },
    /// The server refused the stored token: forget it, stop the connection,
    /// and ask for the password again.
    AuthRejected,
    /// Fetch the server's room list over REST (`/rooms`).
    ListRooms,
    /// Fetch the user's rooms and DMs with their read markers and unread
    /// counts over REST (`GET /conversations`).
    FetchConversations,
    /// Ring the terminal bell (a message mentioned the user).
    Bell,
    /// Show a desktop notification (a message mentioned the user while the
    /// terminal was not focused; see [`notify`]).
    Notify(Notification),
    /// Leave the program.
    Quit,
    /// One of the user's messages is settled. The screen shows it already;
    /// a caller that waits for its messages (`sapa send`) learns it here.
    Settled(Settled),
}

/// What became of a message of the user's own: every queued message ends
/// in exactly one of these (or is dropped with the room it was for).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// The server stored it under this id.
    Stored { client_id: ClientId, id: i64 },
    /// The server refused it for a reason that waiting does not fix.
    Refused {
        client_id: ClientId,
        code: ErrorCode,
        why: String,
    },
}

/// What happened on the connection, as reported by the network task.
#[derive(Debug, Clone, PartialEq)]
pub enum NetEvent {
    /// Trying to open the socket (attempt 1 is the first try).
    Connecting { attempt: u32 },
    /// The socket is open; joins may be sent.
    Connected,
    /// A frame from the server.
    Frame(ServerMessage),
    /// The socket is gone; the next try happens at `retry_at`.
    Disconnected {
        reason: String,
        retry_at: Instant,
        attempt: u32,
    },
    /// A ping was answered after this long.
    Rtt(Duration),
}

/// Everything the state machine reacts to.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Key(Key),
    Paste(String),
    Wheel(Wheel),
    Resize(Size),
    /// The clock moved on (drives countdowns, retries and local
    /// timestamps).
    Tick {
        now: Instant,
        wall: OffsetDateTime,
    },
    Net(NetEvent),
    /// No usable credential: show the login screen, with why if known.
    LoginNeeded(Option<String>),
    /// The REST login failed; the text says why.
    LoginFailed(String),
    /// A token was obtained for this name; the connection is starting.
    LoggedIn {
        user: Username,
        /// The name was new: the server just registered it.
        registered: bool,
    },
    /// Fetch a page of older messages of the room on screen (what
    /// scrolling past the top does; `sapa tail --history` uses it).
    LoadOlder,
    /// The answer to `/rooms`: names with online counts, or an error.
    RoomsListed(Result<Vec<(String, u64)>, String>),
    /// The answer to `GET /conversations`, or why there is none.
    Conversations(Result<Vec<Conversation>, String>),
    /// Send this text to the room on screen, as typing it and pressing
    /// Enter would (`sapa send` posts each line so). It is pending, and
    /// settled, like a typed line.
    Post(Content),
    /// The terminal window gained (`true`) or lost focus.
    Focus(bool),
    /// Something local went wrong that the user should read (a config file
    /// that could not be used): shown as a warning line.
    Warn(String),
}

/// Which screen is up.
#[derive(Debug, Clone, PartialEq)]
pub enum Screen {
    Login(Box<LoginForm>),
    Chat,
    /// The chat screen under the help overlay, which any key closes.
    Help,
    /// The chat screen under `/search`'s results.
    Search(Box<found::Found>),
}

/// The time, as the clock events last told it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clock {
    /// For timers (reconnect countdown, retries).
    pub now: Instant,
    /// For timestamps of local notices and today's date.
    pub wall: OffsetDateTime,
    /// The viewer's time zone.
    pub utc_offset: UtcOffset,
}

/// What the client starts with.
#[derive(Debug, Clone)]
pub struct Options {
    pub server: String,
    pub user: Username,
    pub room: RoomName,
    /// Prefix of this session's client_ids; random in real use so two
    /// sessions of one user never collide.
    pub client_prefix: String,
    pub utc_offset: UtcOffset,
    pub now: Instant,
    pub wall: OffsetDateTime,
    /// Keys, time format, notifications, more rooms: the config file's.
    pub prefs: Prefs,
}

/// Everything the client shows and remembers.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// The server as shown in the status line.
    pub server: String,
    pub user: Username,
    pub screen: Screen,
    pub link: Link,
    /// The joined rooms, in the order they were joined.
    pub rooms: Vec<Room>,
    /// Which of `rooms` is on screen.
    pub active: usize,
    pub input: LineEditor,
    /// The message the input line is editing, if it is (Up on an empty
    /// line, `/edit`): the composer says so and Enter saves the edit.
    pub editing: Option<Editing>,
    completion: Option<Completion>,
    pub outbox: Outbox,
    pub size: Size,
    pub clock: Clock,
    /// A line to show after the first welcome (that the name is new).
    after_welcome: Option<String>,
    /// The user asked to leave (the caller also gets [`Effect::Quit`]).
    pub quit: bool,
    /// Whether joins announce the user (`joined`/`left`, listed in
    /// presence). `sapa send` turns it off: a script that posts a line and
    /// goes should not fill the room with its comings and goings.
    pub announce: bool,
    pub prefs: Prefs,
    /// Focus, and when the last bell or notification went out.
    pub attention: Attention,
    /// Every join and leave on its own line (`/joins`), instead of runs
    /// folded into one.
    pub show_comings: bool,
    /// A jump to a search result, waiting for its room's history.
    jump: Option<found::Jump>,
    /// What the server lets this connection send (`welcome.limits`); the
    /// composer counts against it.
    pub limits: Option<Limits>,
    /// When the user's typing was last announced.
    typist: typing::Typist,
    /// Whether this client reads: keeps read markers, asks for unread
    /// counts and lists DMs. The terminal does; `sapa send` and `sapa
    /// tail`, which read nothing, do not.
    pub reader: bool,
}

impl State {
    /// A client on the chat screen, not yet connected.
    pub fn new(options: Options) -> Self {
        let mut rooms = vec![Room::new(options.room)];
        for name in &options.prefs.also_join {
            if !rooms.iter().any(|r| &r.name == name) {
                rooms.push(Room::new(name.clone()));
            }
        }
        Self {
            server: options.server,
            user: options.user,
            screen: Screen::Chat,
            link: Link::new(),
            rooms,
            active: 0,
            input: LineEditor::new(),
            editing: None,
            completion: None,
            outbox: Outbox::new(options.client_prefix),
            size: Size::new(80, 24),
            clock: Clock {
                now: options.now,
                wall: options.wall,
                utc_offset: options.utc_offset,
            },
            after_welcome: None,
            announce: true,
            quit: false,
            prefs: options.prefs,
            attention: Attention::default(),
            show_comings: false,
            jump: None,
            limits: None,
            typist: typing::Typist::default(),
            reader: true,
        }
    }

    /// The room on screen.
    pub fn room(&self) -> &Room {
        &self.rooms[self.active]
    }

    fn room_mut(&mut self) -> &mut Room {
        &mut self.rooms[self.active]
    }

    fn room_index(&self, name: &RoomName) -> Option<usize> {
        self.rooms.iter().position(|r| &r.name == name)
    }

    /// Handles one event; returns what the caller must do.
    pub fn update(&mut self, event: Event) -> Vec<Effect> {
        let mut fx = Vec::new();
        match event {
            Event::Key(key) => self.on_key(key, &mut fx),
            Event::Paste(text) => match &mut self.screen {
                Screen::Login(form) => form.paste(&text),
                Screen::Chat | Screen::Help | Screen::Search(_) => {
                    self.input.insert_str(&text);
                    self.typed(&mut fx);
                }
            },
            Event::Wheel(Wheel::Up) => self.scroll_up(WHEEL_ROWS, &mut fx),
            Event::Wheel(Wheel::Down) => self.scroll_down(WHEEL_ROWS),
            Event::Resize(size) => self.size = size,
            Event::LoadOlder => self.fetch_older(&mut fx),
            Event::Tick { now, wall } => {
                self.clock.now = now;
                self.clock.wall = wall;
                self.retry_due(&mut fx);
                fx.extend(self.attention.tick(now, self.prefs.notify));
                for room in &mut self.rooms {
                    room.typers.expire(now);
                }
                self.send_due_reads(&mut fx);
            }
            Event::Net(net) => self.on_net(net, &mut fx),
            Event::LoginNeeded(reason) => {
                self.link.conn = Conn::Idle;
                let form = LoginForm::new(&self.user, reason.map(|r| printable(&r)));
                self.screen = Screen::Login(Box::new(form));
            }
            Event::LoginFailed(why) => {
                if let Screen::Login(form) = &mut self.screen {
                    form.failed(printable(&why));
                }
            }
            Event::LoggedIn { user, registered } => {
                self.user = user;
                self.screen = Screen::Chat;
                self.link.conn = Conn::Connecting { attempt: 1 };
                if registered {
                    // Said after the welcome, once the room's history is in.
                    self.after_welcome =
                        Some(format!("registered {} on {}", self.user, self.server));
                }
            }
            Event::RoomsListed(Ok(rooms)) => {
                let list = if rooms.is_empty() {
                    "no rooms yet".to_owned()
                } else {
                    rooms
                        .iter()
                        .map(|(name, online)| format!("#{name} ({online})"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                self.notice(format!("rooms: {list}"), NoticeKind::System);
            }
            Event::RoomsListed(Err(why)) => {
                self.notice(format!("could not list rooms: {why}"), NoticeKind::Warn);
            }
            Event::Conversations(Ok(list)) => self.on_conversations(list, &mut fx),
            Event::Conversations(Err(why)) => {
                self.notice(
                    format!("could not load unread counts: {why}"),
                    NoticeKind::Warn,
                );
            }
            Event::Post(content) => self.post(content, &mut fx),
            Event::Focus(focused) => self.attention.focus(focused),
            Event::Warn(text) => self.notice(text, NoticeKind::Warn),
        }
        self.read_what_is_shown();
        fx
    }

    // ------------------------------------------------------------- notices

    /// A local notice in the room on screen.
    fn notice(&mut self, text: impl Into<String>, kind: NoticeKind) {
        let wall = self.clock.wall;
        self.notice_in(self.active, wall, text.into(), kind);
    }

    /// A local notice in every room.
    fn notice_all(&mut self, text: String, kind: NoticeKind) {
        let wall = self.clock.wall;
        for i in 0..self.rooms.len() {
            self.notice_in(i, wall, text.clone(), kind);
        }
    }

    /// A notice in room `i`; a scrolled-up view moves with it to stay still
    /// (by however many rows it adds: none when it joins a folded run).
    fn notice_in(&mut self, i: usize, time: OffsetDateTime, text: String, kind: NoticeKind) {
        let text = printable(&text);
        let entry = Entry::Notice { time, text, kind };
        if self.rooms[i].scroll == 0 {
            self.rooms[i].entries.push(entry);
            return;
        }
        let before = self.layout_of(i).total_rows();
        self.rooms[i].entries.push(entry);
        let added = self.layout_of(i).total_rows().saturating_sub(before);
        self.rooms[i].scroll += added;
    }
}
