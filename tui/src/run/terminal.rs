//! The interactive client: puts the terminal in raw mode on the alternate
//! screen (with mouse wheel, bracketed paste and focus reports), merges
//! keys, resizes, focus changes, ticks and the [`Driver`]'s events into one
//! stream, redraws after each event, and rings the bell or writes a
//! desktop notification ([`super::notify`]) when the state machine says.
//!
//! The terminal is restored on every way out: a normal quit and an error
//! return drop the [`TerminalGuard`]; a panic runs the hook installed by
//! [`TerminalGuard::enter`] before the panic message prints; SIGTERM and
//! SIGHUP end the loop like Ctrl-C does.
//!
//! This is the only place that knows crossterm's events: they are turned
//! into the state machine's own keys and sizes here. What the keys do is
//! [`crate::app::keymap`]; what the screen shows is [`crate::view`].

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use crossterm::event::{
    DisableBracketedPaste, DisableFocusChange, DisableMouseCapture, EnableBracketedPaste,
    EnableFocusChange, EnableMouseCapture, Event as TermEvent, EventStream, KeyEvent, KeyEventKind,
    KeyModifiers, MouseEventKind,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use time::UtcOffset;
use tokio::time::interval;

use super::notify::{self, Osc};
use super::{CliError, TICK, Target, fail, terminated};
use crate::app::keys::{Key, KeyCode, Wheel};
use crate::app::layout::Size;
use crate::app::prefs::Prefs;
use crate::app::{Event, Options, State};
use crate::client::driver::Driver;
use crate::client::url::server_key;
use crate::view::{self, Theme};

/// Most waiting events taken in between two frames.
const BATCH: usize = 512;

/// Raw mode and the alternate screen for as long as it lives.
pub struct TerminalGuard {
    _private: (),
}

/// Puts the terminal back as it was; safe to call more than once.
pub fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableFocusChange,
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

impl TerminalGuard {
    /// Enters raw mode and the alternate screen, and makes any panic
    /// restore the terminal before its message prints and then end the
    /// process: a panic in a background task (the network, say) would
    /// otherwise leave a client that looks alive on a terminal it no longer
    /// controls.
    pub fn enter() -> io::Result<Self> {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore_terminal();
            previous(info);
            std::process::exit(101);
        }));
        enable_raw_mode()?;
        let guard = Self { _private: () };
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            EnableMouseCapture,
            EnableBracketedPaste,
            EnableFocusChange
        )?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// The terminal's event in the state machine's words; `None` for what it
/// does not react to (key releases, mouse moves and clicks).
fn from_terminal(event: TermEvent) -> Option<Event> {
    match event {
        TermEvent::Key(k) if k.kind != KeyEventKind::Release => Some(Event::Key(key(k))),
        TermEvent::Paste(text) => Some(Event::Paste(text)),
        TermEvent::Mouse(m) => match m.kind {
            MouseEventKind::ScrollUp => Some(Event::Wheel(Wheel::Up)),
            MouseEventKind::ScrollDown => Some(Event::Wheel(Wheel::Down)),
            _ => None,
        },
        TermEvent::Resize(w, h) => Some(Event::Resize(Size::new(w, h))),
        TermEvent::FocusGained => Some(Event::Focus(true)),
        TermEvent::FocusLost => Some(Event::Focus(false)),
        _ => None,
    }
}

fn key(k: KeyEvent) -> Key {
    use crossterm::event::KeyCode as K;
    let code = match k.code {
        K::Char(c) => KeyCode::Char(c),
        K::Enter => KeyCode::Enter,
        K::Tab => KeyCode::Tab,
        K::BackTab => KeyCode::BackTab,
        K::Backspace => KeyCode::Backspace,
        K::Delete => KeyCode::Delete,
        K::Esc => KeyCode::Esc,
        K::Left => KeyCode::Left,
        K::Right => KeyCode::Right,
        K::Up => KeyCode::Up,
        K::Down => KeyCode::Down,
        K::Home => KeyCode::Home,
        K::End => KeyCode::End,
        K::PageUp => KeyCode::PageUp,
        K::PageDown => KeyCode::PageDown,
        K::F(n) => KeyCode::F(n),
        _ => KeyCode::Other,
    };
    Key {
        code,
        ctrl: k.modifiers.contains(KeyModifiers::CONTROL),
        alt: k.modifiers.contains(KeyModifiers::ALT),
    }
}

/// What the chat screen takes from the config file besides the target.
#[derive(Debug, Clone, Default)]
pub struct ChatSetup {
    pub theme: Theme,
    pub prefs: Prefs,
    /// The sequence desktop notifications use; `None`: none are written.
    pub desktop: Option<Osc>,
    /// Shown as warnings once the screen is up (a config file that could
    /// not be used).
    pub warnings: Vec<String>,
}

/// The full-screen chat for `target`, until the user quits; refuses to
/// start without a terminal.
pub async fn main(target: Target, utc_offset: UtcOffset, setup: ChatSetup) -> ExitCode {
    if !std::io::stdout().is_terminal() {
        return fail(&CliError::Usage(
            "the chat screen needs a terminal; in scripts use `sapa send` or `sapa tail`".into(),
        ));
    }
    let state = State::new(Options {
        server: server_key(&target.server)
            .trim_start_matches("http://")
            .to_owned(),
        user: target.user.clone(),
        room: target.room.clone(),
        client_prefix: format!("c{:x}", rand::random::<u32>()),
        utc_offset,
        now: std::time::Instant::now(),
        wall: time::OffsetDateTime::now_utc(),
        prefs: setup.prefs,
    });
    let socket = target.socket();
    let mut driver = Driver::new(state, &target.server, socket, target.store, target.password);
    for warning in setup.warnings {
        driver.state.update(Event::Warn(warning));
    }
    let looks = Looks {
        theme: setup.theme,
        desktop: setup.desktop,
        in_tmux: std::env::var_os("TMUX").is_some_and(|v| !v.is_empty()),
    };
    match run(driver, &looks).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sapa: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// How the screen looks and how notifications are written.
struct Looks {
    theme: Theme,
    desktop: Option<Osc>,
    in_tmux: bool,
}

/// Runs the full-screen client until the user quits.
async fn run(mut driver: Driver, looks: &Looks) -> anyhow::Result<()> {
    let guard = TerminalGuard::enter()?;
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    terminal.clear()?;
    let size = terminal.size()?;
    driver
        .state
        .update(Event::Resize(Size::new(size.width, size.height)));
    let mut quit = driver.start().await.quit;
    let mut keys = EventStream::new();
    let mut tick = interval(TICK);
    let stop = terminated();
    tokio::pin!(stop);
    while !quit {
        terminal.draw(|f| view::draw(f, &driver.state, &looks.theme))?;
        let event = tokio::select! {
            key = keys.next() => match key {
                Some(Ok(ev)) => match from_terminal(ev) {
                    Some(ev) => ev,
                    None => continue,
                },
                // The terminal is gone: nothing more can be typed.
                Some(Err(_)) | None => break,
            },
            ev = driver.next() => ev,
            _ = tick.tick() => Event::Tick {
                now: std::time::Instant::now(),
                wall: time::OffsetDateTime::now_utc(),
            },
            () = &mut stop => break,
        };
        let mut out = driver.step(event).await;
        // Take in whatever else has already arrived before drawing again.
        for _ in 0..BATCH {
            let Some(event) = driver.try_next() else {
                break;
            };
            out.merge(driver.step(event).await);
        }
        signal(out.bell, &out.notify, looks);
        quit = out.quit;
    }
    driver.shutdown().await;
    drop(terminal);
    drop(guard);
    Ok(())
}

/// Rings the bell and writes the notifications an update asked for.
fn signal(bell: bool, notes: &[crate::app::notify::Notification], looks: &Looks) {
    let bytes = notify::signal_bytes(bell, notes, looks.desktop, looks.in_tmux);
    if !bytes.is_empty() {
        let mut stdout = io::stdout();
        let _ = stdout.write_all(&bytes);
        let _ = stdout.flush();
    }
}
