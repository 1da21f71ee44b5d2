//! The login guard: what stands between a password guesser and the
//! password hasher. The accounts ask it before checking a password
//! ([`LoginGuard::admit`]) and tell it how the check went.
//!
//! Three failure counts, each with growing delays ([`super::failures`]):
//! per (account, address) after a few failures, per address after more
//! (one address trying many accounts), and per account across all
//! addresses after many in an hour (a guesser with many addresses), past
//! which the account's logins wait too and a warning is logged. On top,
//! logins and registrations per address per minute, successful ones
//! included. The right password from an address with no recent failures
//! gets in at once while the account is below its cap, so a guesser
//! elsewhere does not lock its owner out.
//!
//! Accounts are keyed by their lowercased name, known or not: a guesser
//! learns nothing from which names are throttled.

use std::{
    net::IpAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use super::{
    ClientKey, KeyedRate, LimitConfig, LimitKind, Limited, Switch,
    failures::{Failed, Failures},
};

/// Failures are forgotten after this long without one (per address, and
/// per account and address).
const FORGET: Duration = Duration::from_secs(15 * 60);
/// The window of the per-account cap.
const ACCOUNT_WINDOW: Duration = Duration::from_secs(60 * 60);

struct Guard {
    attempts: KeyedRate<ClientKey>,
    per_account_ip: Failures<(String, ClientKey)>,
    per_ip: Failures<ClientKey>,
    per_account: Failures<String>,
}

/// The guard; cheap to clone.
#[derive(Clone)]
pub struct LoginGuard(Arc<Guard>);

impl LoginGuard {
    /// The guard `config` asks for (all off when it says so).
    pub fn new(config: &LimitConfig) -> Self {
        let on = config.switch == Switch::On;
        let knob = |value: u32| if on { value } else { 0 };
        Self(Arc::new(Guard {
            attempts: KeyedRate::per_minute(knob(config.logins_per_minute)),
            per_account_ip: Failures::new(knob(config.failures_per_account_ip), FORGET),
            per_ip: Failures::new(knob(config.failures_per_ip), FORGET),
            per_account: Failures::new(knob(config.failures_per_account), ACCOUNT_WINDOW),
        }))
    }

    /// Whether a login (or registration) of `account` from `ip` may be
    /// tried now; counts it against the address's attempts.
    pub fn admit(&self, account: &str, ip: IpAddr) -> Result<(), Limited> {
        let guard = &self.0;
        let now = Instant::now();
        let key = ClientKey::of(ip);
        let account = account.to_lowercase();
        let waits = [
            guard.per_account_ip.waiting(&(account.clone(), key), now),
            guard.per_ip.waiting(&key, now),
            guard.per_account.waiting(&account, now),
        ];
        if let Some(wait) = waits.into_iter().flatten().max() {
            return Err(Limited {
                kind: LimitKind::Login,
                wait,
            });
        }
        guard.attempts.check(&key).map_err(|wait| Limited {
            kind: LimitKind::Login,
            wait,
        })
    }

    /// A wrong password (or an unknown name) for `account` from `ip`.
    pub fn failed(&self, account: &str, ip: IpAddr) {
        let guard = &self.0;
        let now = Instant::now();
        let key = ClientKey::of(ip);
        let account = account.to_lowercase();
        guard.per_account_ip.fail(&(account.clone(), key), now);
        guard.per_ip.fail(&key, now);
        if let Failed::Delayed { first: true, .. } = guard.per_account.fail(&account, now) {
            tracing::warn!(
                %account,
                "many failed logins for this account from several addresses; its logins are slowed"
            );
        }
    }

    /// The right password for `account` from `ip`: that pair's failures
    /// are forgotten (the address's and the account's stay: they count
    /// other pairs too).
    pub fn succeeded(&self, account: &str, ip: IpAddr) {
        let key = ClientKey::of(ip);
        self.0.per_account_ip.clear(&(account.to_lowercase(), key));
    }

    /// Forgets what is no longer needed.
    pub fn prune(&self) {
        let now = Instant::now();
        self.0.attempts.prune();
        self.0.per_account_ip.prune(now);
        self.0.per_ip.prune(now);
        self.0.per_account.prune(now);
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Args {
        #[command(flatten)]
        limits: LimitConfig,
    }

    fn guard(args: &[&str]) -> LoginGuard {
        let args = Args::parse_from(std::iter::once("test").chain(args.iter().copied()));
        LoginGuard::new(&args.limits)
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_guesser_is_slowed_while_the_owner_elsewhere_gets_in_at_once() {
        let guard = guard(&[]);
        let (guesser, owner) = (ip("198.51.100.1"), ip("203.0.113.2"));
        let mut refused = None;
        for n in 0..10 {
            match guard.admit("Alice", guesser) {
                Ok(()) => guard.failed("Alice", guesser),
                Err(limited) => {
                    refused = Some((n, limited));
                    break;
                }
            }
        }
        let (n, limited) = refused.expect("ten quick wrong passwords are not all tried");
        assert_eq!(n, 6, "five free failures, then one that starts the wait");
        assert_eq!(limited.kind, LimitKind::Login);
        assert!(limited.wait > Duration::ZERO);
        assert_eq!(
            guard.admit("alice", owner),
            Ok(()),
            "the owner is not held up"
        );
        guard.succeeded("alice", owner);
        assert!(
            guard.admit("ALICE", guesser).is_err(),
            "names count case-insensitively"
        );
    }

    #[test]
    fn logins_per_address_per_minute_count_successes_too() {
        let guard = guard(&["--logins-per-minute", "3"]);
        let from = ip("192.0.2.9");
        for name in ["a", "b", "c"] {
            assert_eq!(guard.admit(name, from), Ok(()));
            guard.succeeded(name, from);
        }
        let limited = guard.admit("d", from).unwrap_err();
        assert!(limited.wait > Duration::from_secs(15), "{limited:?}");
        assert_eq!(guard.admit("d", ip("192.0.2.10")), Ok(()));
    }

    #[test]
    fn many_failures_from_many_addresses_slow_the_account_everywhere() {
        let guard = guard(&["--login-failures-per-account", "10"]);
        for n in 0..11 {
            let from = ip(&format!("10.0.{n}.1"));
            guard.admit("bob", from).unwrap();
            guard.failed("bob", from);
        }
        assert!(
            guard.admit("bob", ip("192.0.2.1")).is_err(),
            "past the account's cap even a clean address waits"
        );
        assert_eq!(guard.admit("carol", ip("192.0.2.1")), Ok(()));
    }

    #[test]
    fn limits_off_lets_everything_through() {
        let guard = guard(&["--limits", "off"]);
        let from = ip("192.0.2.9");
        for _ in 0..200 {
            guard.admit("alice", from).unwrap();
            guard.failed("alice", from);
        }
    }
}
