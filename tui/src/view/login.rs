//! The login screen: the server, the name and the masked password, the
//! error or "signing in…", and how to use it. Its keys are the keymap's
//! login rows; the form's state is [`crate::app::login`].

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::{Theme, centered};
use crate::app::State;
use crate::app::bindings::chord_label;
use crate::app::keymap::Action;
use crate::app::login::{LoginField, LoginForm};

/// Draws the login form centred in `area`.
pub(super) fn draw(
    frame: &mut Frame<'_>,
    area: Rect,
    state: &State,
    form: &LoginForm,
    theme: &Theme,
) {
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
            theme.idle,
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
        lines.push(Line::from(Span::styled("signing in…", theme.connecting)));
    } else if let Some(err) = &form.error {
        lines.push(Line::from(Span::styled(err.clone(), theme.warning)));
    } else {
        lines.push(Line::raw(""));
    }
    // Quitting is the one key here a config file can move.
    let quit = state
        .prefs
        .keymap
        .keys_of(Action::Quit)
        .first()
        .map_or_else(|| "/quit".to_owned(), |c| chord_label(*c));
    lines.push(Line::from(Span::styled(
        format!("Enter signs in · Tab switches field · {quit} quits"),
        theme.hint,
    )));
    lines.push(Line::from(Span::styled(
        "A new name is registered with this password.",
        theme.hint,
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
