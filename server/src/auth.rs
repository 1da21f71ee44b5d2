//! Accounts and credentials: argon2id password hashes, and 256-bit bearer
//! tokens stored as SHA-256 hashes. The REST extractor that reads a bearer
//! token is in `http/bearer.rs`; nothing here knows about HTTP.
//!
//! Password hashing is deliberately slow, so it runs on the blocking pool
//! behind a small semaphore: a burst of logins queues there instead of
//! occupying the async workers that deliver messages. A token login costs
//! one SHA-256 and a share of one indexed lookup, and none once the token is
//! known: tokens not yet known are looked up together, as many per query as
//! are waiting (after a restart every client reconnects at once, each with a
//! token the new process has never seen).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier, password_hash::SaltString};
use rand::RngCore;
use sapa_protocol::{NewPassword, Username};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::store::{SessionUser, Store, StoreError, UserRecord};

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
    /// Wrong password, unknown or expired token: the client's fault.
    #[error("{0}")]
    Denied(&'static str),
    /// A new account's password breaks the rules.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Hashing failed (a bug); logged by the caller.
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// A freshly issued login token. The plain token exists only here and in
/// the response that hands it to the user.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: OffsetDateTime,
}

/// Password and token operations; cheap to clone.
#[derive(Clone)]
pub struct Auth {
    store: Store,
    hashing: Arc<Semaphore>,
    token_ttl: time::Duration,
    /// Tokens seen valid, so a join or request with a known token costs no
    /// round trip. Revoking goes through [`Auth::revoke`], which drops the
    /// entry; expiry is checked on every use.
    tokens: Arc<Mutex<TokenCache>>,
    /// Where tokens not in the cache are looked up, in batches.
    lookups: mpsc::Sender<Lookup>,
}

/// A token waiting to be looked up, and who waits for the answer.
struct Lookup {
    hash: [u8; 32],
    reply: oneshot::Sender<Result<Option<SessionUser>, StoreError>>,
}

/// Most tokens looked up by one query.
const LOOKUP_BATCH: usize = 256;

/// Looks up whatever tokens are waiting, one query per batch, until `stop`.
async fn run_lookups(store: Store, mut rx: mpsc::Receiver<Lookup>, stop: CancellationToken) {
    let mut batch = Vec::with_capacity(LOOKUP_BATCH);
    loop {
        tokio::select! {
            received = rx.recv_many(&mut batch, LOOKUP_BATCH) => if received == 0 {
                return;
            },
            () = stop.cancelled() => return,
        }
        let hashes: Vec<[u8; 32]> = batch.iter().map(|lookup| lookup.hash).collect();
        let found = store.session_users(&hashes).await;
        for lookup in batch.drain(..) {
            let answer = match &found {
                Ok(users) => Ok(users.get(&lookup.hash).cloned()),
                Err(error) => Err(error.clone()),
            };
            // The waiter may have gone (its socket closed); nothing to do.
            let _ = lookup.reply.send(answer);
        }
    }
}

/// Token hash -> who it belongs to and until when.
type TokenCache = HashMap<[u8; 32], (Identity, OffsetDateTime)>;

/// The one answer to a wrong name or a wrong password: which was wrong is
/// not told.
const WRONG_LOGIN: AuthError = AuthError::Denied("wrong username or password");

/// Most tokens remembered; past this the cache starts over.
const TOKEN_CACHE_MAX: usize = 100_000;

/// SHA-256 of a token: what the sessions table stores and looks up.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Auth {
    /// `hash_concurrency` hashes may run at once. The token lookup task
    /// runs on `tracker` until `stop`.
    pub fn new(
        store: Store,
        hash_concurrency: usize,
        token_ttl: time::Duration,
        tracker: &TaskTracker,
        stop: CancellationToken,
    ) -> Self {
        let (lookups, rx) = mpsc::channel(4 * LOOKUP_BATCH);
        tracker.spawn(run_lookups(store.clone(), rx, stop));
        Self {
            store,
            hashing: Arc::new(Semaphore::new(hash_concurrency.max(1))),
            token_ttl,
            tokens: Arc::default(),
            lookups,
        }
    }

    /// The user behind a token not in the cache, looked up with whatever
    /// other tokens are waiting.
    async fn look_up(&self, hash: [u8; 32]) -> Result<Option<SessionUser>, StoreError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::from(sqlx::Error::PoolClosed);
        self.lookups
            .send(Lookup { hash, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AuthError> {
        let _permit = self
            .hashing
            .acquire()
            .await
            .map_err(|e| AuthError::Hashing(e.to_string()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| AuthError::Hashing(e.to_string()))
    }

    async fn hash_password(&self, password: &NewPassword) -> Result<String, AuthError> {
        let password = password.expose().to_owned();
        self.blocking(move || {
            let mut salt = [0u8; 16];
            rand::rng().fill_bytes(&mut salt);
            let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|e| e.to_string())
        })
        .await?
        .map_err(AuthError::Hashing)
    }

    async fn verify_password(&self, password: &str, hash: &str) -> Result<bool, AuthError> {
        let (password, hash) = (password.to_owned(), hash.to_owned());
        self.blocking(move || {
            PasswordHash::new(&hash).is_ok_and(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
        })
        .await
    }

    /// Creates an account; `Ok(None)` if the name is taken.
    pub async fn register(
        &self,
        username: &Username,
        password: &NewPassword,
    ) -> Result<Option<Identity>, AuthError> {
        let hash = self.hash_password(password).await?;
        let user = self.store.create_user(username, &hash).await?;
        Ok(user.map(|u| Identity {
            user_id: u.id,
            username: u.username,
        }))
    }

    /// Checks a name and password.
    pub async fn login(&self, username: &str, password: &str) -> Result<Identity, AuthError> {
        match self.store.find_user(username).await? {
            Some(user) => self.check_password(user, password).await,
            None => Err(WRONG_LOGIN),
        }
    }

    /// The account's identity if `password` is its password.
    async fn check_password(
        &self,
        user: UserRecord,
        password: &str,
    ) -> Result<Identity, AuthError> {
        if !self.verify_password(password, &user.password_hash).await? {
            return Err(WRONG_LOGIN);
        }
        Ok(Identity {
            user_id: user.id,
            username: user.username,
        })
    }

    /// What a WebSocket join with a password does: log in to an existing
    /// account, or register the name on its first use.
    pub async fn login_or_register(
        &self,
        username: &Username,
        password: &str,
    ) -> Result<Identity, AuthError> {
        if let Some(user) = self.store.find_user(username.as_str()).await? {
            return self.check_password(user, password).await;
        }
        let new_password = NewPassword::parse(sapa_protocol::Secret::new(password))
            .map_err(|e| AuthError::Invalid(e.0))?;
        match self.register(username, &new_password).await? {
            Some(identity) => Ok(identity),
            // Someone registered the name between our lookup and insert.
            None => self.login(username.as_str(), password).await,
        }
    }

    /// Issues a new token for a user.
    pub async fn issue_token(&self, user_id: i64) -> Result<IssuedToken, StoreError> {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = hex::encode(bytes);
        let expires_at = OffsetDateTime::now_utc() + self.token_ttl;
        self.store
            .create_session(&token_hash(&token), user_id, expires_at)
            .await?;
        Ok(IssuedToken { token, expires_at })
    }

    fn token_cache(&self) -> std::sync::MutexGuard<'_, TokenCache> {
        // Each update is one insert or remove: a panic cannot leave it torn.
        self.tokens
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The identity behind a token, if it is valid and unexpired.
    pub async fn check_token(&self, token: &str) -> Result<Identity, AuthError> {
        let hash = token_hash(token);
        let now = OffsetDateTime::now_utc();
        if let Some((identity, expires_at)) = self.token_cache().get(&hash)
            && *expires_at > now
        {
            return Ok(identity.clone());
        }
        let Some(user) = self.look_up(hash).await? else {
            self.token_cache().remove(&hash);
            return Err(AuthError::Denied("unknown or expired token"));
        };
        let expires_at = user.expires_at;
        let identity = Identity::from(user);
        let mut cache = self.token_cache();
        if cache.len() >= TOKEN_CACHE_MAX {
            cache.clear();
        }
        cache.insert(hash, (identity.clone(), expires_at));
        Ok(identity)
    }

    /// Revokes a token.
    pub async fn revoke(&self, token: &str) -> Result<bool, StoreError> {
        let hash = token_hash(token);
        self.token_cache().remove(&hash);
        self.store.delete_session(&hash).await
    }
}
