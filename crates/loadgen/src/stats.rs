//! Latency percentiles (nearest rank over every sample: exact, no histogram buckets) and CPU
//! time read from `/proc`.

use std::time::Duration;

pub struct Summary {
    pub count: usize,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub p999: Duration,
    pub max: Duration,
}

/// Nearest-rank percentiles of `samples`.
pub fn summarize(mut samples: Vec<Duration>) -> Option<Summary> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_unstable();
    let at =
        |p: f64| samples[((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1];
    Some(Summary {
        count: samples.len(),
        p50: at(0.50),
        p90: at(0.90),
        p99: at(0.99),
        p999: at(0.999),
        max: samples[samples.len() - 1],
    })
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        write!(
            f,
            "n={} p50={:.2}ms p90={:.2}ms p99={:.2}ms p99.9={:.2}ms max={:.2}ms",
            self.count,
            ms(self.p50),
            ms(self.p90),
            ms(self.p99),
            ms(self.p999),
            ms(self.max)
        )
    }
}

/// CPU seconds (user + system) a process has used so far, from `/proc/<pid>/stat`
/// (`self` for this process). `None` if the process is gone.
pub fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may contain spaces; the fields after its ')' are fixed.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split(' ');
    // rest starts at field 3 (state); utime and stime are fields 14 and 15.
    let utime: f64 = fields.nth(11)?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    // USER_HZ is 100 on every Linux ABI the harness runs on.
    Some((utime + stime) / 100.0)
}

/// A `Vm*` line of `/proc/<pid>/status` (e.g. `VmRSS`), in KiB.
pub fn proc_status_kib(pid: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        let value = line.strip_prefix(field)?.strip_prefix(':')?;
        value.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let s = summarize((1..=100).map(Duration::from_millis).collect()).unwrap();
        assert_eq!(s.p50, Duration::from_millis(50));
        assert_eq!(s.p99, Duration::from_millis(99));
        assert_eq!(s.p999, Duration::from_millis(100));
        assert_eq!(s.max, Duration::from_millis(100));
        assert!(summarize(Vec::new()).is_none());
    }

    #[test]
    fn proc_readers() {
        assert!(cpu_seconds("self").is_some_and(|s| s >= 0.0));
        assert!(proc_status_kib("self", "VmRSS").is_some_and(|kib| kib > 0));
        assert!(proc_status_kib("self", "VmNoSuchField").is_none());
    }
}
