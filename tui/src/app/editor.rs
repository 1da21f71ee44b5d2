//! The input line editor: the text being typed, a cursor that moves by
//! grapheme (so `é`, `👍🏽` and `日本` are one step each, never half a byte),
//! the recall list of sent lines, and the horizontally scrolled view that
//! keeps the cursor on screen however long the line grows.
//!
//! Pure data: no terminal. The keymap names edits ([`Edit`]) that
//! [`LineEditor::edit`] applies; [`crate::view`] draws [`LineEditor::view`].
//! A Tab completion in progress ([`Completion`]) is remembered beside the
//! editor, by the state machine.

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

use super::keymap::Edit;

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

/// A Tab completion in progress: the word as typed before the first Tab,
/// where it starts, which match is shown, and the line as the last Tab left
/// it. Tab again on that same line shows the next match; anything else
/// starts over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub prefix: String,
    pub start: usize,
    pub index: usize,
    pub line: String,
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

    /// Applies an editing key.
    pub fn edit(&mut self, edit: Edit) {
        match edit {
            Edit::Left => self.left(),
            Edit::Right => self.right(),
            Edit::Home => self.home(),
            Edit::End => self.end(),
            Edit::Backspace => self.backspace(),
            Edit::Delete => self.delete(),
            Edit::DeleteWordBack => self.delete_word_back(),
            Edit::KillToStart => self.kill_to_start(),
            Edit::KillToEnd => self.kill_to_end(),
        }
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
