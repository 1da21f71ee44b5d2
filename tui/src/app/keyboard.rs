//! What a key does on each screen: the login form takes its own keys, any
//! key closes the help overlay, and on the chat screen the keymap (with the
//! user's bindings) decides; a key bound to nothing types its character.
//! Typing text also tells the room the user is typing (see `typing`).

use sapa_protocol::{ClientMessage, TypingRequest};

use super::keymap::{Action, LITERAL_SLASH, Scope};
use super::keys::{Key, KeyCode};
use super::{Effect, Screen, State};

impl State {
    pub(super) fn on_key(&mut self, key: Key, fx: &mut Vec<Effect>) {
        if self.prefs.keymap.action(Scope::Everywhere, key) == Some(Action::Quit) {
            self.quit = true;
            fx.push(Effect::Quit);
            return;
        }
        match &mut self.screen {
            Screen::Login(form) => {
                if let Some((username, password)) = form.on_key(key) {
                    fx.push(Effect::Login { username, password });
                }
            }
            // Any key closes the overlay, and does nothing else.
            Screen::Help => self.screen = Screen::Chat,
            Screen::Chat => self.on_chat_key(key, fx),
            Screen::Search(_) => self.on_search_key(key, fx),
        }
    }

    fn on_chat_key(&mut self, key: Key, fx: &mut Vec<Effect>) {
        let action = self.prefs.keymap.action(Scope::Chat, key);
        if action != Some(Action::Complete) {
            self.completion = None;
        }
        let Some(action) = action else {
            if let KeyCode::Char(c) = key.code
                && !key.ctrl
                && !key.alt
            {
                self.input.insert_char(c);
                self.typed(fx);
            }
            return;
        };
        match action {
            Action::Help => self.screen = Screen::Help,
            Action::Submit => self.submit(fx),
            Action::PageUp => self.scroll_up(self.page(), fx),
            Action::PageDown => self.scroll_down(self.page()),
            Action::JumpNewest => self.jump_newest(),
            Action::EndOrNewest if self.input.at_end() => self.jump_newest(),
            Action::EndOrNewest => self.input.end(),
            Action::RecallPrev
                if self.input.is_empty() && self.editing.is_none() && self.start_editing() => {}
            Action::RecallPrev => {
                self.cancel_editing();
                self.input.recall_prev();
            }
            Action::CancelEdit => {
                self.cancel_editing();
            }
            Action::RecallNext => {
                self.input.recall_next();
            }
            Action::Edit(edit) => self.input.edit(edit),
            Action::NextRoom => self.switch_to((self.active + 1) % self.rooms.len()),
            Action::PrevRoom => {
                self.switch_to((self.active + self.rooms.len() - 1) % self.rooms.len());
            }
            Action::Complete => self.complete(),
            Action::Quit | Action::SwitchField | Action::SignIn | Action::DismissError => {}
        }
    }

    /// Text was typed into the line: the room hears that the user is
    /// typing (at most every two seconds), unless the line is a command or
    /// an edit.
    pub(super) fn typed(&mut self, fx: &mut Vec<Effect>) {
        let line = self.input.text();
        let command = line.starts_with('/') && !line.starts_with(LITERAL_SLASH);
        if command || self.editing.is_some() || !self.link.is_online() {
            return;
        }
        let room = &self.rooms[self.active];
        if !room.is_joined() || !self.typist.keystroke(&room.name, self.clock.now) {
            return;
        }
        fx.push(Effect::Send(ClientMessage::Typing(TypingRequest {
            room: Some(room.name.clone()),
        })));
    }
}
