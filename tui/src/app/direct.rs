//! Direct messages: `/msg USER TEXT` and `/query USER` open (or switch to)
//! the DM view with USER, `dm:` and the two names as the server names the
//! room, listed with the rooms as `@user`. The view is joined like a room,
//! so it gets its history, its read marker and a resume after a reconnect;
//! a DM that arrives for a view not open yet adds it (`reading`'s
//! `add_direct`). Messages typed in a DM view go out with `to`, so a name
//! nobody has is refused with `not_found`.

use sapa_protocol::{Content, RoomName, Username};

use super::rooms::NoticeKind;
use super::{Effect, State};

impl State {
    /// `/msg USER TEXT`.
    pub(super) fn msg_command(&mut self, arg: &str, fx: &mut Vec<Effect>) {
        let (user, text) = match arg.split_once(char::is_whitespace) {
            Some((user, text)) => (user, text.trim_start()),
            None => (arg, ""),
        };
        if user.is_empty() || text.trim().is_empty() {
            self.notice("usage: /msg USER TEXT", NoticeKind::Warn);
            return;
        }
        let Some(peer) = self.peer(user) else {
            return;
        };
        let content = match Content::parse(text.to_owned()) {
            Ok(content) => content,
            Err(e) => {
                self.notice(format!("not sent: {e}"), NoticeKind::Warn);
                return;
            }
        };
        self.open_direct(&peer, fx);
        self.post(content, fx);
    }

    /// `/query USER`.
    pub(super) fn query_command(&mut self, arg: &str, fx: &mut Vec<Effect>) {
        if arg.is_empty() {
            self.notice("usage: /query USER", NoticeKind::Warn);
            return;
        }
        if let Some(peer) = self.peer(arg) {
            self.open_direct(&peer, fx);
        }
    }

    /// The user a command names (`bob` or `@bob`), or a warning.
    fn peer(&mut self, arg: &str) -> Option<Username> {
        match Username::parse(arg.trim_start_matches('@').to_owned()) {
            Ok(peer) => Some(peer),
            Err(e) => {
                self.notice(e.to_string(), NoticeKind::Warn);
                None
            }
        }
    }

    /// Switches to the DM view with `peer`, adding and joining it first
    /// if it is new.
    fn open_direct(&mut self, peer: &Username, fx: &mut Vec<Effect>) {
        let room = RoomName::direct(&self.user, peer);
        self.join(room, fx);
    }
}
