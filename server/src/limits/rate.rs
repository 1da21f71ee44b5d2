//! Keyed token buckets: `governor`'s GCRA limiter over a `HashMap`, one
//! bucket per key, off when its rate is 0.

use std::{hash::Hash, num::NonZeroU32, time::Duration};

use governor::{
    Quota, RateLimiter,
    clock::{Clock, MonotonicClock},
    middleware::NoOpMiddleware,
    state::keyed::HashMapStateStore,
};

type Limiter<K, C> = RateLimiter<K, HashMapStateStore<K>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// A rate per key; `None` inside when turned off.
pub struct KeyedRate<K: Hash + Eq + Clone, C: Clock = MonotonicClock> {
    limiter: Option<Limiter<K, C>>,
    clock: C,
}

impl<K: Hash + Eq + Clone> KeyedRate<K> {
    /// `per_second` a second sustained, bursts of `burst` (at least the
    /// rate); 0: no limit.
    pub fn per_second(per_second: u32, burst: u32) -> Self {
        Self::with_clock(per_second, Duration::from_secs(1), burst, MonotonicClock)
    }

    /// `per_minute` a minute, all of them at once if need be; 0: no limit.
    pub fn per_minute(per_minute: u32) -> Self {
        Self::with_clock(
            per_minute,
            Duration::from_secs(60),
            per_minute,
            MonotonicClock,
        )
    }
}

impl<K: Hash + Eq + Clone, C: Clock + Clone> KeyedRate<K, C> {
    /// `count` per `period`, bursts of `burst`, on `clock` (tests move a
    /// fake one by hand).
    pub fn with_clock(count: u32, period: Duration, burst: u32, clock: C) -> Self {
        let limiter = NonZeroU32::new(count).map(|count| {
            let quota = Quota::with_period(period / count.get())
                .expect("a rate of at most u32::MAX per period has a period")
                .allow_burst(NonZeroU32::new(burst).unwrap_or(count).max(count));
            RateLimiter::hashmap_with_clock(quota, clock.clone())
        });
        Self { limiter, clock }
    }

    /// Counts one against `key`'s bucket; how long to wait if it is empty.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Forgets keys whose buckets are full again (they would start full
    /// anyway).
    pub fn prune(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// Keys remembered (for tests of pruning).
    pub fn len(&self) -> usize {
        self.limiter.as_ref().map_or(0, RateLimiter::len)
    }

    /// Whether no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    #[test]
    fn each_key_has_its_own_bucket_and_the_wait_is_told() {
        let clock = FakeRelativeClock::default();
        let rate = KeyedRate::with_clock(2, Duration::from_secs(1), 4, clock.clone());
        for n in 0..4 {
            assert_eq!(rate.check(&"a"), Ok(()), "request {n} of the burst");
        }
        let wait = rate.check(&"a").unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(500),
            "{wait:?}"
        );
        assert_eq!(rate.check(&"b"), Ok(()), "another key is not affected");
        clock.advance(Duration::from_millis(500));
        assert_eq!(rate.check(&"a"), Ok(()));
    }

    #[test]
    fn a_rate_of_zero_is_off_and_full_buckets_are_forgotten() {
        let off = KeyedRate::<u8>::per_minute(0);
        for _ in 0..1000 {
            assert_eq!(off.check(&1), Ok(()));
        }
        let clock = FakeRelativeClock::default();
        let rate = KeyedRate::with_clock(60, Duration::from_secs(60), 60, clock.clone());
        rate.check(&1).unwrap();
        rate.check(&2).unwrap();
        assert_eq!(rate.len(), 2);
        clock.advance(Duration::from_secs(2));
        rate.prune();
        assert!(rate.is_empty());
    }
}
