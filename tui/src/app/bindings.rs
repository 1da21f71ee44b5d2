//! The keys in force: the keymap's table ([`super::keymap::KEYMAP`]) with
//! a config file's changes on top, as the state machine dispatches them
//! ([`Keymap`]), and the words a config file uses for actions
//! (`next_room`) and keys (`ctrl-n`, `alt-left`, `f2`).
//!
//! A config file names an action and the keys it should have; those keys
//! replace the action's default keys, and are taken from whatever else they
//! did by default, so one key does one thing. The login screen's keys are
//! not rebindable: it is the screen that must always work.
//!
//! What the defaults are and how the listings word them is
//! [`super::keymap`]; reading the file is [`crate::config`].

use super::keymap::{Action, Chord, Edit, KEYMAP, Scope, lookup};
use super::keys::{Key, KeyCode};

/// Every action a config file can bind, by the name it uses there.
pub const ACTIONS: &[(&str, Action)] = &[
    ("quit", Action::Quit),
    ("submit", Action::Submit),
    ("page_up", Action::PageUp),
    ("page_down", Action::PageDown),
    ("jump_newest", Action::JumpNewest),
    ("end_or_newest", Action::EndOrNewest),
    ("recall_prev", Action::RecallPrev),
    ("recall_next", Action::RecallNext),
    ("cancel_edit", Action::CancelEdit),
    ("complete", Action::Complete),
    ("next_room", Action::NextRoom),
    ("prev_room", Action::PrevRoom),
    ("help", Action::Help),
    ("cursor_left", Action::Edit(Edit::Left)),
    ("cursor_right", Action::Edit(Edit::Right)),
    ("line_start", Action::Edit(Edit::Home)),
    ("line_end", Action::Edit(Edit::End)),
    ("delete_back", Action::Edit(Edit::Backspace)),
    ("delete_forward", Action::Edit(Edit::Delete)),
    ("delete_word_back", Action::Edit(Edit::DeleteWordBack)),
    ("kill_to_start", Action::Edit(Edit::KillToStart)),
    ("kill_to_end", Action::Edit(Edit::KillToEnd)),
];

/// The action a config file calls `name`.
pub fn action_named(name: &str) -> Result<Action, String> {
    ACTIONS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, a)| *a)
        .ok_or_else(|| {
            let names: Vec<&str> = ACTIONS.iter().map(|(n, _)| *n).collect();
            format!("no action called {name:?}; actions: {}", names.join(", "))
        })
}

/// The name a config file uses for `action` (`None`: not rebindable).
pub fn action_name(action: Action) -> Option<&'static str> {
    ACTIONS.iter().find(|(_, a)| *a == action).map(|(n, _)| *n)
}

/// Where an action's keys work: quitting everywhere, the rest on the chat
/// screen.
fn scope_of(action: Action) -> Scope {
    if action == Action::Quit {
        Scope::Everywhere
    } else {
        Scope::Chat
    }
}

const NAMED_KEYS: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("esc", KeyCode::Esc),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("space", KeyCode::Char(' ')),
];

/// Other spellings people write for the same keys.
const ALIASES: &[(&str, &str)] = &[
    ("return", "enter"),
    ("shift-tab", "backtab"),
    ("del", "delete"),
    ("escape", "esc"),
    ("pgup", "pageup"),
    ("pgdn", "pagedown"),
    ("pgdown", "pagedown"),
];

/// Reads a key as a config file writes it: modifiers `ctrl-` and `alt-`
/// (case does not matter), then a key name (`enter`, `pgup`, `f2`, ...) or
/// one character. A plain character is refused: it would no longer type.
pub fn parse_chord(text: &str) -> Result<Chord, String> {
    let mut rest = text.trim();
    let (mut ctrl, mut alt) = (false, false);
    loop {
        let lower = rest.to_ascii_lowercase();
        if rest.chars().count() > 1 && (lower.starts_with("ctrl-") || lower.starts_with("ctrl+")) {
            ctrl = true;
            rest = &rest[5..];
        } else if rest.chars().count() > 1
            && (lower.starts_with("alt-") || lower.starts_with("alt+"))
        {
            alt = true;
            rest = &rest[4..];
        } else {
            break;
        }
    }
    let lower = rest.to_ascii_lowercase();
    let name = ALIASES
        .iter()
        .find(|(alias, _)| *alias == lower)
        .map_or(lower.as_str(), |(_, name)| name);
    let code = if let Some((_, code)) = NAMED_KEYS.iter().find(|(n, _)| *n == name) {
        *code
    } else if let Some(n) = name.strip_prefix('f').and_then(|n| n.parse::<u8>().ok())
        && (1..=24).contains(&n)
    {
        KeyCode::F(n)
    } else {
        let mut chars = rest.chars();
        match (chars.next(), chars.next()) {
            // Ctrl-Shift-N arrives as Ctrl-N on most terminals.
            (Some(c), None) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
            (Some(c), None) => KeyCode::Char(c),
            _ => return Err(format!("no key called {text:?}")),
        }
    };
    if let KeyCode::Char(c) = code
        && !ctrl
        && !alt
    {
        return Err(format!(
            "{c:?} alone types itself; bind it with ctrl- or alt-"
        ));
    }
    Ok(Chord { code, ctrl, alt })
}

/// A chord as the listings write it: `Ctrl-N`, `Alt-Left`, `F2`.
pub fn chord_label(chord: Chord) -> String {
    let key = match chord.code {
        KeyCode::Char(' ') => "Space".to_owned(),
        KeyCode::Char(c) if chord.ctrl => c.to_ascii_uppercase().to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::F(n) => format!("F{n}"),
        KeyCode::PageUp => "PgUp".to_owned(),
        KeyCode::PageDown => "PgDn".to_owned(),
        KeyCode::BackTab => "Shift-Tab".to_owned(),
        KeyCode::Other => "?".to_owned(),
        code => format!("{code:?}"),
    };
    let ctrl = if chord.ctrl { "Ctrl-" } else { "" };
    let alt = if chord.alt { "Alt-" } else { "" };
    format!("{ctrl}{alt}{key}")
}

/// An action the config file gave other keys, and those keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebound {
    pub action: Action,
    pub keys: Vec<Chord>,
}

/// The bindings in force: the table's, with [`Keymap::rebind`]'s changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    rows: Vec<(Scope, Chord, Action)>,
    rebound: Vec<Rebound>,
}

impl Default for Keymap {
    /// The keymap table as it is.
    fn default() -> Self {
        let rows = KEYMAP
            .iter()
            .flat_map(|b| {
                b.keys
                    .iter()
                    .map(|(chord, action)| (b.scope, *chord, *action))
            })
            .collect();
        Self {
            rows,
            rebound: Vec::new(),
        }
    }
}

impl Keymap {
    /// Gives `action` exactly `keys` (none unbinds it), taking those keys
    /// from whatever else they did on the chat screen.
    pub fn rebind(&mut self, action: Action, keys: Vec<Chord>) {
        let scope = scope_of(action);
        let movable = |s: Scope| matches!(s, Scope::Chat | Scope::Everywhere);
        self.rows
            .retain(|(s, chord, a)| !(movable(*s) && (*a == action || keys.contains(chord))));
        for chord in keys.iter().rev() {
            self.rows.insert(0, (scope, *chord, action));
        }
        self.rebound.retain(|r| r.action != action);
        self.rebound.push(Rebound { action, keys });
    }

    /// What `key` does in `scope` (not counting [`Scope::Everywhere`],
    /// which the caller asks first), if anything.
    pub fn action(&self, scope: Scope, key: Key) -> Option<Action> {
        let rows = self
            .rows
            .iter()
            .filter(move |(s, _, _)| *s == scope)
            .map(|(_, chord, action)| (*chord, *action));
        lookup(rows, key)
    }

    /// The actions given other keys than the table's, in the order they
    /// were changed.
    pub fn rebound(&self) -> &[Rebound] {
        &self.rebound
    }

    /// The keys `action` has now on the chat screen, in the order they
    /// take precedence.
    pub fn keys_of(&self, action: Action) -> Vec<Chord> {
        let scope = scope_of(action);
        self.rows
            .iter()
            .filter(|(s, _, a)| *s == scope && *a == action)
            .map(|(_, chord, _)| *chord)
            .collect()
    }
}
