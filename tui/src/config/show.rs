//! `sapa config show`: every setting, its value, and where the value came
//! from (flag, environment, config file, default), with the file's path
//! and whether it was used. A password is only said to be set or not, and
//! tokens only by the file that holds them.

use std::fmt::Write;
use std::path::PathBuf;

use super::{FileState, Settings, Source, Sourced};
use crate::app::bindings::{action_name, chord_label};
use crate::app::printable;

fn source(s: Source) -> String {
    match s {
        Source::Flag(name) => name.to_owned(),
        Source::Env(name) => format!("${name}"),
        Source::File => "config file".to_owned(),
        Source::Default => "default".to_owned(),
    }
}

fn row(out: &mut String, name: &str, value: &str, from: &str) {
    let _ = writeln!(out, "{name:<11} {value:<32} {from}");
}

fn sourced<T>(out: &mut String, name: &str, s: &Sourced<T>, value: impl Into<String>) {
    row(out, name, &value.into(), &source(s.source));
}

/// The text of `sapa config show`.
pub(super) fn render(settings: &Settings, password_set: bool, tokens: Option<PathBuf>) -> String {
    let mut out = String::new();
    let file = match &settings.file {
        FileState::NoDir => "(no config directory on this system)".to_owned(),
        FileState::Missing(p) => format!(
            "{} (not there: the defaults; `sapa config init` writes one)",
            p.display()
        ),
        FileState::Loaded(p, _) => format!("{} (read)", p.display()),
        FileState::Broken(p, e) => format!(
            "{} (NOT USED: {}; the defaults instead)",
            p.display(),
            printable(&e.to_string())
        ),
    };
    let _ = writeln!(out, "{:<11} {file}", "config file");
    let s = settings;
    let user = if s.user.value.is_empty() {
        "(none: pass --user NAME)".to_owned()
    } else {
        s.user.value.clone()
    };
    sourced(&mut out, "server", &s.server, s.server.value.clone());
    sourced(&mut out, "user", &s.user, user);
    sourced(&mut out, "rooms", &s.rooms, s.rooms.value.join(", "));
    let term = std::env::var("TERM").ok();
    let colour = if s.colour(term.as_deref()) {
        "colour"
    } else {
        "no colour"
    };
    let color = format!("{} ({colour})", s.color.value.as_str());
    sourced(&mut out, "color", &s.color, color);
    sourced(&mut out, "theme", &s.theme, s.theme.value.as_str());
    sourced(
        &mut out,
        "timestamp",
        &s.timestamp,
        s.timestamp.value.source(),
    );
    let on = |b: bool| if b { "on" } else { "off" };
    sourced(&mut out, "bell", &s.bell, on(s.bell.value));
    sourced(&mut out, "desktop", &s.desktop, s.desktop.value.as_str());
    if let FileState::Loaded(_, f) = &s.file
        && !f.colors.is_empty()
    {
        let names: Vec<&str> = f.colors.keys().map(|e| e.0.as_str()).collect();
        row(&mut out, "colors", &names.join(", "), "config file");
    }
    let rebound = s.keymap.rebound();
    if rebound.is_empty() {
        row(&mut out, "keys", "as in `sapa --help`", "default");
    }
    for r in rebound {
        let keys: Vec<String> = r.keys.iter().map(|c| chord_label(*c)).collect();
        let keys = if keys.is_empty() {
            "no key".to_owned()
        } else {
            keys.join(", ")
        };
        let name = action_name(r.action).unwrap_or("?");
        row(&mut out, "keys", &format!("{name} = {keys}"), "config file");
    }
    let password = if password_set {
        "set (not shown)"
    } else {
        "asked on the login screen"
    };
    row(
        &mut out,
        "password",
        password,
        if password_set { "$SAPA_PASSWORD" } else { "" },
    );
    let tokens = tokens.map_or("(not kept)".to_owned(), |p| p.display().to_string());
    let _ = writeln!(out, "{:<11} {tokens}", "tokens");
    out.lines()
        .map(|l| l.trim_end().to_owned() + "\n")
        .collect()
}
