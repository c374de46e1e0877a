//! Peak memory of B1 with 25,000 tasks, per runtime. Each figure comes from a child
//! process of this binary (`bench --rss B1 RUNTIME N`) that runs one iteration and
//! prints its peak resident set (`VmHWM` in `/proc/self/status`, Linux only): a fresh
//! process, so no other case's memory is counted. The same child with N = 0 gives the
//! baseline; the difference over N is what a task costs, handle included.

use std::process::Command;

use crate::runtimes::Runtime;
use crate::workloads::b1_spawn_many;

/// The number of tasks BENCH.md asks about.
pub const N: usize = 25_000;
/// Children per figure; the smallest reading is kept (a page fault more or less).
const REPEAT: usize = 3;

/// One runtime's peak memory.
#[derive(Clone, Debug)]
pub struct RssRow {
    pub runtime: Runtime,
    pub n: usize,
    /// Peak RSS in bytes with no task, and with `n` tasks.
    pub base: u64,
    pub peak: u64,
    /// Bytes of one child's future and of one join handle in the root's vector.
    pub future: usize,
    pub handle: usize,
}

impl RssRow {
    /// Bytes per task: the growth of the peak over the number of tasks.
    pub fn per_task(&self) -> f64 {
        self.peak.saturating_sub(self.base) as f64 / self.n as f64
    }
}

/// The child side: `args` are what follows `--rss` (`B1 RUNTIME N`). Prints the peak
/// RSS in bytes.
pub fn child(args: &[String], quanta: usize) -> Result<(), String> {
    let [workload, runtime, n] = args else {
        return Err("usage: bench --rss B1 RUNTIME N".into());
    };
    if !workload.eq_ignore_ascii_case("B1") {
        return Err(format!("--rss: only B1 is measured, not {workload}"));
    }
    let rt = Runtime::from_name(runtime).ok_or_else(|| format!("unknown runtime {runtime}"))?;
    let n: usize = n.parse().map_err(|e| format!("--rss: bad N {n}: {e}"))?;
    b1_spawn_many::run(rt, n, 1, quanta);
    let peak = peak_rss().ok_or("--rss: no VmHWM in /proc/self/status (Linux only)")?;
    println!("{peak}");
    Ok(())
}

/// This process's peak resident set in bytes (Linux).
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Runs the children for every runtime of B1.
pub fn measure(runtimes: &[Runtime], quanta: usize) -> Result<Vec<RssRow>, String> {
    let exe = std::env::current_exe().map_err(|e| format!("--rss: no current exe: {e}"))?;
    let reading = |rt: Runtime, n: usize| -> Result<u64, String> {
        let mut best = u64::MAX;
        for _ in 0..REPEAT {
            let out = Command::new(&exe)
                .args(["--rss", "B1", rt.name(), &n.to_string()])
                .args(["--quanta", &quanta.to_string()])
                .output()
                .map_err(|e| format!("--rss child: {e}"))?;
            if !out.status.success() {
                return Err(format!(
                    "--rss child for {} failed: {}",
                    rt.name(),
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
            let text = String::from_utf8_lossy(&out.stdout);
            let v: u64 = text
                .trim()
                .parse()
                .map_err(|e| format!("--rss child printed {text:?}: {e}"))?;
            best = best.min(v);
        }
        Ok(best)
    };
    runtimes
        .iter()
        .map(|&rt| {
            eprintln!("bench: peak RSS of B1 with {N} tasks on {}", rt.name());
            Ok(RssRow {
                runtime: rt,
                n: N,
                base: reading(rt, 0)?,
                peak: reading(rt, N)?,
                future: b1_spawn_many::future_size(),
                handle: b1_spawn_many::handle_size(rt),
            })
        })
        .collect()
}
