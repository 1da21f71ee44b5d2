//! When each sender sends: an open-loop plan fixed before the run starts.
//!
//! Sender `i` of `n` sends every `1/rate` seconds, shifted by `i/n` of that
//! interval so the senders together send evenly rather than in bursts. A send
//! happens at its planned time whether or not the server answered the last
//! one, and latency is measured from the planned time, so a slow server
//! cannot hide its delay by slowing the senders down (no coordinated
//! omission). This module is pure arithmetic on offsets from the start.

use std::time::Duration;

/// One sender's plan, as offsets from the moment sending starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    offset: Duration,
    interval: Duration,
    end: Duration,
}

impl Schedule {
    /// The plan of sender `index` of `senders`, each sending `rate` messages
    /// a second until `end`.
    pub fn new(index: usize, senders: usize, rate: f64, end: Duration) -> Self {
        assert!(rate > 0.0, "a sender's rate must be positive");
        let interval = Duration::from_secs_f64(1.0 / rate);
        let offset = interval.mul_f64(index as f64 / senders.max(1) as f64);
        Self {
            offset,
            interval,
            end,
        }
    }

    /// When the `k`-th message (from 0) is due, or `None` once the plan has
    /// ended.
    pub fn planned(&self, k: u64) -> Option<Duration> {
        let at = self.offset + self.interval.mul_f64(k as f64);
        (at < self.end).then_some(at)
    }
}

/// The part of the run whose messages are measured: messages planned inside
/// it count, those of the warm-up before it do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start, in microseconds on the tool's clock.
    pub start_us: u64,
    /// End (exclusive), in microseconds on the tool's clock.
    pub end_us: u64,
}

impl Window {
    /// Whether a message planned at `planned_us` is measured.
    pub fn contains(&self, planned_us: u64) -> bool {
        (self.start_us..self.end_us).contains(&planned_us)
    }

    /// The window's length in seconds.
    pub fn seconds(&self) -> f64 {
        (self.end_us.saturating_sub(self.start_us)) as f64 / 1e6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(schedule: &Schedule) -> u64 {
        (0..).take_while(|&k| schedule.planned(k).is_some()).count() as u64
    }

    #[test]
    fn a_sender_sends_rate_times_duration_messages() {
        let plan = Schedule::new(0, 1, 10.0, Duration::from_secs(3));
        assert_eq!(count(&plan), 30);
        assert_eq!(plan.planned(0), Some(Duration::ZERO));
        assert_eq!(plan.planned(1), Some(Duration::from_millis(100)));
        assert_eq!(plan.planned(30), None);
    }

    #[test]
    fn senders_are_staggered_evenly_within_one_interval() {
        let senders = 4;
        let starts: Vec<Duration> = (0..senders)
            .map(|i| {
                Schedule::new(i, senders, 10.0, Duration::from_secs(1))
                    .planned(0)
                    .unwrap()
            })
            .collect();
        assert_eq!(starts, [0, 25, 50, 75].map(Duration::from_millis).to_vec());
    }

    #[test]
    fn all_senders_together_send_the_total_rate() {
        let total: u64 = (0..10)
            .map(|i| count(&Schedule::new(i, 10, 7.0, Duration::from_secs(2))))
            .sum();
        assert_eq!(total, 140);
    }

    #[test]
    fn the_window_counts_its_start_but_not_its_end() {
        let window = Window {
            start_us: 1_000,
            end_us: 3_000,
        };
        assert!(!window.contains(999));
        assert!(window.contains(1_000));
        assert!(window.contains(2_999));
        assert!(!window.contains(3_000));
        assert_eq!(window.seconds(), 0.002);
    }
}
