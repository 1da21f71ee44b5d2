//! The looks of every part of the screen, in one [`Theme`]: the built-in
//! `dark` (for dark terminal backgrounds, the default) and `light`, the
//! colourless one used under `NO_COLOR` or `--color never` ([`Theme::plain`]:
//! attributes only, so a mention is still reversed and one's own name
//! still underlined), and a config file's per-element overrides written as
//! `"bold black on yellow"` ([`parse_style`], [`Theme::set`]).
//!
//! Only looks: which text goes where is the drawing code's, and choosing
//! the theme from flags, environment and file is [`crate::config`]'s.

use std::hash::{Hash, Hasher};
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};

/// The built-in themes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThemeName {
    Dark,
    Light,
}

impl ThemeName {
    pub const ALL: [(&'static str, ThemeName); 2] = [("dark", Self::Dark), ("light", Self::Light)];

    /// The name a config file uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dark => "dark",
            Self::Light => "light",
        }
    }
}

impl FromStr for ThemeName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|(_, t)| *t)
            .ok_or_else(|| format!("no theme called {s:?}; themes: dark, light"))
    }
}

/// How every part of the screen looks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    /// The status bar; the parts below are laid over it.
    pub status: Style,
    pub idle: Style,
    pub connecting: Style,
    pub online: Style,
    pub offline: Style,
    /// Rooms with unread messages, in the status bar.
    pub unread: Style,
    pub time: Style,
    /// Other people's names, over their colour from [`Theme::names`].
    pub name: Style,
    /// Colours names are given, always the same one for the same name;
    /// empty: names are not coloured.
    pub names: Vec<Color>,
    pub own_name: Style,
    pub text: Style,
    /// A message that mentions the user.
    pub mention: Style,
    /// joined / left / system lines.
    pub notice: Style,
    pub warning: Style,
    /// The user's own message, not stored yet.
    pub pending: Style,
    /// The rule above the input, the users pane's border, quiet hints.
    pub rule: Style,
    /// "N new messages" on the rule.
    pub new_messages: Style,
    pub prompt: Style,
    /// Keys in the help overlay.
    pub help_key: Style,
    /// The login screen's explanations.
    pub hint: Style,
    /// Whether the colours are off (overrides keep their attributes only).
    colourless: bool,
}

const DARK_NAMES: [Color; 10] = [
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

/// Colours that read on a light background: no yellow, no light ones.
const LIGHT_NAMES: [Color; 10] = [
    Color::Red,
    Color::Green,
    Color::Blue,
    Color::Magenta,
    Color::Cyan,
    Color::Indexed(130), // brown
    Color::Indexed(25),  // deep blue
    Color::Indexed(90),  // purple
    Color::Indexed(28),  // deep green
    Color::Indexed(160), // crimson
];

const fn fg(color: Color) -> Style {
    Style::new().fg(color)
}

const BOLD: Modifier = Modifier::BOLD;

impl Default for Theme {
    fn default() -> Self {
        Self::dark()
    }
}

impl Theme {
    /// A built-in theme.
    pub fn named(name: ThemeName) -> Self {
        match name {
            ThemeName::Dark => Self::dark(),
            ThemeName::Light => Self::light(),
        }
    }

    /// For dark backgrounds: the colours sapa always had.
    pub fn dark() -> Self {
        Self {
            status: Style::new().bg(Color::DarkGray).fg(Color::White),
            idle: fg(Color::Gray),
            connecting: fg(Color::Yellow),
            online: fg(Color::LightGreen),
            offline: fg(Color::LightRed),
            unread: fg(Color::LightYellow).add_modifier(BOLD),
            time: fg(Color::DarkGray),
            name: Style::new().add_modifier(BOLD),
            names: DARK_NAMES.to_vec(),
            own_name: Style::new().add_modifier(BOLD),
            text: Style::new(),
            mention: Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(BOLD),
            notice: fg(Color::DarkGray),
            warning: fg(Color::LightRed),
            pending: fg(Color::Gray).add_modifier(Modifier::ITALIC),
            rule: fg(Color::DarkGray),
            new_messages: Style::new()
                .fg(Color::Black)
                .bg(Color::LightYellow)
                .add_modifier(BOLD),
            prompt: Style::new().add_modifier(BOLD),
            help_key: fg(Color::LightCyan).add_modifier(BOLD),
            hint: fg(Color::DarkGray),
            colourless: false,
        }
    }

    /// For light backgrounds: dark text colours, no yellow text.
    pub fn light() -> Self {
        Self {
            status: Style::new().bg(Color::Gray).fg(Color::Black),
            idle: fg(Color::DarkGray),
            connecting: fg(Color::Magenta),
            online: fg(Color::Green),
            offline: fg(Color::Red),
            unread: fg(Color::Blue).add_modifier(BOLD),
            time: fg(Color::DarkGray),
            name: Style::new().add_modifier(BOLD),
            names: LIGHT_NAMES.to_vec(),
            own_name: Style::new().add_modifier(BOLD),
            text: Style::new(),
            mention: Style::new()
                .fg(Color::Black)
                .bg(Color::LightYellow)
                .add_modifier(BOLD),
            notice: fg(Color::DarkGray),
            warning: fg(Color::Red),
            pending: fg(Color::DarkGray).add_modifier(Modifier::ITALIC),
            rule: fg(Color::DarkGray),
            new_messages: Style::new()
                .fg(Color::White)
                .bg(Color::Blue)
                .add_modifier(BOLD),
            prompt: Style::new().add_modifier(BOLD),
            help_key: fg(Color::Blue).add_modifier(BOLD),
            hint: fg(Color::DarkGray),
            colourless: false,
        }
    }

    /// No colour at all (`NO_COLOR`, `--color never`): what colour told
    /// apart, attributes do. A mention is reversed, one's own name bold
    /// and underlined, the status bar reversed, quiet lines dim.
    pub fn plain() -> Self {
        let attr = |m: Modifier| Style::new().add_modifier(m);
        Self {
            status: attr(Modifier::REVERSED),
            idle: Style::new(),
            connecting: Style::new(),
            online: Style::new(),
            offline: attr(BOLD),
            unread: attr(BOLD),
            time: attr(Modifier::DIM),
            name: attr(BOLD),
            names: Vec::new(),
            own_name: attr(BOLD | Modifier::UNDERLINED),
            text: Style::new(),
            mention: attr(BOLD | Modifier::REVERSED),
            notice: attr(Modifier::DIM),
            warning: attr(BOLD),
            pending: attr(Modifier::DIM | Modifier::ITALIC),
            rule: attr(Modifier::DIM),
            new_messages: attr(BOLD | Modifier::REVERSED),
            prompt: attr(BOLD),
            help_key: attr(BOLD),
            hint: attr(Modifier::DIM),
            colourless: true,
        }
    }

    /// Whether this theme draws without colour.
    pub fn is_colourless(&self) -> bool {
        self.colourless
    }

    /// The elements a config file can restyle, by name (the colours of
    /// names are a list of their own, [`Theme::set_names`]).
    pub const ELEMENTS: [&'static str; 19] = [
        "status",
        "idle",
        "connecting",
        "online",
        "offline",
        "unread",
        "time",
        "name",
        "own_name",
        "text",
        "mention",
        "notice",
        "warning",
        "pending",
        "rule",
        "new_messages",
        "prompt",
        "help_key",
        "hint",
    ];

    fn slot(&mut self, element: &str) -> Option<&mut Style> {
        Some(match element {
            "status" => &mut self.status,
            "idle" => &mut self.idle,
            "connecting" => &mut self.connecting,
            "online" => &mut self.online,
            "offline" => &mut self.offline,
            "unread" => &mut self.unread,
            "time" => &mut self.time,
            "name" => &mut self.name,
            "own_name" => &mut self.own_name,
            "text" => &mut self.text,
            "mention" => &mut self.mention,
            "notice" => &mut self.notice,
            "warning" => &mut self.warning,
            "pending" => &mut self.pending,
            "rule" => &mut self.rule,
            "new_messages" => &mut self.new_messages,
            "prompt" => &mut self.prompt,
            "help_key" => &mut self.help_key,
            "hint" => &mut self.hint,
            _ => return None,
        })
    }

    /// Gives `element` the look `style`, instead of the theme's. Without
    /// colour only its attributes are kept.
    pub fn set(&mut self, element: &str, style: Style) -> Result<(), String> {
        let colourless = self.colourless;
        let slot = self.slot(element).ok_or_else(|| {
            format!(
                "no element called {element:?}; elements: {}",
                Self::ELEMENTS.join(", ")
            )
        })?;
        *slot = if colourless {
            Style::new().add_modifier(style.add_modifier)
        } else {
            style
        };
        Ok(())
    }

    /// The colours names are given (ignored without colour).
    pub fn set_names(&mut self, colors: Vec<Color>) {
        if !self.colourless {
            self.names = colors;
        }
    }

    /// The colour of `name` (case-insensitive, FNV-1a based so it does not
    /// change between runs or builds), if names are coloured.
    pub fn name_color(&self, name: &str) -> Option<Color> {
        if self.names.is_empty() {
            return None;
        }
        let mut h = Fnv(0xcbf2_9ce4_8422_2325);
        name.to_ascii_lowercase().hash(&mut h);
        Some(self.names[(h.finish() % self.names.len() as u64) as usize])
    }

    /// Someone else's name in a message: their colour and [`Theme::name`].
    pub fn name_style(&self, name: &str) -> Style {
        match self.name_color(name) {
            Some(c) => self.name.fg(c),
            None => self.name,
        }
    }
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

/// Reads a look as a config file writes it: attributes (`bold`, `dim`,
/// `italic`, `underlined`, `reversed`), then a text colour, then `on` and a
/// background colour, each optional: `"bold black on yellow"`, `"#ff8700"`,
/// `"on 236"`, `"italic"`. Colours are names (`red`, `lightblue`,
/// `darkgray`), `#rrggbb`, or a 256-colour index.
pub fn parse_style(text: &str) -> Result<Style, String> {
    let mut style = Style::new();
    let mut words = text.split_whitespace().peekable();
    let mut fg_set = false;
    while let Some(word) = words.next() {
        let lower = word.to_ascii_lowercase();
        let modifier = match lower.as_str() {
            "bold" => Some(Modifier::BOLD),
            "dim" => Some(Modifier::DIM),
            "italic" => Some(Modifier::ITALIC),
            "underline" | "underlined" => Some(Modifier::UNDERLINED),
            "reverse" | "reversed" => Some(Modifier::REVERSED),
            "plain" | "none" => Some(Modifier::empty()),
            _ => None,
        };
        if let Some(m) = modifier {
            style = style.add_modifier(m);
        } else if lower == "on" {
            let bg = words
                .next()
                .ok_or_else(|| format!("{text:?}: `on` needs a colour after it"))?;
            style = style.bg(parse_color(bg)?);
        } else if !fg_set {
            style = style.fg(parse_color(word)?);
            fg_set = true;
        } else {
            return Err(format!(
                "{text:?}: {word:?} is a second text colour; write `on {word}` for the background"
            ));
        }
    }
    Ok(style)
}

/// A colour: a name, `#rrggbb` or a 256-colour index.
pub fn parse_color(text: &str) -> Result<Color, String> {
    Color::from_str(text).map_err(|_| {
        format!("{text:?} is not a colour (a name such as red or lightblue, #rrggbb, or 0-255)")
    })
}
