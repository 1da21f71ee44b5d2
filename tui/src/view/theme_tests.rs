//! The themes on screen: the dark and light themes and the colourless one
//! (NO_COLOR), each snapshotted with its styles at 80x24 and 40x12 (the
//! text snapshots in `tests.rs` cannot show colours), and the colourless
//! one checked cell by cell: no colour anywhere, yet a mention and one's
//! own lines still stand out.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier, Style};
use sapa_protocol::ServerMessage;

use super::*;
use crate::app::fixtures::*;
use crate::app::layout::Size;
use crate::app::{Event, State};

/// A room with someone else's message, a mention, the user's own stored
/// and pending messages, and a notice.
fn scene() -> State {
    let mut s = online(
        vec![
            msg(1, "bob", "morning all"),
            msg(2, "alice", "hey! coffee first"),
            msg(3, "carol", "alice: standup in 5"),
        ],
        &["alice", "bob", "carol"],
    );
    frame(&mut s, joined("general", "dave"));
    frame(
        &mut s,
        ServerMessage::Message(msg(4, "bob", "did anyone look at the deploy?")),
    );
    type_line(&mut s, "on my way");
    s
}

fn buffer(state: &State, theme: &Theme, w: u16, h: u16) -> Buffer {
    let mut state = state.clone();
    state.update(Event::Resize(Size::new(w, h)));
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| draw(f, &state, theme)).unwrap();
    terminal.backend().buffer().clone()
}

fn describe(style: Style) -> String {
    let mut parts = Vec::new();
    if let Some(fg) = style.fg.filter(|c| *c != Color::Reset) {
        parts.push(format!("{fg:?}"));
    }
    if let Some(bg) = style.bg.filter(|c| *c != Color::Reset) {
        parts.push(format!("on {bg:?}"));
    }
    if !style.add_modifier.is_empty() {
        parts.push(format!("{:?}", style.add_modifier));
    }
    parts.join(" ")
}

/// Each row's text, then its styled runs as `from-to: look`.
fn styled(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in 0..area.height {
        let text: String = (0..area.width)
            .map(|x| buf[(x, y)].symbol().to_owned())
            .collect();
        out.push_str(&format!("{:>2} |{}|\n", y, text));
        let mut runs = Vec::new();
        let mut x = 0;
        while x < area.width {
            let look = describe(buf[(x, y)].style());
            let start = x;
            while x < area.width && describe(buf[(x, y)].style()) == look {
                x += 1;
            }
            if !look.is_empty() {
                runs.push(format!("{start}-{}: {look}", x - 1));
            }
        }
        if !runs.is_empty() {
            out.push_str(&format!("      {}\n", runs.join(", ")));
        }
    }
    out
}

fn snap(name: &str, theme: &Theme) {
    for (w, h) in [(80, 24), (40, 12)] {
        let buf = buffer(&scene(), theme, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), styled(&buf));
    }
}

#[test]
fn dark_theme() {
    snap("theme_dark", &Theme::dark());
}

#[test]
fn light_theme() {
    snap("theme_light", &Theme::light());
}

#[test]
fn no_color() {
    snap("no_color", &Theme::plain());
}

/// Where `needle` starts on screen.
fn find(buf: &Buffer, needle: &str) -> (u16, u16) {
    (0..buf.area.height)
        .find_map(|y| {
            let row: String = (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_owned())
                .collect();
            row.find(needle)
                .map(|i| (row[..i].chars().count() as u16, y))
        })
        .unwrap_or_else(|| panic!("{needle:?} not on screen"))
}

#[test]
fn without_colour_a_mention_and_ones_own_lines_still_stand_out() {
    let buf = buffer(&scene(), &Theme::plain(), 80, 24);
    for cell in buf.content() {
        assert_eq!(cell.fg, Color::Reset, "no colour: {cell:?}");
        assert_eq!(cell.bg, Color::Reset, "no colour: {cell:?}");
    }
    let at = |needle: &str| {
        let (x, y) = find(&buf, needle);
        buf[(x, y)].modifier
    };
    assert!(at("alice: standup").contains(Modifier::REVERSED), "mention");
    assert!(!at("morning all").contains(Modifier::REVERSED));
    let own = at("alice hey!");
    let other = at("bob morning");
    assert!(own.contains(Modifier::UNDERLINED), "own name: {own:?}");
    assert!(
        !other.contains(Modifier::UNDERLINED),
        "other name: {other:?}"
    );
    assert!(at("on my way").contains(Modifier::ITALIC), "pending");
    assert!(at("dave joined").contains(Modifier::DIM), "notice");
    assert!(at("#general").contains(Modifier::REVERSED), "status bar");
}

#[test]
fn the_light_theme_writes_no_light_or_yellow_text() {
    let buf = buffer(&scene(), &Theme::light(), 80, 24);
    let hard_to_read = [
        Color::Yellow,
        Color::LightYellow,
        Color::LightGreen,
        Color::LightCyan,
        Color::White,
    ];
    for cell in buf.content() {
        if cell.bg == Color::Reset {
            assert!(!hard_to_read.contains(&cell.fg), "{cell:?}");
        }
    }
}

#[test]
fn the_login_screen_names_the_quit_key_in_force() {
    use crate::app::bindings::{Keymap, parse_chord};
    use crate::app::keymap::Action;
    let mut s = client();
    let mut keymap = Keymap::default();
    keymap.rebind(Action::Quit, vec![parse_chord("ctrl-q").unwrap()]);
    s.prefs.keymap = keymap;
    s.update(Event::LoginNeeded(None));
    let buf = buffer(&s, &Theme::dark(), 80, 24);
    find(&buf, "Tab switches field · Ctrl-Q quits");
}
