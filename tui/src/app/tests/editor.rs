//! The line editor: graphemes, word deletion, recall, paste, and the view
//! that keeps the cursor visible without splitting a wide character.

use unicode_width::UnicodeWidthStr;

use crate::app::editor::LineEditor;

fn typed(s: &str) -> LineEditor {
    let mut e = LineEditor::new();
    for c in s.chars() {
        e.insert_char(c);
    }
    e
}

#[test]
fn typing_appends_and_moves_the_cursor() {
    let e = typed("hello");
    assert_eq!(e.text(), "hello");
    assert!(e.at_end());
}

#[test]
fn backspace_removes_a_whole_multibyte_character() {
    let mut e = typed("café");
    e.backspace();
    assert_eq!(e.text(), "caf");
    let mut e = typed("ok👍🏽");
    e.backspace();
    assert_eq!(e.text(), "ok", "emoji with skin tone is one grapheme");
}

#[test]
fn combining_marks_stay_with_their_letter() {
    let mut e = typed("e\u{301}x");
    e.left();
    e.left();
    assert_eq!(e.cursor(), 0, "é (e + combining acute) is one step");
    e.delete();
    assert_eq!(e.text(), "x");
}

#[test]
fn left_right_home_end_move_by_grapheme() {
    let mut e = typed("日本語");
    e.left();
    assert_eq!(e.cursor(), "日本".len());
    e.home();
    assert_eq!(e.cursor(), 0);
    e.right();
    assert_eq!(e.cursor(), "日".len());
    e.insert_char('x');
    assert_eq!(e.text(), "日x本語");
    e.end();
    assert!(e.at_end());
    e.right();
    assert!(e.at_end(), "right at the end stays put");
}

#[test]
fn delete_removes_under_the_cursor() {
    let mut e = typed("abc");
    e.home();
    e.delete();
    assert_eq!(e.text(), "bc");
    e.end();
    e.delete();
    assert_eq!(e.text(), "bc");
}

#[test]
fn ctrl_w_deletes_the_previous_word_and_ctrl_u_the_start() {
    let mut e = typed("hello big  world  ");
    e.delete_word_back();
    assert_eq!(e.text(), "hello big  ");
    e.delete_word_back();
    assert_eq!(e.text(), "hello ");
    let mut e = typed("one two");
    e.left();
    e.left();
    e.kill_to_start();
    assert_eq!(e.text(), "wo");
    assert_eq!(e.cursor(), 0);
    e.right();
    e.kill_to_end();
    assert_eq!(e.text(), "w");
}

#[test]
fn the_word_before_the_cursor_can_be_replaced() {
    let mut e = typed("hi bo");
    assert_eq!(e.word_before_cursor(), (3, "bo"));
    e.replace_before_cursor(3, "bob ");
    assert_eq!(e.text(), "hi bob ");
    assert!(e.at_end());
    assert_eq!(e.word_before_cursor(), (7, ""));
}

#[test]
fn paste_turns_line_breaks_into_spaces() {
    let mut e = typed("a");
    e.insert_str("b\r\nc\nd\u{7}");
    assert_eq!(e.text(), "ab c d");
    assert!(e.at_end());
}

#[test]
fn up_and_down_recall_sent_lines_and_restore_the_draft() {
    let mut e = typed("first");
    assert_eq!(e.submit(), "first");
    for c in "second".chars() {
        e.insert_char(c);
    }
    e.submit();
    for c in "draft".chars() {
        e.insert_char(c);
    }
    assert!(e.recall_prev());
    assert_eq!(e.text(), "second");
    assert!(e.recall_prev());
    assert_eq!(e.text(), "first");
    assert!(!e.recall_prev(), "nothing older");
    assert!(e.recall_next());
    assert_eq!(e.text(), "second");
    assert!(e.recall_next());
    assert_eq!(e.text(), "draft");
    assert!(!e.recall_next());
}

#[test]
fn repeated_and_blank_lines_are_not_recorded_twice() {
    let mut e = typed("same");
    e.submit();
    e.insert_str("same");
    e.submit();
    e.insert_str("   ");
    e.submit();
    assert!(e.recall_prev());
    assert_eq!(e.text(), "same");
    assert!(!e.recall_prev());
}

#[test]
fn view_scrolls_to_keep_the_cursor_visible() {
    let e = typed("abcdefghij");
    let v = e.view(5);
    assert_eq!(v.text, "ghij");
    assert_eq!(v.cursor_col, 4);
    let mut e = e;
    e.home();
    let v = e.view(5);
    assert_eq!(v.text, "abcde");
    assert_eq!(v.cursor_col, 0);
}

#[test]
fn view_never_splits_a_wide_character() {
    let mut e = typed("日本語テキスト");
    let v = e.view(6);
    assert!(v.text.width() <= 6, "{:?}", v.text);
    assert_eq!(v.cursor_col, v.text.width());
    e.home();
    let v = e.view(5);
    assert_eq!(v.text, "日本");
    assert_eq!(v.cursor_col, 0);
    e.right();
    e.right();
    let v = e.view(5);
    assert_eq!(v.cursor_col, 4);
}

#[test]
fn masked_view_hides_every_character() {
    let e = typed("sécret日");
    let v = e.masked_view(20, '•');
    assert_eq!(v.text, "•••••••");
    assert_eq!(v.cursor_col, 7);
}
