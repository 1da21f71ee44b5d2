//! Runs of joins and leaves fold into one line; a message ends a run;
//! `/joins` shows every line; a scrolled-up view stays still as a run grows.

use super::*;

fn shown(s: &State, n: usize) -> Vec<String> {
    s.layout()
        .last_rows(n)
        .iter()
        .map(|row| row.iter().map(|seg| seg.text.as_str()).collect())
        .collect()
}

fn storm(s: &mut State, times: usize) {
    for _ in 0..times {
        frame(s, joined("general", "carol"));
        frame(s, left("general", "carol"));
    }
}

#[test]
fn a_script_coming_and_going_forty_times_is_one_line() {
    let mut s = online(vec![msg(1, "bob", "hi")], &["alice", "bob"]);
    storm(&mut s, 40);
    frame(&mut s, joined("general", "dave"));
    assert_eq!(
        shown(&s, 2),
        [
            "10:45 * Welcome alice!",
            "10:50 ↔ carol joined and left 40 times, dave joined"
        ]
    );
}

#[test]
fn a_lone_join_reads_as_before_and_a_message_ends_a_run() {
    let mut s = online(vec![], &["alice"]);
    frame(&mut s, joined("general", "dave"));
    assert_eq!(shown(&s, 1), ["10:50 → dave joined"]);
    frame(&mut s, ServerMessage::Message(msg(2, "dave", "hello")));
    frame(&mut s, left("general", "dave"));
    assert_eq!(
        shown(&s, 3),
        [
            "10:50 → dave joined",
            "10:02 dave hello",
            "10:51 ← dave left"
        ],
        "someone who speaks keeps the join line above what they said"
    );
}

#[test]
fn slash_joins_shows_every_line_and_folds_them_again() {
    let mut s = online(vec![], &["alice"]);
    storm(&mut s, 2);
    type_line(&mut s, "/joins");
    assert_eq!(
        shown(&s, 5),
        [
            "10:50 → carol joined",
            "10:51 ← carol left",
            "10:50 → carol joined",
            "10:51 ← carol left",
            "10:55 * showing every join and leave; /joins folds them again"
        ]
    );
    type_line(&mut s, "/joins");
    assert_eq!(
        shown(&s, 4),
        [
            "10:51 ↔ carol joined and left 2 times",
            "10:55 * showing every join and leave; /joins folds them again",
            "10:55 * folding runs of joins and leaves; /joins shows them",
            "      all"
        ]
    );
}

#[test]
fn a_growing_run_does_not_move_a_scrolled_up_view() {
    let msgs = (1..=40)
        .map(|i| msg(i, "bob", &format!("line {i}")))
        .collect();
    let mut s = online(msgs, &["alice", "bob"]);
    frame(&mut s, joined("general", "carol"));
    s.update(key(KeyCode::PageUp));
    let scroll = s.room().scroll;
    let top = shown(&s, s.total_rows()).len();
    assert!(scroll > 0);
    storm(&mut s, 5);
    assert_eq!(s.room().scroll, scroll, "the run is still one line");
    assert_eq!(shown(&s, s.total_rows()).len(), top);
}
