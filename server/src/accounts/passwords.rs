//! Password hashing: argon2id with a fresh salt per hash, run on the
//! blocking pool behind a small semaphore.
//!
//! Hashing is deliberately slow (tens of milliseconds and 19 MiB each), so a
//! burst of logins queues on the semaphore instead of occupying the async
//! workers that deliver messages. What a password must look like is the
//! protocol crate's `NewPassword`; who owns which hash is `accounts/mod.rs`.

use std::sync::Arc;

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier, password_hash::SaltString};
use rand::RngCore;
use sapa_protocol::NewPassword;
use tokio::sync::Semaphore;

/// Hashing failed: a bug, or the blocking pool went away.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Hashes and checks passwords, a few at a time; cheap to clone.
#[derive(Clone)]
pub struct Passwords {
    hashing: Arc<Semaphore>,
}

impl Passwords {
    /// At most `concurrency` hashes run at once (at least one).
    pub fn new(concurrency: usize) -> Self {
        Self {
            hashing: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    /// Runs `work` on the blocking pool once a hashing slot is free.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let _permit = self
            .hashing
            .acquire()
            .await
            .map_err(|e| HashError(e.to_string()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| HashError(e.to_string()))
    }

    /// The PHC string to store for a new password.
    pub async fn hash(&self, password: &NewPassword) -> Result<String, HashError> {
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
        .map_err(HashError)
    }

    /// Whether `password` matches the stored `hash`. A stored hash that
    /// does not parse matches nothing.
    pub async fn verify(&self, password: &str, hash: &str) -> Result<bool, HashError> {
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
}
