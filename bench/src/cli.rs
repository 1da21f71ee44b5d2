//! The command line of `sapa-load`: two scenarios (`run`, the steady load
//! and idle-connection scenarios; `resume`, reconnects with `since_id`) that
//! share the options saying where to connect and how clients join.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Open-loop load generator for sapa (and for servers that speak the
/// tutorial's frames). Prints one JSON line of results.
#[derive(Debug, Parser)]
#[command(name = "sapa-load", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Join clients, let senders send at a fixed rate, measure deliveries.
    /// With `--senders 0` it only joins and holds (idle connections).
    Run(RunArgs),
    /// Some clients repeatedly drop and rejoin with `since_id` while senders
    /// keep sending; counts missed and duplicated messages.
    Resume(ResumeArgs),
    /// Only register (or log in) the first `--clients` users and cache their
    /// tokens, so later runs measure joins and not password hashing.
    Users(Common),
}

/// How clients prove who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Auth {
    /// Register every user over REST first (or reuse `--token-cache`), then
    /// join with tokens: joins then cost no password hashing.
    Token,
    /// Join with a password (the first join registers the name).
    Password,
}

/// Where to connect and how clients join.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// The server's WebSocket URL.
    #[arg(long, default_value = "ws://127.0.0.1:3000/ws")]
    pub url: String,
    /// Connections to open.
    #[arg(long, default_value_t = 100)]
    pub clients: usize,
    /// Rooms to spread the clients over (client i joins room i % rooms).
    #[arg(long, default_value_t = 1)]
    pub rooms: usize,
    /// Room names are PREFIX-0, PREFIX-1, ...
    #[arg(long, default_value = "bench")]
    pub room_prefix: String,
    /// Usernames are PREFIX00000, PREFIX00001, ...
    #[arg(long, default_value = "bench")]
    pub user_prefix: String,
    /// The password of every benchmark user.
    #[arg(long, default_value = "bench-password")]
    pub password: String,
    #[arg(long, value_enum, default_value_t = Auth::Token)]
    pub auth: Auth,
    /// Speak only the tutorial's frames: password joins, no room, no
    /// client_id, no since_id. Implies `--auth password` and one room.
    #[arg(long)]
    pub tutorial: bool,
    /// A file that keeps registered users' tokens between runs.
    #[arg(long)]
    pub token_cache: Option<PathBuf>,
    /// Registrations in flight at once (each costs the server a password hash).
    #[arg(long, default_value_t = 4)]
    pub register_concurrency: usize,
    /// Connects + joins in flight at once.
    #[arg(long, default_value_t = 256)]
    pub connect_concurrency: usize,
    /// Give up waiting for joins after this many seconds.
    #[arg(long, default_value_t = 120.0)]
    pub join_timeout: f64,
    /// WebSocket read buffer per connection, in bytes. Small: chat frames
    /// are small, and tungstenite zeroes this much on every read.
    #[arg(long, default_value_t = 1024)]
    pub read_buffer: usize,
    /// The server's process id: report its resident memory per connection
    /// and its CPU use.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// The database's process id (the postmaster): report its CPU use,
    /// backends included.
    #[arg(long)]
    pub db_pid: Option<u32>,
    /// Also report how busy these CPUs were (comma-separated numbers).
    #[arg(long, value_delimiter = ',')]
    pub watch_cpu: Vec<usize>,
    /// A label copied into the report.
    #[arg(long, default_value = "")]
    pub label: String,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub common: Common,
    /// How many of the clients send (clients 0..senders, so spread over
    /// the rooms like everyone else).
    #[arg(long, default_value_t = 10)]
    pub senders: usize,
    /// Messages per second per sender.
    #[arg(long, default_value_t = 10.0)]
    pub rate: f64,
    /// Message content size in bytes.
    #[arg(long, default_value_t = 100)]
    pub size: usize,
    /// Seconds of sending before measuring starts.
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Seconds of measured sending.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds to wait for late deliveries once sending stops.
    #[arg(long, default_value_t = 5.0)]
    pub drain: f64,
    /// Seconds to hold the joined connections open before sending (or, with
    /// no senders, before leaving); memory is read again at its end.
    #[arg(long, default_value_t = 0.0)]
    pub hold: f64,
    /// After the joins, wait until no frame has arrived for a second (the
    /// join notices have stopped), for at most this many seconds; 0 does
    /// not wait. The time it took is reported as `settled_s`.
    #[arg(long, default_value_t = 0.0)]
    pub settle: f64,
}

#[derive(Debug, Clone, Args)]
pub struct ResumeArgs {
    #[command(flatten)]
    pub common: Common,
    /// Clients that keep sending throughout (the first ones).
    #[arg(long, default_value_t = 10)]
    pub senders: usize,
    /// Clients that drop and rejoin with since_id (the next ones); the
    /// rest stay connected and only listen.
    #[arg(long, default_value_t = 10)]
    pub resumers: usize,
    /// Messages per second per sender.
    #[arg(long, default_value_t = 10.0)]
    pub rate: f64,
    /// Message content size in bytes.
    #[arg(long, default_value_t = 100)]
    pub size: usize,
    /// Seconds of sending.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Milliseconds a resumer stays connected between drops (jittered
    /// between half and one and a half times this).
    #[arg(long, default_value_t = 1000)]
    pub online_ms: u64,
    /// Milliseconds a resumer stays away before rejoining.
    #[arg(long, default_value_t = 300)]
    pub offline_ms: u64,
    /// Seconds to wait for late deliveries once sending stops.
    #[arg(long, default_value_t = 5.0)]
    pub drain: f64,
}
