//! The help overlay (F1, `/help`): the keys and commands as the keymap
//! lists them with the keys in force ([`crate::app::help`]), as a table,
//! or as a flowing paragraph of short forms on a terminal too small for
//! the table.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::{Theme, centered};
use crate::app::bindings::Keymap;
use crate::app::help;

/// Draws the overlay over `area`.
pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, theme: &Theme, keymap: &Keymap) {
    let key_style = theme.help_key;
    let rows = help::overlay_for(keymap);
    let key_w = rows.iter().map(|r| r.0.width()).max().unwrap_or(0);
    let full_w = (key_w + 36) as u16;
    let fits = area.width >= full_w + 2 && area.height >= rows.len() as u16 + 2;
    let (popup, text) = if fits {
        let lines: Vec<Line<'static>> = rows
            .iter()
            .map(|r| {
                Line::from(vec![
                    Span::styled(format!(" {:<key_w$}  ", r.0), key_style),
                    Span::raw(r.1.clone()),
                ])
            })
            .collect();
        (centered(area, 62, rows.len() as u16 + 2), lines)
    } else {
        // Too small for the table: the short forms as a flowing paragraph.
        let mut spans = Vec::new();
        for r in help::overlay_short() {
            spans.push(Span::styled(r.keys, key_style));
            spans.push(Span::raw(format!(" {}  ", r.what)));
        }
        (area, vec![Line::from(spans)])
    };
    let block = Block::bordered()
        .title(" sapa help ")
        .title_alignment(Alignment::Center);
    let mut paragraph = Paragraph::new(text).block(block);
    if !fits {
        paragraph = paragraph.wrap(Wrap { trim: true });
    }
    frame.render_widget(Clear, popup);
    frame.render_widget(paragraph, popup);
}
