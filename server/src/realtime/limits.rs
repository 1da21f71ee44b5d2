//! How fast one connection may send messages, and when a sender that keeps
//! ignoring the limit counts as abusive.
//!
//! The rate is a GCRA limiter from `governor` (the mechanism of the
//! per-address limits in `crate::limits`, here per connection):
//! `per_second` messages a second sustained, bursts of twice that, starting
//! full (a client that reconnects may re-send what it had pending at once);
//! 0 is no limit. A refused message is not stored and its sender is told
//! `rate_limited` with how long to wait; after [`ABUSE_LIMIT`] refusals in
//! a row the connection is closed (1008).

use std::{num::NonZeroU32, time::Duration};

use governor::{
    Quota, RateLimiter,
    clock::{Clock, MonotonicClock},
    middleware::NoOpMiddleware,
    state::{InMemoryState, NotKeyed},
};

/// Messages refused in a row for rate before the connection counts as
/// abusive and is closed.
pub const ABUSE_LIMIT: u32 = 100;

/// What the limit says about one more message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Store it.
    Allowed,
    /// Refuse it; the connection stays, and may send again after this.
    Refused(Duration),
    /// Refuse it and close: the sender has ignored [`ABUSE_LIMIT`] refusals.
    Abusive,
}

/// One connection's message rate limit.
#[derive(Debug)]
pub struct SendLimit<C: Clock = MonotonicClock> {
    /// `None`: no limit.
    limiter: Option<RateLimiter<NotKeyed, InMemoryState, C, NoOpMiddleware<C::Instant>>>,
    clock: C,
    /// Messages refused since the last one allowed.
    refused_in_a_row: u32,
}

impl SendLimit {
    /// A burst is this many seconds' worth of messages.
    pub const BURST_FACTOR: u32 = 2;

    /// `per_second` messages a second, bursts of twice that; 0: no limit.
    pub fn per_second(per_second: u32) -> Self {
        Self::with_clock(per_second, MonotonicClock)
    }
}

impl<C: Clock + Clone> SendLimit<C> {
    /// The same limit on another clock (tests move a fake one by hand).
    pub fn with_clock(per_second: u32, clock: C) -> Self {
        let limiter = NonZeroU32::new(per_second).map(|rate| {
            let burst = rate.saturating_mul(NonZeroU32::new(SendLimit::BURST_FACTOR).expect("two"));
            let quota = Quota::per_second(rate).allow_burst(burst);
            RateLimiter::direct_with_clock(quota, clock.clone())
        });
        Self {
            limiter,
            clock,
            refused_in_a_row: 0,
        }
    }

    /// Counts one message against the limit.
    pub fn check(&mut self) -> Verdict {
        let Some(limiter) = &self.limiter else {
            return Verdict::Allowed;
        };
        let wait = match limiter.check() {
            Ok(()) => {
                self.refused_in_a_row = 0;
                return Verdict::Allowed;
            }
            Err(not_until) => not_until.wait_time_from(self.clock.now()),
        };
        self.refused_in_a_row += 1;
        if self.refused_in_a_row > ABUSE_LIMIT {
            Verdict::Abusive
        } else {
            Verdict::Refused(wait)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use governor::clock::FakeRelativeClock;

    use super::*;

    #[test]
    fn a_burst_of_twice_the_rate_passes_then_the_rate_refills() {
        let clock = FakeRelativeClock::default();
        let mut limit = SendLimit::with_clock(5, clock.clone());
        for n in 0..10 {
            assert_eq!(limit.check(), Verdict::Allowed, "message {n} of the burst");
        }
        assert_eq!(
            limit.check(),
            Verdict::Refused(Duration::from_millis(200)),
            "the next one is due in 1/5 s"
        );
        clock.advance(Duration::from_millis(200));
        assert_eq!(limit.check(), Verdict::Allowed, "one more after 1/5 s");
        assert!(matches!(limit.check(), Verdict::Refused(_)));
        clock.advance(Duration::from_secs(2));
        for n in 0..10 {
            assert_eq!(limit.check(), Verdict::Allowed, "a full burst again ({n})");
        }
    }

    #[test]
    fn ignoring_refusals_becomes_abuse_and_one_allowed_message_forgives() {
        let clock = FakeRelativeClock::default();
        let mut limit = SendLimit::with_clock(1, clock.clone());
        assert_eq!(limit.check(), Verdict::Allowed);
        assert_eq!(limit.check(), Verdict::Allowed);
        for _ in 0..ABUSE_LIMIT {
            assert!(matches!(limit.check(), Verdict::Refused(_)));
        }
        assert_eq!(limit.check(), Verdict::Abusive);
        clock.advance(Duration::from_secs(1));
        assert_eq!(limit.check(), Verdict::Allowed);
        assert!(
            matches!(limit.check(), Verdict::Refused(_)),
            "the count starts over"
        );
    }

    #[test]
    fn a_rate_of_zero_is_no_limit() {
        let mut limit = SendLimit::with_clock(0, FakeRelativeClock::default());
        for _ in 0..10_000 {
            assert_eq!(limit.check(), Verdict::Allowed);
        }
    }
}
