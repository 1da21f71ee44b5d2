//! The config file read (good, missing, malformed with its line and key),
//! the order of precedence (flags, environment, file, defaults), what
//! `sapa config show` says, and the file `sapa config init` writes.

use std::path::PathBuf;

use ratatui::style::{Color, Modifier, Style};

use super::file::{FileError, parse};
use super::template::{Init, TEMPLATE, init};
use super::*;
use crate::app::keymap::{Action, Scope};
use crate::app::keys::{Key, KeyCode};

fn path() -> PathBuf {
    PathBuf::from("/home/alice/.config/sapa/config.toml")
}

fn loaded(text: &str) -> FileState {
    FileState::Loaded(path(), Box::new(parse(text).unwrap()))
}

fn from_file(text: &str) -> Settings {
    Settings::resolve(Given::default(), Given::default(), loaded(text), None)
}

fn error(text: &str) -> FileError {
    parse(text).unwrap_err()
}

const GOOD: &str = r##"
server = "https://chat.example.org"
user = "alice"
rooms = ["#Rust", "general"]
timestamp = "%H:%M:%S"
color = "always"
theme = "light"
name_colors = ["red", "#00ff00"]

[colors]
mention = "bold white on red"
time = "italic 244"

[keys]
next_room = ["alt-n", "ctrl-n"]
help = "f2"

[notifications]
bell = false
desktop = "osc9"
"##;

#[test]
fn a_good_file_sets_every_value() {
    let s = from_file(GOOD);
    assert_eq!(s.server.value, "https://chat.example.org/");
    assert_eq!(s.server.source, Source::File);
    assert_eq!(s.user.value, "alice");
    assert_eq!(s.rooms.value, ["rust", "general"]);
    assert_eq!(s.timestamp.value.source(), "%H:%M:%S");
    assert_eq!(s.color.value, ColorChoice::Always);
    assert_eq!(s.theme.value, ThemeName::Light);
    assert!(!s.bell.value);
    assert_eq!(s.desktop.value, DesktopChoice::Osc9);
    let alt_n = Key {
        code: KeyCode::Char('n'),
        ctrl: false,
        alt: true,
    };
    assert_eq!(s.keymap.action(Scope::Chat, alt_n), Some(Action::NextRoom));
    let f2 = Key::plain(KeyCode::F(2));
    assert_eq!(s.keymap.action(Scope::Chat, f2), Some(Action::Help));
    let theme = s.theme(true);
    assert_eq!(
        theme.mention,
        Style::new()
            .fg(Color::White)
            .bg(Color::Red)
            .add_modifier(Modifier::BOLD)
    );
    assert_eq!(
        theme.time,
        Style::new()
            .fg(Color::Indexed(244))
            .add_modifier(Modifier::ITALIC)
    );
    assert_eq!(theme.names, [Color::Red, Color::Rgb(0, 255, 0)]);
    assert_eq!(theme.notice, Theme::light().notice, "the rest is light's");
    let prefs = s.prefs();
    assert_eq!(prefs.also_join, ["general".parse().unwrap()]);
    assert!(!prefs.notify.bell && prefs.notify.desktop);
}

#[test]
fn a_missing_file_gives_the_defaults() {
    let dir = scratch("missing");
    let file = FileState::read(Some(dir.join("config.toml")));
    assert!(matches!(file, FileState::Missing(_)));
    assert_eq!(file.warning(), None);
    let s = Settings::resolve(Given::default(), Given::default(), file, Some("bob".into()));
    assert_eq!(s.server.value, DEFAULT_SERVER);
    assert_eq!(s.user.value, "bob", "$USER");
    assert_eq!(s.rooms.value, ["general"]);
    assert_eq!(s.color.value, ColorChoice::Auto);
    assert_eq!(s.theme.value, ThemeName::Dark);
    assert_eq!(s.timestamp.value.source(), "%H:%M");
    assert!(s.bell.value);
    assert_eq!(s.desktop.value, DesktopChoice::Auto);
    assert_eq!(s.keymap, Keymap::default());
    assert_eq!(s.theme(true), Theme::dark());
    for sourced in [s.server.source, s.user.source, s.rooms.source] {
        assert_eq!(sourced, Source::Default);
    }
}

#[test]
fn a_syntax_error_names_its_line() {
    let e = error("server = \"http://a\"\nuser = alice\n");
    assert_eq!(e.line, Some(2), "{e}");
    assert_eq!(e.key.as_deref(), Some("user"));
}

#[test]
fn an_unknown_key_names_its_line_and_key() {
    let e = error("server = \"http://a\"\n\n[colors]\nmentoin = \"red\"\n");
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(4), Some("mentoin")),
        "{e}"
    );
    assert!(e.message.contains("no element called"), "{e}");
    let e = error("colour = \"never\"\n");
    assert_eq!((e.line, e.key.as_deref()), (Some(1), Some("colour")), "{e}");
    let e = error("[keys]\nnext_rom = \"alt-n\"\n");
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(2), Some("next_rom")),
        "{e}"
    );
    assert!(e.message.contains("next_room"), "lists the names: {e}");
}

#[test]
fn a_wrong_value_names_its_line_and_key_and_why() {
    let cases = [
        ("\n\ntheme = \"solarized\"\n", 3, "theme", "no theme"),
        ("[colors]\ntime = \"blurple\"\n", 2, "time", "not a colour"),
        ("[keys]\nhelp = \"ctl-h\"\n", 2, "help", "no key called"),
        ("[keys]\nhelp = \"h\"\n", 2, "help", "types itself"),
        ("timestamp = \"%Q\"\n", 1, "timestamp", "not a time format"),
        ("user = \"no spaces allowed\"\n", 1, "user", ""),
        ("rooms = [\"ok\", \"not ok!\"]\n", 1, "rooms", ""),
        ("server = \"ftp://x\"\n", 1, "server", ""),
        ("color = \"sometimes\"\n", 1, "color", "sometimes"),
        (
            "[notifications]\ndesktop = \"osc99\"\n",
            2,
            "desktop",
            "osc777",
        ),
        ("[notifications]\nbell = \"yes\"\n", 2, "bell", ""),
    ];
    for (text, line, key, says) in cases {
        let e = error(text);
        assert_eq!(e.line, Some(line), "{text:?}: {e}");
        assert_eq!(e.key.as_deref(), Some(key), "{text:?}: {e}");
        assert!(e.message.contains(says), "{text:?}: {e}");
    }
}

#[test]
fn one_key_for_two_actions_is_refused_where_the_second_is() {
    let e = error("[keys]\nhelp = \"alt-h\"\nnext_room = [\"alt-h\"]\n");
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(3), Some("next_room")),
        "{e}"
    );
    assert!(e.message.contains("Alt-h"), "{e}");
}

#[test]
fn quit_keeps_a_key_and_a_key_listed_twice_for_one_action_is_fine() {
    let e = error("[keys]\n\nquit = []\n");
    assert_eq!((e.line, e.key.as_deref()), (Some(3), Some("quit")), "{e}");
    assert!(parse("[keys]\nhelp = [\"f2\", \"F2\"]\n").is_ok());
}

#[test]
fn a_broken_file_starts_with_the_defaults_and_says_where() {
    let dir = scratch("broken");
    let file = dir.join("config.toml");
    std::fs::write(&file, "server = \"http://a:1\"\ntheme = \"neon\"\n").unwrap();
    let state = FileState::read(Some(file.clone()));
    let warning = state.warning().unwrap();
    assert_eq!(
        warning,
        format!(
            "config file {}: line 2, `theme`: no theme called \"neon\"; themes: dark, light; \
             using the defaults",
            file.display()
        )
    );
    let s = Settings::resolve(Given::default(), Given::default(), state, None);
    assert_eq!(
        s.server.value, DEFAULT_SERVER,
        "nothing of the file is used"
    );
    assert!(s.show(false, None).contains("NOT USED: line 2, `theme`"));
}

#[test]
fn flags_win_over_the_environment_which_wins_over_the_file() {
    let file = "server = \"http://file:1\"\nuser = \"filer\"\nrooms = [\"fromfile\"]\n\
                color = \"always\"\n";
    let flags = Given {
        server: Some("http://flag:1".into()),
        ..Given::default()
    };
    let env = Given {
        server: Some("http://env:1".into()),
        user: Some("envuser".into()),
        color: Some(ColorChoice::Never),
        ..Given::default()
    };
    let s = Settings::resolve(flags, env, loaded(file), Some("login".into()));
    assert_eq!(
        (s.server.value.as_str(), s.server.source),
        ("http://flag:1", Source::Flag("--server"))
    );
    assert_eq!(
        (s.user.value.as_str(), s.user.source),
        ("envuser", Source::Env("SAPA_USER"))
    );
    assert_eq!(s.rooms.value, ["fromfile"]);
    assert_eq!(s.rooms.source, Source::File);
    assert_eq!(
        (s.color.value, s.color.source),
        (ColorChoice::Never, Source::Env("NO_COLOR"))
    );

    let flags = Given {
        room: Some("flagroom".into()),
        color: Some(ColorChoice::Always),
        ..Given::default()
    };
    let env = Given {
        color: Some(ColorChoice::Never),
        ..Given::default()
    };
    let s = Settings::resolve(flags, env, loaded(file), None);
    assert_eq!(
        s.rooms.value,
        ["flagroom"],
        "--room replaces the file's list"
    );
    assert_eq!(s.color.value, ColorChoice::Always, "--color beats NO_COLOR");
    assert_eq!(s.user.value, "filer");
}

#[test]
fn without_colour_the_theme_keeps_only_attributes() {
    let s = from_file("theme = \"light\"\n[colors]\nmention = \"underlined red on white\"\n");
    let theme = s.theme(false);
    assert!(theme.is_colourless());
    assert_eq!(
        theme.mention,
        Style::new().add_modifier(Modifier::UNDERLINED)
    );
    assert_eq!(theme.name_color("bob"), None);
    assert!(s.colour(Some("xterm-256color")));
    assert!(!s.colour(Some("dumb")));
    let never = from_file("color = \"never\"\n");
    assert!(!never.colour(Some("xterm")));
}

#[test]
fn config_show_says_where_each_value_came_from() {
    let flags = Given {
        server: Some("http://flag:1".into()),
        ..Given::default()
    };
    let s = Settings::resolve(flags, Given::default(), loaded(GOOD), None);
    let shown = s.show(true, Some("/home/alice/.config/sapa/tokens.json".into()));
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(
        lines[0],
        "config file /home/alice/.config/sapa/config.toml (read)"
    );
    let row = |name: &str| {
        lines
            .iter()
            .find(|l| l.starts_with(&format!("{name} ")))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|| panic!("no {name} in {shown}"))
    };
    assert_eq!(row("server"), "server http://flag:1 --server");
    assert_eq!(row("user"), "user alice config file");
    assert_eq!(row("rooms"), "rooms rust, general config file");
    assert_eq!(row("theme"), "theme light config file");
    assert_eq!(row("bell"), "bell off config file");
    assert_eq!(row("password"), "password set (not shown) $SAPA_PASSWORD");
    assert!(
        shown.contains("keys        next_room = Alt-n, Ctrl-N"),
        "{shown}"
    );
    assert!(shown.contains("keys        help = F2"), "{shown}");
    assert!(
        shown.contains("tokens      /home/alice/.config/sapa/tokens.json"),
        "{shown}"
    );
}

#[test]
fn the_template_changes_nothing_until_a_line_is_uncommented() {
    let commented = parse(TEMPLATE).unwrap();
    assert!(commented.server.is_none() && commented.keys.is_empty());
    // Every `#key = value` line uncommented: the defaults, written out.
    let uncommented: String = TEMPLATE
        .lines()
        .map(|l| match l.strip_prefix('#') {
            Some(rest) if !rest.starts_with([' ', '\0']) && !rest.is_empty() => rest,
            _ => l,
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let s = from_file(&uncommented);
    assert_eq!(s.server.value, "http://localhost:3000/");
    assert_eq!(s.rooms.value, ["general"]);
    assert_eq!(
        s.keymap.rebound().len(),
        crate::app::bindings::ACTIONS.len()
    );
    for key_row in crate::app::keymap::KEYMAP {
        if key_row.scope == Scope::Login {
            continue;
        }
        for (chord, action) in key_row.keys {
            let press = Key {
                code: chord.code,
                ctrl: chord.ctrl,
                alt: chord.alt,
            };
            let scope = if *action == Action::Quit {
                Scope::Everywhere
            } else {
                Scope::Chat
            };
            assert_eq!(
                s.keymap.action(scope, press),
                Some(*action),
                "{chord:?}: the template's keys are the defaults"
            );
        }
    }
    assert_eq!(
        s.theme(true),
        Theme::dark(),
        "the template's colours are dark's"
    );
}

#[test]
fn init_writes_the_template_once() {
    let dir = scratch("init");
    let file = dir.join("sub").join("config.toml");
    assert_eq!(init(&file).unwrap(), Init::Written);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), TEMPLATE);
    std::fs::write(&file, "theme = \"light\"\n").unwrap();
    assert_eq!(init(&file).unwrap(), Init::Exists);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "theme = \"light\"\n",
        "an existing file is left alone"
    );
}

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sapa-config-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
