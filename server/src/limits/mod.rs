//! Abuse limits: what one client address (or one account) may do, so that
//! sapa can sit on the open internet. Each limit is a knob with a default a
//! small community never notices, `0` turns it off, and `--limits off`
//! turns them all off at once (load tests, rigs that run everything from
//! one address).
//!
//! - [`ip`]: who the client is: the socket's peer, or the first untrusted
//!   address of `X-Forwarded-For` when the peer is a trusted proxy; IPv6
//!   clients are keyed by their /64, which one subscriber usually holds.
//! - [`rate`]: keyed token buckets (GCRA, from `governor`): REST requests
//!   and new WebSocket connections per address, logins per address.
//! - [`connections`]: concurrent WebSocket connections per address.
//! - [`failures`]: failed password attempts, with delays that grow.
//! - [`logins`]: the login guard built from those two, which the accounts
//!   consult before checking a password.
//!
//! What a connection may send per second is `realtime/limits.rs`; it is
//! the same mechanism (governor), per connection rather than per address.
//! Over any limit the caller hears [`Limited`]: REST answers 429 with
//! `Retry-After`, the WebSocket the `rate_limited` frame with
//! `retry_after`.

pub mod config;
pub mod connections;
pub mod failures;
pub mod ip;
pub mod logins;
pub mod rate;

use std::{sync::Arc, time::Duration};

use tokio_util::sync::CancellationToken;

pub use config::{Cidr, LimitConfig, Switch};
pub use connections::{IpPermit, PerIpConnections};
pub use ip::{ClientKey, TrustedProxies};
pub use logins::LoginGuard;
pub use rate::KeyedRate;

/// Which limit refused something: for logs and metrics, never per user or
/// per address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    /// Concurrent WebSocket connections from one address.
    WsConnections,
    /// New WebSocket connections from one address per minute.
    WsConnectRate,
    /// REST requests from one address.
    Rest,
    /// Logins and registrations, or failed passwords.
    Login,
    /// Messages on one connection.
    Message,
}

impl LimitKind {
    /// The name metrics and logs use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WsConnections => "ws_connections",
            Self::WsConnectRate => "ws_connect_rate",
            Self::Rest => "rest",
            Self::Login => "login",
            Self::Message => "message",
        }
    }
}

/// Refused by a limit: which one, and how long until trying again can
/// succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub kind: LimitKind,
    pub wait: Duration,
}

impl Limited {
    /// What the client is told.
    pub fn message(&self) -> &'static str {
        match self.kind {
            LimitKind::WsConnections => "too many WebSocket connections from your address",
            LimitKind::WsConnectRate => "too many new WebSocket connections from your address",
            LimitKind::Rest => "too many requests from your address",
            LimitKind::Login => "too many login attempts; wait before trying again",
            LimitKind::Message => "too many messages; slow down",
        }
    }
}

/// How often the limiters forget addresses they have not seen for a while.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// The per-address limits the HTTP layer applies (the login guard lives
/// with the accounts); one per server, shared by every request.
pub struct Limits {
    pub trusted: TrustedProxies,
    pub rest: KeyedRate<ClientKey>,
    pub ws_connects: KeyedRate<ClientKey>,
    pub ws_open: Arc<PerIpConnections>,
}

impl Limits {
    /// The limits `config` asks for (all off when it says so).
    pub fn new(config: &LimitConfig) -> Self {
        let on = config.switch == Switch::On;
        let knob = |value: u32| if on { value } else { 0 };
        Self {
            trusted: TrustedProxies::new(config.trusted_proxies.iter().map(|c| c.0)),
            rest: KeyedRate::per_second(knob(config.rest_per_second), config.rest_burst),
            ws_connects: KeyedRate::per_minute(knob(config.ws_connects_per_minute)),
            ws_open: Arc::new(PerIpConnections::new(knob(config.ws_per_ip))),
        }
    }

    /// Forgets, every minute until `stop`, the addresses whose buckets are
    /// full again, so the maps hold only recent clients.
    pub async fn run_pruning(self: Arc<Self>, logins: LoginGuard, stop: CancellationToken) {
        let mut every = tokio::time::interval(PRUNE_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = every.tick() => {
                    self.rest.prune();
                    self.ws_connects.prune();
                    logins.prune();
                }
            }
        }
    }
}
