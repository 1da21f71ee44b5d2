//! `sapa`, the terminal client: parses the command line, finds out the
//! local time zone (before any thread starts, which is when that is
//! possible), and hands over to [`sapa_tui::run`]: the full-screen client by
//! default, or `send` / `tail` for scripts, or `config`. Shell completions
//! and the man page are generated here, from these same definitions.
//!
//! Which flags were given (rather than taken from the environment or
//! defaulted) is asked of clap, so a config file sits between the
//! environment and the defaults ([`sapa_tui::config`]).

use std::io::Write;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use sapa_protocol::RoomName;
use sapa_tui::app::help;
use sapa_tui::config::{self, ColorChoice, FileState, Given, Settings};
use sapa_tui::run::{self, Mode, Target, setup};
use time::UtcOffset;

const LOGIN_HELP: &str = "\
Password: taken from SAPA_PASSWORD, else asked for on a login screen. A name
used for the first time is registered with that password. The token the
server hands out is kept in $SAPA_CONFIG_DIR, else <config dir>/sapa/
(tokens.json, mode 0600), and reused; --logout forgets it.";

const CONFIG_HELP: &str = "\
Config: $SAPA_CONFIG_DIR/config.toml, else <config dir>/sapa/config.toml
(server, user, rooms, theme and colours, timestamp, keys, notifications);
`sapa config init` writes a commented one, `sapa config show` prints what is
in force. Flags win over the environment, which wins over the file. NO_COLOR
or --color never draws without colour.";

const EXIT_HELP: &str = "\
Exit codes: 0 ok, 1 a message was refused, 2 bad usage, 3 wrong password or
no credential, 4 server unreachable or lost.";

/// What `sapa --help` says after the options: logging in, the client's
/// keys and commands (from the keymap), and the exit codes.
fn after_help() -> String {
    format!(
        "{LOGIN_HELP}\n\n{CONFIG_HELP}\n\n{}\n\n{EXIT_HELP}",
        help::cli_summary()
    )
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
        default_value = config::DEFAULT_SERVER
    )]
    server: String,
    /// A CA certificate (PEM) to trust instead of the public roots, for a
    /// server whose certificate a private CA signed.
    #[arg(long, global = true, env = "SAPA_CA_CERT", value_name = "PATH")]
    ca_cert: Option<std::path::PathBuf>,
    /// Your name (default: $USER).
    #[arg(long, global = true, env = "SAPA_USER")]
    user: Option<String>,
    /// The room to enter.
    #[arg(long, global = true, default_value = RoomName::DEFAULT)]
    room: String,
    /// Forget (and revoke) the saved token for this user and server, then exit.
    #[arg(long)]
    logout: bool,
    /// When to draw in colour (NO_COLOR in the environment means never).
    #[arg(long, global = true, value_name = "WHEN")]
    color: Option<ColorChoice>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Send TEXT, or each line of standard input, and wait until each is stored.
    Send(SendArgs),
    /// Print the room's messages as they arrive, one per line, until interrupted.
    Tail(TailArgs),
    /// Show the settings in force, or write a commented config file.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Print a completion script for SHELL (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print sapa's man page (roff), or write it and a page per subcommand
    /// into a man1 directory.
    Man(ManArgs),
}

#[derive(Args, Debug)]
struct ManArgs {
    /// Write sapa.1 and sapa-SUBCOMMAND.1 into DIR instead of printing sapa.1.
    #[arg(long, value_name = "DIR")]
    dir: Option<std::path::PathBuf>,
}

#[derive(Subcommand, Debug, Clone, Copy)]
enum ConfigAction {
    /// Print every setting, its value, and where it came from (flag,
    /// environment, config file, default). Never a password or token.
    Show,
    /// Write a commented default config file (never over an existing one).
    Init,
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
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match &cli.command {
        Some(Command::Completions { shell }) => {
            clap_complete::generate(*shell, &mut Cli::command(), "sapa", &mut std::io::stdout());
            return ExitCode::SUCCESS;
        }
        Some(Command::Man(ManArgs { dir: None })) => return print(&man_page()),
        Some(Command::Man(ManArgs { dir: Some(dir) })) => return write_man_pages(dir),
        _ => {}
    }
    // Only reliable while the process has a single thread.
    let utc_offset = UtcOffset::current_local_offset().unwrap_or(UtcOffset::UTC);
    let (flags, env) = given(&cli, &matches);
    let file = FileState::read(config::config_path());
    let settings = Settings::resolve(flags, env, file, std::env::var("USER").ok());
    if let Some(Command::Config { action }) = &cli.command {
        return match action {
            ConfigAction::Show => print(&setup::show(&settings)),
            ConfigAction::Init => setup::init(),
        };
    }
    let user = Some(settings.user.value.clone()).filter(|u| !u.is_empty());
    let target = match Target::from_args(
        &settings.server.value,
        user,
        &settings.rooms.value[0],
        cli.ca_cert.as_deref(),
    ) {
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
        Some(Command::Config { .. } | Command::Completions { .. } | Command::Man(_)) | None => {
            Mode::Chat(Box::new(setup::chat(&settings)))
        }
    };
    if !matches!(mode, Mode::Chat(_))
        && let Some(warning) = settings.file.warning()
    {
        eprintln!("sapa: {warning}");
    }
    run::main(mode, target, utc_offset)
}

/// What the command line gave by flag, and what by environment variable
/// (clap's defaults count as neither: the config file comes first).
fn given(cli: &Cli, matches: &ArgMatches) -> (Given, Given) {
    let from = |id: &str, source: ValueSource| matches.value_source(id) == Some(source);
    let pick = |source: ValueSource| Given {
        server: from("server", source).then(|| cli.server.clone()),
        user: from("user", source).then(|| cli.user.clone()).flatten(),
        room: from("room", source).then(|| cli.room.clone()),
        color: None,
    };
    let mut flags = pick(ValueSource::CommandLine);
    flags.color = cli.color;
    let mut env = pick(ValueSource::EnvVariable);
    // https://no-color.org: set and not empty means no colour.
    env.color = std::env::var_os("NO_COLOR")
        .filter(|v| !v.is_empty())
        .map(|_| ColorChoice::Never);
    (flags, env)
}

fn print(text: &str) -> ExitCode {
    let mut out = std::io::stdout();
    // A closed pipe (`sapa man | head`) is not an error worth a message.
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    ExitCode::SUCCESS
}

/// The command as the man pages describe it (no `help` subcommand: it
/// has no page).
fn man_command() -> clap::Command {
    Cli::command().disable_help_subcommand(true)
}

/// sapa(1): clap_mangen's sections, with the files and environment
/// variables sapa reads after the options.
fn man_page() -> String {
    let man = clap_mangen::Man::new(man_command());
    let mut out = Vec::new();
    let _ = man.render_title(&mut out);
    let _ = man.render_name_section(&mut out);
    let _ = man.render_synopsis_section(&mut out);
    let _ = man.render_description_section(&mut out);
    let _ = man.render_options_section(&mut out);
    let _ = man.render_subcommands_section(&mut out);
    let _ = man.render_extra_section(&mut out);
    out.extend_from_slice(MAN_FILES.as_bytes());
    let _ = man.render_version_section(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// `sapa man --dir DIR`: every page, sapa.1 with its FILES and
/// ENVIRONMENT sections.
fn write_man_pages(dir: &std::path::Path) -> ExitCode {
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| clap_mangen::generate_to(man_command(), dir))
        .and_then(|()| std::fs::write(dir.join("sapa.1"), man_page()));
    match written {
        Ok(()) => {
            println!("wrote sapa.1 and sapa-*.1 in {}", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sapa: cannot write man pages in {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}

const MAN_FILES: &str = r#".SH FILES
.TP
\fI$SAPA_CONFIG_DIR/config.toml\fR, else \fI~/.config/sapa/config.toml\fR
The config file: server, user, rooms, theme and colours, timestamp format,
key bindings and notifications. \fBsapa config init\fR writes a commented
one; \fBsapa config show\fR prints what is in force and where each value
came from.
.TP
\fI$SAPA_CONFIG_DIR/tokens.json\fR, else \fI~/.config/sapa/tokens.json\fR
Saved login tokens, one per server and user (mode 0600).
.SH ENVIRONMENT
.TP
\fBSAPA_SERVER\fR, \fBSAPA_USER\fR
As \fB\-\-server\fR and \fB\-\-user\fR; flags win, and both win over the
config file.
.TP
\fBSAPA_PASSWORD\fR
The password, instead of the login screen. Never written anywhere.
.TP
\fBSAPA_CONFIG_DIR\fR
The directory of config.toml and tokens.json.
.TP
\fBNO_COLOR\fR
Set and not empty: draw without colour (as \fB\-\-color never\fR).
.TP
\fBTMUX\fR, \fBTERM_PROGRAM\fR, \fBWT_SESSION\fR
Which escape sequence a desktop notification uses.
"#;

#[cfg(test)]
mod cli_tests;
