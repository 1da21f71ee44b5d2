//! Server configuration: command-line flags with environment fallbacks
//! (`SAPA_*`, `DATABASE_URL`). Every knob has a default, so `sapa-server`
//! with only a database URL is a working server. Nothing here reads files or
//! talks to the network.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{CommandFactory, FromArgMatches, Parser};

use crate::limits::LimitConfig;

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

    /// The certificate chain (PEM, the server's certificate first). With
    /// `--tls-key`, the listener speaks only HTTPS and WSS; SIGHUP reads
    /// both files again (a bad file is logged and the old certificate stays).
    #[arg(long, env = "SAPA_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The private key of `--tls-cert` (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "SAPA_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Serve /metrics (Prometheus) only on this address, on a listener of
    /// its own; unset, it is served on the main listener.
    #[arg(long, env = "SAPA_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,

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

    /// Rooms with more users than this are big: their members hear the count
    /// (at most once a second) instead of every join and leave, and page the
    /// member list with `who`. 0: no room is ever big.
    #[arg(long, env = "SAPA_BIG_ROOM", default_value_t = 500)]
    pub big_room: usize,

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
    /// twice this are allowed). Over it a sender gets `rate_limited`; 0:
    /// no limit.
    #[arg(long, env = "SAPA_RATE_LIMIT", default_value_t = 200)]
    pub messages_per_second: u32,

    /// Milliseconds within which at most one `typing` notice per user and
    /// room is relayed; the rest are dropped. 0: relay every one.
    #[arg(long, env = "SAPA_TYPING_INTERVAL_MS", default_value_t = 2000)]
    pub typing_interval_ms: u64,

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

    /// Run as one of several nodes sharing the database: committed messages
    /// are published on the bus (PostgreSQL LISTEN/NOTIFY, or NATS with
    /// --nats-url) and other nodes' are delivered here. Off by default: one
    /// node needs no bus.
    #[arg(
        long,
        env = "SAPA_CLUSTER",
        default_value_t = false,
        value_parser = clap::builder::BoolishValueParser::new(),
        num_args = 0..=1,
        default_missing_value = "true"
    )]
    pub cluster: bool,

    /// This node's name on the bus (implies --cluster); a random one when
    /// clustering without it.
    #[arg(long, env = "SAPA_NODE_ID")]
    pub node_id: Option<String>,

    /// NATS servers for the bus (`nats://host:4222`, comma-separated):
    /// implies --cluster, and the bus goes over core NATS instead of
    /// PostgreSQL LISTEN/NOTIFY.
    #[arg(
        long,
        env = "SAPA_NATS_URL",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub nats_url: Vec<async_nats::ServerAddr>,

    /// The NATS subject the bus uses: nodes of one chat share it, and
    /// separate chats on one NATS server each need their own.
    #[arg(long, env = "SAPA_NATS_SUBJECT", default_value = "sapa.bus")]
    pub nats_subject: String,

    /// The abuse limits per client address and account.
    #[command(flatten)]
    pub limits: LimitConfig,
}

impl Config {
    /// A configuration for tests: port 0 on loopback, defaults elsewhere.
    /// `SAPA_*` variables in the caller's environment are ignored (each
    /// argument's `env` fallback is removed before parsing), so a shell that
    /// exports `SAPA_RATE_LIMIT=1` does not change the servers tests start.
    pub fn for_tests(database_url: &str) -> Self {
        let command = Self::command().mut_args(|arg| arg.env(None::<&'static str>));
        let matches = command.get_matches_from([
            "sapa-server",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            database_url,
        ]);
        Self::from_arg_matches(&matches).expect("the defaults make a valid configuration")
    }

    /// Whether this node shares the database with others (and so needs the
    /// bus).
    pub fn clustered(&self) -> bool {
        self.cluster || self.node_id.is_some() || !self.nats_url.is_empty()
    }

    /// This node's name on the bus: `--node-id`, else a random one.
    pub fn node_name(&self) -> String {
        self.node_id
            .clone()
            .unwrap_or_else(|| format!("node-{:016x}", rand::random::<u64>()))
    }

    /// The certificate and key files, when the listener speaks TLS.
    pub fn tls_files(&self) -> Option<(&PathBuf, &PathBuf)> {
        self.tls_cert.as_ref().zip(self.tls_key.as_ref())
    }

    /// How long a new token is valid.
    pub fn token_ttl(&self) -> time::Duration {
        time::Duration::days(i64::from(self.token_ttl_days))
    }

    /// At most one `typing` per user and room is relayed in this long.
    pub fn typing_interval(&self) -> Duration {
        Duration::from_millis(self.typing_interval_ms)
    }

    /// How long shutdown waits before giving up on stragglers.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;

    /// Set in the child process that the test below starts.
    const CHILD: &str = "SAPA_CONFIG_TEST_CHILD";

    /// Changing this process's environment would race the tests running
    /// beside it (and `set_var` is unsafe, which the workspace forbids), so
    /// the test runs itself again in a child process with `SAPA_*`
    /// variables set, and checks there.
    #[test]
    fn for_tests_ignores_sapa_variables_in_the_environment() {
        if std::env::var_os(CHILD).is_some() {
            // The variables are really there: a normal parse picks them up.
            let parsed = Config::try_parse_from(["sapa-server", "--database-url", "x"]).unwrap();
            assert_eq!(parsed.messages_per_second, 1);
            assert_eq!(parsed.bind, "10.9.8.7:9".parse().unwrap());

            let config = Config::for_tests("postgres://test");
            assert_eq!(config.messages_per_second, 200);
            assert_eq!(config.bind, "127.0.0.1:0".parse().unwrap());
            assert_eq!(config.database_url, "postgres://test");
            return;
        }
        let name = "config::tests::for_tests_ignores_sapa_variables_in_the_environment";
        let child = Command::new(std::env::current_exe().unwrap())
            .args([name, "--exact", "--test-threads=1"])
            .env(CHILD, "1")
            .env("SAPA_RATE_LIMIT", "1")
            .env("SAPA_BIND", "10.9.8.7:9")
            .output()
            .unwrap();
        let output = String::from_utf8_lossy(&child.stdout);
        assert!(
            child.status.success(),
            "{output}{}",
            String::from_utf8_lossy(&child.stderr)
        );
        assert!(
            output.contains("1 passed"),
            "the child ran no test: {output}"
        );
    }
}
