//! Draws a [`State`] with ratatui, and does nothing else: no state changes,
//! no I/O. The chat screen (`chat`) is a status line, the messages pane
//! (with the users pane beside it on wide terminals), a rule that carries
//! scroll hints, and the input line; the login screen (`login`), the
//! help overlay (`help`) and the search results (`search`) sit on top. Where each part goes is decided by
//! [`crate::app::layout`], which the state machine reads too; this module
//! only turns its areas into ratatui rectangles. How each part looks is
//! the [`Theme`]'s ([`theme`]).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;

use crate::app::layout::Area;
use crate::app::{Screen, State};

mod chat;
mod help;
mod login;
mod search;
mod side;
pub mod theme;

pub use theme::Theme;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod theme_tests;

/// The stable colour of a name in the default (dark) theme.
pub fn name_color(name: &str) -> Color {
    Theme::dark().name_color(name).unwrap_or(Color::Reset)
}

/// Draws the whole screen in `theme`'s looks.
pub fn draw(frame: &mut Frame<'_>, state: &State, theme: &Theme) {
    let area = frame.area();
    match &state.screen {
        Screen::Login(form) => login::draw(frame, area, state, form, theme),
        Screen::Chat => chat::draw(frame, area, state, theme),
        Screen::Help => {
            chat::draw(frame, area, state, theme);
            help::draw(frame, area, theme, &state.prefs.keymap);
        }
        Screen::Search(found) => {
            chat::draw(frame, area, state, theme);
            search::draw(frame, area, state, found, theme);
        }
    }
}

/// The screen area `a` (laid out from the terminal's top left corner) inside
/// the frame's `area`.
fn rect(area: Rect, a: Area) -> Rect {
    Rect::new(area.x + a.x, area.y + a.y, a.width, a.height)
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}
