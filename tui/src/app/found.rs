//! `/search` results in an overlay: room, time, name and text of each
//! match, newest first; Up/Down choose, Enter jumps to the message in its
//! room, Esc closes. A jump switches to the room (joining it if needed),
//! loads older pages until the message is held (at most [`JUMP_PAGES`],
//! so the scrollback stays one unbroken run of history), scrolls it to
//! the middle of the pane and marks it.

use sapa_protocol::{MessageView, RoomName, SearchResults};

use super::keys::{Key, KeyCode};
use super::layout;
use super::rooms::{NoticeKind, Older};
use super::{Effect, Screen, State};

/// Older pages a jump loads at most before it gives up (50 messages each).
const JUMP_PAGES: u8 = 20;

/// The overlay's contents.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub q: String,
    pub messages: Vec<MessageView>,
    pub selected: usize,
    /// The server has older matches than these.
    pub has_more: bool,
}

/// A jump to a search result that waits for its room's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jump {
    room: RoomName,
    id: i64,
    pages_left: u8,
}

impl State {
    /// The answer to `/search`: the overlay, or a line saying nothing matched.
    pub(super) fn on_search_results(&mut self, results: SearchResults) {
        if results.messages.is_empty() {
            self.notice(
                format!("no messages match {:?}", results.q.as_str()),
                NoticeKind::System,
            );
            return;
        }
        self.screen = Screen::Search(Box::new(Found {
            q: results.q.as_str().to_owned(),
            messages: results.messages,
            selected: 0,
            has_more: results.has_more,
        }));
    }

    /// A key while the overlay is up.
    pub(super) fn on_search_key(&mut self, key: Key, fx: &mut Vec<Effect>) {
        let Screen::Search(found) = &mut self.screen else {
            return;
        };
        let last = found.messages.len().saturating_sub(1);
        match key.code {
            KeyCode::Up => found.selected = found.selected.saturating_sub(1),
            KeyCode::Down => found.selected = (found.selected + 1).min(last),
            KeyCode::PageUp => found.selected = found.selected.saturating_sub(10),
            KeyCode::PageDown => found.selected = (found.selected + 10).min(last),
            KeyCode::Enter => {
                let view = found.messages[found.selected].clone();
                self.screen = Screen::Chat;
                self.jump_to(view, fx);
            }
            KeyCode::Esc => self.screen = Screen::Chat,
            _ => {}
        }
    }

    fn jump_to(&mut self, view: MessageView, fx: &mut Vec<Effect>) {
        self.join(view.room.clone(), fx);
        self.jump = Some(Jump {
            room: view.room,
            id: view.id,
            pages_left: JUMP_PAGES,
        });
        self.continue_jump(fx);
    }

    /// Moves a waiting jump on: shows the message once its room holds it,
    /// else asks for the page before the oldest held.
    pub(super) fn continue_jump(&mut self, fx: &mut Vec<Effect>) {
        let Some(jump) = self.jump.clone() else {
            return;
        };
        let Some(i) = self.room_index(&jump.room) else {
            self.jump = None; // left meanwhile
            return;
        };
        if i != self.active {
            self.jump = None; // the user went elsewhere
            return;
        }
        if self.rooms[i].holds(jump.id) {
            self.jump = None;
            self.show_marked(jump.id);
            return;
        }
        if !self.rooms[i].is_joined() {
            return; // its history is on the way
        }
        match self.rooms[i].older {
            Older::Fetching | Older::Unknown => {}
            Older::More if jump.pages_left > 0 => {
                self.jump = Some(Jump {
                    pages_left: jump.pages_left - 1,
                    ..jump
                });
                self.fetch_older(fx);
            }
            Older::More | Older::AllShown => {
                self.jump = None;
                self.notice(
                    "that message is too far back to show here (or was deleted)",
                    NoticeKind::Warn,
                );
            }
        }
    }

    /// Scrolls message `id` of the room on screen to the middle of the pane
    /// and marks it.
    fn show_marked(&mut self, id: i64) {
        let h = usize::from(layout::areas(self.size).messages.height);
        let max = self.total_rows().saturating_sub(h);
        let below = self.layout().rows_below(id).unwrap_or(0);
        let room = self.room_mut();
        room.marked = Some(id);
        room.scroll = below.saturating_sub(h / 2).min(max);
    }
}
