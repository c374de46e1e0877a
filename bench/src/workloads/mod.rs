//! The workloads of BENCH.md, one module each. A module turns its workload into
//! [`Case`]s (one per size or setting) and writes the same body once per runtime,
//! through a macro, so every runtime executes the same code with its own `spawn`,
//! join handle and `yield_now`.
//!
//! Adding a workload (B6 `call_many`, B7 availability...): a module `bN_name.rs` with a
//! `cases(&Config) -> Vec<Case>`, listed in [`all`]. A case whose unit is not a time
//! (req/s, p99) will need a field in [`Case`] saying so; the harness and the report
//! read the unit from there.

pub mod b1_spawn_many;
pub mod b2_chained_spawn;
pub mod b3_yield_many;
pub mod b4_ping_pong;
pub mod b5_channel_ring;

use std::future::Future;
use std::time::{Duration, Instant};

use crate::runtimes::Runtime;

/// How the cases are sized and how miou is set up.
#[derive(Clone, Debug)]
pub struct Config {
    /// Smaller sizes, for a smoke run (CI, debug builds).
    pub quick: bool,
    /// miou's quanta where the workload does not set one (BENCH.md: miou's default, 1).
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
    /// Runs `iters` iterations on one fresh runtime and returns the time they took,
    /// measured inside the root task (runtime start and stop are not counted). Panics
    /// when a result is wrong.
    pub run: Box<dyn Fn(Runtime, u32) -> Duration>,
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
            for &rt in case.runtimes {
                (case.run)(rt, 2);
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
