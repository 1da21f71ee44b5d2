//! The client's state machine: everything the terminal client reacts to
//! (keys, mouse wheel, resizes, clock ticks, server frames, connection
//! changes, login results) arrives as one [`Event`]; [`State::update`]
//! changes the [`State`] and returns the [`Effect`]s the caller must perform
//! (send a frame, log in over REST, ring the bell, quit).
//!
//! No I/O and no terminal here, so every behaviour is tested with plain
//! function calls. Time comes in through events too ([`Event::Tick`]), so
//! the countdown to the next reconnect is deterministic in tests.
//!
//! Message order and exactly-once display live here: messages are kept
//! sorted by their server id and a message id is shown once however many
//! times it arrives (live, in a resume replay, as the answer to a re-sent
//! client_id). The user's own messages stay pending, marked, until the
//! server has stored them; after a reconnect the pending ones are re-sent
//! with the same client_id, which the server stores at most once.

use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};

use sapa_protocol::{
    ClientId, ClientKind, ClientMessage, Content, ErrorCode, ErrorRef, HistoryRequest, Join, Leave,
    MessageView, PageLimit, RoomName, Secret, SendMessage, ServerMessage, Username,
};
use time::{OffsetDateTime, UtcOffset};

pub mod editor;
pub mod keys;
pub mod layout;

#[cfg(test)]
pub(crate) mod fixtures;

use editor::LineEditor;
use keys::{Key, KeyCode, Wheel};
use layout::Size;

/// Rows the mouse wheel scrolls per notch.
const WHEEL_ROWS: usize = 3;
/// How long after `unavailable` or `rate_limited` a message is re-sent.
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
    /// Ring the terminal bell (a message mentioned the user).
    Bell,
    /// Leave the program.
    Quit,
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
    /// The clock moved on (drives countdowns and local timestamps).
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
}

/// Which screen is up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    Login(Box<LoginForm>),
    Chat,
}

/// Which login field has the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginField {
    Username,
    Password,
}

/// The login screen: name and masked password. `Debug` leaves the
/// password out.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginForm {
    pub username: LineEditor,
    pub password: LineEditor,
    pub focus: LoginField,
    pub error: Option<String>,
    /// A login request is in flight.
    pub busy: bool,
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm")
            .field("username", &self.username.text())
            .field("password", &"***")
            .field("focus", &self.focus)
            .field("error", &self.error)
            .field("busy", &self.busy)
            .finish()
    }
}

/// The connection as the user sees it in the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conn {
    /// Not started (login screen).
    Idle,
    Connecting {
        attempt: u32,
    },
    Online,
    Offline {
        reason: String,
        retry_at: Instant,
        attempt: u32,
    },
}

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

/// A message of the user's own that the server has not confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub client_id: ClientId,
    pub room: RoomName,
    pub content: Content,
    /// When to send it again after the server could not store it.
    pub retry_at: Option<Instant>,
}

/// What a `history` frame for a room answers, in request order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The history that follows a join without since_id.
    Initial,
    /// The replay after since_id that follows a re-join.
    Resume,
    /// A page of older messages.
    Older,
}

/// How a stored message reached the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arrival {
    /// Broadcast as it was stored.
    Live,
    /// Replayed after a reconnect: missed, so new to the user.
    Resumed,
    /// Older history (the first page, or scrolling back).
    Backfill,
}

/// One joined room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Room {
    pub name: RoomName,
    /// Messages (sorted by id) and notices (in arrival order).
    pub entries: Vec<Entry>,
    ids: HashSet<i64>,
    pub users: Vec<Username>,
    /// Highest stored message id seen: where a resume starts.
    pub last_id: Option<i64>,
    /// Lowest stored message id seen: where older history continues.
    pub oldest_id: Option<i64>,
    /// Whether the server has older messages than `oldest_id`.
    pub has_older: bool,
    pub fetching_older: bool,
    /// Whether the first history has arrived.
    pub loaded: bool,
    /// Welcomed on the current connection.
    pub joined: bool,
    /// When to try joining again after the server could not take the join.
    rejoin_at: Option<Instant>,
    welcomed_once: bool,
    /// The welcome (or "reconnected") line, shown once the history is in.
    greeting: Option<(OffsetDateTime, String)>,
    expect: VecDeque<Expect>,
    /// Rows scrolled up from the newest (0 = following new messages).
    pub scroll: usize,
    /// Messages that arrived while scrolled up.
    pub unseen: usize,
    /// Messages that arrived while another room was shown.
    pub unread: usize,
}

impl Room {
    fn new(name: RoomName) -> Self {
        Self {
            name,
            entries: Vec::new(),
            ids: HashSet::new(),
            users: Vec::new(),
            last_id: None,
            oldest_id: None,
            has_older: false,
            fetching_older: false,
            loaded: false,
            joined: false,
            rejoin_at: None,
            welcomed_once: false,
            greeting: None,
            expect: VecDeque::new(),
            scroll: 0,
            unseen: 0,
            unread: 0,
        }
    }

    /// The stored messages shown, in order.
    pub fn messages(&self) -> impl Iterator<Item = &MessageView> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Message { view, .. } => Some(view),
            _ => None,
        })
    }

    /// Adds a stored message at its place by id; returns the index it took,
    /// or `None` if that id is already shown.
    fn insert(&mut self, view: MessageView, mention: bool) -> Option<usize> {
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

/// Everything the client shows and remembers.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// The server as shown in the status line.
    pub server: String,
    pub user: Username,
    pub screen: Screen,
    pub conn: Conn,
    pub rooms: Vec<Room>,
    pub active: usize,
    pub input: LineEditor,
    pub pending: Vec<Pending>,
    pub help: bool,
    pub rtt: Option<Duration>,
    pub size: Size,
    pub now: Instant,
    pub wall: OffsetDateTime,
    pub utc_offset: UtcOffset,
    /// The current connection has authenticated (a welcome arrived).
    authenticated: bool,
    /// The connection was lost since the last welcome.
    lost: bool,
    /// Rooms whose join is unanswered, in the order the joins went out (the
    /// server answers them in order; an error names only "join").
    joins_in_flight: VecDeque<RoomName>,
    client_prefix: String,
    next_seq: u64,
    /// A line to show after the first welcome (that the name is new).
    after_welcome: Option<String>,
    /// Tab completion in progress: what was typed, which match is shown,
    /// and the line as the last Tab left it.
    completion: Option<Completion>,
    pub quit: bool,
}

#[derive(Debug, Clone, PartialEq)]
struct Completion {
    prefix: String,
    start: usize,
    index: usize,
    line: String,
}

/// The commands Tab completes at the start of the line.
const COMMANDS: [&str; 6] = ["/join", "/leave", "/who", "/rooms", "/help", "/quit"];

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
}

impl State {
    /// A client on the chat screen, not yet connected.
    pub fn new(options: Options) -> Self {
        Self {
            server: options.server,
            user: options.user,
            screen: Screen::Chat,
            conn: Conn::Idle,
            rooms: vec![Room::new(options.room)],
            active: 0,
            input: LineEditor::new(),
            pending: Vec::new(),
            help: false,
            rtt: None,
            size: Size::new(80, 24),
            now: options.now,
            wall: options.wall,
            utc_offset: options.utc_offset,
            authenticated: false,
            lost: false,
            joins_in_flight: VecDeque::new(),
            client_prefix: options.client_prefix,
            next_seq: 1,
            completion: None,
            after_welcome: None,
            quit: false,
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

    /// The pending messages of one room, oldest first.
    pub fn pending_in<'a>(&'a self, room: &'a RoomName) -> impl Iterator<Item = &'a Pending> {
        self.pending.iter().filter(move |p| &p.room == room)
    }

    /// Handles one event; returns what the caller must do.
    pub fn update(&mut self, event: Event) -> Vec<Effect> {
        let mut fx = Vec::new();
        match event {
            Event::Key(key) => self.on_key(key, &mut fx),
            Event::Paste(text) => match &mut self.screen {
                Screen::Login(form) => match form.focus {
                    LoginField::Username => form.username.insert_str(&text),
                    LoginField::Password => form.password.insert_str(&text),
                },
                Screen::Chat => self.input.insert_str(&text),
            },
            Event::Wheel(Wheel::Up) => self.scroll_up(WHEEL_ROWS, &mut fx),
            Event::Wheel(Wheel::Down) => self.scroll_down(WHEEL_ROWS),
            Event::Resize(size) => self.size = size,
            Event::LoadOlder => self.fetch_older(&mut fx),
            Event::Tick { now, wall } => {
                self.now = now;
                self.wall = wall;
                self.retry_due(&mut fx);
            }
            Event::Net(net) => self.on_net(net, &mut fx),
            Event::LoginNeeded(reason) => {
                let mut username = LineEditor::new();
                username.insert_str(self.user.as_str());
                self.conn = Conn::Idle;
                self.screen = Screen::Login(Box::new(LoginForm {
                    username,
                    password: LineEditor::new(),
                    focus: LoginField::Password,
                    error: reason.map(|r| printable(&r)),
                    busy: false,
                }));
            }
            Event::LoginFailed(why) => {
                if let Screen::Login(form) = &mut self.screen {
                    form.busy = false;
                    form.error = Some(printable(&why));
                    form.password.clear();
                    form.focus = LoginField::Password;
                }
            }
            Event::LoggedIn { user, registered } => {
                self.user = user;
                self.screen = Screen::Chat;
                self.conn = Conn::Connecting { attempt: 1 };
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
        }
        fx
    }

    // ------------------------------------------------------------- keys

    fn on_key(&mut self, key: Key, fx: &mut Vec<Effect>) {
        let ctrl = key.ctrl;
        if ctrl && matches!(key.code, KeyCode::Char('c')) {
            self.quit = true;
            fx.push(Effect::Quit);
            return;
        }
        if let Screen::Login(_) = self.screen {
            self.on_login_key(key, fx);
            return;
        }
        if self.help {
            // Any key closes the overlay.
            self.help = false;
            return;
        }
        if key.code != KeyCode::Tab {
            self.completion = None;
        }
        let input = &mut self.input;
        match key.code {
            KeyCode::F(1) => self.help = true,
            KeyCode::Enter => self.submit(fx),
            KeyCode::PageUp => self.scroll_up(self.page(), fx),
            KeyCode::PageDown => self.scroll_down(self.page()),
            KeyCode::End if ctrl => self.jump_newest(),
            // End edits the line; once at its end it jumps to the newest.
            KeyCode::End if input.at_end() => self.jump_newest(),
            KeyCode::End => input.end(),
            KeyCode::Home => input.home(),
            KeyCode::Left => input.left(),
            KeyCode::Right => input.right(),
            KeyCode::Up => {
                input.recall_prev();
            }
            KeyCode::Down => {
                input.recall_next();
            }
            KeyCode::Backspace if ctrl => input.delete_word_back(),
            KeyCode::Backspace => input.backspace(),
            KeyCode::Delete => input.delete(),
            KeyCode::Esc => {}
            KeyCode::Char(c) if ctrl => match c {
                'a' => input.home(),
                'e' => input.end(),
                'w' | 'h' => input.delete_word_back(),
                'u' => input.kill_to_start(),
                'k' => input.kill_to_end(),
                'n' => self.switch_to((self.active + 1) % self.rooms.len()),
                'p' => self.switch_to((self.active + self.rooms.len() - 1) % self.rooms.len()),
                'l' => self.jump_newest(),
                _ => {}
            },
            KeyCode::Char(c) if !key.alt => input.insert_char(c),
            KeyCode::Tab => self.complete(),
            _ => {}
        }
    }

    fn on_login_key(&mut self, key: Key, fx: &mut Vec<Effect>) {
        let Screen::Login(form) = &mut self.screen else {
            return;
        };
        if form.busy {
            return;
        }
        let ctrl = key.ctrl;
        let field = match form.focus {
            LoginField::Username => &mut form.username,
            LoginField::Password => &mut form.password,
        };
        match key.code {
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down => {
                form.focus = match form.focus {
                    LoginField::Username => LoginField::Password,
                    LoginField::Password => LoginField::Username,
                };
            }
            KeyCode::Enter => {
                let name = form.username.text().trim().to_owned();
                let user = match Username::parse(name) {
                    Ok(user) => user,
                    Err(e) => {
                        form.error = Some(e.to_string());
                        form.focus = LoginField::Username;
                        return;
                    }
                };
                if form.focus == LoginField::Username || form.password.is_empty() {
                    form.focus = LoginField::Password;
                    if form.password.is_empty() {
                        return;
                    }
                }
                form.busy = true;
                form.error = None;
                fx.push(Effect::Login {
                    username: user,
                    password: Secret::new(form.password.text()),
                });
            }
            KeyCode::Esc => form.error = None,
            KeyCode::Backspace => field.backspace(),
            KeyCode::Delete => field.delete(),
            KeyCode::Left => field.left(),
            KeyCode::Right => field.right(),
            KeyCode::Home => field.home(),
            KeyCode::End => field.end(),
            KeyCode::Char('u') if ctrl => field.kill_to_start(),
            KeyCode::Char('w') if ctrl => field.delete_word_back(),
            KeyCode::Char(c) if !ctrl => field.insert_char(c),
            _ => {}
        }
    }

    // ------------------------------------------------------------- commands

    fn submit(&mut self, fx: &mut Vec<Effect>) {
        let line = self.input.submit();
        if line.trim().is_empty() {
            return;
        }
        if let Some(text) = line.strip_prefix("//") {
            self.send_text(format!("/{text}"), fx);
        } else if let Some(command) = line.strip_prefix('/') {
            self.command(command.trim(), fx);
        } else {
            self.send_text(line, fx);
        }
    }

    fn command(&mut self, line: &str, fx: &mut Vec<Effect>) {
        let (name, arg) = match line.split_once(char::is_whitespace) {
            Some((n, a)) => (n, a.trim()),
            None => (line, ""),
        };
        match name {
            "join" | "j" => {
                // Room names are lowercase; `/join #Rust` means #rust.
                let raw = arg.trim_start_matches('#');
                match RoomName::parse(raw.to_lowercase()) {
                    Ok(room) => self.join(room, fx),
                    Err(_) if raw.is_empty() => self.notice("usage: /join ROOM", NoticeKind::Warn),
                    Err(e) => self.notice(e.to_string(), NoticeKind::Warn),
                }
            }
            "leave" | "part" => self.leave(fx),
            "who" | "names" => {
                let room = self.room();
                let text = format!(
                    "in #{} ({}): {}",
                    room.name,
                    room.users.len(),
                    room.users
                        .iter()
                        .map(Username::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                self.notice(text, NoticeKind::System);
            }
            "rooms" | "list" => {
                let joined = self
                    .rooms
                    .iter()
                    .map(|r| format!("#{}", r.name))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.notice(format!("joined: {joined}"), NoticeKind::System);
                fx.push(Effect::ListRooms);
            }
            "help" | "h" | "?" => self.help = true,
            "quit" | "exit" | "q" => {
                self.quit = true;
                fx.push(Effect::Quit);
            }
            other => self.notice(
                format!("unknown command /{other}; /help lists the commands"),
                NoticeKind::Warn,
            ),
        }
    }

    /// Tab: completes the word before the cursor to a name in the room (or
    /// a command at the start of the line); Tab again shows the next match.
    fn complete(&mut self) {
        let continuing = self
            .completion
            .take()
            .filter(|c| c.line == self.input.text() && self.input.at_end());
        let (prefix, start, index) = match continuing {
            Some(c) => (c.prefix, c.start, c.index + 1),
            None => {
                let (start, word) = self.input.word_before_cursor();
                (word.to_owned(), start, 0)
            }
        };
        if prefix.is_empty() {
            return;
        }
        let lower = prefix.to_lowercase();
        let mut matches: Vec<String> = if start == 0 && prefix.starts_with('/') {
            COMMANDS.iter().map(|c| (*c).to_owned()).collect()
        } else {
            let me = &self.user;
            self.room()
                .users
                .iter()
                .filter(|u| !me.same_account(u.as_str()))
                .map(|u| u.as_str().trim_start_matches('@').to_owned())
                .collect()
        };
        let at = if prefix.starts_with('@') { "@" } else { "" };
        matches.retain(|m| format!("{at}{m}").to_lowercase().starts_with(&lower));
        if matches.is_empty() {
            return;
        }
        let pick = &matches[index % matches.len()];
        let suffix = if start == 0 && !pick.starts_with('/') {
            ": "
        } else {
            " "
        };
        self.input
            .replace_before_cursor(start, &format!("{at}{pick}{suffix}"));
        self.completion = Some(Completion {
            prefix,
            start,
            index,
            line: self.input.text().to_owned(),
        });
    }

    fn join(&mut self, room: RoomName, fx: &mut Vec<Effect>) {
        if let Some(i) = self.room_index(&room) {
            self.switch_to(i);
            return;
        }
        self.rooms.push(Room::new(room.clone()));
        let i = self.rooms.len() - 1;
        self.switch_to(i);
        if self.conn == Conn::Online && self.authenticated {
            self.send_join(i, fx);
        }
    }

    fn leave(&mut self, fx: &mut Vec<Effect>) {
        if self.rooms.len() == 1 {
            self.notice(
                "this is your only room: /join another first, or /quit",
                NoticeKind::Warn,
            );
            return;
        }
        let room = self.rooms.remove(self.active);
        self.pending.retain(|p| p.room != room.name);
        if self.conn == Conn::Online {
            fx.push(Effect::Send(ClientMessage::Leave(Leave {
                room: Some(room.name.clone()),
            })));
        }
        let next = self.active.min(self.rooms.len() - 1);
        self.switch_to(next);
        self.notice(format!("left #{}", room.name), NoticeKind::System);
    }

    fn switch_to(&mut self, index: usize) {
        self.active = index;
        self.room_mut().unread = 0;
    }

    fn send_text(&mut self, text: String, fx: &mut Vec<Effect>) {
        let content = match Content::parse(text) {
            Ok(c) => c,
            Err(e) => {
                self.notice(format!("not sent: {e}"), NoticeKind::Warn);
                return;
            }
        };
        let id = format!("{}-{}", self.client_prefix, self.next_seq);
        self.next_seq += 1;
        let Ok(client_id) = ClientId::parse(id) else {
            self.notice("not sent: bad client id", NoticeKind::Warn);
            return;
        };
        let pending = Pending {
            client_id,
            room: self.room().name.clone(),
            content,
            retry_at: None,
        };
        if self.conn == Conn::Online && self.room().joined {
            fx.push(Effect::Send(message_frame(&pending)));
        }
        self.pending.push(pending);
        self.jump_newest();
    }

    // ------------------------------------------------------------- scrolling

    fn page(&self) -> usize {
        let h = usize::from(layout::areas(self.size).messages.height);
        h.saturating_sub(1).max(1)
    }

    /// The active room's scrollback as laid out on screen.
    pub fn layout(&self) -> layout::RoomLayout<'_> {
        let room = self.room();
        layout::RoomLayout {
            room,
            pending: self.pending_in(&room.name).collect(),
            me: &self.user,
            offset: self.utc_offset,
            today: self.wall.to_offset(self.utc_offset).date(),
            width: usize::from(layout::areas(self.size).messages.width),
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

    fn scroll_up(&mut self, rows: usize, fx: &mut Vec<Effect>) {
        let max = self.max_scroll();
        let room = self.room_mut();
        room.scroll = (room.scroll + rows).min(max);
        if room.scroll >= max {
            self.fetch_older(fx);
        }
    }

    fn scroll_down(&mut self, rows: usize) {
        let room = self.room_mut();
        room.scroll = room.scroll.saturating_sub(rows);
        if room.scroll == 0 {
            room.unseen = 0;
        }
    }

    fn jump_newest(&mut self) {
        let room = self.room_mut();
        room.scroll = 0;
        room.unseen = 0;
    }

    /// Loads older history while the room does not fill its pane, so a
    /// tall terminal does not open on a half-empty screen.
    fn fill_screen(&mut self, fx: &mut Vec<Effect>) {
        let h = usize::from(layout::areas(self.size).messages.height);
        if self.total_rows() < h {
            self.fetch_older(fx);
        }
    }

    fn fetch_older(&mut self, fx: &mut Vec<Effect>) {
        let online = self.conn == Conn::Online;
        let room = self.room_mut();
        if !online || !room.joined || !room.has_older || room.fetching_older {
            return;
        }
        let Some(before) = room.oldest_id else {
            return;
        };
        room.fetching_older = true;
        room.expect.push_back(Expect::Older);
        fx.push(Effect::Send(ClientMessage::History(HistoryRequest {
            room: Some(room.name.clone()),
            before_id: Some(before),
            limit: PageLimit::parse(i64::from(OLDER_PAGE)).ok(),
        })));
    }

    // ------------------------------------------------------------- network

    fn on_net(&mut self, event: NetEvent, fx: &mut Vec<Effect>) {
        match event {
            NetEvent::Connecting { attempt } => self.conn = Conn::Connecting { attempt },
            NetEvent::Connected => {
                self.conn = Conn::Online;
                self.authenticated = false;
                self.joins_in_flight.clear();
                for i in 0..self.rooms.len() {
                    self.send_join(i, fx);
                }
            }
            NetEvent::Disconnected {
                reason,
                retry_at,
                attempt,
            } => {
                let was_up = matches!(self.conn, Conn::Online);
                self.conn = Conn::Offline {
                    reason: reason.clone(),
                    retry_at,
                    attempt,
                };
                self.rtt = None;
                self.authenticated = false;
                self.joins_in_flight.clear();
                for room in &mut self.rooms {
                    room.joined = false;
                    room.rejoin_at = None;
                    room.expect.clear();
                    room.fetching_older = false;
                }
                if was_up {
                    self.lost = true;
                    self.notice_all(format!("connection lost: {reason}"), NoticeKind::Warn);
                }
            }
            NetEvent::Rtt(rtt) => self.rtt = Some(rtt),
            NetEvent::Frame(frame) => self.on_frame(frame, fx),
        }
    }

    fn send_join(&mut self, index: usize, fx: &mut Vec<Effect>) {
        self.joins_in_flight
            .push_back(self.rooms[index].name.clone());
        let room = &mut self.rooms[index];
        room.rejoin_at = None;
        let since_id = room.last_id;
        room.expect.push_back(if since_id.is_some() {
            Expect::Resume
        } else {
            Expect::Initial
        });
        fx.push(Effect::Send(ClientMessage::Join(Join {
            username: self.user.clone(),
            password: None,
            token: None,
            room: Some(room.name.clone()),
            since_id,
        })));
    }

    fn on_frame(&mut self, frame: ServerMessage, fx: &mut Vec<Effect>) {
        match frame {
            ServerMessage::Welcome(w) => {
                self.authenticated = true;
                if let Some(at) = self.joins_in_flight.iter().position(|r| r == &w.room) {
                    self.joins_in_flight.remove(at);
                }
                let Some(i) = self.room_index(&w.room) else {
                    return;
                };
                if w.username.same_account(self.user.as_str()) {
                    // The server's spelling of the name.
                    self.user = w.username.clone();
                }
                let first = !self.rooms[i].welcomed_once;
                let room = &mut self.rooms[i];
                room.joined = true;
                room.welcomed_once = true;
                // Shown after the history that follows, so it reads in order.
                if first {
                    room.greeting = Some((w.timestamp, w.content));
                } else if self.lost {
                    room.greeting = Some((w.timestamp, "reconnected".into()));
                }
                if self.rooms.iter().all(|r| r.joined) {
                    self.lost = false;
                }
            }
            ServerMessage::History(h) => {
                let Some(i) = self.room_index(&h.room) else {
                    return;
                };
                let kind = self.rooms[i].expect.pop_front().unwrap_or(Expect::Older);
                let arrival = match kind {
                    Expect::Resume => Arrival::Resumed,
                    Expect::Initial | Expect::Older => Arrival::Backfill,
                };
                for view in h.messages {
                    self.accept(i, view, arrival, fx);
                }
                let room = &mut self.rooms[i];
                match kind {
                    Expect::Initial => {
                        room.has_older = h.has_more;
                        room.loaded = true;
                    }
                    Expect::Older => {
                        room.has_older = h.has_more;
                        room.fetching_older = false;
                    }
                    Expect::Resume => {
                        room.loaded = true;
                        if h.has_more {
                            // More was missed than one replay holds: ask
                            // again from where this one ended.
                            self.send_join(i, fx);
                            return;
                        }
                    }
                }
                if matches!(kind, Expect::Initial | Expect::Resume) {
                    if let Some((time, text)) = self.rooms[i].greeting.take() {
                        self.notice_in(i, time, text, NoticeKind::System);
                        if let Some(note) = self.after_welcome.take() {
                            self.notice_in(i, time, note, NoticeKind::System);
                        }
                    }
                    self.resend_pending(i, fx);
                }
                if i == self.active {
                    self.fill_screen(fx);
                }
            }
            ServerMessage::Message(view) => {
                if let Some(i) = self.room_index(&view.room) {
                    self.accept(i, view, Arrival::Live, fx);
                }
            }
            ServerMessage::Presence(p) => {
                if let Some(i) = self.room_index(&p.room) {
                    self.rooms[i].users = p.users;
                }
            }
            ServerMessage::Joined(c) => {
                if let Some(i) = self.room_index(&c.room) {
                    let users = &mut self.rooms[i].users;
                    if !users.iter().any(|u| u.same_account(c.username.as_str())) {
                        users.push(c.username.clone());
                        users.sort_by_key(|u| u.as_str().to_lowercase());
                    }
                    self.notice_in(
                        i,
                        c.timestamp,
                        format!("{} joined", c.username),
                        NoticeKind::Joined,
                    );
                }
            }
            ServerMessage::Left(c) => {
                if self.user.same_account(c.username.as_str()) {
                    return; // our own leave, already shown
                }
                if let Some(i) = self.room_index(&c.room) {
                    self.rooms[i]
                        .users
                        .retain(|u| !u.same_account(c.username.as_str()));
                    self.notice_in(
                        i,
                        c.timestamp,
                        format!("{} left", c.username),
                        NoticeKind::Left,
                    );
                }
            }
            ServerMessage::System(s) => {
                let i = s
                    .room
                    .as_ref()
                    .and_then(|r| self.room_index(r))
                    .unwrap_or(self.active);
                self.notice_in(i, s.timestamp, s.content, NoticeKind::System);
            }
            ServerMessage::Error(e) => {
                if e.code == ErrorCode::Unauthorized && !self.authenticated {
                    self.conn = Conn::Idle;
                    fx.push(Effect::AuthRejected);
                    return;
                }
                if e.reference == Some(ErrorRef::Frame(ClientKind::Join)) {
                    self.join_refused(e.code, &e.content);
                    return;
                }
                let rejected = e
                    .reference
                    .as_ref()
                    .and_then(ErrorRef::client_id)
                    .and_then(|r| self.pending.iter().position(|p| p.client_id.as_str() == r));
                if let (Some(at), ErrorCode::NotJoined) = (rejected, e.code) {
                    // Sent into a connection that had not re-joined yet: it
                    // goes out again after the join's history.
                    let _ = at;
                } else if let (Some(at), ErrorCode::Unavailable | ErrorCode::RateLimited) =
                    (rejected, e.code)
                {
                    // Nothing was stored: keep it and try again shortly.
                    self.pending[at].retry_at = Some(self.now + RETRY_AFTER);
                    let p = &self.pending[at];
                    let i = self.room_index(&p.room).unwrap_or(self.active);
                    let text = format!(
                        "not stored yet ({}): {}; retrying in {} s",
                        e.code,
                        e.content,
                        RETRY_AFTER.as_secs()
                    );
                    let wall = self.wall;
                    self.notice_in(i, wall, text, NoticeKind::Warn);
                } else if let Some(at) = rejected {
                    let p = self.pending.remove(at);
                    let i = self.room_index(&p.room).unwrap_or(self.active);
                    let wall = self.wall;
                    self.notice_in(
                        i,
                        wall,
                        format!("not sent ({}): {} — {}", e.code, p.content, e.content),
                        NoticeKind::Warn,
                    );
                } else {
                    self.notice(format!("{}: {}", e.code, e.content), NoticeKind::Warn);
                }
            }
            ServerMessage::Pong(_) => {}
        }
    }

    /// Takes a stored message: confirms a pending one, shows it once at its
    /// place, counts it as new or unread, rings on a mention.
    fn accept(&mut self, i: usize, view: MessageView, arrival: Arrival, fx: &mut Vec<Effect>) {
        let own = self.user.same_account(view.username.as_str());
        let before = self.pending.len();
        if let Some(cid) = view.client_id.as_ref().filter(|_| own) {
            self.pending.retain(|p| &p.client_id != cid);
        }
        // A confirmed pending line takes the rows its pending form took.
        let was_pending = self.pending.len() < before;
        let mention = !own && mentions(view.content.as_str(), self.user.as_str());
        let width = usize::from(layout::areas(self.size).messages.width);
        let rows = layout::entry_rows(
            &Entry::Message {
                view: view.clone(),
                mention,
            },
            &self.user,
            self.utc_offset,
            width,
        )
        .len();
        if self.rooms[i].insert(view, mention).is_none() {
            return; // already shown
        }
        if arrival == Arrival::Backfill {
            return; // older messages land above the view
        }
        let active = i == self.active;
        let room = &mut self.rooms[i];
        if active && room.scroll > 0 {
            // New rows below the view: scroll with them so it stays still.
            if !was_pending {
                room.scroll += rows;
            }
            if !own {
                room.unseen += 1;
            }
        } else if !active && !own {
            room.unread += 1;
        }
        if mention && arrival == Arrival::Live {
            fx.push(Effect::Bell);
        }
    }

    /// The server refused the oldest unanswered join: retry it later if
    /// the refusal was temporary, else say why.
    fn join_refused(&mut self, code: ErrorCode, why: &str) {
        let Some(name) = self.joins_in_flight.pop_front() else {
            self.notice(format!("{code}: {why}"), NoticeKind::Warn);
            return;
        };
        let Some(i) = self.room_index(&name) else {
            return; // left meanwhile
        };
        self.rooms[i].expect.pop_front();
        let wall = self.wall;
        if matches!(
            code,
            ErrorCode::Unavailable | ErrorCode::RateLimited | ErrorCode::Internal
        ) {
            self.rooms[i].rejoin_at = Some(self.now + RETRY_AFTER);
            let text = format!(
                "cannot join #{name} yet ({code}): {why}; retrying in {} s",
                RETRY_AFTER.as_secs()
            );
            self.notice_in(i, wall, text, NoticeKind::Warn);
        } else {
            self.notice_in(
                i,
                wall,
                format!("cannot join #{name} ({code}): {why}"),
                NoticeKind::Warn,
            );
        }
    }

    /// Re-sends, with the same client_id, the messages whose retry is due,
    /// and joins again the rooms whose join could not be taken.
    fn retry_due(&mut self, fx: &mut Vec<Effect>) {
        if self.conn != Conn::Online {
            return;
        }
        let now = self.now;
        let due: Vec<usize> = (0..self.rooms.len())
            .filter(|&i| self.rooms[i].rejoin_at.is_some_and(|at| at <= now))
            .collect();
        for i in due {
            self.send_join(i, fx);
        }
        let now = self.now;
        for p in &mut self.pending {
            let joined = self.rooms.iter().any(|r| r.name == p.room && r.joined);
            if joined && p.retry_at.is_some_and(|at| at <= now) {
                p.retry_at = None;
                fx.push(Effect::Send(message_frame(p)));
            }
        }
    }

    fn resend_pending(&mut self, i: usize, fx: &mut Vec<Effect>) {
        let name = self.rooms[i].name.clone();
        for p in self.pending.iter().filter(|p| p.room == name) {
            fx.push(Effect::Send(message_frame(p)));
        }
    }

    // ------------------------------------------------------------- notices

    /// A local notice in the room on screen.
    fn notice(&mut self, text: impl Into<String>, kind: NoticeKind) {
        let wall = self.wall;
        self.notice_in(self.active, wall, text.into(), kind);
    }

    fn notice_all(&mut self, text: String, kind: NoticeKind) {
        let wall = self.wall;
        for i in 0..self.rooms.len() {
            self.notice_in(i, wall, text.clone(), kind);
        }
    }

    fn notice_in(&mut self, i: usize, time: OffsetDateTime, text: String, kind: NoticeKind) {
        let text = printable(&text);
        let entry = Entry::Notice { time, text, kind };
        let width = usize::from(layout::areas(self.size).messages.width);
        let rows = layout::entry_rows(&entry, &self.user, self.utc_offset, width).len();
        let room = &mut self.rooms[i];
        room.entries.push(entry);
        if room.scroll > 0 {
            room.scroll += rows;
        }
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

fn message_frame(p: &Pending) -> ClientMessage {
    ClientMessage::Message(SendMessage {
        content: p.content.clone(),
        room: Some(p.room.clone()),
        client_id: Some(p.client_id.clone()),
        username: None,
    })
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

#[cfg(test)]
pub(crate) mod tests;
