//! Who the simulated clients are: usernames, and either the shared password
//! or a token per user obtained over REST before the run.
//!
//! Registering costs the server one password hash per user (deliberately
//! slow), which is setup, not what the scenarios measure; a token cache file
//! keeps the tokens between runs so a second run registers nobody. Tokens
//! belong to the database, not to the port the server listens on, so the
//! cache is checked by asking the server: a cache whose tokens it no longer
//! accepts (a new database) is dropped. New tokens are added to the file,
//! never replacing the ones already there.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use reqwest::StatusCode;
use sapa_protocol::{Secret, Username};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use crate::cli::{Auth, Common};
use crate::frames::{Credential, Identity};

/// The name of client `index`.
pub fn username(prefix: &str, index: usize) -> Result<Username> {
    Username::parse(format!("{prefix}{index:05}"))
        .with_context(|| format!("user prefix {prefix:?} makes an invalid username"))
}

/// The identities of the first `count` benchmark users, and how long
/// registering took (`None` when nothing had to be registered).
pub async fn identities(
    common: &Common,
    http_base: &str,
    count: usize,
) -> Result<(Vec<Identity>, Option<f64>)> {
    let names = (0..count)
        .map(|i| username(&common.user_prefix, i))
        .collect::<Result<Vec<_>>>()?;
    if common.tutorial || common.auth == Auth::Password {
        let identities = names
            .into_iter()
            .map(|username| Identity {
                username,
                credential: Credential::Password(Secret::new(common.password.clone())),
            })
            .collect();
        return Ok((identities, None));
    }
    let client = reqwest::Client::new();
    let mut cache = match &common.token_cache {
        Some(path) => TokenCache::load(path),
        None => TokenCache::default(),
    };
    if !cache.tokens.is_empty() && !cache.still_valid(&client, http_base, &names).await {
        eprintln!("sapa-load: the server refuses the cached tokens; registering again");
        cache.tokens.clear();
    }
    let missing: Vec<&Username> = names
        .iter()
        .filter(|n| !cache.tokens.contains_key(n.as_str()))
        .collect();
    let mut took = None;
    if !missing.is_empty() {
        let started = Instant::now();
        eprintln!("sapa-load: registering {} users", missing.len());
        let fetched = register_all(
            &client,
            http_base,
            &common.password,
            &missing,
            common.register_concurrency,
        )
        .await;
        for (name, token) in fetched.iter().flatten() {
            cache.tokens.insert(name.clone(), token.clone());
        }
        if let Some(path) = &common.token_cache {
            cache.save(path)?;
        }
        fetched.into_iter().collect::<Result<Vec<_>>>()?;
        took = Some(started.elapsed().as_secs_f64());
    }
    let identities = names
        .into_iter()
        .map(|username| {
            let token = cache.tokens[username.as_str()].clone();
            Identity {
                username,
                credential: Credential::Token(Secret::new(token)),
            }
        })
        .collect();
    Ok((identities, took))
}

/// What `sapa-load users` reports.
#[derive(Debug, Serialize)]
pub struct UsersReport {
    pub label: String,
    pub users: usize,
    /// Seconds spent registering; `None` when every token was cached.
    pub register_s: Option<f64>,
}

/// Makes sure the first `--clients` users exist and their tokens are cached.
pub async fn prepare(common: Common) -> Result<UsersReport> {
    let endpoint = crate::conn::Endpoint::new(&common.url, common.read_buffer, common.tutorial)?;
    let (identities, register_s) =
        identities(&common, &endpoint.http_base(), common.clients).await?;
    Ok(UsersReport {
        label: common.label,
        users: identities.len(),
        register_s: register_s.map(crate::stats::round2),
    })
}

/// Registers (or logs in) every name, `concurrency` at a time.
async fn register_all(
    client: &reqwest::Client,
    base: &str,
    password: &str,
    names: &[&Username],
    concurrency: usize,
) -> Vec<Result<(String, String)>> {
    let gate = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for name in names {
        let (client, base, password, name, gate) = (
            client.clone(),
            base.to_owned(),
            password.to_owned(),
            name.as_str().to_owned(),
            gate.clone(),
        );
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await?;
            let token = token_for(&client, &base, &name, &password).await?;
            Ok((name, token))
        });
    }
    let mut results = Vec::with_capacity(names.len());
    while let Some(joined) = tasks.join_next().await {
        results.push(joined.context("registration task").and_then(|r| r));
        if results.len() % 1000 == 0 {
            eprintln!(
                "sapa-load: {} of {} users ready",
                results.len(),
                names.len()
            );
        }
    }
    results
}

#[derive(Deserialize)]
struct TokenBody {
    token: String,
}

/// Registers `name`, or logs in when it already exists.
async fn token_for(
    client: &reqwest::Client,
    base: &str,
    name: &str,
    password: &str,
) -> Result<String> {
    let body = serde_json::json!({ "username": name, "password": password });
    let response = client
        .post(format!("{base}/users"))
        .json(&body)
        .send()
        .await?;
    let response = match response.status() {
        StatusCode::CREATED | StatusCode::OK => response,
        StatusCode::CONFLICT => {
            client
                .post(format!("{base}/sessions"))
                .json(&body)
                .send()
                .await?
        }
        status => bail!(
            "POST /users for {name}: {status}: {}",
            response.text().await.unwrap_or_default()
        ),
    };
    let status = response.status();
    if !status.is_success() {
        bail!(
            "token for {name}: {status}: {}",
            response.text().await.unwrap_or_default()
        );
    }
    Ok(response.json::<TokenBody>().await?.token)
}

/// Tokens kept between runs: username -> token.
#[derive(Debug, Default, Serialize, Deserialize)]
struct TokenCache {
    tokens: BTreeMap<String, String>,
}

impl TokenCache {
    /// The cache at `path`; empty when there is none or it is unreadable.
    fn load(path: &Path) -> Self {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|text| serde_json::from_str::<Self>(&text).ok())
            .unwrap_or_default()
    }

    fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let temporary = path.with_extension("tmp");
        std::fs::write(&temporary, serde_json::to_vec(self)?)?;
        std::fs::rename(&temporary, path).with_context(|| format!("write {}", path.display()))
    }

    /// Whether the server still accepts the cached tokens of the first and
    /// last of `names` (a fresh database accepts none).
    async fn still_valid(&self, client: &reqwest::Client, base: &str, names: &[Username]) -> bool {
        for name in [names.first(), names.last()].into_iter().flatten() {
            let Some(token) = self.tokens.get(name.as_str()) else {
                continue;
            };
            let answer = client
                .get(format!("{base}/users/active"))
                .bearer_auth(token)
                .send()
                .await;
            if !matches!(answer, Ok(r) if r.status().is_success()) {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_numbered_and_valid() {
        assert_eq!(username("bench", 7).unwrap().as_str(), "bench00007");
        assert_eq!(username("b", 123_456).unwrap().as_str(), "b123456");
        assert!(username("no spaces", 1).is_err());
    }

    #[test]
    fn the_cache_round_trips_and_a_missing_one_is_empty() {
        let dir = std::env::temp_dir().join(format!("sapa-load-cache-{}", std::process::id()));
        let path = dir.join("tokens.json");
        assert!(TokenCache::load(&path).tokens.is_empty());
        let mut cache = TokenCache::default();
        cache.tokens.insert("bench00000".into(), "t".into());
        cache.save(&path).unwrap();
        assert_eq!(TokenCache::load(&path).tokens["bench00000"], "t");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
