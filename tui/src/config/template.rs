//! The file `sapa config init` writes: every setting, commented out at its
//! default, with a line on what it takes, so a user edits the file instead
//! of looking things up. A test reads it back: uncommented, it is a valid
//! file that changes nothing.

use std::io::Write;
use std::path::Path;

/// The commented default config file.
pub const TEMPLATE: &str = r##"# sapa's config file. Every line is commented out at its default: remove the
# `#` to change one. Flags win over the environment, which wins over this
# file; `sapa config show` prints what is in force and where it came from.
# Passwords do not belong here: SAPA_PASSWORD, or the login screen.

# The server to connect to.
#server = "http://localhost:3000"

# Your name (default: $USER).
#user = "alice"

# Rooms joined at start; the first is on screen (`--room` names one instead).
#rooms = ["general"]

# How message times are written (strftime: %H hours, %M minutes, %S seconds,
# %d day, %m month, %Y year).
#timestamp = "%H:%M"

# Colour: "auto" (unless TERM is dumb), "always" or "never". The NO_COLOR
# environment variable and --color win over this.
#color = "auto"

# The built-in theme: "dark" (for dark backgrounds) or "light".
#theme = "dark"

# The colours names get, one per name, always the same for the same name.
#name_colors = ["red", "green", "yellow", "blue", "magenta", "cyan", "lightred", "lightgreen", "lightblue", "lightmagenta"]

# Per-element looks, over the theme: attributes (bold, dim, italic,
# underlined, reversed), a colour, and `on` a background colour. Colours are
# names (red, lightblue, darkgray, ...), "#rrggbb", or 0-255.
[colors]
#status = "white on darkgray"
#idle = "gray"
#connecting = "yellow"
#online = "lightgreen"
#offline = "lightred"
#unread = "bold lightyellow"
#time = "darkgray"
#name = "bold"
#own_name = "bold"
#text = ""
#mention = "bold black on yellow"
#notice = "darkgray"
#warning = "lightred"
#pending = "italic gray"
#rule = "darkgray"
#new_messages = "bold black on lightyellow"
#prompt = "bold"
#help_key = "bold lightcyan"
#hint = "darkgray"

# Keys, by action: one key or a list; [] leaves an action without a key.
# Keys given here are taken from what they did before. Write ctrl- and alt-
# before a character or a key name (enter, tab, esc, backspace, delete,
# left, right, up, down, home, end, pgup, pgdn, f1-f12, space).
[keys]
#quit = "ctrl-c"
#submit = "enter"
#page_up = "pgup"
#page_down = "pgdn"
#jump_newest = ["ctrl-end", "ctrl-l"]
#end_or_newest = "end"
#recall_prev = "up"
#recall_next = "down"
#cancel_edit = "esc"
#complete = "tab"
#next_room = "ctrl-n"
#prev_room = "ctrl-p"
#help = "f1"
#cursor_left = "left"
#cursor_right = "right"
#line_start = ["home", "ctrl-a"]
#line_end = "ctrl-e"
#delete_back = "backspace"
#delete_forward = "delete"
#delete_word_back = ["ctrl-w", "ctrl-h", "ctrl-backspace"]
#kill_to_start = "ctrl-u"
#kill_to_end = "ctrl-k"

# When a message mentions you.
[notifications]
# Ring the terminal bell.
#bell = true
# A desktop notification while the terminal is not focused: "auto" picks
# the escape sequence for the terminal, or "osc777", "osc9", "off". Inside
# tmux it needs `set -g allow-passthrough on`.
#desktop = "auto"
"##;

/// What `sapa config init` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Init {
    Written,
    /// A file is there already; it is left as it is.
    Exists,
}

/// Writes [`TEMPLATE`] to `path` (making its directory), unless a file is
/// there already.
pub fn init(path: &Path) -> std::io::Result<Init> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(mut f) => {
            f.write_all(TEMPLATE.as_bytes())?;
            Ok(Init::Written)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(Init::Exists),
        Err(e) => Err(e),
    }
}
