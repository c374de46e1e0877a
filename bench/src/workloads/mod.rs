//! The workloads, one module each. A module turns its workload into [`Case`]s (one per
//! size or setting) and writes the same body once per runtime, through a macro, so
//! every runtime executes the same code with its own `spawn`, join handle and
//! `yield_now`. `bench/WORKLOADS.md` describes every workload, its parameters and its
//! targets.
//!
//! Adding a workload: a module `bN_name.rs` with a `cases(&Config) -> Vec<Case>`,
//! listed in [`all`], and its entry in `bench/WORKLOADS.md`. A case either times
//! iterations ([`Run::Time`], one metric in seconds, iterations calibrated by the
//! harness) or measures several figures in one run ([`Run::Metrics`]: req/s, latency
//! percentiles), each described by a [`Metric`] with its unit and the workload's gate
//! and goal.

pub mod b10_parallel_hash;
pub mod b11_short_runs;
pub mod b1_spawn_many;
pub mod b2_chained_spawn;
pub mod b3_yield_many;
pub mod b4_ping_pong;
pub mod b5_channel_ring;
pub mod b6_call_many;
pub mod b7_availability;
pub mod b8_cancel_tree;
pub mod b9_tcp_echo;
pub mod http;
pub mod net;

use std::future::Future;
use std::time::{Duration, Instant};

use crate::runtimes::Runtime;

/// How the cases are sized and how miou is set up.
#[derive(Clone, Debug)]
pub struct Config {
    /// Smaller sizes, for a smoke run (CI, debug builds).
    pub quick: bool,
    /// miou's quanta where the workload does not set one (by default 1, miou's own
    /// default: miou is measured as a user gets it).
    pub quanta: usize,
}

/// One row of the table: a workload at one size or setting, on several runtimes.
pub struct Case {
    /// The name `--json` prints, e.g. `B1/1000`.
    pub id: String,
    /// The workload number and name, e.g. `B1` and `spawn_many`, for selection.
    pub workload: &'static str,
    pub name: &'static str,
    /// What the row says, e.g. `spawn_many N=1,000`.
    pub title: String,
    /// The runtimes this case runs on; miou first.
    pub runtimes: &'static [Runtime],
    /// Makes the case ready to run (installs or builds what it needs), or says why it
    /// is skipped. None: always ready.
    pub check: Option<Box<dyn Fn() -> Result<(), String>>>,
    /// What one run measures, in the order [`Run::Metrics`] returns them (one time
    /// for [`Run::Time`]).
    pub metrics: Vec<Metric>,
    pub run: Run,
}

/// How a case runs.
pub enum Run {
    /// Runs `iters` iterations on one fresh runtime and returns the time they took,
    /// measured inside the root task (runtime start and stop are not counted). Panics
    /// when a result is wrong. The harness picks `iters`.
    Time(Box<dyn Fn(Runtime, u32) -> Duration>),
    /// One run on one fresh runtime, returning a value per metric of the case (a
    /// request rate, latency percentiles...). Panics when a result is wrong.
    Metrics(Box<dyn Fn(Runtime) -> Measured>),
}

/// The figures of one [`Run::Metrics`] run.
#[derive(Clone, Debug, PartialEq)]
pub struct Measured {
    /// One value per metric of the case, in its unit.
    pub values: Vec<f64>,
    /// Something the reader must know about this run (e.g. the server starved).
    pub note: Option<String>,
}

/// A unit of measure, as `--json` prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A time in seconds, lower is better.
    Seconds,
    /// A rate, higher is better.
    ReqPerSec,
    /// Latency percentiles and maximum, in seconds, lower is better.
    P50,
    P99,
    Max,
    /// Busy-loop iterations per second (B7's background work), higher is better.
    IterPerSec,
}

impl Unit {
    /// The `unit` of the JSON lines.
    pub fn json(self) -> &'static str {
        match self {
            Unit::Seconds => "s",
            Unit::ReqPerSec => "req/s",
            Unit::P50 => "s_p50",
            Unit::P99 => "s_p99",
            Unit::Max => "s_max",
            Unit::IterPerSec => "iter/s",
        }
    }

    /// What the table's row adds to the case's title ("" for a plain time).
    pub fn label(self) -> &'static str {
        match self {
            Unit::Seconds => "",
            Unit::ReqPerSec => "req/s",
            Unit::P50 => "p50",
            Unit::P99 => "p99",
            Unit::Max => "max",
            Unit::IterPerSec => "busy iterations/s",
        }
    }

    pub fn higher_is_better(self) -> bool {
        matches!(self, Unit::ReqPerSec | Unit::IterPerSec)
    }
}

/// A figure a case reports, with its workload's targets for it.
#[derive(Clone, Debug)]
pub struct Metric {
    pub unit: Unit,
    /// Must hold.
    pub gate: Vec<Target>,
    /// Aimed at.
    pub goal: Vec<Target>,
}

impl Metric {
    /// A metric with no target (reported for the reader only).
    pub fn plain(unit: Unit) -> Metric {
        Metric {
            unit,
            gate: Vec::new(),
            goal: Vec::new(),
        }
    }

    /// B1-B5's targets: gate miou <= 1.5 x the best peer, goal <= 1.0 x the best peer
    /// and <= 2 x the floor (where there is one).
    pub fn scheduler(with_floor: bool) -> Vec<Metric> {
        let mut goal = vec![Target::BestPeer(1.0)];
        if with_floor {
            goal.push(Target::Runtime(Runtime::Floor, 2.0));
        }
        vec![Metric {
            unit: Unit::Seconds,
            gate: vec![Target::BestPeer(1.5)],
            goal,
        }]
    }
}

/// A target for one metric: miou's figure against another's, `<=` for a
/// lower-is-better unit and `>=` for a higher-is-better one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Target {
    /// miou against the best peer (not the floor, not the sequential baseline), times
    /// the factor.
    BestPeer(f64),
    /// miou against one runtime, times the factor.
    Runtime(Runtime, f64),
    /// miou's speed-up over the `sequential` runtime is at least the factor times
    /// `workers`.
    SpeedUp { workers: usize, factor: f64 },
    /// The run completes and validates (every run checks it and panics otherwise).
    Completes,
}

impl Case {
    /// Does command-line `name` select this case? `B1` and `spawn_many` select both B1
    /// sizes, `B1/1000` one of them (case-insensitive).
    pub fn matches(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        name == self.id.to_ascii_lowercase()
            || name == self.workload.to_ascii_lowercase()
            || name == self.name
    }
}

/// Every case, in table order.
pub fn all(cfg: &Config) -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(b1_spawn_many::cases(cfg));
    cases.extend(b2_chained_spawn::cases(cfg));
    cases.extend(b3_yield_many::cases(cfg));
    cases.extend(b4_ping_pong::cases(cfg));
    cases.extend(b5_channel_ring::cases(cfg));
    cases.extend(b6_call_many::cases(cfg));
    cases.extend(b7_availability::cases(cfg));
    cases.extend(b8_cancel_tree::cases(cfg));
    cases.extend(b9_tcp_echo::cases(cfg));
    cases.extend(b10_parallel_hash::cases(cfg));
    cases.extend(b11_short_runs::cases(cfg));
    cases.extend(http::cases(cfg));
    cases
}

/// The root of every case: runs `work` `iters` times, checks each result against
/// `expected`, and returns the time it all took.
pub async fn timed<F, Fut>(iters: u32, expected: u64, mut work: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = u64>,
{
    let start = Instant::now();
    for _ in 0..iters {
        let got = work().await;
        assert_eq!(
            got, expected,
            "a wrong result: the runtime under test is broken"
        );
    }
    start.elapsed()
}

/// `1,000`-style thousands separators for titles.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_case_validates_on_every_runtime() {
        let cfg = Config {
            quick: true,
            quanta: 1,
        };
        for case in all(&cfg) {
            if let Some(check) = &case.check
                && check().is_err()
            {
                continue;
            }
            for &rt in case.runtimes {
                match &case.run {
                    Run::Time(run) => {
                        run(rt, 2);
                    }
                    Run::Metrics(run) => {
                        let m = run(rt);
                        assert_eq!(m.values.len(), case.metrics.len(), "{}", case.id);
                    }
                }
            }
        }
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(25000), "25,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
