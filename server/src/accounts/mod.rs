//! Accounts and credentials: who a user is ([`Identity`]), registering and
//! logging in with a password, and login tokens. [`Accounts`] is the one
//! handle the rest of the server uses, over REST and WebSocket alike.
//!
//! Every password check passes the login guard first
//! ([`crate::limits::LoginGuard`]), which slows a guesser per account and
//! per client address, before any hashing is spent on it.
//!
//! Password hashing (argon2id on a bounded blocking pool) is in
//! `passwords.rs`; issuing, checking and revoking tokens, with their cache
//! and batched look-ups, in `tokens.rs`. Nothing here knows about HTTP or
//! WebSocket: how a refusal is answered is the caller's business (REST:
//! `http/error.rs`; WebSocket: the connection). The SQL is in
//! [`crate::store`].

mod passwords;
mod tokens;

pub use passwords::HashError;
pub use tokens::IssuedToken;

use std::net::IpAddr;

use sapa_protocol::{NewPassword, Username};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    limits::{Limited, LoginGuard},
    store::{SessionUser, Store, StoreError, UserRecord},
};
use passwords::Passwords;
use tokens::Tokens;

/// Who is behind a connection or request.
#[derive(Debug, Clone)]
pub struct Identity {
    pub user_id: i64,
    pub username: Username,
}

impl From<SessionUser> for Identity {
    fn from(user: SessionUser) -> Self {
        Self {
            user_id: user.user_id,
            username: user.username,
        }
    }
}

/// Why authentication failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Wrong password, unknown or expired token: the client's fault. The
    /// text is what the client is told.
    #[error("{0}")]
    Denied(&'static str),
    /// A new account's password breaks the rules.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Hashing failed (a bug); logged by the caller.
    #[error(transparent)]
    Hashing(#[from] HashError),
    /// Too many attempts: nothing was checked; try again after the wait.
    #[error("{}", .0.message())]
    Throttled(Limited),
}

/// The one answer to a wrong name or a wrong password: which was wrong is
/// not told.
const WRONG_LOGIN: AuthError = AuthError::Denied("wrong username or password");

/// A token that is not (or no longer) a valid login.
const UNKNOWN_TOKEN: AuthError = AuthError::Denied("unknown or expired token");

/// Password and token operations; cheap to clone.
#[derive(Clone)]
pub struct Accounts {
    store: Store,
    passwords: Passwords,
    tokens: Tokens,
    guard: LoginGuard,
}

impl Accounts {
    /// `hash_concurrency` hashes may run at once; tokens live `token_ttl`;
    /// `guard` decides who may try a password. The token look-up task runs
    /// on `tracker` until `stop`.
    pub fn new(
        store: Store,
        hash_concurrency: usize,
        token_ttl: time::Duration,
        guard: LoginGuard,
        tracker: &TaskTracker,
        stop: CancellationToken,
    ) -> Self {
        Self {
            passwords: Passwords::new(hash_concurrency),
            tokens: Tokens::new(store.clone(), token_ttl, tracker, stop),
            store,
            guard,
        }
    }

    /// Creates an account for a client at `ip`; `Ok(None)` if the name is
    /// taken.
    pub async fn register(
        &self,
        username: &Username,
        password: &NewPassword,
        ip: IpAddr,
    ) -> Result<Option<Identity>, AuthError> {
        self.guard
            .admit(username.as_str(), ip)
            .map_err(AuthError::Throttled)?;
        self.create(username, password).await
    }

    async fn create(
        &self,
        username: &Username,
        password: &NewPassword,
    ) -> Result<Option<Identity>, AuthError> {
        let hash = self.passwords.hash(password).await?;
        let user = self.store.create_user(username, &hash).await?;
        Ok(user.map(|u| Identity {
            user_id: u.id,
            username: u.username,
        }))
    }

    /// Checks a name and password from a client at `ip`.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        ip: IpAddr,
    ) -> Result<Identity, AuthError> {
        self.guard
            .admit(username, ip)
            .map_err(AuthError::Throttled)?;
        let user = self.store.find_user(username).await?;
        self.check_password(username, user, password, ip).await
    }

    /// The account's identity if `password` is its password; the guard
    /// hears how it went (an unknown name fails like a wrong password).
    async fn check_password(
        &self,
        username: &str,
        user: Option<UserRecord>,
        password: &str,
        ip: IpAddr,
    ) -> Result<Identity, AuthError> {
        let right = match &user {
            Some(user) => self.passwords.verify(password, &user.password_hash).await?,
            None => false,
        };
        match user {
            Some(user) if right => {
                self.guard.succeeded(username, ip);
                Ok(Identity {
                    user_id: user.id,
                    username: user.username,
                })
            }
            _ => {
                self.guard.failed(username, ip);
                crate::telemetry::auth_failed("password");
                Err(WRONG_LOGIN)
            }
        }
    }

    /// What a WebSocket join with a password does: log in to an existing
    /// account, or register the name on its first use.
    pub async fn login_or_register(
        &self,
        username: &Username,
        password: &str,
        ip: IpAddr,
    ) -> Result<Identity, AuthError> {
        self.guard
            .admit(username.as_str(), ip)
            .map_err(AuthError::Throttled)?;
        if let Some(user) = self.store.find_user(username.as_str()).await? {
            return self
                .check_password(username.as_str(), Some(user), password, ip)
                .await;
        }
        let new_password = NewPassword::parse(sapa_protocol::Secret::new(password))
            .map_err(|e| AuthError::Invalid(e.0))?;
        match self.create(username, &new_password).await? {
            Some(identity) => Ok(identity),
            // Someone registered the name between our lookup and insert.
            None => {
                let user = self.store.find_user(username.as_str()).await?;
                self.check_password(username.as_str(), user, password, ip)
                    .await
            }
        }
    }

    /// Issues a new token for a user.
    pub async fn issue_token(&self, user_id: i64) -> Result<IssuedToken, StoreError> {
        self.tokens.issue(user_id).await
    }

    /// The identity behind a token, if it is valid and unexpired.
    pub async fn check_token(&self, token: &str) -> Result<Identity, AuthError> {
        match self.tokens.check(token).await? {
            Some(user) => Ok(Identity::from(user)),
            None => {
                crate::telemetry::auth_failed("token");
                Err(UNKNOWN_TOKEN)
            }
        }
    }

    /// Revokes a token; whether it existed.
    pub async fn revoke(&self, token: &str) -> Result<bool, StoreError> {
        self.tokens.revoke(token).await
    }
}
