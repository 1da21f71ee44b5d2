//! The input line editor: the text being typed, a cursor that moves by
//! grapheme (so `é`, `👍🏽` and `日本` are one step each, never half a byte),
//! the recall list of sent lines, and the horizontally scrolled view that
//! keeps the cursor on screen however long the line grows.
//!
//! Pure data: no terminal, no keys. [`crate::app`] maps keys onto these
//! methods; [`crate::view`] draws [`LineEditor::view`].

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// How many sent lines Up/Down can recall.
const HISTORY_MAX: usize = 200;

/// A single-line editor with recall history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineEditor {
    text: String,
    /// Byte offset of the cursor, always on a grapheme boundary.
    cursor: usize,
    /// Sent lines, oldest first.
    history: Vec<String>,
    /// Which history entry is shown while recalling, if any.
    recall: Option<usize>,
    /// What was typed before recalling started, restored past the newest.
    draft: String,
}

/// The visible part of the line for a given width, and where the cursor is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// The text to draw, at most `width` columns wide.
    pub text: String,
    /// The cursor's column inside `text`.
    pub cursor_col: usize,
}

impl LineEditor {
    /// An empty editor.
    pub fn new() -> Self {
        Self::default()
    }

    /// The whole line.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The cursor's byte offset (on a grapheme boundary).
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Whether nothing is typed.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Whether the cursor sits after the last character.
    pub fn at_end(&self) -> bool {
        self.cursor == self.text.len()
    }

    /// Inserts one character at the cursor.
    pub fn insert_char(&mut self, c: char) {
        let c = if c == '\n' || c == '\r' { ' ' } else { c };
        if c.is_control() && c != '\t' {
            return;
        }
        self.text.insert(self.cursor, c);
        self.cursor += c.len_utf8();
        // A combining mark joins the grapheme before it: keep the cursor on
        // a boundary.
        self.cursor = self.boundary_at_or_after(self.cursor);
        self.recall = None;
    }

    /// Inserts pasted text; line breaks become spaces, other control
    /// characters are dropped (the input is a single line).
    pub fn insert_str(&mut self, s: &str) {
        let clean: String = s
            .replace("\r\n", " ")
            .chars()
            .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
            .filter(|c| !c.is_control() || *c == '\t')
            .collect();
        self.text.insert_str(self.cursor, &clean);
        self.cursor = self.boundary_at_or_after(self.cursor + clean.len());
        self.recall = None;
    }

    /// Deletes the grapheme before the cursor.
    pub fn backspace(&mut self) {
        if let Some(start) = self.prev_boundary() {
            self.text.replace_range(start..self.cursor, "");
            self.cursor = start;
        }
    }

    /// Deletes the grapheme under the cursor.
    pub fn delete(&mut self) {
        if let Some(end) = self.next_boundary() {
            self.text.replace_range(self.cursor..end, "");
        }
    }

    /// Moves one grapheme left.
    pub fn left(&mut self) {
        if let Some(p) = self.prev_boundary() {
            self.cursor = p;
        }
    }

    /// Moves one grapheme right.
    pub fn right(&mut self) {
        if let Some(n) = self.next_boundary() {
            self.cursor = n;
        }
    }

    /// Moves to the start of the line.
    pub fn home(&mut self) {
        self.cursor = 0;
    }

    /// Moves past the end of the line.
    pub fn end(&mut self) {
        self.cursor = self.text.len();
    }

    /// Deletes the word before the cursor (Ctrl-W): trailing spaces, then
    /// everything back to the previous space.
    pub fn delete_word_back(&mut self) {
        let before = &self.text[..self.cursor];
        let trimmed = before.trim_end_matches(' ');
        let start = trimmed.rfind(' ').map_or(0, |i| i + 1);
        self.text.replace_range(start..self.cursor, "");
        self.cursor = start;
    }

    /// Deletes everything before the cursor (Ctrl-U).
    pub fn kill_to_start(&mut self) {
        self.text.replace_range(..self.cursor, "");
        self.cursor = 0;
    }

    /// Deletes everything after the cursor (Ctrl-K).
    pub fn kill_to_end(&mut self) {
        self.text.truncate(self.cursor);
    }

    /// The word the cursor ends (from the last space before it): its byte
    /// offset and text. Completion replaces it.
    pub fn word_before_cursor(&self) -> (usize, &str) {
        let before = &self.text[..self.cursor];
        let start = before.rfind(' ').map_or(0, |i| i + 1);
        (start, &before[start..])
    }

    /// Replaces the text from `start` to the cursor with `with`, leaving
    /// the cursor after it.
    pub fn replace_before_cursor(&mut self, start: usize, with: &str) {
        self.text.replace_range(start..self.cursor, with);
        self.cursor = start + with.len();
        self.recall = None;
    }

    /// Empties the line without recording it.
    pub fn clear(&mut self) {
        self.text.clear();
        self.cursor = 0;
        self.recall = None;
    }

    /// Takes the line for sending: records it for recall (unless it repeats
    /// the last one) and leaves the editor empty.
    pub fn submit(&mut self) -> String {
        let line = std::mem::take(&mut self.text);
        self.cursor = 0;
        self.recall = None;
        self.draft.clear();
        if !line.trim().is_empty() && self.history.last() != Some(&line) {
            self.history.push(line.clone());
            if self.history.len() > HISTORY_MAX {
                self.history.remove(0);
            }
        }
        line
    }

    /// Shows the previous sent line (Up). Returns whether anything changed.
    pub fn recall_prev(&mut self) -> bool {
        let next = match self.recall {
            None if self.history.is_empty() => return false,
            None => {
                self.draft = self.text.clone();
                self.history.len() - 1
            }
            Some(0) => return false,
            Some(i) => i - 1,
        };
        self.show_recalled(next);
        true
    }

    /// Shows the next sent line, or what was typed before recalling (Down).
    pub fn recall_next(&mut self) -> bool {
        match self.recall {
            None => false,
            Some(i) if i + 1 < self.history.len() => {
                self.show_recalled(i + 1);
                true
            }
            Some(_) => {
                self.recall = None;
                self.text = std::mem::take(&mut self.draft);
                self.cursor = self.text.len();
                true
            }
        }
    }

    fn show_recalled(&mut self, index: usize) {
        self.recall = Some(index);
        self.text = self.history[index].clone();
        self.cursor = self.text.len();
    }

    /// The part of the line that fits in `width` columns, scrolled so the
    /// cursor is visible, and the cursor's column in it. A wide character is
    /// never cut in half: it is shown whole or not at all.
    pub fn view(&self, width: usize) -> View {
        view_of(&self.text, self.cursor, width, None)
    }

    /// Like [`Self::view`], but every character drawn as `mask` (passwords).
    pub fn masked_view(&self, width: usize, mask: char) -> View {
        view_of(&self.text, self.cursor, width, Some(mask))
    }

    fn prev_boundary(&self) -> Option<usize> {
        self.text[..self.cursor]
            .grapheme_indices(true)
            .next_back()
            .map(|(i, _)| i)
    }

    fn next_boundary(&self) -> Option<usize> {
        self.text[self.cursor..]
            .graphemes(true)
            .next()
            .map(|g| self.cursor + g.len())
    }

    fn boundary_at_or_after(&self, at: usize) -> usize {
        let mut pos = 0;
        for g in self.text.graphemes(true) {
            if pos >= at {
                return pos;
            }
            pos += g.len();
        }
        pos
    }
}

/// Display width of one grapheme as the input line draws it (a tab is one
/// space wide; zero-width clusters still take no room).
fn grapheme_width(g: &str) -> usize {
    if g == "\t" { 1 } else { g.width() }
}

fn view_of(text: &str, cursor: usize, width: usize, mask: Option<char>) -> View {
    if width == 0 {
        return View {
            text: String::new(),
            cursor_col: 0,
        };
    }
    let cells: Vec<(usize, String, usize)> = text
        .grapheme_indices(true)
        .map(|(i, g)| {
            let shown = match mask {
                Some(m) => m.to_string(),
                None if g == "\t" => " ".to_owned(),
                None => g.to_owned(),
            };
            let w = match mask {
                Some(_) => 1,
                None => grapheme_width(g),
            };
            (i, shown, w)
        })
        .collect();
    let cursor_index = cells
        .iter()
        .position(|(i, _, _)| *i >= cursor)
        .unwrap_or(cells.len());
    let cursor_col_abs: usize = cells[..cursor_index].iter().map(|c| c.2).sum();
    // Leave one column for the cursor itself when it sits past the end.
    let room = width.saturating_sub(1).max(1);
    let mut start = 0;
    if cursor_col_abs > room {
        // Drop graphemes from the left until the cursor fits.
        let mut dropped = 0;
        while start < cursor_index && cursor_col_abs - dropped > room {
            dropped += cells[start].2;
            start += 1;
        }
    }
    let mut out = String::new();
    let mut used = 0;
    let mut cursor_col = 0;
    for (n, (_, shown, w)) in cells.iter().enumerate().skip(start) {
        if n == cursor_index {
            cursor_col = used;
        }
        if used + w > width {
            break;
        }
        out.push_str(shown);
        used += w;
    }
    if cursor_index >= cells.len() {
        cursor_col = used;
    }
    View {
        text: out,
        cursor_col,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
