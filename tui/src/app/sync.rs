//! Join and resume bookkeeping: what the state machine does when the
//! connection comes and goes, when a join is welcomed and its history
//! arrives, when a join is refused, and when a timer says to try again.
//!
//! Each room's place in this is its [`SyncState`]; what it knows of older
//! history is its [`Older`]. A connection that comes up joins every room,
//! resuming after the newest id the room holds; a resume cut short
//! (`has_more`) asks again from where it ended; the welcome line shows
//! after the history, and the user's pending messages go out again once
//! the history is in (the server stores a client_id once, so a message
//! that did get stored is not stored twice).

use sapa_protocol::{
    ClientMessage, ErrorCode, History, HistoryRequest, Join, PageLimit, RoomName, Welcome,
};

use super::pending::Pending;
use super::rooms::{Arrival, Greeting, NoticeKind, Older, SyncState};
use super::{Conn, Effect, NetEvent, OLDER_PAGE, RETRY_AFTER, State};

/// What a `history` frame for a room answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    /// The newest page, after a join without since_id.
    First,
    /// The replay after since_id, after a re-join.
    Resume,
    /// A page of older messages.
    Older,
}

impl State {
    /// The connection came, went, measured its round trip, or brought a
    /// frame.
    pub(super) fn on_net(&mut self, event: NetEvent, fx: &mut Vec<Effect>) {
        match event {
            NetEvent::Connecting { attempt } => self.link.conn = Conn::Connecting { attempt },
            NetEvent::Connected => {
                self.link.conn = Conn::Online;
                self.link.authenticated = false;
                self.link.joins_in_flight.clear();
                for i in 0..self.rooms.len() {
                    self.send_join(i, fx);
                }
            }
            NetEvent::Disconnected {
                reason,
                retry_at,
                attempt,
            } => {
                let was_up = self.link.is_online();
                self.link.conn = Conn::Offline {
                    reason: reason.clone(),
                    retry_at,
                    attempt,
                };
                self.link.rtt = None;
                self.link.authenticated = false;
                self.link.joins_in_flight.clear();
                for room in &mut self.rooms {
                    room.sync = SyncState::NotJoined;
                    if room.older == Older::Fetching {
                        room.older = Older::More;
                    }
                }
                if was_up {
                    self.link.lost = true;
                    self.notice_all(format!("connection lost: {reason}"), NoticeKind::Warn);
                }
            }
            NetEvent::Rtt(rtt) => self.link.rtt = Some(rtt),
            NetEvent::Frame(frame) => self.on_frame(frame, fx),
        }
    }

    /// Joins room `i`, resuming after the newest message it holds.
    pub(super) fn send_join(&mut self, i: usize, fx: &mut Vec<Effect>) {
        self.link
            .joins_in_flight
            .push_back(self.rooms[i].name.clone());
        let room = &mut self.rooms[i];
        let since = room.last_id;
        room.sync = match std::mem::replace(&mut room.sync, SyncState::NotJoined) {
            // Welcomed already: asking for the rest of a replay cut short.
            SyncState::Welcomed { greeting, .. } => SyncState::Welcomed { since, greeting },
            _ => SyncState::Joining { since },
        };
        fx.push(Effect::Send(ClientMessage::Join(Join {
            username: Some(self.user.clone()),
            password: None,
            token: None,
            room: Some(room.name.clone()),
            since_id: since,
            announce: (!self.announce).then_some(false),
        })));
    }

    /// A join was welcomed: the room takes messages; its greeting waits
    /// for the history that follows. The first welcome of a connection
    /// asks for the unread counts of every room and DM.
    pub(super) fn on_welcome(&mut self, w: Welcome, fx: &mut Vec<Effect>) {
        if !self.link.authenticated && self.reader {
            fx.push(Effect::FetchConversations);
        }
        self.link.authenticated = true;
        self.limits = Some(w.limits);
        if let Some(at) = self.link.joins_in_flight.iter().position(|r| r == &w.room) {
            self.link.joins_in_flight.remove(at);
        }
        let Some(i) = self.room_index(&w.room) else {
            return;
        };
        if w.username.same_account(self.user.as_str()) {
            // The server's spelling of the name.
            self.user = w.username.clone();
        }
        self.marker_stored(i, w.read_up_to);
        let lost = self.link.lost;
        let room = &mut self.rooms[i];
        let (since, carried) = match std::mem::replace(&mut room.sync, SyncState::NotJoined) {
            SyncState::Joining { since } => (since, None),
            SyncState::Welcomed { since, greeting } => (since, greeting),
            // A welcome nobody asked for changes nothing.
            other => {
                room.sync = other;
                return;
            }
        };
        // Shown after the history that follows, so it reads in order.
        let greeting = if !room.loaded() {
            Some(Greeting {
                time: w.timestamp,
                text: w.content,
            })
        } else if lost {
            Some(Greeting {
                time: w.timestamp,
                text: "reconnected".into(),
            })
        } else {
            carried
        };
        room.sync = SyncState::Welcomed { since, greeting };
        if self.rooms.iter().all(|r| r.is_joined()) {
            self.link.lost = false;
        }
    }

    /// A page of history: the answer to the room's join (then the room is
    /// live, greeted, and its pending messages go out again), or an older
    /// page.
    pub(super) fn on_history(&mut self, h: History, fx: &mut Vec<Effect>) {
        let Some(i) = self.room_index(&h.room) else {
            return;
        };
        let page = match self.rooms[i].sync.awaiting_history() {
            Some(Some(_)) => Page::Resume,
            Some(None) => Page::First,
            None => Page::Older,
        };
        let arrival = match page {
            Page::Resume => Arrival::Resumed,
            Page::First | Page::Older => Arrival::Backfill,
        };
        for view in h.messages {
            self.accept(i, view, arrival, fx);
        }
        let room = &mut self.rooms[i];
        match page {
            Page::First | Page::Older => room.older = Older::after_page(h.has_more),
            Page::Resume => {
                if room.older == Older::Unknown {
                    room.older = Older::AllShown;
                }
                if h.has_more {
                    // More was missed than one replay holds: ask again
                    // from where this one ended.
                    self.send_join(i, fx);
                    return;
                }
            }
        }
        if page != Page::Older {
            let greeting = match std::mem::replace(&mut room.sync, SyncState::Live) {
                SyncState::Welcomed { greeting, .. } => greeting,
                _ => None,
            };
            if let Some(Greeting { time, text }) = greeting {
                self.notice_in(i, time, text, NoticeKind::System);
                if let Some(note) = self.after_welcome.take() {
                    self.notice_in(i, time, note, NoticeKind::System);
                }
            }
            let name = self.rooms[i].name.clone();
            fx.extend(
                self.outbox
                    .in_room(&name)
                    .map(Pending::frame)
                    .map(Effect::Send),
            );
        }
        if i == self.active {
            if page == Page::First {
                // The room opens now that its messages are in.
                self.open_divider(i);
            }
            self.fill_screen(fx);
        }
        self.continue_jump(fx);
    }

    /// The server refused the oldest unanswered join: retry it later if
    /// the refusal was temporary, else say why.
    pub(super) fn join_refused(&mut self, code: ErrorCode, why: &str) {
        let Some(name) = self.link.joins_in_flight.pop_front() else {
            self.notice(format!("{code}: {why}"), NoticeKind::Warn);
            return;
        };
        let Some(i) = self.room_index(&name) else {
            return; // left meanwhile
        };
        let wall = self.clock.wall;
        if matches!(
            code,
            ErrorCode::Unavailable | ErrorCode::RateLimited | ErrorCode::Internal
        ) {
            self.rooms[i].sync = SyncState::RetryAt(self.clock.now + RETRY_AFTER);
            let text = format!(
                "cannot join #{name} yet ({code}): {why}; retrying in {} s",
                RETRY_AFTER.as_secs()
            );
            self.notice_in(i, wall, text, NoticeKind::Warn);
        } else {
            self.rooms[i].sync = SyncState::NotJoined;
            self.notice_in(
                i,
                wall,
                format!("cannot join #{name} ({code}): {why}"),
                NoticeKind::Warn,
            );
        }
    }

    /// Joins again the rooms whose join could not be taken, and re-sends,
    /// with the same client_id, the messages whose retry is due.
    pub(super) fn retry_due(&mut self, fx: &mut Vec<Effect>) {
        if !self.link.is_online() {
            return;
        }
        let now = self.clock.now;
        let due: Vec<usize> = (0..self.rooms.len())
            .filter(|&i| matches!(self.rooms[i].sync, SyncState::RetryAt(at) if at <= now))
            .collect();
        for i in due {
            self.send_join(i, fx);
        }
        let rooms = &self.rooms;
        let joined = |name: &RoomName| rooms.iter().any(|r| &r.name == name && r.is_joined());
        fx.extend(self.outbox.due(now, joined).into_iter().map(Effect::Send));
    }

    /// Asks for a page of messages older than the oldest shown, one page
    /// at a time, once the room is live.
    pub(super) fn fetch_older(&mut self, fx: &mut Vec<Effect>) {
        let online = self.link.is_online();
        let room = self.room_mut();
        if !online || room.sync != SyncState::Live || room.older != Older::More {
            return;
        }
        let Some(before) = room.oldest_id else {
            return;
        };
        room.older = Older::Fetching;
        fx.push(Effect::Send(ClientMessage::History(HistoryRequest {
            room: Some(room.name.clone()),
            before_id: Some(before),
            limit: PageLimit::parse(i64::from(OLDER_PAGE)).ok(),
        })));
    }
}
