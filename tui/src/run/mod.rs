//! The ways `sapa` runs, each on the same client ([`crate::client`]): the
//! full-screen terminal loop ([`terminal`]), and `send` and `tail` for
//! scripts ([`send`], [`tail`]). Here too: what a run needs to know (the
//! [`Target`]) and how it fails ([`CliError`], with its [`exit`] code).

pub mod send;
pub mod tail;
pub mod terminal;

use sapa_protocol::{RoomName, Secret, Username};
use url::Url;

use crate::client::rest::{Rest, RestError};
use crate::client::tokens::TokenStore;
use crate::client::url::server_key;

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
        use RestError as L;
        match e {
            L::Unreachable { .. } => Self::Unreachable(e.to_string()),
            L::WrongPassword(_) | L::Invalid(_) => Self::Auth(e.to_string()),
            L::Server(_) => Self::Unreachable(e.to_string()),
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
}

impl Target {
    /// The saved token, unless `fresh`; else a new one from the password
    /// (saved for next time).
    async fn token(&self, fresh: bool) -> Result<(Secret, bool), CliError> {
        let key = server_key(&self.server);
        let saved = self.store.as_ref().and_then(|s| s.load(&key, &self.user));
        if let Some(token) = saved.filter(|_| !fresh) {
            return Ok((token, true));
        }
        let Some(password) = &self.password else {
            return Err(CliError::Auth(format!(
                "no saved session for {} on {key}: set SAPA_PASSWORD, or run sapa once to log in",
                self.user
            )));
        };
        let (token, _) = Rest::new(self.server.clone())
            .login(&self.user, password)
            .await?;
        if let Some(store) = &self.store {
            let _ = store.save(&key, &self.user, &token);
        }
        Ok((token, false))
    }
}
