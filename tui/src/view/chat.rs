//! The chat screen: the status line (room, connection, who and where,
//! unread rooms), the messages pane, the users pane, the rule with its
//! scroll hints, and the input line. The rows of the messages pane are laid
//! out by [`crate::app::layout`] (the state machine counts the same rows);
//! here they only get their colours.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::{name_color, rect};
use crate::app::layout::{self, Row, Size, Tone};
use crate::app::{Conn, Screen, State};

/// Draws the chat screen over the whole of `area`.
pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let areas = layout::areas(Size::new(area.width, area.height));
    frame.render_widget(Paragraph::new(status_line(state)), rect(area, areas.status));
    draw_messages(frame, rect(area, areas.messages), state);
    if let Some(users) = areas.users {
        draw_users(frame, rect(area, users), state);
    }
    frame.render_widget(
        Paragraph::new(rule_line(state, areas.rule.width)),
        rect(area, areas.rule),
    );
    let input = rect(area, areas.input);
    let prompt = "> ";
    let width = usize::from(input.width).saturating_sub(prompt.len());
    let view = state.input.view(width);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(prompt, Style::new().add_modifier(Modifier::BOLD)),
            Span::raw(view.text),
        ])),
        input,
    );
    if state.screen == Screen::Chat {
        frame.set_cursor_position((input.x + (prompt.len() + view.cursor_col) as u16, input.y));
    }
}

fn status_line(state: &State) -> Line<'static> {
    let bar = Style::new().bg(Color::DarkGray).fg(Color::White);
    let room = state.room();
    let mut spans = vec![Span::styled(
        format!(" #{} ", room.name),
        bar.add_modifier(Modifier::BOLD),
    )];
    let (dot, text, color) = match &state.link.conn {
        Conn::Idle => ("○", "not connected".to_owned(), Color::Gray),
        Conn::Connecting { attempt: 1 } => ("◌", "connecting…".to_owned(), Color::Yellow),
        Conn::Connecting { attempt } => {
            ("◌", format!("reconnecting (try {attempt})…"), Color::Yellow)
        }
        Conn::Online => {
            let rtt = state
                .link
                .rtt
                .map(|d| format!(" {} ms", d.as_millis()))
                .unwrap_or_default();
            ("●", format!("online{rtt}"), Color::LightGreen)
        }
        Conn::Offline {
            reason, retry_at, ..
        } => {
            let left = retry_at.saturating_duration_since(state.clock.now);
            let secs = left.as_millis().div_ceil(1000);
            (
                "✖",
                format!("offline, retry in {secs}s: {reason}"),
                Color::LightRed,
            )
        }
    };
    spans.push(Span::styled(format!("│ {dot} {text} "), bar.fg(color)));
    spans.push(Span::styled(
        format!("│ {}@{} ", state.user, state.server),
        bar,
    ));
    let unread: Vec<String> = state
        .rooms
        .iter()
        .filter(|r| r.unread > 0)
        .map(|r| format!("#{} {}", r.name, r.unread))
        .collect();
    if !unread.is_empty() {
        spans.push(Span::styled(
            format!("│ {} ", unread.join(" ")),
            bar.fg(Color::LightYellow).add_modifier(Modifier::BOLD),
        ));
    }
    // Fill the rest of the bar.
    spans.push(Span::styled(" ".repeat(300), bar));
    Line::from(spans)
}

fn rule_line(state: &State, width: u16) -> Line<'static> {
    let room = state.room();
    let dim = Style::new().fg(Color::DarkGray);
    let hint = if room.unseen > 0 {
        let s = if room.unseen == 1 { "" } else { "s" };
        Some((
            format!(" {} new message{s} ↓ End ", room.unseen),
            Style::new()
                .fg(Color::Black)
                .bg(Color::LightYellow)
                .add_modifier(Modifier::BOLD),
        ))
    } else if room.fetching_older() {
        Some((" loading older messages… ".to_owned(), dim))
    } else if room.scroll > 0 {
        Some((" scrolled up · End for newest ".to_owned(), dim))
    } else {
        None
    };
    let width = usize::from(width);
    match hint {
        Some((text, style)) => {
            let left = 2usize.min(width);
            let right = width.saturating_sub(left + text.width());
            Line::from(vec![
                Span::styled("─".repeat(left), dim),
                Span::styled(text, style),
                Span::styled("─".repeat(right), dim),
            ])
        }
        None => Line::from(Span::styled("─".repeat(width), dim)),
    }
}

fn tone_style(tone: &Tone) -> Style {
    match tone {
        Tone::Time => Style::new().fg(Color::DarkGray),
        Tone::Nick(name) => Style::new()
            .fg(name_color(name))
            .add_modifier(Modifier::BOLD),
        Tone::OwnNick => Style::new().add_modifier(Modifier::BOLD),
        Tone::Text => Style::new(),
        Tone::Mention => Style::new()
            .fg(Color::Black)
            .bg(Color::Yellow)
            .add_modifier(Modifier::BOLD),
        Tone::Dim => Style::new().fg(Color::DarkGray),
        Tone::Warn => Style::new().fg(Color::LightRed),
        Tone::Pending => Style::new().fg(Color::Gray).add_modifier(Modifier::ITALIC),
    }
}

fn to_line(row: Row) -> Line<'static> {
    Line::from(
        row.into_iter()
            .map(|seg| Span::styled(seg.text, tone_style(&seg.tone)))
            .collect::<Vec<_>>(),
    )
}

fn draw_messages(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let width = usize::from(area.width);
    let height = usize::from(area.height);
    let room = state.room();
    let mut layout = state.layout();
    layout.width = width;
    let rows = layout.last_rows(room.scroll + height);
    let scroll = room.scroll.min(rows.len().saturating_sub(height));
    let end = rows.len() - scroll;
    let start = end.saturating_sub(height);
    let shown: Vec<Line<'static>> = rows
        .into_iter()
        .skip(start)
        .take(end - start)
        .map(to_line)
        .collect();
    // Bottom-align: a short room hugs the input line, like a chat should.
    let top_pad = height.saturating_sub(shown.len());
    let area = Rect::new(
        area.x,
        area.y + top_pad as u16,
        area.width,
        area.height - top_pad as u16,
    );
    frame.render_widget(Paragraph::new(shown), area);
}

fn draw_users(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let room = state.room();
    let block = Block::new()
        .borders(Borders::LEFT)
        .border_style(Style::new().fg(Color::DarkGray))
        .title(Line::from(Span::styled(
            format!(" users ({}) ", room.user_count()),
            Style::new().add_modifier(Modifier::BOLD),
        )));
    let rows = usize::from(block.inner(area).height);
    // More names than rows: the last row says how many are not shown.
    let shown = if room.users.len() > rows {
        rows.saturating_sub(1)
    } else {
        room.users.len()
    };
    let mut lines: Vec<Line<'static>> = room
        .users
        .iter()
        .take(shown)
        .map(|u| {
            let style = if state.user.same_account(u.as_str()) {
                Style::new().add_modifier(Modifier::BOLD)
            } else {
                Style::new().fg(name_color(u.as_str()))
            };
            Line::from(Span::styled(format!(" {u}"), style))
        })
        .collect();
    if shown < room.users.len() {
        lines.push(Line::from(Span::styled(
            format!(" +{} more (/who)", room.users.len() - shown),
            Style::new().fg(Color::DarkGray),
        )));
    } else if room.count.is_some() {
        // A big room: the server sends the count, not the names.
        lines.push(Line::from(Span::styled(
            " a big room: /who",
            Style::new().fg(Color::DarkGray),
        )));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
