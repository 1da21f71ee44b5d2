//! What `sapa` runs with, and where each value came from: a flag, the
//! environment, the config file (`<config dir>/sapa/config.toml`, or
//! `$SAPA_CONFIG_DIR/config.toml`), or the default, in that order of
//! precedence ([`Settings::resolve`]). `sapa config show` prints the
//! outcome with each value's source; `sapa config init` writes a commented
//! default file ([`template`]).
//!
//! A missing file is no problem. A file that cannot be used is ignored
//! whole (every value its default), and why, with its line and key, is
//! said once the screen is up; it never stops `sapa` from starting.
//!
//! Reading one file's text is [`file`]'s; what the state machine and the
//! screen make of the values is [`crate::app::prefs`] and
//! [`crate::view::theme`]. Passwords and tokens are never read here, and
//! never printed.

pub mod file;
mod show;
pub mod template;

use std::path::PathBuf;

use sapa_protocol::RoomName;

use crate::app::bindings::Keymap;
use crate::app::notify::NotifyPrefs;
use crate::app::prefs::Prefs;
use crate::app::stamp::TimeFormat;
use crate::view::Theme;
use crate::view::theme::ThemeName;

pub use file::{ColorChoice, DesktopChoice, FileConfig, FileError};

/// The server when nothing names one.
pub const DEFAULT_SERVER: &str = "http://localhost:3000";

/// The directory of sapa's files: `$SAPA_CONFIG_DIR`, else the system's
/// config directory's `sapa/`.
pub fn config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("SAPA_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    dirs::config_dir().map(|d| d.join("sapa"))
}

/// Where the config file is looked for.
pub fn config_path() -> Option<PathBuf> {
    config_dir().map(|d| d.join("config.toml"))
}

/// Where a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Flag(&'static str),
    Env(&'static str),
    File,
    Default,
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Source,
}

/// The values a flag or the environment gave (`None`: not given).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Given {
    pub server: Option<String>,
    pub user: Option<String>,
    pub room: Option<String>,
    pub color: Option<ColorChoice>,
}

/// The config file as found.
#[derive(Debug, Clone)]
pub enum FileState {
    /// The system has no config directory.
    NoDir,
    /// No file there: the defaults.
    Missing(PathBuf),
    Loaded(PathBuf, Box<FileConfig>),
    /// There, but not usable: the defaults, and this said to the user.
    Broken(PathBuf, FileError),
}

impl FileState {
    /// Reads the file at `path` (`None`: no config directory).
    pub fn read(path: Option<PathBuf>) -> Self {
        let Some(path) = path else {
            return Self::NoDir;
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => match file::parse(&text) {
                Ok(config) => Self::Loaded(path, Box::new(config)),
                Err(e) => Self::Broken(path, e),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::Missing(path),
            Err(e) => Self::Broken(
                path,
                FileError {
                    line: None,
                    key: None,
                    message: format!("cannot read it: {e}"),
                },
            ),
        }
    }

    fn config(&self) -> Option<&FileConfig> {
        match self {
            Self::Loaded(_, c) => Some(c),
            _ => None,
        }
    }

    /// The warning to show about the file, if it could not be used.
    pub fn warning(&self) -> Option<String> {
        match self {
            Self::Broken(path, e) => Some(format!(
                "config file {}: {e}; using the defaults",
                path.display()
            )),
            _ => None,
        }
    }
}

/// Everything `sapa` runs with, each value with its source.
#[derive(Debug, Clone)]
pub struct Settings {
    pub file: FileState,
    pub server: Sourced<String>,
    /// Empty when nothing names the user (no `$USER` either).
    pub user: Sourced<String>,
    /// The first is the room on screen; all are joined at start.
    pub rooms: Sourced<Vec<String>>,
    pub color: Sourced<ColorChoice>,
    pub theme: Sourced<ThemeName>,
    pub timestamp: Sourced<TimeFormat>,
    pub bell: Sourced<bool>,
    pub desktop: Sourced<DesktopChoice>,
    /// The keymap with the file's bindings.
    pub keymap: Keymap,
}

fn pick<T>(
    flag: Option<(T, &'static str)>,
    env: Option<(T, &'static str)>,
    file: Option<T>,
    default: T,
) -> Sourced<T> {
    if let Some((value, name)) = flag {
        Sourced {
            value,
            source: Source::Flag(name),
        }
    } else if let Some((value, name)) = env {
        Sourced {
            value,
            source: Source::Env(name),
        }
    } else if let Some(value) = file {
        Sourced {
            value,
            source: Source::File,
        }
    } else {
        Sourced {
            value: default,
            source: Source::Default,
        }
    }
}

impl Settings {
    /// Flags over the environment over the file over the defaults.
    /// `login_name` is `$USER`, the last resort for the user name.
    pub fn resolve(flags: Given, env: Given, file: FileState, login_name: Option<String>) -> Self {
        let f = file.config().cloned().unwrap_or_default();
        let server = pick(
            flags.server.map(|v| (v, "--server")),
            env.server.map(|v| (v, "SAPA_SERVER")),
            f.server.as_ref().map(|s| s.0.to_string()),
            DEFAULT_SERVER.to_owned(),
        );
        let user = pick(
            flags.user.map(|v| (v, "--user")),
            env.user.map(|v| (v, "SAPA_USER")),
            f.user.as_ref().map(|u| u.0.to_string()),
            login_name.unwrap_or_default(),
        );
        let rooms = pick(
            flags.room.map(|v| (vec![v], "--room")),
            None,
            f.rooms
                .as_ref()
                .filter(|r| !r.is_empty())
                .map(|r| r.iter().map(|r| r.0.to_string()).collect()),
            vec![RoomName::DEFAULT.to_owned()],
        );
        let color = pick(
            flags.color.map(|v| (v, "--color")),
            env.color.map(|v| (v, "NO_COLOR")),
            f.color,
            ColorChoice::Auto,
        );
        let theme = pick(None, None, f.theme.as_ref().map(|t| t.0), ThemeName::Dark);
        let timestamp = pick(
            None,
            None,
            f.timestamp.as_ref().map(|t| t.0.clone()),
            TimeFormat::default(),
        );
        let defaults = NotifyPrefs::default();
        let bell = pick(None, None, f.notifications.bell, defaults.bell);
        let desktop = pick(
            None,
            None,
            f.notifications.desktop.as_ref().map(|d| d.0),
            DesktopChoice::Auto,
        );
        let mut keymap = Keymap::default();
        for (action, keys) in &f.keys {
            keymap.rebind(action.0, keys.0.clone());
        }
        Self {
            file,
            server,
            user,
            rooms,
            color,
            theme,
            timestamp,
            bell,
            desktop,
            keymap,
        }
    }

    /// Whether to draw in colour, `term` being `$TERM`.
    pub fn colour(&self, term: Option<&str>) -> bool {
        match self.color.value {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => term != Some("dumb"),
        }
    }

    /// The theme to draw with: the chosen one with the file's colours, or
    /// the colourless one (keeping the colours' attributes) without colour.
    pub fn theme(&self, colour: bool) -> Theme {
        let mut theme = if colour {
            Theme::named(self.theme.value)
        } else {
            Theme::plain()
        };
        if let Some(f) = self.file.config() {
            for (element, style) in &f.colors {
                // Checked when the file was read.
                let _ = theme.set(&element.0, style.0);
            }
            if let Some(names) = &f.name_colors {
                theme.set_names(names.iter().map(|c| c.0).collect());
            }
        }
        theme
    }

    /// What the state machine takes from the settings. The rooms after the
    /// first that are valid names are joined too.
    pub fn prefs(&self) -> Prefs {
        let also_join = self.rooms.value[1..]
            .iter()
            .filter_map(|r| RoomName::parse(r.clone()).ok())
            .collect();
        Prefs {
            keymap: self.keymap.clone(),
            time_format: self.timestamp.value.clone(),
            notify: NotifyPrefs {
                bell: self.bell.value,
                desktop: self.desktop.value != DesktopChoice::Off,
            },
            also_join,
        }
    }

    /// `sapa config show`'s text; `password_set` says whether
    /// `SAPA_PASSWORD` holds one (which is never shown).
    pub fn show(&self, password_set: bool, tokens: Option<PathBuf>) -> String {
        show::render(self, password_set, tokens)
    }
}

#[cfg(test)]
mod tests;
