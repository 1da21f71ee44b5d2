//! Every key and every command, in one table each: what it does and how
//! each place that lists it words it. [`super::State`] dispatches keys
//! through [`action`] and commands through [`command`]; the help overlay,
//! `sapa --help` and the README's tables are generated from the same rows
//! ([`super::help`]), so a binding cannot do one thing and be documented as
//! another.
//!
//! Keys that type text are not bound here: any character without Ctrl (and,
//! on the chat screen, without Alt) is typed into the line being edited.
//! The mouse wheel scrolls three rows a notch; it is named in the PgUp/PgDn
//! row because that is where a reader looks for scrolling.

use super::keys::{Key, KeyCode};

/// A key as a binding names it. A chord written with Ctrl needs Ctrl
/// held, one written without it takes the key whatever is held, unless a
/// Ctrl binding of the same key is there to take it first. Alt chords
/// (none by default; a config file may bind them) need Alt held and come
/// before either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Chord {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

const fn key(code: KeyCode) -> Chord {
    Chord {
        code,
        ctrl: false,
        alt: false,
    }
}

const fn ctrl(c: char) -> Chord {
    ctrl_key(KeyCode::Char(c))
}

const fn ctrl_key(code: KeyCode) -> Chord {
    Chord {
        code,
        ctrl: true,
        alt: false,
    }
}

/// Where a binding works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// On every screen, the help overlay included.
    Everywhere,
    /// The chat screen (the help overlay takes any key to close itself).
    Chat,
    /// The login screen, while no login is in flight.
    Login,
}

/// A change to the line being edited (the chat input, or the focused login
/// field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Edit {
    Left,
    Right,
    Home,
    End,
    Backspace,
    Delete,
    DeleteWordBack,
    KillToStart,
    KillToEnd,
}

/// What a key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    /// Send the line, or run it as a command.
    Submit,
    PageUp,
    PageDown,
    /// Show the newest message (scroll to the bottom).
    JumpNewest,
    /// End of the line; when already there, the newest message.
    EndOrNewest,
    RecallPrev,
    RecallNext,
    /// Leave the message being edited as it was.
    CancelEdit,
    Complete,
    NextRoom,
    PrevRoom,
    Help,
    Edit(Edit),
    /// Move the cursor to the other login field.
    SwitchField,
    SignIn,
    /// Clear the login screen's error line.
    DismissError,
}

/// A row as one listing shows it: the keys as written there, and what
/// they do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Doc {
    pub keys: &'static str,
    pub what: &'static str,
}

const fn doc(keys: &'static str, what: &'static str) -> Doc {
    Doc { keys, what }
}

/// One row of the keymap: related keys, what each does, and how each
/// listing words the row (`None`: that listing leaves it out).
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub scope: Scope,
    pub keys: &'static [(Chord, Action)],
    /// The help overlay's table.
    pub help: Option<Doc>,
    /// The help overlay's short form, for terminals too small for the table.
    pub short: Option<Doc>,
    /// The README's table of keys.
    pub readme: Option<Doc>,
    /// The sentence of `sapa --help` that names the most used keys.
    pub brief: Option<&'static str>,
}

use Action as A;
use KeyCode as K;

/// Every key binding, in the order the listings show them.
pub const KEYMAP: &[Binding] = &[
    Binding {
        scope: Scope::Chat,
        keys: &[(key(K::Enter), A::Submit)],
        help: Some(doc("Enter", "send the line")),
        short: Some(doc("Enter", "send")),
        readme: Some(doc("Enter", "send the line (or run the command)")),
        brief: Some("Enter sends"),
    },
    Binding {
        scope: Scope::Chat,
        keys: &[(key(K::PageUp), A::PageUp), (key(K::PageDown), A::PageDown)],
        help: Some(doc(
            "PgUp / PgDn, wheel",
            "scroll; past the top loads older",
        )),
        short: Some(doc("PgUp/PgDn", "scroll")),
        readme: Some(doc(
            "PgUp / PgDn, mouse wheel",
            "scroll; while scrolled up, new arrivals show as \"N new messages\" \
             instead of moving the view; scrolling past the oldest loaded message \
             fetches older history",
        )),
        brief: Some("PgUp/PgDn or the wheel scroll"),
    },
    Binding {
        scope: Scope::Chat,
        keys: &[
            (ctrl_key(K::End), A::JumpNewest),
            (ctrl('l'), A::JumpNewest),
            (key(K::End), A::EndOrNewest),
        ],
        help: Some(doc("End (at line end)", "jump to the newest message")),
        short: Some(doc("End", "newest")),
        readme: Some(doc(
            "End",
            "move to the end of the line; at the end of the line, jump to the \
             newest message (Ctrl-End and Ctrl-L always jump)",
        )),
        brief: Some("End jumps to the newest"),
    },
    Binding {
        scope: Scope::Chat,
        keys: &[(key(K::Up), A::RecallPrev), (key(K::Down), A::RecallNext)],
        help: Some(doc("Up / Down", "edit your last / recall sent lines")),
        short: Some(doc("Up/Down", "edit, recall")),
        readme: Some(doc(
            "Up / Down",
            "on an empty line, Up edits your last message in the room (the composer \
             says `editing`; Enter saves, Esc cancels); Up again, or on a line with \
             text, recalls sent lines",
        )),
        brief: Some("Up edits your last message"),
    },
    Binding {
        scope: Scope::Chat,
        keys: &[(key(K::Esc), A::CancelEdit)],
        help: Some(doc("Esc", "stop editing")),
        short: None,
        readme: Some(doc("Esc", "stop editing, leaving the message as it was")),
        brief: None,
    },
    Binding {
        scope: Scope::Chat,
        keys: &[(key(K::Tab), A::Complete)],
        help: Some(doc("Tab", "complete a name or command")),
        short: Some(doc("Tab", "complete")),
        readme: Some(doc(
            "Tab",
            "complete the name of someone in the room (`bo` → `bob: ` at the start \
             of the line), or a command; Tab again for the next match",
        )),
        brief: Some("Tab completes names"),
    },
    Binding {
        scope: Scope::Chat,
        keys: &[
            (key(K::Left), A::Edit(Edit::Left)),
            (key(K::Right), A::Edit(Edit::Right)),
            (key(K::Home), A::Edit(Edit::Home)),
            (ctrl('a'), A::Edit(Edit::Home)),
            (ctrl('e'), A::Edit(Edit::End)),
        ],
        help: Some(doc("Ctrl-A/E, Home", "start / end of the line")),
        short: None,
        readme: Some(doc(
            "Left / Right, Home, Ctrl-A / Ctrl-E",
            "move by character (grapheme), to the start / end",
        )),
        brief: None,
    },
    Binding {
        scope: Scope::Chat,
        keys: &[
            (key(K::Backspace), A::Edit(Edit::Backspace)),
            (key(K::Delete), A::Edit(Edit::Delete)),
        ],
        help: None,
        short: None,
        readme: Some(doc("Backspace / Delete", "delete one character")),
        brief: None,
    },
    Binding {
        scope: Scope::Chat,
        keys: &[
            (ctrl('w'), A::Edit(Edit::DeleteWordBack)),
            (ctrl('h'), A::Edit(Edit::DeleteWordBack)),
            (ctrl_key(K::Backspace), A::Edit(Edit::DeleteWordBack)),
            (ctrl('u'), A::Edit(Edit::KillToStart)),
            (ctrl('k'), A::Edit(Edit::KillToEnd)),
        ],
        help: Some(doc(
            "Ctrl-W / Ctrl-U / K",
            "delete word / to start / to end",
        )),
        short: Some(doc("Ctrl-W/U/K", "delete")),
        readme: Some(doc(
            "Ctrl-W, Ctrl-U, Ctrl-K",
            "delete the word before the cursor, everything before it, everything after it",
        )),
        brief: None,
    },
    Binding {
        scope: Scope::Chat,
        keys: &[(ctrl('n'), A::NextRoom), (ctrl('p'), A::PrevRoom)],
        help: Some(doc("Ctrl-N / Ctrl-P", "next / previous room or DM")),
        short: Some(doc("Ctrl-N/P", "rooms")),
        readme: Some(doc(
            "Ctrl-N / Ctrl-P",
            "next / previous room or direct conversation, in the order of the rooms list",
        )),
        brief: None,
    },
    Binding {
        scope: Scope::Chat,
        keys: &[(key(K::F(1)), A::Help)],
        help: Some(doc("F1", "this help (any key closes)")),
        short: Some(doc("F1", "help")),
        readme: Some(doc("F1", "help overlay (any key closes it)")),
        brief: Some("F1 or /help lists every key"),
    },
    Binding {
        scope: Scope::Everywhere,
        keys: &[(ctrl('c'), A::Quit)],
        help: Some(doc("Ctrl-C", "quit")),
        short: Some(doc("Ctrl-C", "quit")),
        readme: Some(doc(
            "Ctrl-C",
            "quit (the terminal is restored on every exit, panics included)",
        )),
        brief: None,
    },
    // The login screen says its keys on the screen itself.
    Binding {
        scope: Scope::Login,
        keys: &[
            (key(K::Tab), A::SwitchField),
            (key(K::BackTab), A::SwitchField),
            (key(K::Up), A::SwitchField),
            (key(K::Down), A::SwitchField),
        ],
        help: None,
        short: None,
        readme: None,
        brief: None,
    },
    Binding {
        scope: Scope::Login,
        keys: &[(key(K::Enter), A::SignIn), (key(K::Esc), A::DismissError)],
        help: None,
        short: None,
        readme: None,
        brief: None,
    },
    Binding {
        scope: Scope::Login,
        keys: &[
            (key(K::Backspace), A::Edit(Edit::Backspace)),
            (key(K::Delete), A::Edit(Edit::Delete)),
            (key(K::Left), A::Edit(Edit::Left)),
            (key(K::Right), A::Edit(Edit::Right)),
            (key(K::Home), A::Edit(Edit::Home)),
            (key(K::End), A::Edit(Edit::End)),
            (ctrl('u'), A::Edit(Edit::KillToStart)),
            (ctrl('w'), A::Edit(Edit::DeleteWordBack)),
        ],
        help: None,
        short: None,
        readme: None,
        brief: None,
    },
];

/// What `key` does in `scope` (not counting [`Scope::Everywhere`], which
/// the caller asks first), if anything, with the default bindings. A
/// config file's bindings are [`super::bindings::Keymap`]'s.
pub fn action(scope: Scope, key: Key) -> Option<Action> {
    let rows = KEYMAP
        .iter()
        .filter(|b| b.scope == scope)
        .flat_map(|b| b.keys.iter().copied());
    lookup(rows, key)
}

/// The action of the first chord in `rows` that takes `key`: an Alt chord
/// with the same Ctrl, else as [`Chord`] says.
pub fn lookup(rows: impl Iterator<Item = (Chord, Action)> + Clone, key: Key) -> Option<Action> {
    let bound = |ctrl: bool, alt: bool| {
        rows.clone()
            .find(|(chord, _)| chord.code == key.code && chord.ctrl == ctrl && chord.alt == alt)
            .map(|(_, action)| action)
    };
    if key.alt
        && let Some(action) = bound(key.ctrl, true)
    {
        return Some(action);
    }
    if key.ctrl
        && let Some(action) = bound(true, false)
    {
        return Some(action);
    }
    bound(false, false)
}

mod commands;

pub use commands::{COMMANDS, Command, CommandSpec, LITERAL_SLASH, command, completions};
