//! Server configuration: command-line flags with environment fallbacks
//! (`SAPA_*`, `DATABASE_URL`). Every knob has a default, so `sapa-server`
//! with only a database URL is a working server. Nothing here reads files or
//! talks to the network.

use std::{net::SocketAddr, time::Duration};

use clap::Parser;

/// How the server is run. `sapa-server --help` lists every knob.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "sapa-server",
    version,
    about = "The sapa chat server: WebSocket, REST and Swagger over PostgreSQL"
)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "SAPA_BIND", default_value = "0.0.0.0:3000")]
    pub bind: SocketAddr,

    /// PostgreSQL connection URL; migrations are applied at start.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,

    /// Public base URL (e.g. https://chat.example.org), used by /ws-info to
    /// tell clients where the WebSocket is. Derived from each request when unset.
    #[arg(long, env = "SAPA_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// How many days a login token stays valid.
    #[arg(long, env = "SAPA_TOKEN_TTL_DAYS", default_value_t = 30)]
    pub token_ttl_days: u32,

    /// How many messages a join replays when it asks for no `since_id`.
    #[arg(long, env = "SAPA_HISTORY_SIZE", default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub history_size: u16,

    /// The most WebSocket connections served at once; more are refused with 503.
    #[arg(long, env = "SAPA_MAX_CONNECTIONS", default_value_t = 20_000)]
    pub max_connections: usize,

    /// Origins allowed by CORS, comma-separated; `*` allows any.
    #[arg(
        long,
        env = "SAPA_CORS_ORIGINS",
        default_value = "*",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,

    /// Frames queued for one socket before it counts as too slow and is
    /// closed (code 1013); it catches up by joining again with `since_id`.
    #[arg(long, env = "SAPA_OUTBOUND_QUEUE", default_value_t = 1024)]
    pub outbound_queue: usize,

    /// Messages one connection may send per second (sustained; bursts of
    /// twice this are allowed). Over it a sender gets `rate_limited`.
    #[arg(long, env = "SAPA_RATE_LIMIT", default_value_t = 200)]
    pub messages_per_second: u32,

    /// The most messages stored in one batched INSERT.
    #[arg(long, env = "SAPA_BATCH_MAX", default_value_t = 512)]
    pub batch_max: usize,

    /// Password hashes computed at once; argon2 is deliberately costly, so a
    /// burst of logins waits here instead of starving message delivery.
    #[arg(long, env = "SAPA_HASH_CONCURRENCY", default_value_t = 2)]
    pub hash_concurrency: usize,

    /// Database connections in the pool.
    #[arg(long, env = "SAPA_DB_POOL", default_value_t = 16)]
    pub db_pool_size: u32,

    /// Seconds a closing server waits for sockets and pending writes.
    #[arg(long, env = "SAPA_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,
}

impl Config {
    /// A configuration for tests: port 0 on loopback, defaults elsewhere.
    pub fn for_tests(database_url: &str) -> Self {
        Self::parse_from([
            "sapa-server",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            database_url,
        ])
    }

    /// How long a new token is valid.
    pub fn token_ttl(&self) -> time::Duration {
        time::Duration::days(i64::from(self.token_ttl_days))
    }

    /// How long shutdown waits before giving up on stragglers.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}
