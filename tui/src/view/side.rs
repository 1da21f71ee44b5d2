//! The side pane of wide terminals: the rooms and DMs (`@bob`) with their
//! unread counts, when there is more than one, and below them who is in
//! the room on screen.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::Theme;
use crate::app::State;

/// Draws the side pane over `area`: the list of rooms (when there are two
/// or more; it takes at most half the pane) above the users.
pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme) {
    if state.rooms.len() < 2 {
        draw_users(frame, area, state, theme);
        return;
    }
    let wanted = state.rooms.len() as u16 + 1;
    let rooms_h = wanted.min(area.height / 2);
    let rooms = Rect::new(area.x, area.y, area.width, rooms_h);
    let users = Rect::new(area.x, area.y + rooms_h, area.width, area.height - rooms_h);
    draw_rooms(frame, rooms, state, theme);
    draw_users(frame, users, state, theme);
}

fn title(text: String) -> Line<'static> {
    Line::from(Span::styled(
        text,
        Style::new().add_modifier(Modifier::BOLD),
    ))
}

/// Every room and DM, in Ctrl-N order, the one on screen marked, each
/// with its unread count.
fn draw_rooms(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme) {
    let block = Block::new()
        .borders(Borders::LEFT)
        .border_style(theme.rule)
        .title(title(" rooms ".to_owned()));
    let inner = block.inner(area);
    let width = usize::from(inner.width);
    let rows = usize::from(inner.height);
    // The room on screen stays in view however long the list.
    let first = (state.active + 1).saturating_sub(rows);
    let lines: Vec<Line<'static>> = state
        .rooms
        .iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .map(|(i, room)| {
            let active = i == state.active;
            let count = if room.unread > 0 && !active {
                format!(" {}", room.unread)
            } else {
                String::new()
            };
            let mark = if active { "▸" } else { " " };
            let room_w = width.saturating_sub(1 + count.width());
            let label: String = room
                .label(&state.user)
                .chars()
                .scan(0, |w, c| {
                    *w += c.to_string().width();
                    (*w <= room_w).then_some(c)
                })
                .collect();
            let style = if active {
                Style::new().add_modifier(Modifier::BOLD)
            } else {
                Style::new()
            };
            Line::from(vec![
                Span::styled(format!("{mark}{label}"), style),
                Span::styled(count, theme.new_messages),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn draw_users(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme) {
    let room = state.room();
    let block = Block::new()
        .borders(Borders::LEFT)
        .border_style(theme.rule)
        .title(title(format!(" users ({}) ", room.user_count())));
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
                theme.own_name
            } else {
                theme
                    .name_color(u.as_str())
                    .map_or(Style::new(), |c| Style::new().fg(c))
            };
            Line::from(Span::styled(format!(" {u}"), style))
        })
        .collect();
    if shown < room.users.len() {
        lines.push(Line::from(Span::styled(
            format!(" +{} more (/who)", room.users.len() - shown),
            theme.rule,
        )));
    } else if room.count.is_some() {
        // A big room: the server sends the count, not the names.
        lines.push(Line::from(Span::styled(" a big room: /who", theme.rule)));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
