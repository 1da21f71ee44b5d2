//! The bytes that ring the bell and make a terminal show a desktop
//! notification, and which escape sequence this terminal understands.
//!
//! Two sequences are in use: OSC 777 (`ESC ] 777 ; notify ; TITLE ; BODY
//! ST`, from urxvt; foot, WezTerm, kitty, Ghostty and VTE-based terminals
//! show it) and OSC 9 (`ESC ] 9 ; TEXT ST`, from iTerm2; kitty, WezTerm and
//! Windows Terminal show it too). A terminal that understands neither
//! ignores an OSC it does not know. Inside tmux the sequence is wrapped so
//! tmux passes it to the outer terminal (that needs tmux's
//! `allow-passthrough on`).
//!
//! When to notify is the state machine's ([`crate::app::notify`]); this
//! file only encodes, and is pure so the exact bytes are tested.

use crate::app::notify::Notification;
use crate::config::DesktopChoice;

/// Which escape sequence carries a desktop notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Osc {
    /// `OSC 777 ; notify ; title ; body`.
    Osc777,
    /// `OSC 9 ; text` (title and body on one line).
    Osc9,
}

/// The sequence to write for the config file's `desktop` choice, in a
/// terminal whose environment `env` reads (`None`: no notifications).
pub fn resolve(choice: DesktopChoice, env: impl Fn(&str) -> Option<String>) -> Option<Osc> {
    match choice {
        DesktopChoice::Off => None,
        DesktopChoice::Osc777 => Some(Osc::Osc777),
        DesktopChoice::Osc9 => Some(Osc::Osc9),
        DesktopChoice::Auto => Some(detect(env)),
    }
}

/// The sequence this terminal shows, from what it says of itself: iTerm2
/// and Windows Terminal, which do not take OSC 777, get OSC 9; the rest
/// OSC 777 (some terminals give OSC 9 other meanings).
pub fn detect(env: impl Fn(&str) -> Option<String>) -> Osc {
    let program = env("TERM_PROGRAM").unwrap_or_default();
    if program == "iTerm.app" || env("WT_SESSION").is_some_and(|s| !s.is_empty()) {
        Osc::Osc9
    } else {
        Osc::Osc777
    }
}

/// The bytes that show `n` as a notification, wrapped for tmux when
/// `in_tmux`. The texts are clean already (no control characters); `;`
/// separates OSC 777's fields, so the title has none.
pub fn encode(osc: Osc, n: &Notification, in_tmux: bool) -> Vec<u8> {
    let title = n.title.replace(';', ",");
    let body = strip_controls(&n.body);
    let title = strip_controls(&title);
    let seq = match osc {
        Osc::Osc777 => format!("\x1b]777;notify;{title};{body}\x1b\\"),
        Osc::Osc9 => format!("\x1b]9;{title}: {body}\x1b\\"),
    };
    if in_tmux {
        // DCS passthrough: every ESC inside is doubled.
        format!("\x1bPtmux;{}\x1b\\", seq.replace('\x1b', "\x1b\x1b")).into_bytes()
    } else {
        seq.into_bytes()
    }
}

/// The bell.
pub const BELL: &[u8] = b"\x07";

/// Everything to write for one update's signals: the bell if asked, then
/// each notification (none when `desktop` is `None`).
pub fn signal_bytes(
    bell: bool,
    notes: &[Notification],
    desktop: Option<Osc>,
    tmux: bool,
) -> Vec<u8> {
    let mut bytes = Vec::new();
    if bell {
        bytes.extend_from_slice(BELL);
    }
    if let Some(osc) = desktop {
        for n in notes {
            bytes.extend(encode(osc, n, tmux));
        }
    }
    bytes
}

fn strip_controls(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}

#[cfg(test)]
mod tests {
    use sapa_protocol::ServerMessage;

    use super::*;
    use crate::app::fixtures::{frame, msg, online};
    use crate::app::{Effect, Event};

    /// What the terminal gets when bob mentions alice, with the window
    /// focused or not, from the state machine's effects to the bytes.
    fn written_for_a_mention(focused: bool, desktop: Option<Osc>) -> Vec<u8> {
        let mut s = online(vec![], &["alice", "bob"]);
        s.update(Event::Focus(focused));
        let fx = frame(
            &mut s,
            ServerMessage::Message(msg(1, "bob", "alice: lunch?")),
        );
        let bell = fx.contains(&Effect::Bell);
        let notes: Vec<Notification> = fx
            .into_iter()
            .filter_map(|e| match e {
                Effect::Notify(n) => Some(n),
                _ => None,
            })
            .collect();
        signal_bytes(bell, &notes, desktop, false)
    }

    #[test]
    fn a_mention_while_unfocused_writes_the_bell_and_the_notification() {
        assert_eq!(
            written_for_a_mention(false, Some(Osc::Osc777)),
            b"\x07\x1b]777;notify;bob mentioned you in #general;alice: lunch?\x1b\\"
        );
        assert_eq!(
            written_for_a_mention(false, Some(Osc::Osc9)),
            b"\x07\x1b]9;bob mentioned you in #general: alice: lunch?\x1b\\"
        );
    }

    #[test]
    fn a_mention_while_focused_writes_the_bell_only() {
        assert_eq!(written_for_a_mention(true, Some(Osc::Osc777)), b"\x07");
    }

    #[test]
    fn with_desktop_notifications_off_only_the_bell_is_written() {
        assert_eq!(written_for_a_mention(false, None), b"\x07");
    }

    fn note() -> Notification {
        Notification {
            title: "bob mentioned you in #general".into(),
            body: "alice: lunch?".into(),
        }
    }

    #[test]
    fn osc_777_carries_title_and_body() {
        assert_eq!(
            encode(Osc::Osc777, &note(), false),
            b"\x1b]777;notify;bob mentioned you in #general;alice: lunch?\x1b\\"
        );
    }

    #[test]
    fn osc_9_carries_one_line() {
        assert_eq!(
            encode(Osc::Osc9, &note(), false),
            b"\x1b]9;bob mentioned you in #general: alice: lunch?\x1b\\"
        );
    }

    #[test]
    fn inside_tmux_the_sequence_is_passed_through() {
        assert_eq!(
            encode(Osc::Osc9, &note(), true),
            b"\x1bPtmux;\x1b\x1b]9;bob mentioned you in #general: alice: lunch?\x1b\x1b\\\x1b\\"
        );
    }

    #[test]
    fn no_text_can_end_the_sequence_early_or_add_a_field() {
        let n = Notification {
            title: "a;b\x1b]0;pwned\x07".into(),
            body: "x\x1b\\y\x07".into(),
        };
        let bytes = encode(Osc::Osc777, &n, false);
        assert_eq!(bytes, b"\x1b]777;notify;a,b]0,pwned;x\\y\x1b\\");
    }

    #[test]
    fn iterm_and_windows_terminal_get_osc_9_and_the_rest_osc_777() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert_eq!(detect(env(&[("TERM_PROGRAM", "iTerm.app")])), Osc::Osc9);
        assert_eq!(detect(env(&[("WT_SESSION", "1234")])), Osc::Osc9);
        assert_eq!(detect(env(&[("TERM", "foot")])), Osc::Osc777);
        assert_eq!(detect(env(&[("TERM_PROGRAM", "WezTerm")])), Osc::Osc777);
        assert_eq!(resolve(DesktopChoice::Off, env(&[])), None);
        assert_eq!(
            resolve(DesktopChoice::Osc9, env(&[("TERM", "foot")])),
            Some(Osc::Osc9)
        );
    }
}
