//! A config file's key bindings: what a rebound key does in the state
//! machine, how keys are written, and what the help overlay lists.

use super::*;
use crate::app::bindings::{Keymap, action_named, chord_label, parse_chord};
use crate::app::help;
use crate::app::keymap::{Action, Chord, Edit};
use crate::app::keys::Key;

fn with_keys(bindings: &[(&str, &[&str])]) -> State {
    let mut s = online(vec![], &[]);
    let mut keymap = Keymap::default();
    for (action, keys) in bindings {
        let chords = keys.iter().map(|k| parse_chord(k).unwrap()).collect();
        keymap.rebind(action_named(action).unwrap(), chords);
    }
    s.prefs.keymap = keymap;
    s
}

fn alt(c: char) -> Event {
    Event::Key(Key {
        code: KeyCode::Char(c),
        ctrl: false,
        alt: true,
    })
}

fn join_rust(s: &mut State) {
    type_line(s, "/join rust");
    frame(s, welcome("rust"));
    frame(s, history("rust", vec![], false));
}

#[test]
fn a_rebound_key_does_its_new_action_and_the_old_key_nothing() {
    let mut s = with_keys(&[("next_room", &["alt-n"]), ("prev_room", &["alt-p"])]);
    join_rust(&mut s);
    assert_eq!(s.room().name.as_str(), "rust");
    s.update(ctrl('p'));
    assert_eq!(s.room().name.as_str(), "rust", "Ctrl-P no longer switches");
    s.update(alt('p'));
    assert_eq!(s.room().name.as_str(), "general");
    s.update(alt('n'));
    assert_eq!(s.room().name.as_str(), "rust");
}

#[test]
fn a_key_given_to_another_action_is_taken_from_its_old_one() {
    let mut s = with_keys(&[("help", &["ctrl-p"])]);
    join_rust(&mut s);
    s.update(ctrl('p'));
    assert_eq!(s.screen, Screen::Help, "Ctrl-P opens the help now");
    assert_eq!(s.room().name.as_str(), "rust", "and does not switch rooms");
}

#[test]
fn an_action_without_keys_is_not_reachable_by_its_old_key() {
    let mut s = with_keys(&[("help", &[])]);
    s.update(key(KeyCode::F(1)));
    assert_eq!(s.screen, Screen::Chat);
    type_line(&mut s, "/help");
    assert_eq!(s.screen, Screen::Help, "the command still works");
}

#[test]
fn quit_can_move_to_another_key() {
    let mut s = with_keys(&[("quit", &["ctrl-q"])]);
    assert!(s.update(ctrl('c')).is_empty());
    assert!(!s.quit);
    assert_eq!(s.update(ctrl('q')), vec![Effect::Quit]);
}

#[test]
fn editing_actions_can_be_rebound_too() {
    let mut s = with_keys(&[("kill_to_start", &["alt-backspace"])]);
    for c in "one two".chars() {
        s.update(key(KeyCode::Char(c)));
    }
    s.update(Event::Key(Key {
        code: KeyCode::Backspace,
        ctrl: false,
        alt: true,
    }));
    assert!(s.input.is_empty());
}

#[test]
fn keys_are_written_as_people_write_them() {
    let chord = |code, ctrl, alt| Chord { code, ctrl, alt };
    assert_eq!(
        parse_chord("ctrl-n"),
        Ok(chord(KeyCode::Char('n'), true, false))
    );
    assert_eq!(
        parse_chord("Ctrl-N"),
        Ok(chord(KeyCode::Char('n'), true, false))
    );
    assert_eq!(
        parse_chord("alt-Left"),
        Ok(chord(KeyCode::Left, false, true))
    );
    assert_eq!(
        parse_chord("pgup"),
        Ok(chord(KeyCode::PageUp, false, false))
    );
    assert_eq!(parse_chord("F12"), Ok(chord(KeyCode::F(12), false, false)));
    assert_eq!(
        parse_chord("ctrl-alt-x"),
        Ok(chord(KeyCode::Char('x'), true, true))
    );
    assert_eq!(
        parse_chord("shift-tab"),
        Ok(chord(KeyCode::BackTab, false, false))
    );
    assert!(parse_chord("x").unwrap_err().contains("types itself"));
    assert!(parse_chord("ctl-n").unwrap_err().contains("no key"));
    assert!(parse_chord("f99").is_err());
    assert_eq!(
        chord_label(parse_chord("ctrl-alt-x").unwrap()),
        "Ctrl-Alt-X"
    );
    assert_eq!(chord_label(parse_chord("pgdn").unwrap()), "PgDn");
}

#[test]
fn every_action_has_a_name_and_a_name_a_single_action() {
    use crate::app::bindings::{ACTIONS, action_name};
    for (name, action) in ACTIONS {
        assert_eq!(action_named(name), Ok(*action));
        assert_eq!(action_name(*action), Some(*name));
    }
    assert_eq!(
        action_named("kill_to_end"),
        Ok(Action::Edit(Edit::KillToEnd))
    );
    let err = action_named("next_rom").unwrap_err();
    assert!(
        err.contains("next_room"),
        "the error lists the names: {err}"
    );
}

#[test]
fn the_default_keymap_is_the_tables() {
    use crate::app::keymap::{KEYMAP, action};
    let keymap = Keymap::default();
    for binding in KEYMAP {
        for (chord, _) in binding.keys {
            let press = Key {
                code: chord.code,
                ctrl: chord.ctrl,
                alt: chord.alt,
            };
            assert_eq!(
                keymap.action(binding.scope, press),
                action(binding.scope, press)
            );
        }
    }
}

#[test]
fn the_help_overlay_lists_the_keys_in_force() {
    let row = |keys: &str, what: &str| (keys.to_owned(), what.to_owned());
    // Ctrl-P goes to the help: previous room loses it, next room keeps its own.
    let s = with_keys(&[("help", &["ctrl-p", "f2"])]);
    let rows = help::overlay_for(&s.prefs.keymap);
    assert!(
        rows.contains(&row("Ctrl-N", "next room (config.toml)")),
        "{rows:#?}"
    );
    assert!(rows.contains(&row("(no key)", "prev room (config.toml)")));
    assert!(rows.contains(&row("Ctrl-P, F2", "help (config.toml)")));
    assert!(
        !rows
            .iter()
            .any(|(keys, _)| keys.contains("Ctrl-N / Ctrl-P") || keys == "F1"),
        "the table's rows for them are gone: {rows:#?}"
    );
    assert!(
        rows.contains(&row("Enter", "send the line")),
        "the rest as the table says"
    );
    let defaults: Vec<_> = help::overlay()
        .into_iter()
        .map(|d| row(d.keys, d.what))
        .collect();
    assert_eq!(help::overlay_for(&Keymap::default()), defaults);
}
