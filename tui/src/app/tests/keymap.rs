//! Keys: what each does on each screen, dispatched through the one keymap.

use super::*;
use crate::app::keys::Key;

#[test]
fn ctrl_c_quits_from_any_screen() {
    let mut s = client();
    assert_eq!(s.update(ctrl('c')), vec![Effect::Quit]);
    let mut s = client();
    s.update(Event::LoginNeeded(None));
    assert_eq!(s.update(ctrl('c')), vec![Effect::Quit]);
}

#[test]
fn editing_keys_reach_the_line_editor() {
    let mut s = online(vec![], &[]);
    for c in "héllo wörld".chars() {
        s.update(key(KeyCode::Char(c)));
    }
    s.update(ctrl('w'));
    assert_eq!(s.input.text(), "héllo ");
    s.update(key(KeyCode::Backspace));
    s.update(key(KeyCode::Backspace));
    assert_eq!(s.input.text(), "héll");
    s.update(ctrl('a'));
    s.update(key(KeyCode::Delete));
    assert_eq!(s.input.text(), "éll");
    s.update(ctrl('e'));
    s.update(key(KeyCode::Char('!')));
    assert_eq!(s.input.text(), "éll!");
    s.update(ctrl('u'));
    assert!(s.input.is_empty());
    type_line(&mut s, "one");
    s.update(key(KeyCode::Up));
    assert_eq!(s.input.text(), "one");
    s.update(key(KeyCode::Down));
    assert!(s.input.is_empty());
    s.update(Event::Paste("pasted\ntext".into()));
    assert_eq!(s.input.text(), "pasted text");
}

#[test]
fn every_bound_key_does_what_its_row_says() {
    use crate::app::keymap::{KEYMAP, action};
    for binding in KEYMAP {
        for (chord, want) in binding.keys {
            let press = Key {
                code: chord.code,
                ctrl: chord.ctrl,
                alt: chord.alt,
            };
            let got = action(binding.scope, press);
            assert_eq!(got, Some(*want), "{chord:?} in {:?}", binding.scope);
        }
    }
}

#[test]
fn a_key_with_ctrl_does_its_ctrl_binding_and_otherwise_what_it_does_plain() {
    let mut s = online(vec![], &[]);
    typed_keys(&mut s, "one two three");
    s.update(Event::Key(Key::ctrl(KeyCode::Backspace)));
    assert_eq!(s.input.text(), "one two ", "Ctrl-Backspace deletes a word");
    s.update(key(KeyCode::Backspace));
    assert_eq!(s.input.text(), "one two", "Backspace one character");
    s.update(Event::Key(Key::ctrl(KeyCode::Home)));
    assert_eq!(
        s.input.cursor(),
        0,
        "Home has no Ctrl binding: Ctrl-Home is Home"
    );
}

#[test]
fn characters_with_alt_are_typed_on_the_login_screen_only() {
    let alt_x = Event::Key(Key {
        code: KeyCode::Char('x'),
        ctrl: false,
        alt: true,
    });
    let mut s = online(vec![], &[]);
    s.update(alt_x.clone());
    assert!(s.input.is_empty());
    s.update(Event::LoginNeeded(None));
    s.update(alt_x);
    let Screen::Login(form) = &s.screen else {
        panic!()
    };
    assert_eq!(form.password.text(), "x");
}

#[test]
fn any_key_closes_the_help_overlay_but_ctrl_c_still_quits() {
    let mut s = online(vec![], &[]);
    s.update(key(KeyCode::F(1)));
    assert_eq!(s.screen, Screen::Help);
    s.update(key(KeyCode::Other));
    assert_eq!(
        s.screen,
        Screen::Chat,
        "a key sapa does not bind closes it too"
    );
    s.update(key(KeyCode::F(1)));
    assert_eq!(s.update(ctrl('c')), vec![Effect::Quit]);
}

fn typed_keys(s: &mut State, text: &str) {
    for c in text.chars() {
        s.update(key(KeyCode::Char(c)));
    }
}
