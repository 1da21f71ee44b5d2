//! `sapa`, the terminal client: parses the command line, finds out the
//! local time zone (before any thread starts, which is when that is
//! possible), and hands over to [`sapa_tui::run`]: the full-screen client by
//! default, or `send` / `tail` for scripts.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use sapa_protocol::RoomName;
use sapa_tui::app::help;
use sapa_tui::run::{self, Mode, Target};
use time::UtcOffset;

const LOGIN_HELP: &str = "\
Password: taken from SAPA_PASSWORD, else asked for on a login screen. A name
used for the first time is registered with that password. The token the
server hands out is kept in $SAPA_CONFIG_DIR, else <config dir>/sapa/
(tokens.json, mode 0600), and reused; --logout forgets it.";

const EXIT_HELP: &str = "\
Exit codes: 0 ok, 1 a message was refused, 2 bad usage, 3 wrong password or
no credential, 4 server unreachable or lost.";

/// What `sapa --help` says after the options: logging in, the client's
/// keys and commands (from the keymap), and the exit codes.
fn after_help() -> String {
    format!("{LOGIN_HELP}\n\n{}\n\n{EXIT_HELP}", help::cli_summary())
}

/// sapa: terminal-first real-time chat.
#[derive(Parser, Debug)]
#[command(name = "sapa", version, about, after_help = after_help())]
struct Cli {
    /// The server's address.
    #[arg(
        long,
        global = true,
        env = "SAPA_SERVER",
        default_value = "http://localhost:3000"
    )]
    server: String,
    /// Your name (default: $USER).
    #[arg(long, global = true, env = "SAPA_USER")]
    user: Option<String>,
    /// The room to enter.
    #[arg(long, global = true, default_value = RoomName::DEFAULT)]
    room: String,
    /// Forget (and revoke) the saved token for this user and server, then exit.
    #[arg(long)]
    logout: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Send TEXT, or each line of standard input, and wait until each is stored.
    Send(SendArgs),
    /// Print the room's messages as they arrive, one per line, until interrupted.
    Tail(TailArgs),
}

#[derive(Args, Debug)]
struct SendArgs {
    /// The message (words are joined by spaces); without it, standard input.
    text: Vec<String>,
}

#[derive(Args, Debug)]
struct TailArgs {
    /// Print this many earlier messages first.
    #[arg(long, default_value_t = 10)]
    history: usize,
    /// Print each message as a JSON `message` frame.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Only reliable while the process has a single thread.
    let utc_offset = UtcOffset::current_local_offset().unwrap_or(UtcOffset::UTC);
    let target = match Target::from_args(&cli.server, cli.user, &cli.room) {
        Ok(t) => t,
        Err(e) => return run::fail(&e),
    };
    let mode = match cli.command {
        _ if cli.logout => Mode::Logout,
        Some(Command::Send(args)) => Mode::Send { text: args.text },
        Some(Command::Tail(args)) => Mode::Tail {
            history: args.history,
            json: args.json,
        },
        None => Mode::Chat,
    };
    run::main(mode, target, utc_offset)
}
