//! Draws a [`State`] with ratatui, and does nothing else: no state changes,
//! no I/O. The chat screen is a status line, the messages pane (with the
//! users pane beside it on wide terminals), a rule that carries scroll hints,
//! and the input line; the login screen and the help overlay sit on top.

use std::hash::{Hash, Hasher};

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use crate::app::layout::{self, Area, Row, Size, Tone};
use crate::app::login::{LoginField, LoginForm};
use crate::app::{Conn, Screen, State};

/// Names get one of these, always the same one for the same name.
const PALETTE: [Color; 10] = [
    Color::Red,
    Color::Green,
    Color::Yellow,
    Color::Blue,
    Color::Magenta,
    Color::Cyan,
    Color::LightRed,
    Color::LightGreen,
    Color::LightBlue,
    Color::LightMagenta,
];

/// The stable colour of a name (case-insensitive, FNV-1a based so it does
/// not change between runs or builds).
pub fn name_color(name: &str) -> Color {
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    name.to_ascii_lowercase().hash(&mut h);
    PALETTE[(h.finish() % PALETTE.len() as u64) as usize]
}

struct Fnv(u64);
impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame<'_>, state: &State) {
    let area = frame.area();
    match &state.screen {
        Screen::Login(form) => draw_login(frame, area, state, form),
        Screen::Chat => draw_chat(frame, area, state),
        Screen::Help => {
            draw_chat(frame, area, state);
            draw_help(frame, area);
        }
    }
}

/// The screen area `a` (laid out from the terminal's top left corner) inside
/// the frame's `area`.
fn rect(area: Rect, a: Area) -> Rect {
    Rect::new(area.x + a.x, area.y + a.y, a.width, a.height)
}

fn draw_chat(frame: &mut Frame<'_>, area: Rect, state: &State) {
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
            format!(" users ({}) ", room.users.len()),
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
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// Keys and commands as the overlay lists them.
pub const HELP: &[(&str, &str)] = &[
    ("Enter", "send the line"),
    ("PgUp / PgDn, wheel", "scroll; past the top loads older"),
    ("End (at line end)", "jump to the newest message"),
    ("Up / Down", "recall sent lines"),
    ("Tab", "complete a name or command"),
    ("Ctrl-A/E, Home", "start / end of the line"),
    ("Ctrl-W / Ctrl-U / K", "delete word / to start / to end"),
    ("Ctrl-N / Ctrl-P", "next / previous joined room"),
    ("F1", "this help (any key closes)"),
    ("Ctrl-C", "quit"),
    ("/join ROOM", "switch to ROOM, joining it"),
    ("/leave", "leave the room on screen"),
    ("/who", "who is in this room"),
    ("/rooms", "rooms on the server"),
    ("/help, /quit", "this help; leave sapa"),
];

/// The same, short, for terminals too small for the table.
const HELP_SHORT: &[(&str, &str)] = &[
    ("Enter", "send"),
    ("PgUp/PgDn", "scroll"),
    ("End", "newest"),
    ("Up/Down", "recall"),
    ("Tab", "complete"),
    ("Ctrl-W/U/K", "delete"),
    ("Ctrl-N/P", "rooms"),
    ("F1", "help"),
    ("Ctrl-C", "quit"),
    ("/join", "ROOM"),
    ("/leave", "room"),
    ("/who", "is here"),
    ("/rooms", "list"),
    ("/quit", "bye"),
];

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn draw_help(frame: &mut Frame<'_>, area: Rect) {
    let key_style = Style::new()
        .fg(Color::LightCyan)
        .add_modifier(Modifier::BOLD);
    let key_w = HELP.iter().map(|(k, _)| k.width()).max().unwrap_or(0);
    let full_w = (key_w + 36) as u16;
    let fits = area.width >= full_w + 2 && area.height >= HELP.len() as u16 + 2;
    let (popup, text) = if fits {
        let lines: Vec<Line<'static>> = HELP
            .iter()
            .map(|(k, what)| {
                Line::from(vec![
                    Span::styled(format!(" {k:<key_w$}  "), key_style),
                    Span::raw(*what),
                ])
            })
            .collect();
        (centered(area, 62, HELP.len() as u16 + 2), lines)
    } else {
        // Too small for the table: the short forms as a flowing paragraph.
        let mut spans = Vec::new();
        for (k, short) in HELP_SHORT {
            spans.push(Span::styled(*k, key_style));
            spans.push(Span::raw(format!(" {short}  ")));
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

fn draw_login(frame: &mut Frame<'_>, area: Rect, state: &State, form: &LoginForm) {
    let popup = centered(area, 56, 11);
    let block = Block::bordered()
        .title(" sapa · sign in ")
        .title_alignment(Alignment::Center);
    let inner = block.inner(popup);
    frame.render_widget(Clear, popup);
    frame.render_widget(block, popup);
    let label_w = 10u16;
    let field_w = usize::from(inner.width.saturating_sub(label_w + 1));
    let user_view = form.username.view(field_w);
    let pass_view = form.password.masked_view(field_w, '•');
    let focus = |f: LoginField| {
        if form.focus == f {
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        } else {
            Style::new()
        }
    };
    let mut lines = vec![
        Line::from(Span::styled(
            format!("server   {}", state.server),
            Style::new().fg(Color::Gray),
        )),
        Line::raw(""),
        Line::from(vec![
            Span::raw(format!("{:<w$}", "name", w = usize::from(label_w))),
            Span::styled(
                format!("{:<field_w$}", user_view.text),
                focus(LoginField::Username),
            ),
        ]),
        Line::from(vec![
            Span::raw(format!("{:<w$}", "password", w = usize::from(label_w))),
            Span::styled(
                format!("{:<field_w$}", pass_view.text),
                focus(LoginField::Password),
            ),
        ]),
        Line::raw(""),
    ];
    if form.busy {
        lines.push(Line::from(Span::styled(
            "signing in…",
            Style::new().fg(Color::Yellow),
        )));
    } else if let Some(err) = &form.error {
        lines.push(Line::from(Span::styled(
            err.clone(),
            Style::new().fg(Color::LightRed),
        )));
    } else {
        lines.push(Line::raw(""));
    }
    lines.push(Line::from(Span::styled(
        "Enter signs in · Tab switches field · Ctrl-C quits",
        Style::new().fg(Color::DarkGray),
    )));
    lines.push(Line::from(Span::styled(
        "A new name is registered with this password.",
        Style::new().fg(Color::DarkGray),
    )));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    let (row, col) = match form.focus {
        LoginField::Username => (2, user_view.cursor_col),
        LoginField::Password => (3, pass_view.cursor_col),
    };
    if !form.busy {
        frame.set_cursor_position((inner.x + label_w + col as u16, inner.y + row));
    }
}

#[cfg(test)]
mod tests;
