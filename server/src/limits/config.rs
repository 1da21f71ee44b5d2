//! The limits' knobs, flattened into the server's [`crate::config::Config`]:
//! each a flag with an environment fallback and a default, `0` for off.

use std::{net::IpAddr, str::FromStr};

use ipnet::IpNet;

/// Every abuse limit at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Switch {
    On,
    Off,
}

/// The abuse limits (see `limits/mod.rs`). Defaults a small community
/// never notices; `0` turns one off.
#[derive(Debug, Clone, clap::Args)]
pub struct LimitConfig {
    /// `off` turns every abuse limit off at once (for load tests and rigs
    /// that run every client from one address); the per-connection message
    /// rate stays.
    #[arg(long = "limits", env = "SAPA_LIMITS", value_enum, default_value = "on")]
    pub switch: Switch,

    /// Concurrent WebSocket connections from one client address.
    #[arg(long, env = "SAPA_WS_PER_IP", default_value_t = 64)]
    pub ws_per_ip: u32,

    /// New WebSocket connections from one client address per minute.
    #[arg(long, env = "SAPA_WS_CONNECTS_PER_MINUTE", default_value_t = 300)]
    pub ws_connects_per_minute: u32,

    /// REST requests per second from one client address (sustained).
    #[arg(long, env = "SAPA_REST_PER_SECOND", default_value_t = 20)]
    pub rest_per_second: u32,

    /// REST requests one client address may make at once before the rate
    /// applies.
    #[arg(long, env = "SAPA_REST_BURST", default_value_t = 100)]
    pub rest_burst: u32,

    /// Logins and registrations (POST /sessions, POST /users, password
    /// joins) per client address per minute, successful ones included.
    #[arg(long, env = "SAPA_LOGINS_PER_MINUTE", default_value_t = 30)]
    pub logins_per_minute: u32,

    /// Failed passwords for one account from one address before each
    /// further try waits (1 s, doubling up to 30 s).
    #[arg(
        long = "login-failures-per-account-ip",
        env = "SAPA_LOGIN_FAILURES_PER_ACCOUNT_IP",
        default_value_t = 5
    )]
    pub failures_per_account_ip: u32,

    /// Failed passwords from one address (any accounts) before each further
    /// try waits.
    #[arg(
        long = "login-failures-per-ip",
        env = "SAPA_LOGIN_FAILURES_PER_IP",
        default_value_t = 20
    )]
    pub failures_per_ip: u32,

    /// Failed passwords for one account in an hour, from all addresses,
    /// past which every login to it waits too (and a warning is logged).
    #[arg(
        long = "login-failures-per-account",
        env = "SAPA_LOGIN_FAILURES_PER_ACCOUNT",
        default_value_t = 100
    )]
    pub failures_per_account: u32,

    /// Proxies whose `X-Forwarded-For` is believed (CIDRs or addresses,
    /// comma-separated). Empty: the header is ignored, so it cannot be
    /// forged to dodge a limit.
    #[arg(long, env = "SAPA_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<Cidr>,
}

/// A network written as a CIDR (`10.0.0.0/8`) or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr(pub IpNet);

impl FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if let Ok(net) = text.parse::<IpNet>() {
            return Ok(Self(net.trunc()));
        }
        text.parse::<IpAddr>()
            .map(|ip| Self(IpNet::from(ip)))
            .map_err(|_| format!("{text:?} is neither a CIDR (10.0.0.0/8) nor an address"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cidr_is_a_network_or_one_address() {
        assert_eq!(
            "10.1.2.3/8".parse::<Cidr>().unwrap().0,
            "10.0.0.0/8".parse::<IpNet>().unwrap()
        );
        assert_eq!(
            " 127.0.0.1 ".parse::<Cidr>().unwrap().0,
            "127.0.0.1/32".parse::<IpNet>().unwrap()
        );
        assert_eq!(
            "::1".parse::<Cidr>().unwrap().0,
            "::1/128".parse::<IpNet>().unwrap()
        );
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("proxy".parse::<Cidr>().is_err());
    }
}
