//! What each frame from the server does to the state: stored messages
//! (shown once, at their place; the user's own confirm a pending one),
//! presence, notices, and error frames (a refused token, join or message).
//! Welcomes and histories belong to the join's life and are handled in
//! [`super::sync`].

use sapa_protocol::{
    ClientKind, ErrorCode, ErrorFrame, ErrorRef, MessageText, MessageView, ServerMessage, Username,
    WhoPage,
};

use super::notify::{Calling, Reason};
use super::rooms::{Arrival, Entry, NoticeKind, mentions};
use super::{Conn, Effect, RETRY_AFTER, Settled, State};

impl State {
    /// One frame from the server.
    pub(super) fn on_frame(&mut self, frame: ServerMessage, fx: &mut Vec<Effect>) {
        match frame {
            ServerMessage::Welcome(w) => self.on_welcome(w, fx),
            ServerMessage::History(h) => self.on_history(h, fx),
            ServerMessage::Message(view) => {
                let i = match self.room_index(&view.room) {
                    Some(i) => i,
                    // A DM in a conversation not listed yet opens its view.
                    None if view.room.is_direct() && self.reader => {
                        self.add_direct(view.room.clone(), fx)
                    }
                    None => return,
                };
                self.accept(i, view, Arrival::Live, fx);
            }
            ServerMessage::Typing(t) => {
                if let Some(i) = self.room_index(&t.room)
                    && !self.user.same_account(t.username.as_str())
                {
                    self.rooms[i].typers.typing(t.username, self.clock.now);
                }
            }
            ServerMessage::Read(marker) => self.on_read(marker),
            ServerMessage::Presence(p) => {
                if let Some(i) = self.room_index(&p.room) {
                    let room = &mut self.rooms[i];
                    room.users = p.users;
                    room.count = p.count;
                }
            }
            ServerMessage::Who(page) => self.on_who(page),
            ServerMessage::Edited(e) => {
                if let Some(i) = self.room_index(&e.room) {
                    self.rooms[i].change(e.id, |view| {
                        view.content = e.content.into();
                        view.edited_at = Some(e.edited_at);
                    });
                }
            }
            ServerMessage::Deleted(d) => {
                if let Some(i) = self.room_index(&d.room) {
                    self.rooms[i].change(d.id, |view| {
                        view.content = MessageText::erased();
                        view.deleted = true;
                    });
                }
            }
            ServerMessage::SearchResults(results) => self.on_search_results(results),
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
            ServerMessage::Error(e) => self.on_error(e, fx),
            ServerMessage::Pong(_) => {}
        }
    }

    /// A page of a big room's member list, asked for with `/who`.
    fn on_who(&mut self, page: WhoPage) {
        let Some(i) = self.room_index(&page.room) else {
            return;
        };
        let names: Vec<&str> = page.users.iter().map(Username::as_str).collect();
        let more = if page.next.is_some() {
            "; /who for more"
        } else {
            ""
        };
        let text = format!(
            "in #{} ({}): {}{more}",
            page.room,
            self.rooms[i].user_count(),
            names.join(", ")
        );
        self.rooms[i].who_next = page.next;
        let wall = self.clock.wall;
        self.notice_in(i, wall, text, NoticeKind::System);
    }

    fn on_error(&mut self, e: ErrorFrame, fx: &mut Vec<Effect>) {
        if e.code == ErrorCode::Unauthorized && !self.link.authenticated {
            self.link.conn = Conn::Idle;
            fx.push(Effect::AuthRejected);
            return;
        }
        if e.reference == Some(ErrorRef::Frame(ClientKind::Join)) {
            self.join_refused(e.code, &e.content);
            return;
        }
        let refused = e
            .reference
            .as_ref()
            .and_then(ErrorRef::client_id)
            .and_then(|r| self.outbox.position(r));
        let Some(at) = refused else {
            self.notice(format!("{}: {}", e.code, e.content), NoticeKind::Warn);
            return;
        };
        let wall = self.clock.wall;
        match e.code {
            // Sent into a connection that had not re-joined yet: it goes
            // out again after the join's history.
            ErrorCode::NotJoined => {}
            // Nothing was stored: keep it and try again shortly.
            ErrorCode::Unavailable | ErrorCode::RateLimited => {
                self.outbox.retry_at(at, self.clock.now + RETRY_AFTER);
                let room = &self.outbox.get(at).room;
                let i = self.room_index(room).unwrap_or(self.active);
                let text = format!(
                    "not stored yet ({}): {}; retrying in {} s",
                    e.code,
                    e.content,
                    RETRY_AFTER.as_secs()
                );
                self.notice_in(i, wall, text, NoticeKind::Warn);
            }
            code => {
                let p = self.outbox.remove(at);
                let i = self.room_index(&p.room).unwrap_or(self.active);
                self.notice_in(
                    i,
                    wall,
                    format!("not sent ({code}): {} — {}", p.content, e.content),
                    NoticeKind::Warn,
                );
                fx.push(Effect::Settled(Settled::Refused {
                    client_id: p.client_id,
                    code,
                    why: e.content,
                }));
            }
        }
    }

    /// Takes a stored message: confirms a pending one, shows it once at its
    /// place, counts it as new or unread, rings on a mention.
    pub(super) fn accept(
        &mut self,
        i: usize,
        view: MessageView,
        arrival: Arrival,
        fx: &mut Vec<Effect>,
    ) {
        let own = self.user.same_account(view.username.as_str());
        // A confirmed pending line takes the rows its pending form took.
        let mut was_pending = false;
        if let Some(client_id) = view.client_id.as_ref().filter(|_| own)
            && self.outbox.confirm(client_id)
        {
            was_pending = true;
            fx.push(Effect::Settled(Settled::Stored {
                client_id: client_id.clone(),
                id: view.id,
            }));
        }
        let mention = !own && mentions(view.content.as_str(), self.user.as_str());
        let rows = self.rows_of(&Entry::Message {
            view: view.clone(),
            mention,
        });
        let active = i == self.active;
        // A DM calls unless its view is the one being looked at.
        let looked_at = active && self.attention.focused && self.rooms[i].scroll == 0;
        let direct = self.rooms[i].is_direct() && !looked_at;
        let calling = (arrival == Arrival::Live)
            .then(|| Self::attention_for(own, mention, direct))
            .flatten()
            .map(|reason| (reason, view.username.to_string(), view.content.to_string()));
        let (id, author, deleted) = (view.id, view.username.clone(), view.deleted);
        if self.rooms[i].insert(view, mention).is_none() {
            return; // already shown
        }
        let room = &mut self.rooms[i];
        if arrival == Arrival::Live {
            room.typers.stopped(author.as_str());
        }
        // Read on screen or not, `reading` decides after the update.
        if !own && !deleted && room.read.count(id) {
            room.unread += 1;
        }
        if arrival == Arrival::Backfill {
            return; // older messages land above the view
        }
        if active && room.scroll > 0 {
            // New rows below the view: scroll with them so it stays still.
            if !was_pending {
                room.scroll += rows;
            }
            if !own {
                room.unseen += 1;
            }
        }
        if let Some((reason, from, text)) = calling {
            let name = self.rooms[i].name.clone();
            let msg = Calling {
                reason,
                room: &name,
                from: &from,
                text: &text,
            };
            let now = self.clock.now;
            fx.extend(self.attention.call(now, self.prefs.notify, msg));
        }
    }

    /// Whether a message calls for the user's attention, and why: never
    /// their own; a DM in a view not looked at; a mention.
    fn attention_for(own: bool, mention: bool, direct: bool) -> Option<Reason> {
        match (own, direct, mention) {
            (true, _, _) => None,
            (false, true, _) => Some(Reason::Direct),
            (false, false, true) => Some(Reason::Mention),
            (false, false, false) => None,
        }
    }
}
