//! What the tool reads from and asks of the operating system: the file
//! limit, its own CPU time, and (from /proc) a server's resident memory and
//! CPU time and one CPU's busy share. Linux only; every reading that cannot be
//! taken is `None` rather than an error, since a report without it is still
//! useful.

use std::time::Duration;

use nix::sys::resource::{Resource, UsageWho, getrlimit, getrusage, setrlimit};

/// Raises the soft limit on open files to the hard limit, so one process
/// can hold ten thousand sockets. Returns the limit now in force.
pub fn raise_file_limit() -> u64 {
    match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok((soft, hard)) if soft < hard => match setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
            Ok(()) => hard,
            Err(_) => soft,
        },
        Ok((soft, _)) => soft,
        Err(_) => 0,
    }
}

/// The CPU time (user + system) this process has used so far.
pub fn own_cpu() -> Duration {
    match getrusage(UsageWho::RUSAGE_SELF) {
        Ok(usage) => {
            let micros = |tv: nix::sys::time::TimeVal| {
                Duration::from_secs(tv.tv_sec().max(0) as u64)
                    + Duration::from_micros(tv.tv_usec().max(0) as u64)
            };
            micros(usage.user_time()) + micros(usage.system_time())
        }
        Err(_) => Duration::ZERO,
    }
}

/// Resident memory of process `pid`, in KiB (VmRSS from /proc/PID/status).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_rss(&status)
}

fn parse_vm_rss(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Kernel clock ticks per second for /proc CPU times. Linux has reported
/// 100 on every mainstream architecture for decades.
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU time (user + system, all threads) process `pid` has used, from
/// /proc/PID/stat.
pub fn process_cpu(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_process_ticks(&stat).map(|ticks| Duration::from_secs_f64(ticks as f64 / TICKS_PER_SECOND))
}

fn parse_process_ticks(stat: &str) -> Option<u64> {
    parse_stat(stat).map(|(_, ticks)| ticks)
}

/// The parent pid and CPU ticks (user + system) from a /proc/PID/stat line.
fn parse_stat(stat: &str) -> Option<(u32, u64)> {
    // The command name (field 2) may hold spaces; count fields after ')'.
    let after = &stat[stat.rfind(')')? + 1..];
    let mut fields = after.split_whitespace();
    // After ')': state is field 3, ppid 4, utime 14 and stime 15.
    let ppid: u32 = fields.nth(1)?.parse().ok()?;
    let utime: u64 = fields.nth(9)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((ppid, utime + stime))
}

/// CPU time used by process `pid` and its direct children (PostgreSQL: the
/// postmaster and its backends). A child that exited since the last reading
/// takes its time with it, which is fine for a pool that keeps its backends.
pub fn family_cpu(pid: u32) -> Option<Duration> {
    let mut ticks = 0;
    let mut found = false;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = entry.file_name();
        let Some(this) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        match parse_stat(&stat) {
            Some((ppid, used)) if this == pid || ppid == pid => {
                found |= this == pid;
                ticks += used;
            }
            _ => {}
        }
    }
    found.then(|| Duration::from_secs_f64(ticks as f64 / TICKS_PER_SECOND))
}

/// Busy and total ticks of CPU `cpu` so far, from /proc/stat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuTicks {
    pub busy: u64,
    pub total: u64,
}

impl CpuTicks {
    /// Reads CPU `cpu`'s counters.
    pub fn read(cpu: usize) -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        parse_cpu_line(&stat, cpu)
    }

    /// The busy share between `earlier` and `self`, in percent.
    pub fn busy_percent_since(&self, earlier: &Self) -> f64 {
        let total = self.total.saturating_sub(earlier.total);
        let busy = self.busy.saturating_sub(earlier.busy);
        if total == 0 {
            0.0
        } else {
            100.0 * busy as f64 / total as f64
        }
    }
}

fn parse_cpu_line(stat: &str, cpu: usize) -> Option<CpuTicks> {
    let name = format!("cpu{cpu}");
    let line = stat
        .lines()
        .find(|line| line.split_whitespace().next() == Some(name.as_str()))?;
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal guest guest_nice;
    // guest time is already counted in user.
    let total: u64 = values.iter().take(8).sum();
    let idle = values.get(3).copied().unwrap_or(0) + values.get(4).copied().unwrap_or(0);
    Some(CpuTicks {
        busy: total.saturating_sub(idle),
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_rss_is_read_in_kib() {
        let status = "Name:\tsapa-server\nVmPeak:\t  9000 kB\nVmRSS:\t   12345 kB\nThreads:\t3\n";
        assert_eq!(parse_vm_rss(status), Some(12345));
    }

    #[test]
    fn process_ticks_survive_a_name_with_spaces() {
        let stat = "4242 (sapa server) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0";
        assert_eq!(parse_process_ticks(stat), Some(300));
        assert_eq!(parse_stat(stat), Some((1, 300)));
    }

    #[test]
    fn one_cpu_line_is_picked_and_idle_excluded() {
        let stat =
            "cpu  9 9 9 9 9 9 9 9 0 0\ncpu0 10 0 10 70 10 0 0 0 0 0\ncpu1 1 1 1 1 1 1 1 1 0 0\n";
        let ticks = parse_cpu_line(stat, 0).unwrap();
        assert_eq!(
            ticks,
            CpuTicks {
                busy: 20,
                total: 100
            }
        );
        let later = CpuTicks {
            busy: 70,
            total: 200,
        };
        assert_eq!(later.busy_percent_since(&ticks), 50.0);
    }

    #[test]
    fn the_tool_can_read_its_own_usage() {
        assert!(raise_file_limit() > 0);
        assert!(rss_kib(std::process::id()).is_some());
        assert!(process_cpu(std::process::id()).is_some());
        assert!(family_cpu(std::process::id()).is_some());
    }
}
