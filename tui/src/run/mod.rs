//! The ways `sapa` runs, each on the same client ([`crate::client`]): the
//! full-screen chat ([`terminal`]), and `send` and `tail` for scripts
//! ([`send`], [`tail`], sharing `headless`), plus `--logout`. Here too:
//! what a run needs to know (the [`Target`]) and how it fails
//! ([`CliError`], with its [`exit`] code). `main.rs` parses the command line
//! into a [`Mode`] and a [`Target`] and calls [`main`].

mod headless;
pub mod notify;
pub mod send;
pub mod setup;
pub mod tail;
pub mod terminal;

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use sapa_protocol::{RoomName, Secret, Username};
use time::UtcOffset;
use url::Url;

use crate::app::printable;
use crate::client::rest::{Rest, RestError};
use crate::client::socket::SocketConfig;
use crate::client::tls::Trust;
use crate::client::tokens::TokenStore;
use crate::client::url::{parse_server, server_key, ws_url};

/// How often the clock ticks: the reconnect countdown counts seconds, and
/// retries wait 3 s.
const TICK: Duration = Duration::from_millis(250);

/// Exit codes of `sapa`, `sapa send` and `sapa tail`.
pub mod exit {
    /// Everything went through.
    pub const OK: i32 = 0;
    /// A message was refused (invalid, too long, rate-limited...).
    pub const REJECTED: i32 = 1;
    /// Bad command line (clap's own code).
    pub const USAGE: i32 = 2;
    /// Wrong password, or no credential at all.
    pub const AUTH: i32 = 3;
    /// The server could not be reached, or went away mid-way.
    pub const UNREACHABLE: i32 = 4;
}

/// A failure with its exit code; `Display` is the one line to print.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Auth(String),
    #[error("{0}")]
    Unreachable(String),
    #[error("{0}")]
    Rejected(String),
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    /// The process exit code for this failure.
    pub fn code(&self) -> i32 {
        match self {
            Self::Auth(_) => exit::AUTH,
            Self::Unreachable(_) => exit::UNREACHABLE,
            Self::Rejected(_) => exit::REJECTED,
            Self::Usage(_) => exit::USAGE,
        }
    }
}

impl From<RestError> for CliError {
    fn from(e: RestError) -> Self {
        match e {
            RestError::Unreachable { .. } | RestError::Server(_) => {
                Self::Unreachable(e.to_string())
            }
            RestError::WrongPassword(_) | RestError::Invalid(_) => Self::Auth(e.to_string()),
        }
    }
}

/// Who talks to which server, and with what credentials.
#[derive(Debug, Clone)]
pub struct Target {
    /// `http://host:port/`.
    pub server: Url,
    pub user: Username,
    pub room: RoomName,
    /// Where tokens are kept; `None` keeps nothing.
    pub store: Option<TokenStore>,
    /// From `SAPA_PASSWORD`.
    pub password: Option<Secret>,
    /// Whose certificates an `https://` server may show (`--ca-cert`).
    pub trust: Trust,
}

impl Target {
    /// The target the command line names: `--server`, `--user` (else
    /// `$USER`), `--room`, `--ca-cert`, with `SAPA_PASSWORD` and the token
    /// file in its usual place. Every value is checked here (the CA file
    /// read), before anything connects.
    pub fn from_args(
        server: &str,
        user: Option<String>,
        room: &str,
        ca_cert: Option<&Path>,
    ) -> Result<Self, CliError> {
        let server = parse_server(server).map_err(CliError::Usage)?;
        ws_url(&server).map_err(CliError::Usage)?;
        let name = user.unwrap_or_else(|| std::env::var("USER").unwrap_or_default());
        let user = Username::parse(name.clone()).map_err(|e| {
            CliError::Usage(if name.is_empty() {
                "no user name: pass --user NAME".to_owned()
            } else {
                format!("{e}: pass --user NAME")
            })
        })?;
        let room = RoomName::parse(room.trim_start_matches('#').to_lowercase())
            .map_err(|e| CliError::Usage(e.to_string()))?;
        let password = std::env::var("SAPA_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty())
            .map(Secret::new);
        let trust = match ca_cert {
            Some(path) => Trust::private_ca(path).map_err(CliError::Usage)?,
            None => Trust::default(),
        };
        Ok(Self {
            server,
            user,
            room,
            store: TokenStore::default_location(),
            password,
            trust,
        })
    }

    /// The WebSocket settings for this server, with the default timings.
    pub fn socket(&self) -> SocketConfig {
        let url = ws_url(&self.server).expect("checked when the target was made");
        let mut socket = SocketConfig::new(url, Secret::new(""));
        socket.trust = self.trust.clone();
        socket
    }
}

/// What `sapa` was asked to do.
#[derive(Debug, Clone)]
pub enum Mode {
    /// The full-screen chat, with what the config file says of it.
    Chat(Box<terminal::ChatSetup>),
    /// `sapa send`: these words as one line, or standard input when empty.
    Send { text: Vec<String> },
    /// `sapa tail`.
    Tail { history: usize, json: bool },
    /// `sapa --logout`.
    Logout,
}

/// Runs `mode` for `target` to the end, and says how it ended.
pub fn main(mode: Mode, target: Target, utc_offset: UtcOffset) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sapa: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(async move {
        match mode {
            Mode::Chat(setup) => terminal::main(target, utc_offset, *setup).await,
            Mode::Send { text } => exit_code(send::main(&target, &text).await.map(drop)),
            Mode::Tail { history, json } => {
                let options = tail::TailOptions {
                    history,
                    json,
                    utc_offset,
                };
                exit_code(tail::main(&target, options).await)
            }
            Mode::Logout => logout(&target).await,
        }
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    code
}

/// Prints a failure as the one line `sapa: ...` on standard error, and
/// gives its exit code.
pub fn fail(e: &CliError) -> ExitCode {
    // The text may quote the server: keep escape sequences out of it.
    eprintln!("sapa: {}", printable(&e.to_string()));
    ExitCode::from(e.code() as u8)
}

fn exit_code(result: Result<(), CliError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::from(exit::OK as u8),
        Err(e) => fail(&e),
    }
}

/// `--logout`: forgets the saved token and revokes it on the server.
async fn logout(target: &Target) -> ExitCode {
    let key = server_key(&target.server);
    let Some(store) = &target.store else {
        eprintln!("sapa: no config directory: nothing saved to forget");
        return ExitCode::SUCCESS;
    };
    match store.forget(&key, &target.user) {
        Ok(Some(token)) => {
            // Revoking is a courtesy: the local copy is gone either way.
            if let Err(e) = Rest::new(target.server.clone(), &target.trust)
                .logout(&token)
                .await
            {
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

/// Resolves on SIGTERM or SIGHUP (never elsewhere).
#[cfg(unix)]
pub async fn terminated() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = hup.recv() => {}
    }
}

/// Resolves on SIGTERM or SIGHUP (never elsewhere).
#[cfg(not(unix))]
pub async fn terminated() {
    std::future::pending().await
}
