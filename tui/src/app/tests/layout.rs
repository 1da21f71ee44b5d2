//! Text layout: wrapping by display width, the chat screen's areas, and a
//! room's rows (day markers, the bottom rows).

use unicode_width::UnicodeWidthStr;

use super::*;
use crate::app::layout::{self, Size, areas, wrap};

#[test]
fn short_text_is_one_row() {
    assert_eq!(wrap("hello world", 20, 20), vec!["hello world"]);
}

#[test]
fn wraps_at_word_boundaries() {
    assert_eq!(
        wrap("the quick brown fox", 10, 10),
        vec!["the quick", "brown fox"]
    );
}

#[test]
fn first_row_can_be_narrower() {
    assert_eq!(wrap("aaa bbb ccc", 3, 7), vec!["aaa", "bbb ccc"]);
}

#[test]
fn long_words_break_between_graphemes() {
    assert_eq!(wrap("abcdefghij", 4, 4), vec!["abcd", "efgh", "ij"]);
}

#[test]
fn wide_characters_are_never_split() {
    let rows = wrap("日本語のテキスト", 5, 5);
    for r in &rows {
        assert!(r.width() <= 5, "{r:?}");
    }
    assert_eq!(rows.concat(), "日本語のテキスト");
    assert_eq!(rows[0], "日本");
}

#[test]
fn newlines_start_rows_and_tabs_become_spaces() {
    assert_eq!(wrap("a\tb\nc", 20, 20), vec!["a    b", "c"]);
}

#[test]
fn punctuation_stays_with_its_word() {
    assert_eq!(
        wrap("look at the deploy?", 18, 18),
        vec!["look at the", "deploy?"]
    );
}

#[test]
fn users_pane_hides_on_narrow_terminals() {
    assert!(areas(Size::new(80, 24)).users.is_some());
    let small = areas(Size::new(40, 12));
    assert!(small.users.is_none());
    assert_eq!(small.messages.height, 9);
    assert_eq!(small.input.y, 11);
}

fn row_text(row: &layout::Row) -> String {
    row.iter().map(|s| s.text.as_str()).collect()
}

#[test]
fn a_new_day_gets_a_marker_and_today_needs_none() {
    let mut old = msg(1, "bob", "from saturday");
    old.timestamp = t0() - time::Duration::days(2);
    let mut s = online(vec![old, msg(2, "bob", "from today")], &[]);
    s.update(Event::Resize(Size::new(80, 24)));
    let rows: Vec<String> = s.layout().last_rows(100).iter().map(row_text).collect();
    let at = |needle: &str| {
        rows.iter()
            .position(|r| r.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not in {rows:#?}"))
    };
    assert!(at("Sat 21 Nov 2026") < at("from saturday"));
    assert!(at("from saturday") < at("Mon 23 Nov 2026"));
    assert!(at("Mon 23 Nov 2026") < at("from today"));

    let today_only = online(vec![msg(1, "bob", "hi")], &[]);
    let rows: Vec<String> = today_only
        .layout()
        .last_rows(100)
        .iter()
        .map(row_text)
        .collect();
    assert!(!rows.iter().any(|r| r.contains("Nov 2026")), "{rows:#?}");
}

#[test]
fn the_bottom_rows_are_the_end_of_all_rows() {
    let msgs = (1..=30)
        .map(|i| msg(i, "bob", &"word ".repeat(i as usize)))
        .collect();
    let mut s = online(msgs, &[]);
    type_line(&mut s, "pending one");
    let layout = s.layout();
    let all: Vec<String> = layout.last_rows(usize::MAX).iter().map(row_text).collect();
    assert_eq!(all.len(), layout.total_rows());
    for n in [0, 1, 7, 40, all.len(), all.len() + 5] {
        let bottom: Vec<String> = layout.last_rows(n).iter().map(row_text).collect();
        assert_eq!(bottom, all[all.len().saturating_sub(n)..], "n = {n}");
    }
    assert!(all.last().unwrap().contains("pending one"));
}
