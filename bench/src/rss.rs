//! Peak memory of B1 with 25,000 tasks and of B8's tree of 1,111 blocked tasks, per
//! runtime. Each figure comes from a child process of this binary (`bench --rss B1
//! RUNTIME N`, `bench --rss B8 RUNTIME N`) that runs one iteration and prints its peak
//! resident set (`VmHWM` in `/proc/self/status`, Linux only): a fresh process, so no
//! other case's memory is counted. The same child with N = 0 gives the baseline; the
//! difference over N is what a task costs, handle included.
//!
//! The same child runs B2 (N = the chain's depth), B3 (N = the yields of each of its
//! 200 tasks) and B5 (N = rounds of its ring of 300 tasks and 300 tokens) once, for a
//! profiler: run under `valgrind --tool=callgrind` with two values of N, the difference
//! of the instruction counts over the difference of N is what one more task (B1), chain
//! level (B2), round of yields (B3) or round of the ring (B5) costs, with the runtime's
//! start and the harness left out.

use std::process::Command;

use crate::runtimes::Runtime;
use crate::workloads::{
    b1_spawn_many, b2_chained_spawn, b3_yield_many, b5_channel_ring, b8_cancel_tree,
};

/// The number of tasks of B1's memory figure (B1's larger size).
pub const N: usize = 25_000;
/// B8's tree: fan-out 10, depth 3.
const B8_FAN_OUT: usize = 10;
const B8_DEPTH: u32 = 3;

/// The number of tasks in B8's tree.
pub fn b8_tasks() -> usize {
    b8_cancel_tree::tree_size(B8_FAN_OUT, B8_DEPTH)
}
/// The number of tasks of the child's B3 (B3's own).
const B3_TASKS: usize = 200;
/// The tasks and tokens of the child's B5 ring (B5's own).
const B5_TASKS: usize = 300;
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

/// The child side: `args` are what follows `--rss` (`B1 RUNTIME N`). Runs the workload
/// once and prints the peak RSS in bytes.
pub fn child(args: &[String], quanta: usize) -> Result<(), String> {
    let [workload, runtime, n] = args else {
        return Err("usage: bench --rss B1|B2|B3|B5|B8 RUNTIME N".into());
    };
    let rt = Runtime::from_name(runtime).ok_or_else(|| format!("unknown runtime {runtime}"))?;
    let n: usize = n.parse().map_err(|e| format!("--rss: bad N {n}: {e}"))?;
    if workload.eq_ignore_ascii_case("B1") {
        b1_spawn_many::run(rt, n, 1, quanta);
    } else if workload.eq_ignore_ascii_case("B2") {
        let depth = u32::try_from(n).map_err(|e| format!("--rss B2: bad depth {n}: {e}"))?;
        b2_chained_spawn::run(rt, depth, 1, quanta);
    } else if workload.eq_ignore_ascii_case("B3") {
        b3_yield_many::run(rt, B3_TASKS, n, 1, quanta);
    } else if workload.eq_ignore_ascii_case("B5") {
        let iters = u32::try_from(n).map_err(|e| format!("--rss B5: bad rounds {n}: {e}"))?;
        b5_channel_ring::run(rt, B5_TASKS, B5_TASKS, iters, quanta);
    } else if workload.eq_ignore_ascii_case("B8") {
        // N = 0: the same runtime with an empty tree (one task at depth 0 is still a
        // task, so the baseline runs zero iterations instead).
        let iters = if n == 0 { 0 } else { 1 };
        if n != 0 && n != b8_tasks() {
            return Err(format!("--rss B8: N is 0 or {}", b8_tasks()));
        }
        b8_cancel_tree::run(rt, B8_FAN_OUT, B8_DEPTH, iters, quanta);
    } else {
        return Err(format!(
            "--rss: only B1, B2, B3, B5 and B8 run once, not {workload}"
        ));
    }
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

/// The smallest peak RSS of [`REPEAT`] children running `workload` with `n` on `rt`.
fn reading(workload: &str, rt: Runtime, n: usize, quanta: usize) -> Result<u64, String> {
    let exe = std::env::current_exe().map_err(|e| format!("--rss: no current exe: {e}"))?;
    {
        let mut best = u64::MAX;
        for _ in 0..REPEAT {
            let out = Command::new(&exe)
                .args(["--rss", workload, rt.name(), &n.to_string()])
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
    }
}

/// Runs the children for every runtime of B1.
pub fn measure(runtimes: &[Runtime], quanta: usize) -> Result<Vec<RssRow>, String> {
    runtimes
        .iter()
        .map(|&rt| {
            eprintln!("bench: peak RSS of B1 with {N} tasks on {}", rt.name());
            Ok(RssRow {
                runtime: rt,
                n: N,
                base: reading("B1", rt, 0, quanta)?,
                peak: reading("B1", rt, N, quanta)?,
                future: b1_spawn_many::future_size(),
                handle: b1_spawn_many::handle_size(rt),
            })
        })
        .collect()
}

/// Runs the children for every runtime of B8 (the tree's futures are boxed and differ
/// by runtime, so the rows give no future or handle size).
pub fn measure_b8(runtimes: &[Runtime], quanta: usize) -> Result<Vec<RssRow>, String> {
    let n = b8_tasks();
    runtimes
        .iter()
        .map(|&rt| {
            eprintln!("bench: peak RSS of B8 with {n} tasks on {}", rt.name());
            Ok(RssRow {
                runtime: rt,
                n,
                base: reading("B8", rt, 0, quanta)?,
                peak: reading("B8", rt, n, quanta)?,
                future: 0,
                handle: 0,
            })
        })
        .collect()
}
