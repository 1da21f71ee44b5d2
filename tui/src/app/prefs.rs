//! What the user chose (in the config file, or by flags) that the state
//! machine itself needs: the keys ([`Keymap`]), how times are written
//! ([`TimeFormat`]), which signals a mention gives ([`NotifyPrefs`]), and
//! the rooms to join at start besides the one on screen. The defaults are
//! what `sapa` does without a config file.
//!
//! Reading and checking the file is [`crate::config`]'s; colours are the
//! view's ([`crate::view::theme`]), not the state machine's.

use sapa_protocol::RoomName;

use super::bindings::Keymap;
use super::notify::NotifyPrefs;
use super::stamp::TimeFormat;

/// The user's choices, as the state machine uses them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prefs {
    pub keymap: Keymap,
    pub time_format: TimeFormat,
    pub notify: NotifyPrefs,
    /// Joined at start too, after the room on screen.
    pub also_join: Vec<RoomName>,
}
