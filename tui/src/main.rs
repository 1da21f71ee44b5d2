//! `sapa`, the terminal client: parses the command line, finds out the
//! local time zone (before any thread starts, which is when that is
//! possible), and hands over to the library: the full-screen client by
//! default, or `send` / `tail` for scripts.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use sapa_protocol::{RoomName, Secret, Username};
use sapa_tui::app::{Options, State, help};
use sapa_tui::client::driver::Driver;
use sapa_tui::client::rest::Rest;
use sapa_tui::client::socket::SocketConfig;
use sapa_tui::client::tokens::TokenStore;
use sapa_tui::client::url::{parse_server, server_key, ws_url};
use sapa_tui::run::tail::TailOptions;
use sapa_tui::run::{self, CliError, Target, exit};
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

fn fail(e: &CliError) -> ExitCode {
    // The text may quote the server: keep escape sequences out of it.
    eprintln!("sapa: {}", sapa_tui::app::printable(&e.to_string()));
    ExitCode::from(e.code() as u8)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Only reliable while the process has a single thread.
    let utc_offset = UtcOffset::current_local_offset().unwrap_or(UtcOffset::UTC);
    let target = match target(&cli) {
        Ok(t) => t,
        Err(e) => return fail(&e),
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sapa: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(async move {
        if cli.logout {
            return logout(&target).await;
        }
        match cli.command {
            Some(Command::Send(args)) => send(&target, &args).await,
            Some(Command::Tail(args)) => tail(&target, &args, utc_offset).await,
            None => interactive(target, utc_offset).await,
        }
    });
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    code
}

fn target(cli: &Cli) -> Result<Target, CliError> {
    let server = parse_server(&cli.server).map_err(CliError::Usage)?;
    ws_url(&server).map_err(CliError::Usage)?;
    let name = match &cli.user {
        Some(u) => u.clone(),
        None => std::env::var("USER").unwrap_or_default(),
    };
    let user = Username::parse(name.clone()).map_err(|e| {
        CliError::Usage(if name.is_empty() {
            "no user name: pass --user NAME".to_owned()
        } else {
            format!("{e}: pass --user NAME")
        })
    })?;
    let room = RoomName::parse(cli.room.trim_start_matches('#').to_lowercase())
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let password = std::env::var("SAPA_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .map(Secret::new);
    Ok(Target {
        server,
        user,
        room,
        store: TokenStore::default_location(),
        password,
    })
}

async fn logout(target: &Target) -> ExitCode {
    let key = server_key(&target.server);
    let Some(store) = &target.store else {
        eprintln!("sapa: no config directory: nothing saved to forget");
        return ExitCode::SUCCESS;
    };
    match store.forget(&key, &target.user) {
        Ok(Some(token)) => {
            // Revoking is a courtesy: the local copy is gone either way.
            if let Err(e) = Rest::new(target.server.clone()).logout(&token).await {
                eprintln!("sapa: forgot the token, but could not revoke it: {e}");
            }
            println!("logged out {} from {key}", target.user);
            ExitCode::SUCCESS
        }
        Ok(None) => {
            println!("no saved session for {} on {key}", target.user);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sapa: cannot update {}: {e}", store.path().display());
            ExitCode::FAILURE
        }
    }
}

async fn send(target: &Target, args: &SendArgs) -> ExitCode {
    let result = if args.text.is_empty() {
        run::send::send_stream(target, run::send::stdin_lines()).await
    } else {
        match run::send::lines_to_send(&args.text, None) {
            Ok(lines) => run::send::send(target, lines).await,
            Err(e) => Err(e),
        }
    };
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

async fn tail(target: &Target, args: &TailArgs, utc_offset: UtcOffset) -> ExitCode {
    let net = SocketConfig::new(
        ws_url(&target.server).expect("checked in target()"),
        Secret::new(""),
    );
    let options = TailOptions {
        history: args.history,
        json: args.json,
        utc_offset,
    };
    let stop = async {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = sapa_tui::run::terminal::terminated() => {}
        }
    };
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    match run::tail::tail(target, options, net, &mut out, &mut err, stop).await {
        Ok(()) => ExitCode::from(exit::OK as u8),
        Err(e) => fail(&e),
    }
}

async fn interactive(target: Target, utc_offset: UtcOffset) -> ExitCode {
    use std::io::IsTerminal;
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
    });
    let net = SocketConfig::new(
        ws_url(&target.server).expect("checked in target()"),
        Secret::new(""),
    );
    let driver = Driver::new(state, &target.server, net, target.store, target.password);
    match sapa_tui::run::terminal::run(driver).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sapa: {e:#}");
            ExitCode::FAILURE
        }
    }
}
