//! The config file as written: `config.toml`'s keys, each value checked as
//! it is read (a server address, a name, a colour, a key), so that a wrong
//! one is reported with its line and key, and a file that reads at all is
//! a file that works.
//!
//! What the values mean once read, and how they meet flags and the
//! environment, is [`super`]'s; the commented default file is
//! [`super::template`].

use std::collections::BTreeMap;

use ratatui::style::{Color, Style};
use sapa_protocol::{RoomName, Username};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::app::bindings::{action_named, parse_chord};
use crate::app::keymap::{Action, Chord};
use crate::app::stamp::TimeFormat;
use crate::client::url::{parse_server, ws_url};
use crate::view::Theme;
use crate::view::theme::{ThemeName, parse_color, parse_style};

/// When to draw in colour: `--color`, `NO_COLOR`, the file's `color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ColorChoice {
    /// Colour unless the terminal says it is dumb.
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Always => "always",
            Self::Never => "never",
        }
    }
}

/// Which desktop notifications to write (`[notifications] desktop`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DesktopChoice {
    /// Pick the escape sequence from the terminal's environment.
    Auto,
    /// OSC 777 (foot, WezTerm, kitty, Ghostty, VTE terminals).
    Osc777,
    /// OSC 9 (iTerm2, Windows Terminal, kitty, WezTerm).
    Osc9,
    /// No desktop notifications.
    Off,
}

impl DesktopChoice {
    pub const NAMES: [(&'static str, DesktopChoice); 4] = [
        ("auto", Self::Auto),
        ("osc777", Self::Osc777),
        ("osc9", Self::Osc9),
        ("off", Self::Off),
    ];

    /// The name the config file uses.
    pub fn as_str(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, c)| *c == self)
            .map_or("auto", |(n, _)| n)
    }
}

/// Reads a value with `parse`, the message of a refusal becoming the
/// error toml reports with the value's line.
macro_rules! checked {
    ($name:ident, $inner:ty, $parse:expr) => {
        #[derive(Debug, Clone)]
        pub struct $name(pub $inner);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                let parse: fn(&str) -> Result<$inner, String> = $parse;
                parse(&text).map($name).map_err(de::Error::custom)
            }
        }
    };
}

checked!(ServerValue, Url, |s| {
    let url = parse_server(s)?;
    ws_url(&url)?;
    Ok(url)
});
checked!(UserValue, Username, |s| Username::parse(s.to_owned())
    .map_err(|e| e.to_string()));
checked!(RoomValue, RoomName, |s| RoomName::parse(
    s.trim_start_matches('#').to_lowercase()
)
.map_err(|e| e.to_string()));
checked!(TimeValue, TimeFormat, TimeFormat::parse);
checked!(ThemeValue, ThemeName, |s| s.parse());
checked!(ColorValue, Color, parse_color);
checked!(StyleValue, Style, parse_style);
checked!(ActionValue, Action, action_named);
checked!(ElementValue, String, |s| {
    if Theme::ELEMENTS.contains(&s) {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "no element called {s:?}; elements: {}",
            Theme::ELEMENTS.join(", ")
        ))
    }
});
checked!(DesktopValue, DesktopChoice, |s| {
    DesktopChoice::NAMES
        .iter()
        .find(|(n, _)| *n == s)
        .map(|(_, c)| *c)
        .ok_or_else(|| format!("{s:?}: one of auto, osc777, osc9, off"))
});

/// Ordered by name, so the file's tables read back in a stable order.
macro_rules! ordered_by_name {
    ($name:ident) => {
        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.key() == other.key()
            }
        }
        impl Eq for $name {}
        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }
        impl Ord for $name {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.key().cmp(&other.key())
            }
        }
    };
}

impl ActionValue {
    fn key(&self) -> &'static str {
        crate::app::bindings::action_name(self.0).unwrap_or("")
    }
}
ordered_by_name!(ActionValue);

impl ElementValue {
    fn key(&self) -> &str {
        &self.0
    }
}
ordered_by_name!(ElementValue);

/// The keys of an action: one (`"ctrl-n"`) or a list (`["ctrl-n",
/// "alt-right"]`; `[]` leaves the action without a key).
#[derive(Debug, Clone)]
pub struct KeysValue(pub Vec<Chord>);

impl<'de> Deserialize<'de> for KeysValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> Visitor<'de> for Keys {
            type Value = Vec<Chord>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key such as \"ctrl-n\", or a list of them")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Vec<Chord>, E> {
                parse_chord(s).map(|c| vec![c]).map_err(E::custom)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Chord>, A::Error> {
                let mut keys = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    keys.push(parse_chord(&s).map_err(de::Error::custom)?);
                }
                Ok(keys)
            }
        }
        d.deserialize_any(Keys).map(KeysValue)
    }
}

/// `[notifications]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifySection {
    pub bell: Option<bool>,
    pub desktop: Option<DesktopValue>,
}

/// `config.toml`, every key optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub server: Option<ServerValue>,
    pub user: Option<UserValue>,
    pub rooms: Option<Vec<RoomValue>>,
    pub timestamp: Option<TimeValue>,
    pub color: Option<ColorChoice>,
    pub theme: Option<ThemeValue>,
    pub name_colors: Option<Vec<ColorValue>>,
    #[serde(default)]
    pub colors: BTreeMap<ElementValue, StyleValue>,
    #[serde(default)]
    pub keys: BTreeMap<ActionValue, KeysValue>,
    #[serde(default)]
    pub notifications: NotifySection,
}

/// Why a config file could not be used: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// 1-based; `None` when the problem is not on one line.
    pub line: Option<usize>,
    /// The key on that line, if it has one.
    pub key: Option<String>,
    pub message: String,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, &self.key) {
            (Some(line), Some(key)) => write!(f, "line {line}, `{key}`: {}", self.message),
            (Some(line), None) => write!(f, "line {line}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

/// The key written on line `line` (1-based) of `text`, if any.
fn key_on_line(text: &str, line: usize) -> Option<String> {
    let l = text.lines().nth(line - 1)?;
    let (key, _) = l.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty() && !key.starts_with('#')).then(|| key.to_owned())
}

/// The line where `key` is set under `[table]` (or at the top when
/// `table` is empty).
fn line_of(text: &str, table: &str, key: &str) -> Option<usize> {
    let mut current = String::new();
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if let Some(name) = t.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            current = name.trim().to_owned();
        } else if current == table
            && let Some((k, _)) = t.split_once('=')
            && k.trim().trim_matches('"') == key
        {
            return Some(i + 1);
        }
    }
    None
}

/// Reads a config file's text; a file that does not parse, or holds a
/// value that is not allowed, is refused whole with the first problem.
pub fn parse(text: &str) -> Result<FileConfig, FileError> {
    let file: FileConfig = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
        FileError {
            line,
            key: line.and_then(|l| key_on_line(text, l)),
            message: e.message().trim().to_owned(),
        }
    })?;
    check_keys(text, &file)?;
    Ok(file)
}

/// One key does one thing: no key may be given to two actions. And
/// quitting keeps a key: the login screen has no other way out.
fn check_keys(text: &str, file: &FileConfig) -> Result<(), FileError> {
    let mut seen: Vec<(Chord, &str)> = Vec::new();
    for (action, keys) in &file.keys {
        let name = action.key();
        if action.0 == Action::Quit && keys.0.is_empty() {
            return Err(FileError {
                line: line_of(text, "keys", name),
                key: Some(name.to_owned()),
                message: "quit needs a key: the login screen has no other way out".to_owned(),
            });
        }
        for chord in &keys.0 {
            if let Some((_, other)) = seen.iter().find(|(c, a)| c == chord && *a != name) {
                return Err(FileError {
                    line: line_of(text, "keys", name),
                    key: Some(name.to_owned()),
                    message: format!(
                        "{} is given to {other} too; a key does one thing",
                        crate::app::bindings::chord_label(*chord)
                    ),
                });
            }
            seen.push((*chord, name));
        }
    }
    Ok(())
}
