//! Draws a [`State`] with ratatui, and does nothing else: no state changes,
//! no I/O. The chat screen (`chat`) is a status line, the messages pane
//! (with the users pane beside it on wide terminals), a rule that carries
//! scroll hints, and the input line; the login screen (`login`) and the
//! help overlay (`help`) sit on top. Where each part goes is decided by
//! [`crate::app::layout`], which the state machine reads too; this module
//! only turns its areas into ratatui rectangles.

use std::hash::{Hash, Hasher};

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;

use crate::app::layout::Area;
use crate::app::{Screen, State};

mod chat;
mod help;
mod login;

#[cfg(test)]
mod tests;

/// Names get one of these, always the same one for the same name.
const PALETTE: [Color; 10] = [
    Color::Red,
    Color::Green,
    Color::Yellow,
    Color::Blue,
    Color::Magenta,
    Color::Cyan,
    Color::LightRed,
    Color::LightGreen,
    Color::LightBlue,
    Color::LightMagenta,
];

/// The stable colour of a name (case-insensitive, FNV-1a based so it does
/// not change between runs or builds).
pub fn name_color(name: &str) -> Color {
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    name.to_ascii_lowercase().hash(&mut h);
    PALETTE[(h.finish() % PALETTE.len() as u64) as usize]
}

struct Fnv(u64);
impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame<'_>, state: &State) {
    let area = frame.area();
    match &state.screen {
        Screen::Login(form) => login::draw(frame, area, state, form),
        Screen::Chat => chat::draw(frame, area, state),
        Screen::Help => {
            chat::draw(frame, area, state);
            help::draw(frame, area);
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
