//! Failed attempts per key, with delays that grow: the first few failures
//! cost nothing (people mistype), each one after that makes the key wait
//! before its next try, 1 s and doubling up to [`MAX_DELAY`]. A guesser is
//! held to a couple of tries a minute; tries made while waiting are
//! refused without being checked (or counted: a waiting key's owner is not
//! locked out for longer by a guesser's impatience).
//!
//! A key is forgotten once it has gone a while without failing; callers
//! clear it on success where that makes sense.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{Mutex, MutexGuard},
    time::{Duration, Instant},
};

/// The longest one failure makes a key wait.
pub const MAX_DELAY: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    last: Instant,
    /// No tries before this.
    until: Instant,
}

/// Failures per key; `free` of them before delays start, forgotten after
/// `forget` without one. `free == 0`: off.
pub struct Failures<K> {
    free: u32,
    forget: Duration,
    records: Mutex<HashMap<K, Record>>,
}

/// What a failure did to its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failed {
    /// Still within the free failures.
    Free,
    /// The key waits this long; `first` when this failure started the
    /// delays.
    Delayed { wait: Duration, first: bool },
}

impl<K: Hash + Eq + Clone> Failures<K> {
    /// `free` failures before delays start, forgotten after `forget`.
    pub fn new(free: u32, forget: Duration) -> Self {
        Self {
            free,
            forget,
            records: Mutex::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<K, Record>> {
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How long `key` must still wait at `now`, if at all.
    pub fn waiting(&self, key: &K, now: Instant) -> Option<Duration> {
        if self.free == 0 {
            return None;
        }
        let until = self.lock().get(key)?.until;
        (until > now).then(|| until - now)
    }

    /// Counts a failure of `key` at `now`.
    pub fn fail(&self, key: &K, now: Instant) -> Failed {
        if self.free == 0 {
            return Failed::Free;
        }
        let mut records = self.lock();
        let record = records.entry(key.clone()).or_insert(Record {
            failures: 0,
            last: now,
            until: now,
        });
        if now.duration_since(record.last) > self.forget {
            record.failures = 0;
        }
        record.failures = record.failures.saturating_add(1);
        record.last = now;
        let Some(over) = record.failures.checked_sub(self.free).filter(|&n| n > 0) else {
            return Failed::Free;
        };
        let wait = Duration::from_secs(1 << (over - 1).min(5)).min(MAX_DELAY);
        record.until = now + wait;
        Failed::Delayed {
            wait,
            first: over == 1,
        }
    }

    /// Forgets `key`'s failures (it got in).
    pub fn clear(&self, key: &K) {
        self.lock().remove(key);
    }

    /// Forgets every key that has not failed for `forget` and is not
    /// waiting.
    pub fn prune(&self, now: Instant) {
        let forget = self.forget;
        self.lock()
            .retain(|_, r| r.until > now || now.duration_since(r.last) <= forget);
    }

    /// Keys remembered.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn the_free_failures_cost_nothing_then_each_one_waits_longer() {
        let failures = Failures::new(5, 15 * MINUTE);
        let start = Instant::now();
        for n in 0..5 {
            assert_eq!(failures.fail(&"k", start), Failed::Free, "failure {n}");
            assert_eq!(failures.waiting(&"k", start), None);
        }
        let mut now = start;
        let mut waits = Vec::new();
        for _ in 0..8 {
            let Failed::Delayed { wait, .. } = failures.fail(&"k", now) else {
                panic!("past the free failures every one waits");
            };
            assert_eq!(failures.waiting(&"k", now), Some(wait));
            waits.push(wait.as_secs());
            now += wait;
            assert_eq!(failures.waiting(&"k", now), None, "free to try again");
        }
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30, 30]);
    }

    #[test]
    fn a_guesser_gets_a_couple_of_tries_a_minute_once_slowed() {
        let failures = Failures::new(5, 15 * MINUTE);
        let start = Instant::now();
        let mut now = start;
        let mut tries_in_the_tenth_minute = 0;
        while now < start + 10 * MINUTE {
            if failures.waiting(&"k", now).is_none() {
                failures.fail(&"k", now);
                if now >= start + 9 * MINUTE {
                    tries_in_the_tenth_minute += 1;
                }
            }
            now += Duration::from_millis(100);
        }
        assert_eq!(tries_in_the_tenth_minute, 2);
    }

    #[test]
    fn keys_are_apart_cleared_on_success_and_forgotten_after_a_quiet_while() {
        let failures = Failures::new(1, 15 * MINUTE);
        let now = Instant::now();
        failures.fail(&"a", now);
        assert!(matches!(
            failures.fail(&"a", now),
            Failed::Delayed { first: true, .. }
        ));
        assert!(failures.waiting(&"b", now).is_none());
        failures.clear(&"a");
        assert!(failures.waiting(&"a", now).is_none());

        failures.fail(&"c", now);
        failures.prune(now + 16 * MINUTE);
        assert!(failures.is_empty());
        // A failure after the quiet while starts the count again.
        failures.fail(&"d", now);
        assert_eq!(failures.fail(&"d", now + 16 * MINUTE), Failed::Free);
    }

    #[test]
    fn free_of_zero_is_off() {
        let failures = Failures::new(0, MINUTE);
        let now = Instant::now();
        for _ in 0..100 {
            assert_eq!(failures.fail(&"k", now), Failed::Free);
        }
        assert!(failures.waiting(&"k", now).is_none());
        assert!(failures.is_empty());
    }
}
