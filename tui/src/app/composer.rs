//! The composer against the server's limits: which part of the line would
//! be sent as a message's content, how many characters of
//! `welcome.limits.max_content_chars` are left, and when the input line
//! says so (the last [`WARN_FRACTION`] of the limit, and past it).
//!
//! Pure. The numbers are the server's, from each `welcome`; before the
//! first one the composer counts nothing and the server has the last word.

use sapa_protocol::Limits;

use super::keymap::LITERAL_SLASH;

/// The input line shows how much is left once less than this part of the
/// limit is (one tenth).
pub const WARN_FRACTION: u32 = 10;

/// The text of `line` that would go out as a message's content: the line
/// itself, the text after `/msg USER`, a `//line` one slash shorter;
/// `None` for any other command (and while typing the name of `/msg`).
pub fn content_of(line: &str) -> Option<&str> {
    if line.starts_with(LITERAL_SLASH) {
        return Some(&line[1..]);
    }
    let Some(command) = line.strip_prefix('/') else {
        return Some(line);
    };
    let (name, rest) = command.split_once(char::is_whitespace)?;
    if !matches!(name, "msg" | "m") {
        return None;
    }
    let (_user, text) = rest.trim_start().split_once(char::is_whitespace)?;
    Some(text.trim_start())
}

/// How the line stands against the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// Far from the limit (or no limit known): nothing to show.
    Plenty,
    /// This many characters are left, fewer than a tenth of the limit.
    Left(u32),
    /// This many characters over: Enter refuses the line.
    Over(u32),
}

/// Where `line` stands against `limits` (`None`: no welcome yet).
pub fn budget(line: &str, limits: Option<&Limits>) -> Budget {
    let Some(max) = limits.map(|l| l.max_content_chars).filter(|&m| m > 0) else {
        return Budget::Plenty;
    };
    let Some(content) = content_of(line) else {
        return Budget::Plenty;
    };
    let used = u32::try_from(content.chars().count()).unwrap_or(u32::MAX);
    if used > max {
        return Budget::Over(used - max);
    }
    let left = max - used;
    if left < max.div_ceil(WARN_FRACTION) {
        Budget::Left(left)
    } else {
        Budget::Plenty
    }
}

impl Budget {
    /// The input line's counter: `12 left`, `3 over`.
    pub fn label(self) -> Option<String> {
        match self {
            Self::Plenty => None,
            Self::Left(n) => Some(format!("{n} left")),
            Self::Over(n) => Some(format!("{n} over")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max: u32) -> Limits {
        Limits {
            max_content_chars: max,
            max_frame_bytes: 65536,
            messages_per_second: 20,
            burst: 40,
            history_page_max: 100,
        }
    }

    #[test]
    fn the_counter_shows_in_the_last_tenth_of_the_servers_limit() {
        let l = limits(100);
        assert_eq!(budget(&"x".repeat(90), Some(&l)), Budget::Plenty);
        assert_eq!(budget(&"x".repeat(91), Some(&l)), Budget::Left(9));
        assert_eq!(budget(&"日".repeat(100), Some(&l)), Budget::Left(0));
        assert_eq!(budget(&"x".repeat(103), Some(&l)), Budget::Over(3));
        assert_eq!(budget(&"x".repeat(103), Some(&limits(0))), Budget::Plenty);
        assert_eq!(budget(&"x".repeat(103), None), Budget::Plenty);
    }

    #[test]
    fn only_what_would_be_sent_counts() {
        assert_eq!(content_of("hello"), Some("hello"));
        assert_eq!(content_of("//etc"), Some("/etc"));
        assert_eq!(content_of("/msg bob  hi there"), Some("hi there"));
        assert_eq!(content_of("/msg bob"), None);
        assert_eq!(content_of("/join rust"), None);
        let l = limits(10);
        assert_eq!(
            budget(&format!("/msg bob {}", "x".repeat(10)), Some(&l)),
            Budget::Left(0)
        );
    }
}
