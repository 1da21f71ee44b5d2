//! What Enter does with the line: a `/command` runs (the table of commands
//! is [`super::keymap::COMMANDS`]), anything else is sent as a message to
//! the room on screen. Also Tab completion (names in the room, or a
//! command at the start of the line) and switching, joining and leaving
//! rooms.

use sapa_protocol::{ClientMessage, Content, Leave, RoomName, Username, WhoRequest};

use super::composer::{self, Budget};
use super::editor::Completion;
use super::keymap::{self, Command, LITERAL_SLASH};
use super::rooms::{NoticeKind, Room};
use super::{Effect, Screen, State};

impl State {
    /// Enter on the chat screen.
    pub(super) fn submit(&mut self, fx: &mut Vec<Effect>) {
        if let Budget::Over(over) = composer::budget(self.input.text(), self.limits.as_ref()) {
            // Refused here, before the server would: the line stays to be cut.
            let max = self.limits.map_or(0, |l| l.max_content_chars);
            let s = if over == 1 { "" } else { "s" };
            self.notice(
                format!(
                    "not sent: {over} character{s} over the server's limit of {max}; \
                     the line is still in the composer"
                ),
                NoticeKind::Warn,
            );
            return;
        }
        if let Some(editing) = self.editing.take() {
            self.submit_edit(editing, fx);
            return;
        }
        let line = self.input.submit();
        if line.trim().is_empty() {
            return;
        }
        if let Some(text) = line.strip_prefix(LITERAL_SLASH) {
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
        let Some(command) = keymap::command(name) else {
            self.notice(
                format!("unknown command /{name}; /help lists the commands"),
                NoticeKind::Warn,
            );
            return;
        };
        match command {
            Command::Join => {
                // Room names are lowercase; `/join #Rust` means #rust.
                let raw = arg.trim_start_matches('#');
                match RoomName::parse(raw.to_lowercase()) {
                    Ok(room) => self.join(room, fx),
                    Err(_) if raw.is_empty() => self.notice("usage: /join ROOM", NoticeKind::Warn),
                    Err(e) => self.notice(e.to_string(), NoticeKind::Warn),
                }
            }
            Command::Msg => self.msg_command(arg, fx),
            Command::Query => self.query_command(arg, fx),
            Command::Leave => self.leave(fx),
            Command::Who if self.room().count.is_some() => {
                // A big room: the server pages its list.
                let room = self.room();
                fx.push(Effect::Send(ClientMessage::Who(WhoRequest {
                    room: Some(room.name.clone()),
                    after: room.who_next.clone(),
                })));
            }
            Command::Who => {
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
            Command::Rooms => {
                let joined = self
                    .rooms
                    .iter()
                    .map(|r| r.label(&self.user))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.notice(format!("joined: {joined}"), NoticeKind::System);
                fx.push(Effect::ListRooms);
            }
            Command::Edit => self.edit_command(arg, fx),
            Command::Delete => self.delete_command(fx),
            Command::Search => self.search_command(arg, fx),
            Command::Joins => {
                self.show_comings = !self.show_comings;
                let what = if self.show_comings {
                    "showing every join and leave; /joins folds them again"
                } else {
                    "folding runs of joins and leaves; /joins shows them all"
                };
                self.notice(what, NoticeKind::System);
            }
            Command::Help => self.screen = Screen::Help,
            Command::Quit => {
                self.quit = true;
                fx.push(Effect::Quit);
            }
        }
    }

    /// Tab: completes the word before the cursor to a name in the room (or
    /// a command at the start of the line); Tab again shows the next match.
    pub(super) fn complete(&mut self) {
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
            keymap::completions().collect()
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

    pub(super) fn join(&mut self, room: RoomName, fx: &mut Vec<Effect>) {
        if let Some(i) = self.room_index(&room) {
            self.switch_to(i);
            return;
        }
        self.rooms.push(Room::new(room));
        let i = self.rooms.len() - 1;
        self.switch_to(i);
        if self.link.is_online() && self.link.authenticated {
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
        self.outbox.forget_room(&room.name);
        if self.link.is_online() {
            fx.push(Effect::Send(ClientMessage::Leave(Leave {
                room: Some(room.name.clone()),
            })));
        }
        let next = self.active.min(self.rooms.len() - 1);
        self.switch_to(next);
        self.notice(format!("left #{}", room.name), NoticeKind::System);
    }

    /// Shows room `index`, with the "new" divider at its read marker; the
    /// room left behind drops its divider.
    pub(super) fn switch_to(&mut self, index: usize) {
        if let Some(room) = self.rooms.get_mut(self.active) {
            room.read.divider = None;
        }
        self.active = index;
        self.open_divider(index);
    }

    fn send_text(&mut self, text: String, fx: &mut Vec<Effect>) {
        match Content::parse(text) {
            Ok(content) => self.post(content, fx),
            Err(e) => self.notice(format!("not sent: {e}"), NoticeKind::Warn),
        }
    }

    /// Queues a message for the room on screen under a new client_id; it
    /// goes out now if the room takes messages, else once it does.
    pub(super) fn post(&mut self, content: Content, fx: &mut Vec<Effect>) {
        let room = self.room().name.clone();
        // A DM needs no join: the server takes it on any connection.
        let takes = self.room().is_joined() || (room.is_direct() && self.link.authenticated);
        let now = self.link.is_online() && takes;
        let to = room
            .peer_of(&self.user)
            .and_then(|peer| Username::parse(peer.to_owned()).ok());
        self.typist.sent();
        let Some(pending) = self.outbox.queue(room, to, content) else {
            self.notice("not sent: bad client id", NoticeKind::Warn);
            return;
        };
        if now {
            fx.push(Effect::Send(pending.frame()));
        }
        self.jump_newest();
    }
}
