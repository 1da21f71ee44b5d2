//! Text into rows: a message as `HH:MM nick text` wrapped by display
//! width, grapheme by grapheme, continuation rows under the name.

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

use super::{INDENT, Row, Tone, seg};

/// `HH:MM nick text`, wrapped; continuation rows start under the name
/// ([`INDENT`] with the default time format, never past half the width).
pub(super) fn message_rows(
    time: &str,
    nick: &str,
    nick_tone: Tone,
    text: &str,
    text_tone: Tone,
    width: usize,
) -> Vec<Row> {
    let width = width.max(INDENT + 4);
    let indent = (time.width() + 1).min(width / 2);
    let prefix_w = time.width() + 1 + nick.width() + 1;
    // A name too long for the pane still leaves room for some text.
    let first_w = width.saturating_sub(prefix_w).max(width / 3).max(1);
    let rest_w = width - indent;
    let lines = wrap(text, first_w, rest_w);
    let mut rows = Vec::with_capacity(lines.len());
    for (i, line) in lines.into_iter().enumerate() {
        if i == 0 {
            let mut row = vec![
                seg(format!("{time} "), Tone::Time),
                seg(nick, nick_tone.clone()),
                seg(" ", Tone::Text),
            ];
            row.push(seg(line, text_tone.clone()));
            rows.push(row);
        } else {
            rows.push(vec![
                seg(" ".repeat(indent), Tone::Text),
                seg(line, text_tone.clone()),
            ]);
        }
    }
    rows
}

/// Splits text into alternating runs of spaces and of everything else, so
/// punctuation stays with its word.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_space = None;
    for (i, c) in text.char_indices() {
        let space = c == ' ';
        if in_space.is_some_and(|s| s != space) {
            out.push(&text[start..i]);
            start = i;
        }
        in_space = Some(space);
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// Word-wraps `text` by display width: the first row holds `first` columns,
/// every later row `rest`. Newlines start new rows, tabs become spaces,
/// words longer than a row are broken between graphemes.
pub fn wrap(text: &str, first: usize, rest: usize) -> Vec<String> {
    let mut rows: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut used = 0;
    let limit = |rows: &Vec<String>| if rows.is_empty() { first } else { rest }.max(1);
    for (p, paragraph) in text.split('\n').enumerate() {
        if p > 0 {
            rows.push(std::mem::take(&mut current));
            used = 0;
        }
        let paragraph = paragraph.replace('\t', "    ");
        for token in tokens(&paragraph) {
            let w = token.width();
            let max = limit(&rows);
            if used + w <= max {
                current.push_str(token);
                used += w;
                continue;
            }
            if token.trim().is_empty() {
                // Whitespace at a break is dropped.
                rows.push(std::mem::take(&mut current));
                used = 0;
                continue;
            }
            // A word that fits on a fresh row moves there whole; wide
            // scripts (CJK), which break anywhere, fill the row instead.
            let wide = token.graphemes(true).any(|g| g.width() > 1);
            if used > 0 && w <= rest.max(1) && !wide {
                let trimmed = current.trim_end_matches(' ').len();
                current.truncate(trimmed);
                rows.push(std::mem::take(&mut current));
                current.push_str(token);
                used = w;
                continue;
            }
            for g in token.graphemes(true) {
                let gw = g.width();
                if used + gw > limit(&rows) && used > 0 {
                    rows.push(std::mem::take(&mut current));
                    used = 0;
                }
                current.push_str(g);
                used += gw;
            }
        }
    }
    rows.push(current);
    rows
}
