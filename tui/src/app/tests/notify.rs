//! Bells and desktop notifications: for a mention by someone else, a
//! notification only while the terminal is not focused, never for one's
//! own messages, and never a flood.

use super::*;
use crate::app::notify::{Notification, NotifyPrefs, QUIET};

fn live(s: &mut State, id: i64, user: &str, text: &str) -> Vec<Effect> {
    frame(s, ServerMessage::Message(msg(id, user, text)))
}

fn notes(fx: &[Effect]) -> Vec<&Notification> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Notify(n) => Some(n),
            _ => None,
        })
        .collect()
}

fn unfocused() -> State {
    let mut s = online(vec![], &["alice", "bob"]);
    s.update(Event::Focus(false));
    s
}

#[test]
fn a_mention_while_focused_rings_the_bell_and_notifies_nothing() {
    let mut s = online(vec![], &[]);
    assert_eq!(live(&mut s, 1, "bob", "alice: lunch?"), vec![Effect::Bell]);
}

#[test]
fn a_mention_while_unfocused_rings_and_notifies_the_desktop() {
    let mut s = unfocused();
    let fx = live(&mut s, 1, "bob", "alice: lunch?");
    assert_eq!(
        fx,
        vec![
            Effect::Bell,
            Effect::Notify(Notification {
                title: "bob mentioned you in #general".into(),
                body: "alice: lunch?".into(),
            })
        ]
    );
}

#[test]
fn other_messages_and_ones_own_never_signal() {
    let mut s = unfocused();
    assert!(live(&mut s, 1, "bob", "lunch, anyone?").is_empty());
    assert!(live(&mut s, 2, "alice", "alice here, talking of alice").is_empty());
    assert!(live(&mut s, 3, "ALICE", "hi alice").is_empty(), "any case");
}

#[test]
fn mentions_in_a_resumed_replay_or_older_history_do_not_signal() {
    let mut s = unfocused();
    let fx = frame(
        &mut s,
        history("general", vec![msg(1, "bob", "alice: old news")], false),
    );
    assert!(notes(&fx).is_empty());
}

#[test]
fn a_flood_of_mentions_gives_one_notification_then_one_summary() {
    let mut s = unfocused();
    let t = s.clock.now;
    let first = live(&mut s, 1, "bob", "alice!");
    assert_eq!(notes(&first).len(), 1);
    for id in 2..=30 {
        assert!(
            live(&mut s, id, "bob", "alice!!").is_empty(),
            "message {id}"
        );
    }
    assert!(tick(&mut s, t + QUIET / 2).is_empty(), "still quiet");
    let fx = tick(&mut s, t + QUIET);
    assert_eq!(
        notes(&fx),
        vec![&Notification {
            title: "sapa".into(),
            body: "29 more messages for you in #general".into(),
        }]
    );
    assert!(fx.contains(&Effect::Bell));
    assert!(tick(&mut s, t + QUIET * 3).is_empty(), "said once");
}

#[test]
fn looking_at_the_terminal_drops_the_summary() {
    let mut s = unfocused();
    let t = s.clock.now;
    live(&mut s, 1, "bob", "alice!");
    live(&mut s, 2, "bob", "alice!!");
    s.update(Event::Focus(true));
    let fx = tick(&mut s, t + QUIET * 2);
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::Bell | Effect::Notify(_))),
        "{fx:?}"
    );
}

#[test]
fn after_the_quiet_time_the_next_mention_signals_again() {
    let mut s = unfocused();
    let t = s.clock.now;
    live(&mut s, 1, "bob", "alice!");
    tick(&mut s, t + QUIET);
    let fx = live(&mut s, 2, "carol", "alice?");
    assert_eq!(notes(&fx)[0].title, "carol mentioned you in #general");
}

#[test]
fn the_config_can_turn_the_bell_or_the_notifications_off() {
    let mut s = unfocused();
    s.prefs.notify = NotifyPrefs {
        bell: false,
        desktop: true,
    };
    let fx = live(&mut s, 1, "bob", "alice!");
    assert!(!fx.contains(&Effect::Bell));
    assert_eq!(notes(&fx).len(), 1);
    let mut s = unfocused();
    s.prefs.notify = NotifyPrefs {
        bell: true,
        desktop: false,
    };
    assert_eq!(live(&mut s, 1, "bob", "alice!"), vec![Effect::Bell]);
}

#[test]
fn notification_text_is_one_clean_line() {
    let mut s = unfocused();
    let long = format!("alice\nlook\tat this: {}", "x".repeat(300));
    let fx = live(&mut s, 1, "bob", &long);
    let body = &notes(&fx)[0].body;
    assert!(body.starts_with("alice look at this: xxx"), "{body}");
    assert!(!body.chars().any(char::is_control));
    assert_eq!(body.chars().count(), 160);
    assert!(body.ends_with('…'));
}
