//! Login tokens: issuing, checking and revoking them, with a cache of the
//! tokens seen valid and batched look-ups of those not yet seen.
//!
//! A token is 256 random bits, handed to its user once; the database keeps
//! only its SHA-256. A check costs one hash and a share of one indexed
//! look-up, and none once the token is cached: tokens not yet known are
//! looked up together, as many per query as are waiting (after a restart
//! every client reconnects at once, each with a token the new process has
//! never seen). The SQL is in `store/sessions.rs`; what a check means for a
//! login is `accounts/mod.rs`.

use moka::sync::Cache;
use rand::RngCore;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::store::{SessionUser, Store, StoreError};

/// A freshly issued login token. The plain token exists only here and in
/// the response that hands it to the user.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: OffsetDateTime,
}

/// SHA-256 of a token: what the sessions table stores and looks up.
fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Issues, checks and revokes tokens; cheap to clone.
#[derive(Clone)]
pub struct Tokens {
    store: Store,
    ttl: time::Duration,
    /// Token hash -> the account, for tokens seen valid, so a join or
    /// request with a known token costs no round trip. Bounded: past
    /// [`TOKEN_CACHE_MAX`] entries the least useful are evicted (they are
    /// looked up again when next used). Revoking goes through
    /// [`Tokens::revoke`], which drops the entry; expiry is checked against
    /// each token's own `expires_at` on every use.
    cache: Cache<[u8; 32], SessionUser>,
    /// Where tokens not in the cache are looked up, in batches.
    lookups: mpsc::Sender<Lookup>,
}

/// Most tokens remembered.
const TOKEN_CACHE_MAX: u64 = 100_000;

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

impl Tokens {
    /// New tokens live `ttl`. The look-up task runs on `tracker` until
    /// `stop`.
    pub fn new(
        store: Store,
        ttl: time::Duration,
        tracker: &TaskTracker,
        stop: CancellationToken,
    ) -> Self {
        let (lookups, rx) = mpsc::channel(4 * LOOKUP_BATCH);
        tracker.spawn(run_lookups(store.clone(), rx, stop));
        Self {
            store,
            ttl,
            cache: Cache::new(TOKEN_CACHE_MAX),
            lookups,
        }
    }

    /// Issues a new token for a user.
    pub async fn issue(&self, user_id: i64) -> Result<IssuedToken, StoreError> {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = hex::encode(bytes);
        let expires_at = OffsetDateTime::now_utc() + self.ttl;
        self.store
            .create_session(&token_hash(&token), user_id, expires_at)
            .await?;
        Ok(IssuedToken { token, expires_at })
    }

    /// The account behind a token if it is valid and unexpired, `None` if
    /// it is unknown, revoked or expired.
    pub async fn check(&self, token: &str) -> Result<Option<SessionUser>, StoreError> {
        let hash = token_hash(token);
        let now = OffsetDateTime::now_utc();
        if let Some(user) = self.cache.get(&hash)
            && user.expires_at > now
        {
            return Ok(Some(user));
        }
        let Some(user) = self.look_up(hash).await? else {
            self.cache.invalidate(&hash);
            return Ok(None);
        };
        self.cache.insert(hash, user.clone());
        Ok(Some(user))
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

    /// Revokes a token; whether it existed.
    pub async fn revoke(&self, token: &str) -> Result<bool, StoreError> {
        let hash = token_hash(token);
        self.cache.invalidate(&hash);
        self.store.delete_session(&hash).await
    }
}
