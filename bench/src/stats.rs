//! Counting and summarising: the shared counters every connection task
//! updates, latency histograms, and the percentile summary in the report.
//!
//! The tool runs on a single-threaded runtime, so the mutexes here are never
//! contended; they exist because tasks must be `Send`. Nothing awaits while
//! holding one.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use hdrhistogram::Histogram;
use serde::Serialize;

/// Highest latency the histograms record, in microseconds (one minute);
/// larger values are clamped to it.
const MAX_MICROS: u64 = 60_000_000;

/// A latency histogram in microseconds, 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("static bounds are valid")
}

/// Records `micros` (at least 1, at most a minute).
pub fn record(histogram: &mut Histogram<u64>, micros: u64) {
    histogram.saturating_record(micros.clamp(1, MAX_MICROS));
}

/// Percentiles of a latency distribution, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Percentiles {
    pub count: u64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

impl Percentiles {
    /// Summarises a histogram of microseconds; all zeros when it is empty.
    pub fn of(histogram: &Histogram<u64>) -> Self {
        if histogram.is_empty() {
            return Self::default();
        }
        let ms = |micros: u64| round2(micros as f64 / 1000.0);
        Self {
            count: histogram.len(),
            p50: ms(histogram.value_at_quantile(0.50)),
            p90: ms(histogram.value_at_quantile(0.90)),
            p99: ms(histogram.value_at_quantile(0.99)),
            p999: ms(histogram.value_at_quantile(0.999)),
            max: ms(histogram.max()),
            mean: round2(histogram.mean() / 1000.0),
        }
    }
}

/// Rounds to two decimals, which is all a report needs.
pub fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// `part / whole`, or 1 when nothing was expected (nothing can be missing).
pub fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

/// Counters shared by every connection task of one run.
pub struct Stats {
    /// Deliveries of measured messages the tool expects: for each measured
    /// send, the number of joined members of the sender's room.
    pub expected: AtomicU64,
    /// Deliveries of measured messages that arrived.
    pub received: AtomicU64,
    /// Measured messages sent.
    pub sent: AtomicU64,
    /// Measured messages that came back to their own sender, i.e. were
    /// stored and broadcast.
    pub stored: AtomicU64,
    /// Frames of this run whose marker says they were planned outside the
    /// window (warm-up), received; not measured.
    pub unmeasured: AtomicU64,
    /// End-to-end latency of measured deliveries, from planned send time.
    pub latency: Mutex<Histogram<u64>>,
    /// How late each send left compared with its plan (all sends).
    pub send_lag: Mutex<Histogram<u64>>,
    /// Error frames by code.
    pub errors: Mutex<BTreeMap<String, u64>>,
    /// Connections the server ended during the run, by close code.
    pub closed_by_server: Mutex<BTreeMap<String, u64>>,
    /// Text frames of any kind received after joining (presence notices
    /// included): what a join storm costs every member.
    pub frames: AtomicU64,
    /// When the last of them arrived, in microseconds since the run began.
    pub last_frame_us: AtomicU64,
}

impl Default for Stats {
    fn default() -> Self {
        Self {
            expected: AtomicU64::new(0),
            received: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            stored: AtomicU64::new(0),
            unmeasured: AtomicU64::new(0),
            latency: Mutex::new(histogram()),
            send_lag: Mutex::new(histogram()),
            errors: Mutex::new(BTreeMap::new()),
            closed_by_server: Mutex::new(BTreeMap::new()),
            frames: AtomicU64::new(0),
            last_frame_us: AtomicU64::new(0),
        }
    }
}

impl Stats {
    /// Adds one to a counter.
    pub fn bump(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Ordering::Relaxed);
    }

    /// Reads a counter.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// Counts a frame received at `now_us`.
    pub fn frame(&self, now_us: u64) {
        self.frames.fetch_add(1, Ordering::Relaxed);
        self.last_frame_us.fetch_max(now_us, Ordering::Relaxed);
    }

    /// Counts an error frame.
    pub fn error(&self, code: &str) {
        *self
            .errors
            .lock()
            .expect("stats lock")
            .entry(code.to_owned())
            .or_default() += 1;
    }

    /// Counts a connection the server ended.
    pub fn closed(&self, why: String) {
        *self
            .closed_by_server
            .lock()
            .expect("stats lock")
            .entry(why)
            .or_default() += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_uniform_spread_land_where_expected() {
        let mut h = histogram();
        for ms in 1..=1000 {
            record(&mut h, ms * 1000);
        }
        let p = Percentiles::of(&h);
        assert_eq!(p.count, 1000);
        // HDR keeps 3 significant digits: each value is within 0.1 %.
        assert!((p.p50 - 500.0).abs() <= 0.5, "{p:?}");
        assert!((p.p90 - 900.0).abs() <= 0.9, "{p:?}");
        assert!((p.p99 - 990.0).abs() <= 1.0, "{p:?}");
        assert!((p.p999 - 999.0).abs() <= 1.0, "{p:?}");
        assert!((p.max - 1000.0).abs() <= 1.0, "{p:?}");
        assert!((p.mean - 500.5).abs() <= 0.5, "{p:?}");
    }

    #[test]
    fn one_slow_delivery_in_a_thousand_shows_only_at_the_top() {
        let mut h = histogram();
        for _ in 0..999 {
            record(&mut h, 2_000);
        }
        record(&mut h, 800_000);
        let p = Percentiles::of(&h);
        assert!((p.p99 - 2.0).abs() < 0.01, "{p:?}");
        assert!((p.max - 800.0).abs() <= 0.5, "{p:?}");
    }

    #[test]
    fn an_empty_histogram_reports_zeros() {
        assert_eq!(Percentiles::of(&histogram()), Percentiles::default());
    }

    #[test]
    fn out_of_range_values_are_clamped_not_lost() {
        let mut h = histogram();
        record(&mut h, 0);
        record(&mut h, u64::MAX);
        assert_eq!(h.len(), 2);
    }

    #[test]
    fn a_ratio_of_nothing_expected_is_complete() {
        assert_eq!(ratio(0, 0), 1.0);
        assert_eq!(ratio(50, 100), 0.5);
    }
}
