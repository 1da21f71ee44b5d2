//! Login tokens: issuing, checking and revoking them, with a cache of the
//! tokens seen valid and batched look-ups of those not yet seen.
//!
//! A token is 256 random bits, handed to its user once; the database keeps
//! only its SHA-256. A check costs one hash and a share of one indexed
//! look-up, and none once the token is cached: tokens not yet known are
//! looked up together on the [`batcher`](crate::persist::batcher), as many
//! per query as are waiting (after a restart every client reconnects at
//! once, each with a token the new process has never seen). The SQL is in
//! `store/sessions.rs`; what a check means for a login is `accounts/mod.rs`.

use std::{sync::Arc, time::Duration};

use quick_cache::sync::Cache;
use rand::RngCore;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    persist::batcher::{Answers, Batcher, Job, Options},
    store::{SessionUser, Store, StoreError},
};

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
    cache: Arc<Cache<[u8; 32], SessionUser>>,
    /// Where tokens not in the cache are looked up, in batches.
    lookups: Batcher<[u8; 32], Found>,
}

/// Most tokens remembered.
const TOKEN_CACHE_MAX: usize = 100_000;

/// Most tokens looked up by one query.
const LOOKUP_BATCH: usize = 256;

/// What a look-up answers: the account, if the token is valid.
type Found = Result<Option<SessionUser>, StoreError>;

/// The look-up job: one query for every token waiting.
struct LookUp {
    store: Store,
}

impl Job for LookUp {
    type Item = [u8; 32];
    type Answer = Found;

    async fn run(&mut self, hashes: &[[u8; 32]], answers: &mut Answers<'_, Found>) {
        match self.store.session_users(hashes).await {
            Ok(users) => answers.extend(hashes.iter().map(|hash| Ok(users.get(hash).cloned()))),
            Err(error) => answers.extend(hashes.iter().map(|_| Err(error.clone()))),
        }
    }
}

impl Tokens {
    /// New tokens live `ttl`. The look-up batcher runs on `tracker` until
    /// `stop`.
    pub fn new(
        store: Store,
        ttl: time::Duration,
        tracker: &TaskTracker,
        stop: CancellationToken,
    ) -> Self {
        let options = Options {
            queue: 4 * LOOKUP_BATCH,
            batch_max: LOOKUP_BATCH,
            linger: Duration::ZERO,
        };
        let look_up = LookUp {
            store: store.clone(),
        };
        Self {
            store,
            ttl,
            cache: Arc::new(Cache::new(TOKEN_CACHE_MAX)),
            lookups: Batcher::spawn(look_up, options, tracker, stop),
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
            self.cache.remove(&hash);
            return Ok(None);
        };
        self.cache.insert(hash, user.clone());
        Ok(Some(user))
    }

    /// The user behind a token not in the cache, looked up with whatever
    /// other tokens are waiting.
    async fn look_up(&self, hash: [u8; 32]) -> Found {
        // Stopped only at the end of shutdown: as good as the pool closed.
        self.lookups
            .ask(hash)
            .await
            .unwrap_or_else(|| Err(StoreError::from(sqlx::Error::PoolClosed)))
    }

    /// Revokes a token; whether it existed.
    pub async fn revoke(&self, token: &str) -> Result<bool, StoreError> {
        let hash = token_hash(token);
        self.cache.remove(&hash);
        self.store.delete_session(&hash).await
    }
}
