//! The table of line commands (`/join`, `/msg`, ...): what each is called,
//! how it is written and how each listing words it. Part of the keymap so
//! that every listing reads one table; the keys are in the parent.

use super::{Doc, doc};

/// A line command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Join,
    Msg,
    Query,
    Leave,
    Who,
    Rooms,
    Edit,
    Delete,
    Search,
    Joins,
    Help,
    Quit,
}

/// One row of the command table.
#[derive(Debug, Clone, Copy)]
pub struct CommandSpec {
    pub command: Command,
    /// The name Tab completes, then the aliases that work too.
    pub names: &'static [&'static str],
    /// How it is written, with its argument.
    pub usage: &'static str,
    /// The help overlay's row. `/help` and `/quit` share one, which the
    /// `/help` row carries.
    pub help: Option<Doc>,
    /// The help overlay's short form.
    pub short: Option<Doc>,
    /// The README's description.
    pub readme: &'static str,
}

/// Every command, in the order the listings show them.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        command: Command::Join,
        names: &["join", "j"],
        usage: "/join ROOM",
        help: Some(doc("/join ROOM", "switch to ROOM, joining it")),
        short: Some(doc("/join", "ROOM")),
        readme: "switch to ROOM, joining it if needed",
    },
    CommandSpec {
        command: Command::Msg,
        names: &["msg", "m"],
        usage: "/msg USER TEXT",
        help: Some(doc("/msg USER TEXT, /query", "direct message; open a DM")),
        short: Some(doc("/msg", "USER TEXT")),
        readme: "send TEXT to USER alone, and switch to your direct conversation (`@user` \
                 in the list of rooms)",
    },
    CommandSpec {
        command: Command::Query,
        names: &["query"],
        usage: "/query USER",
        help: None,
        short: None,
        readme: "switch to your direct conversation with USER without sending anything",
    },
    CommandSpec {
        command: Command::Leave,
        names: &["leave", "part"],
        usage: "/leave",
        help: Some(doc("/leave", "leave the room on screen")),
        short: Some(doc("/leave", "room")),
        readme: "leave the room on screen (not your last one)",
    },
    CommandSpec {
        command: Command::Who,
        names: &["who", "names"],
        usage: "/who",
        help: Some(doc("/who", "who is in this room")),
        short: Some(doc("/who", "is here")),
        readme: "list the users in the room",
    },
    CommandSpec {
        command: Command::Rooms,
        names: &["rooms", "list"],
        usage: "/rooms",
        help: Some(doc("/rooms", "rooms on the server")),
        short: Some(doc("/rooms", "list")),
        readme: "list your rooms and the server's rooms with how many are online",
    },
    CommandSpec {
        command: Command::Edit,
        names: &["edit"],
        usage: "/edit [TEXT]",
        help: Some(doc(
            "/edit [TEXT], /delete",
            "change / remove your last message",
        )),
        short: Some(doc("/edit", "last message")),
        readme: "replace your last message in the room with TEXT; alone, put it in the \
                 composer to edit (as Up on an empty line does)",
    },
    CommandSpec {
        command: Command::Delete,
        names: &["delete"],
        usage: "/delete",
        help: None,
        short: None,
        readme: "delete your last message in the room: everyone sees \"message deleted\"",
    },
    CommandSpec {
        command: Command::Search,
        names: &["search", "s"],
        usage: "/search WORDS",
        help: Some(doc("/search WORDS", "find messages, any room")),
        short: Some(doc("/search", "find")),
        readme: "search every room you can read, newest first: whole words, `\"a phrase\"`, \
                 `-word` to exclude, or any three characters or more (Japanese too)",
    },
    CommandSpec {
        command: Command::Joins,
        names: &["joins"],
        usage: "/joins",
        help: Some(doc("/joins", "show / fold joins and leaves")),
        short: None,
        readme: "show every join and leave on its own line, or fold runs of them into one \
                 line again (the default: \"carol joined and left 40 times\")",
    },
    CommandSpec {
        command: Command::Help,
        names: &["help", "h", "?"],
        usage: "/help",
        help: Some(doc("/help, /quit", "this help; leave sapa")),
        short: None,
        readme: "the help overlay",
    },
    CommandSpec {
        command: Command::Quit,
        names: &["quit", "exit", "q"],
        usage: "/quit",
        help: None,
        short: Some(doc("/quit", "bye")),
        readme: "leave sapa",
    },
];

/// A line starting with this is sent as text, one `/` shorter, instead of
/// run as a command.
pub const LITERAL_SLASH: &str = "//";

/// The command called `name` (without its `/`), aliases included.
pub fn command(name: &str) -> Option<Command> {
    COMMANDS
        .iter()
        .find(|c| c.names.contains(&name))
        .map(|c| c.command)
}

/// The commands as Tab completes them, `/join` first.
pub fn completions() -> impl Iterator<Item = String> {
    COMMANDS.iter().map(|c| format!("/{}", c.names[0]))
}
