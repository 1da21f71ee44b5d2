//! The chat screen: the status line (room or `@user`, connection, who and
//! where, the other views with unread lines), the messages pane, the side
//! pane ([`super::side`]), the rule with who is typing and its scroll
//! hints, and the input line with, near the server's limit, how many
//! characters are left. The rows of the messages pane are laid
//! out by [`crate::app::layout`] (the state machine counts the same rows);
//! here they only get their looks, from the [`Theme`].

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::{Theme, rect, side};
use crate::app::composer::{self, Budget};
use crate::app::layout::{self, Row, Size, Tone};
use crate::app::{Conn, Screen, State};

/// Draws the chat screen over the whole of `area`.
pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme) {
    let areas = layout::areas(Size::new(area.width, area.height));
    frame.render_widget(
        Paragraph::new(status_line(state, theme)),
        rect(area, areas.status),
    );
    draw_messages(frame, rect(area, areas.messages), state, theme);
    if let Some(side) = areas.users {
        side::draw(frame, rect(area, side), state, theme);
    }
    frame.render_widget(
        Paragraph::new(rule_line(state, areas.rule.width, theme)),
        rect(area, areas.rule),
    );
    let input = rect(area, areas.input);
    let prompt = if state.editing.is_some() {
        "editing> "
    } else {
        "> "
    };
    // Near the server's limit, the count of what is left sits at the
    // right end of the line.
    let budget = composer::budget(state.input.text(), state.limits.as_ref());
    let counter = budget.label().map(|text| {
        let style = match budget {
            Budget::Over(_) => theme.warning,
            Budget::Left(_) | Budget::Plenty => theme.rule,
        };
        (format!(" {text}"), style)
    });
    let counter_w = counter.as_ref().map_or(0, |(t, _)| t.width());
    let width = usize::from(input.width).saturating_sub(prompt.len() + counter_w);
    let view = state.input.view(width);
    let mut spans = vec![Span::styled(prompt, theme.prompt)];
    if let Some((text, style)) = counter {
        let pad = width.saturating_sub(view.text.width());
        spans.push(Span::raw(format!("{}{}", view.text, " ".repeat(pad))));
        spans.push(Span::styled(text, style));
    } else {
        spans.push(Span::raw(view.text));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), input);
    if state.screen == Screen::Chat {
        frame.set_cursor_position((input.x + (prompt.len() + view.cursor_col) as u16, input.y));
    }
}

fn status_line(state: &State, theme: &Theme) -> Line<'static> {
    let bar = theme.status;
    let room = state.room();
    let mut spans = vec![Span::styled(
        format!(" {} ", room.label(&state.user)),
        bar.add_modifier(Modifier::BOLD),
    )];
    let (dot, text, color) = match &state.link.conn {
        Conn::Idle => ("○", "not connected".to_owned(), theme.idle),
        Conn::Connecting { attempt: 1 } => ("◌", "connecting…".to_owned(), theme.connecting),
        Conn::Connecting { attempt } => (
            "◌",
            format!("reconnecting (try {attempt})…"),
            theme.connecting,
        ),
        Conn::Online => {
            let rtt = state
                .link
                .rtt
                .map(|d| format!(" {} ms", d.as_millis()))
                .unwrap_or_default();
            ("●", format!("online{rtt}"), theme.online)
        }
        Conn::Offline {
            reason, retry_at, ..
        } => {
            let left = retry_at.saturating_duration_since(state.clock.now);
            let secs = left.as_millis().div_ceil(1000);
            (
                "✖",
                format!("offline, retry in {secs}s: {reason}"),
                theme.offline,
            )
        }
    };
    spans.push(Span::styled(format!("│ {dot} {text} "), bar.patch(color)));
    spans.push(Span::styled(
        format!("│ {}@{} ", state.user, state.server),
        bar,
    ));
    let unread: Vec<String> = state
        .rooms
        .iter()
        .enumerate()
        .filter(|(i, r)| r.unread > 0 && *i != state.active)
        .map(|(_, r)| format!("{} {}", r.label(&state.user), r.unread))
        .collect();
    if !unread.is_empty() {
        spans.push(Span::styled(
            format!("│ {} ", unread.join(" ")),
            bar.patch(theme.unread),
        ));
    }
    // Fill the rest of the bar.
    spans.push(Span::styled(" ".repeat(300), bar));
    Line::from(spans)
}

fn rule_line(state: &State, width: u16, theme: &Theme) -> Line<'static> {
    let room = state.room();
    let dim = theme.rule;
    let hint = if room.unseen > 0 {
        let s = if room.unseen == 1 { "" } else { "s" };
        Some((
            format!(" {} new message{s} ↓ End ", room.unseen),
            theme.new_messages,
        ))
    } else if room.fetching_older() {
        Some((" loading older messages… ".to_owned(), dim))
    } else if room.scroll > 0 {
        Some((" scrolled up · End for newest ".to_owned(), dim))
    } else {
        None
    };
    // Who is typing comes first: it is what sits right above the input.
    let typing = room
        .typers
        .line()
        .map(|text| (format!(" {text} "), theme.notice));
    let width = usize::from(width);
    let mut spans = Vec::new();
    let mut used = 0;
    for (text, style) in typing.into_iter().chain(hint) {
        let lead = 2usize.min(width.saturating_sub(used));
        used += lead + text.width();
        spans.push(Span::styled("─".repeat(lead), dim));
        spans.push(Span::styled(text, style));
    }
    spans.push(Span::styled("─".repeat(width.saturating_sub(used)), dim));
    Line::from(spans)
}

fn tone_style(tone: &Tone, theme: &Theme) -> Style {
    match tone {
        Tone::Time => theme.time,
        Tone::Nick(name) => theme.name_style(name),
        Tone::OwnNick => theme.own_name,
        Tone::Text => theme.text,
        Tone::Mention => theme.mention,
        Tone::Dim => theme.notice,
        Tone::Warn => theme.warning,
        Tone::Pending => theme.pending,
    }
}

fn to_line(row: Row, theme: &Theme) -> Line<'static> {
    Line::from(
        row.into_iter()
            .map(|seg| Span::styled(seg.text, tone_style(&seg.tone, theme)))
            .collect::<Vec<_>>(),
    )
}

fn draw_messages(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme) {
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
        .map(|row| to_line(row, theme))
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
