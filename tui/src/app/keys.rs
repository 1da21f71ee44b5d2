//! What the user presses and turns, in the state machine's own words: a
//! [`Key`] and a [`Wheel`] notch.
//!
//! The terminal library's event types stop at [`crate::run::terminal`],
//! which converts them into these; nothing under `app/` names a crossterm
//! or ratatui type, so the state machine builds and is tested without a
//! terminal. Which key does what is [`super::keymap`].

/// A key press (releases never reach the state machine), with the
/// modifiers the keymap tells apart. Shift is not among them: it arrives
/// already applied, as `'A'` instead of `'a'`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    /// The key with no modifier held.
    pub const fn plain(code: KeyCode) -> Self {
        Self {
            code,
            ctrl: false,
            alt: false,
        }
    }

    /// The key with Ctrl held.
    pub const fn ctrl(code: KeyCode) -> Self {
        Self {
            code,
            ctrl: true,
            alt: false,
        }
    }
}

/// Which key. Only the keys sapa can bind are named; the rest are
/// [`KeyCode::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyCode {
    Char(char),
    Enter,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Esc,
    Left,
    Right,
    Up,
    Down,
    Home,
    End,
    PageUp,
    PageDown,
    /// A function key, `F(1)` for F1.
    F(u8),
    /// A key sapa binds nothing to (Insert, media keys, ...). It is still a
    /// key press: it closes the help overlay and ends a Tab completion.
    Other,
}

/// One notch of the mouse wheel; other mouse events mean nothing to sapa.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wheel {
    Up,
    Down,
}
