//! The `/search` overlay: one line per match (room, time, name, the text
//! with the words searched for highlighted), the chosen one reversed, and
//! the keys at the bottom. Reads [`Found`]; Enter and Esc are the state
//! machine's.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::{Theme, centered};
use crate::app::State;
use crate::app::found::Found;

/// Draws the overlay over `area`.
pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, state: &State, found: &Found, theme: &Theme) {
    // As tall as the list and its key line, as the screen allows.
    let wanted = u16::try_from(found.messages.len() + 3).unwrap_or(u16::MAX);
    let popup = centered(
        area,
        area.width.saturating_sub(4).max(20),
        wanted.min(area.height.saturating_sub(2)),
    );
    let inner_rows = usize::from(popup.height.saturating_sub(3));
    // The chosen line stays in view: a window of the list around it.
    let first = found.selected.saturating_sub(inner_rows.saturating_sub(1));
    let words = query_words(&found.q);
    let mut lines: Vec<Line<'static>> = found
        .messages
        .iter()
        .enumerate()
        .skip(first)
        .take(inner_rows)
        .map(|(i, m)| {
            let time = state
                .prefs
                .time_format
                .format(m.timestamp, state.clock.utc_offset);
            let mut spans = vec![
                Span::styled(format!("#{} ", m.room), theme.hint),
                Span::styled(format!("{time} "), theme.time),
                Span::styled(format!("{}: ", m.username), theme.name),
            ];
            spans.extend(highlighted(m.content.as_str(), &words, theme));
            let line = Line::from(spans);
            if i == found.selected {
                line.style(Style::default().add_modifier(Modifier::REVERSED))
            } else {
                line
            }
        })
        .collect();
    let more = if found.has_more {
        ", older ones not shown"
    } else {
        ""
    };
    lines.push(Line::from(Span::styled(
        format!(
            "↑↓ choose  Enter go to it  Esc close  ({} found{more})",
            found.messages.len()
        ),
        theme.hint,
    )));
    let block = Block::bordered()
        .title(format!(" search: {} ", found.q))
        .title_alignment(Alignment::Center);
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

/// The words of a query that can appear in a match: quotes and `or`
/// dropped, `-excluded` words left out.
fn query_words(q: &str) -> Vec<String> {
    q.split(|c: char| c.is_whitespace() || c == '"')
        .filter(|w| !w.is_empty() && !w.starts_with('-') && !w.eq_ignore_ascii_case("or"))
        .map(str::to_lowercase)
        .collect()
}

/// `text` as spans, each place a query word appears (case-insensitively)
/// in the mention style.
fn highlighted(text: &str, words: &[String], theme: &Theme) -> Vec<Span<'static>> {
    let lower = text.to_lowercase();
    // Lowercasing can change byte lengths outside ASCII: match on the
    // original only where it keeps them.
    if lower.len() != text.len() {
        return vec![Span::styled(text.to_owned(), theme.text)];
    }
    let mut marks = vec![false; text.len()];
    for word in words {
        let mut from = 0;
        while let Some(at) = lower[from..].find(word.as_str()) {
            let start = from + at;
            marks[start..start + word.len()]
                .iter_mut()
                .for_each(|m| *m = true);
            from = start + word.len().max(1);
        }
    }
    let mut spans = Vec::new();
    let mut start = 0;
    for (i, _) in text.char_indices().skip(1).chain([(text.len(), ' ')]) {
        if i == text.len() || marks[i] != marks[start] {
            let style = if marks[start] {
                theme.mention
            } else {
                theme.text
            };
            spans.push(Span::styled(text[start..i].to_owned(), style));
            start = i;
        }
    }
    spans
}
