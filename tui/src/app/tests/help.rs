//! The listings of keys and commands are generated from the keymap: the
//! help overlay lists every command, `sapa --help` says what it always
//! said, and the README's tables are the keymap's own (a README edited by
//! hand, or a binding added without its words, fails here).

use crate::app::help::{cli_summary, overlay, readme_actions, readme_commands, readme_keys};
use crate::app::keymap::{COMMANDS, KEYMAP, Scope, completions};

/// The Markdown table that follows `heading` in the README, as written.
fn readme_table(heading: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
    let readme = std::fs::read_to_string(path).expect("the README is beside the crate");
    let mut lines = readme.lines().skip_while(|l| *l != heading).skip(1);
    let table: Vec<&str> = lines
        .by_ref()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert!(
        !table.is_empty(),
        "no table under {heading:?} in the README"
    );
    table.iter().map(|l| format!("{l}\n")).collect()
}

#[test]
fn the_readme_key_table_is_the_keymaps() {
    // On failure, the expected text is the table to paste into the README.
    assert_eq!(readme_table("### Keys"), readme_keys());
}

#[test]
fn the_readme_command_table_is_the_keymaps() {
    assert_eq!(readme_table("### Commands"), readme_commands());
}

#[test]
fn the_readme_action_table_is_the_keymaps() {
    assert_eq!(readme_table("### Key bindings"), readme_actions());
}

#[test]
fn every_key_of_the_chat_screen_has_a_readme_row() {
    for binding in KEYMAP {
        if binding.scope != Scope::Login {
            assert!(binding.readme.is_some(), "{:?}", binding.keys);
        }
    }
}

#[test]
fn sapa_help_names_the_usual_keys_and_every_command() {
    assert_eq!(
        cli_summary(),
        "In the client: Enter sends, PgUp/PgDn or the wheel scroll, End jumps to the\n\
         newest, Up edits your last message, Tab completes names, F1 or /help lists\n\
         every key.\n\
         Commands: /join ROOM, /msg USER TEXT, /query USER, /leave, /who, /rooms, \
         /edit [TEXT], /delete, /search WORDS, /joins, /help, /quit."
    );
}

#[test]
fn the_help_overlay_lists_every_command_and_tab_completes_them() {
    let rows = overlay();
    for command in COMMANDS {
        let name = format!("/{}", command.names[0]);
        assert!(
            rows.iter()
                .any(|r| r.keys.split(", ").any(|k| k.starts_with(&name))),
            "{name} is not in the help overlay"
        );
    }
    let completed: Vec<String> = completions().collect();
    assert_eq!(
        completed,
        [
            "/join", "/msg", "/query", "/leave", "/who", "/rooms", "/edit", "/delete", "/search",
            "/joins", "/help", "/quit"
        ]
    );
}
