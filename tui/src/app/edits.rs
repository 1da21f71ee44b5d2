//! Correcting and taking back one's own messages, and searching: Up on an
//! empty line (or `/edit` alone) puts the user's last message in this room
//! into the composer, which says "editing" until Enter sends the new text
//! or Esc drops it; `/edit TEXT` and `/delete` act on that same message at
//! once; `/search WORDS` asks the server. The server's `edited` and
//! `deleted` frames, not these requests, change what the room shows (see
//! `frames`), so every device shows the same thing.

use sapa_protocol::{
    ClientMessage, Content, DeleteRequest, EditRequest, MessageView, SearchQuery, SearchRequest,
};

use super::rooms::NoticeKind;
use super::{Effect, State};

/// The message the composer is editing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Editing {
    pub id: i64,
}

impl State {
    /// The user's newest message in the room on screen that can still be
    /// changed (stored, not deleted).
    fn own_last(&self) -> Option<&MessageView> {
        let me = &self.user;
        self.room()
            .messages()
            .filter(|m| !m.deleted && me.same_account(m.username.as_str()))
            .last()
    }

    /// Puts the user's last message here into the composer for editing;
    /// whether there was one.
    pub(super) fn start_editing(&mut self) -> bool {
        let Some((id, text)) = self
            .own_last()
            .map(|m| (m.id, m.content.as_str().to_owned()))
        else {
            return false;
        };
        self.input.clear();
        self.input.insert_str(&text);
        self.editing = Some(Editing { id });
        true
    }

    /// Esc, or Up while editing: the composer is empty and sends again.
    pub(super) fn cancel_editing(&mut self) -> bool {
        if self.editing.take().is_none() {
            return false;
        }
        self.input.clear();
        true
    }

    /// Enter while editing: the composer's text replaces the message's.
    pub(super) fn submit_edit(&mut self, editing: Editing, fx: &mut Vec<Effect>) {
        let text = self.input.text().to_owned();
        match Content::parse(text) {
            Ok(content) => {
                self.input.clear();
                self.edit(editing.id, content, fx);
            }
            Err(_) => {
                // Kept: an empty edit is a mistake, not a delete.
                self.editing = Some(editing);
                self.notice(
                    "an edit cannot be empty; Esc keeps the message, /delete removes it",
                    NoticeKind::Warn,
                );
            }
        }
    }

    fn edit(&mut self, id: i64, content: Content, fx: &mut Vec<Effect>) {
        let unchanged = self
            .room()
            .messages()
            .any(|m| m.id == id && m.content.as_str() == content.as_str());
        if !unchanged {
            fx.push(Effect::Send(ClientMessage::Edit(EditRequest {
                id,
                content,
            })));
        }
    }

    /// `/edit` alone starts editing; `/edit TEXT` replaces the last message.
    pub(super) fn edit_command(&mut self, arg: &str, fx: &mut Vec<Effect>) {
        let room = self.room().name.clone();
        if arg.is_empty() {
            if !self.start_editing() {
                self.notice(
                    format!("nothing of yours to edit in #{room}"),
                    NoticeKind::Warn,
                );
            }
            return;
        }
        let Some(id) = self.own_last().map(|m| m.id) else {
            self.notice(
                format!("nothing of yours to edit in #{room}"),
                NoticeKind::Warn,
            );
            return;
        };
        match Content::parse(arg.to_owned()) {
            Ok(content) => self.edit(id, content, fx),
            Err(e) => self.notice(e.to_string(), NoticeKind::Warn),
        }
    }

    /// `/delete`: the user's last message here is erased for everyone.
    pub(super) fn delete_command(&mut self, fx: &mut Vec<Effect>) {
        match self.own_last().map(|m| m.id) {
            Some(id) => {
                if self.editing.is_some_and(|e| e.id == id) {
                    self.cancel_editing();
                }
                fx.push(Effect::Send(ClientMessage::Delete(DeleteRequest { id })));
            }
            None => {
                let room = self.room().name.clone();
                self.notice(
                    format!("nothing of yours to delete in #{room}"),
                    NoticeKind::Warn,
                );
            }
        }
    }

    /// `/search WORDS`: every readable room, newest first.
    pub(super) fn search_command(&mut self, arg: &str, fx: &mut Vec<Effect>) {
        match SearchQuery::parse(arg.to_owned()) {
            Ok(q) => fx.push(Effect::Send(ClientMessage::Search(SearchRequest {
                q,
                room: None,
                before_id: None,
                limit: None,
            }))),
            Err(_) if arg.trim().is_empty() => {
                self.notice("usage: /search WORDS", NoticeKind::Warn)
            }
            Err(e) => self.notice(e.to_string(), NoticeKind::Warn),
        }
    }
}
