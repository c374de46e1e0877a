//! B11 short_runs: 10,000 runs in a row, each a fresh runtime that runs one tiny root
//! future and stops: what `miou::run` costs when it stands in for `block_on` (a test, a
//! command-line tool that blocks on one future, a library's blocking wrapper).
//!
//! - miou: `miou::run`, the default settings a user gets (worker domains configured,
//!   started only by a first `call`, which these runs never make);
//! - miou-d0: `Builder::new().domains(0).run`, the baseline a default run must stay
//!   close to;
//! - tokio-ct: a fresh `current_thread` runtime with its I/O driver (miou's run always
//!   makes its reactor) and `block_on`;
//! - async-executor: its `LocalExecutor` in `futures_lite::future::block_on`, as in
//!   B1-B5;
//! - floor: `futures_lite::future::block_on` alone (no runtime at all).
//!
//! Run `i` returns `i`; the sum is checked. Unlike the other workloads, the runtimes'
//! start and stop are what is timed, and one measurement is the 10,000 runs (a
//! [`Run::Metrics`] case: the harness's calibration would set the iterations from the
//! bare `block_on`, thousands of times faster than any runtime).

use std::hint::black_box;
use std::time::{Duration, Instant};

use super::{Case, Config, Measured, Metric, Run, Target, Unit, thousands};
use crate::runtimes::{self, Runtime, ae};

/// The B11 case: 10,000 runs (100 with `--quick`).
pub fn cases(cfg: &Config) -> Vec<Case> {
    let n = if cfg.quick { 100 } else { 10_000 };
    vec![Case {
        id: "B11".to_string(),
        workload: "B11",
        name: "short_runs",
        title: format!("B11 short_runs, {} runs", thousands(n)),
        runtimes: runtimes::SHORT_RUNS,
        check: None,
        metrics: vec![Metric {
            unit: Unit::Seconds,
            gate: vec![Target::Runtime(Runtime::MiouD0, 2.0)],
            goal: vec![Target::Runtime(Runtime::TokioCt, 1.0)],
        }],
        run: Run::Metrics(Box::new(move |rt| Measured {
            values: vec![run(rt, n as u64).as_secs_f64()],
            note: None,
        })),
    }]
}

/// `n` runs of `rt` in a row, each returning its index; the time they took.
pub fn run(rt: Runtime, n: u64) -> Duration {
    let one: fn(u64) -> u64 = match rt {
        Runtime::Miou => |i| miou::run(async move { black_box(i) }),
        Runtime::MiouD0 => |i| {
            miou::Builder::new()
                .domains(0)
                .run(async move { black_box(i) })
        },
        Runtime::TokioCt => |i| runtimes::tokio_ct_io(async move { black_box(i) }),
        Runtime::AsyncExecutor => |i| ae::block_on(async move { black_box(i) }),
        Runtime::Floor => |i| futures_lite::future::block_on(async move { black_box(i) }),
        other => unreachable!("B11 does not run on {}", other.name()),
    };
    let expected = n * n.saturating_sub(1) / 2;
    let start = Instant::now();
    let sum: u64 = (0..n).map(one).sum();
    let took = start.elapsed();
    assert_eq!(
        sum, expected,
        "a wrong result: the runtime under test is broken"
    );
    took
}
