//! CPU use over a stretch of the run: the tool's own, the server's, the
//! database's (postmaster and backends) and how busy each watched CPU was,
//! as percentages of one CPU. Comparing them shows who was the limit: a
//! busy CPU 0 that the server and database do not fill means another
//! process was competing with them.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::host::{self, CpuTicks};
use crate::stats::round2;

/// What to watch besides the tool itself.
#[derive(Debug, Clone, Default)]
pub struct Watch {
    pub server_pid: Option<u32>,
    pub db_pid: Option<u32>,
    pub cpus: Vec<usize>,
}

/// Cumulative counters at one instant.
#[derive(Debug, Clone)]
pub struct Snapshot {
    at: Instant,
    tool: Duration,
    server: Option<Duration>,
    db: Option<Duration>,
    cpus: Vec<(usize, Option<CpuTicks>)>,
}

impl Snapshot {
    /// Reads every counter now.
    pub fn take(watch: &Watch) -> Self {
        Self {
            at: Instant::now(),
            tool: host::own_cpu(),
            server: watch.server_pid.and_then(host::process_cpu),
            db: watch.db_pid.and_then(host::family_cpu),
            cpus: watch
                .cpus
                .iter()
                .map(|&cpu| (cpu, CpuTicks::read(cpu)))
                .collect(),
        }
    }

    /// The shares between `earlier` and this snapshot.
    pub fn since(&self, earlier: &Self) -> CpuShare {
        let wall = self.at.duration_since(earlier.at).as_secs_f64();
        let pct = |now: Duration, then: Duration| {
            if wall > 0.0 {
                round2(100.0 * now.saturating_sub(then).as_secs_f64() / wall)
            } else {
                0.0
            }
        };
        let both = |now: Option<Duration>, then: Option<Duration>| Some(pct(now?, then?));
        let mut busy = BTreeMap::new();
        for ((cpu, now), (_, then)) in self.cpus.iter().zip(&earlier.cpus) {
            if let (Some(now), Some(then)) = (now, then) {
                busy.insert(cpu.to_string(), round2(now.busy_percent_since(then)));
            }
        }
        CpuShare {
            seconds: round2(wall),
            tool_pct: pct(self.tool, earlier.tool),
            server_pct: both(self.server, earlier.server),
            db_pct: both(self.db, earlier.db),
            cpu_busy_pct: busy,
        }
    }
}

/// CPU use between two snapshots, in percent of one CPU.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CpuShare {
    pub seconds: f64,
    pub tool_pct: f64,
    pub server_pct: Option<f64>,
    pub db_pct: Option<f64>,
    /// Busy share of each watched CPU, by number, whoever used it.
    pub cpu_busy_pct: BTreeMap<String, f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_taken_over_the_wall_time_between_snapshots() {
        let start = Instant::now();
        let earlier = Snapshot {
            at: start,
            tool: Duration::from_millis(100),
            server: Some(Duration::from_secs(1)),
            db: None,
            cpus: vec![(
                0,
                Some(CpuTicks {
                    busy: 0,
                    total: 100,
                }),
            )],
        };
        let later = Snapshot {
            at: start + Duration::from_secs(2),
            tool: Duration::from_millis(600),
            server: Some(Duration::from_secs(2)),
            db: Some(Duration::from_secs(1)),
            cpus: vec![(
                0,
                Some(CpuTicks {
                    busy: 150,
                    total: 300,
                }),
            )],
        };
        let share = later.since(&earlier);
        assert_eq!(share.seconds, 2.0);
        assert_eq!(share.tool_pct, 25.0);
        assert_eq!(share.server_pct, Some(50.0));
        assert_eq!(share.db_pct, None);
        assert_eq!(share.cpu_busy_pct["0"], 75.0);
    }
}
