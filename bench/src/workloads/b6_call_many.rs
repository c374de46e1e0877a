//! B6 call_many: the root puts 12,800 tiny tasks on worker threads and awaits them all
//! (tokio's `remote_spawn` size; the root is outside the workers, as there).
//!
//! - miou: `Builder::new().domains(n)`; the root, on domain 0, `miou::call`s each task
//!   onto a worker domain (never domain 0).
//! - tokio-mt: `multi_thread` with `n` worker threads; the root runs in `block_on` on
//!   the calling thread and `tokio::spawn`s (a remote spawn: through the inject queue).
//! - async-executor-mt: one `Executor` run by `n` threads; the root runs in `block_on`
//!   on the calling thread and `Executor::spawn`s.
//!
//! `n` = `available_parallelism() - 1`, at least 1: the same number of threads (the
//! root's plus `n`) in every runtime. Task `i` returns `i`; the root checks the sum.

use std::time::Duration;

use super::{Case, Config, Metric, Run, Target, Unit, thousands, timed};
use crate::runtimes::{self, Runtime, call_miou, spawn_tokio};

macro_rules! call_many {
    ($spawn:expr, $n:expr) => {
        async move {
            let n: usize = $n;
            let mut handles = Vec::with_capacity(n);
            for i in 0..n {
                handles.push($spawn(i));
            }
            let mut sum = 0;
            for h in handles {
                sum += h.await;
            }
            sum
        }
    };
}

/// The B6 case: 12,800 tasks (1,280 with `--quick`).
pub fn cases(cfg: &Config) -> Vec<Case> {
    let n = if cfg.quick { 1_280 } else { 12_800 };
    let quanta = cfg.quanta;
    let workers = runtimes::workers();
    vec![Case {
        id: "B6".to_string(),
        workload: "B6",
        name: "call_many",
        title: format!("B6 call_many N={}, {workers} workers", thousands(n)),
        runtimes: runtimes::MULTI,
        check: None,
        metrics: vec![Metric {
            unit: Unit::Seconds,
            gate: vec![Target::Runtime(Runtime::TokioMt, 1.5)],
            goal: vec![Target::Runtime(Runtime::TokioMt, 1.0)],
        }],
        run: Run::Time(Box::new(move |rt, iters| {
            run(rt, n, workers, iters, quanta)
        })),
    }]
}

/// `iters` iterations of `n` tasks on a fresh `rt` with `workers` worker threads.
pub fn run(rt: Runtime, n: usize, workers: usize, iters: u32, quanta: usize) -> Duration {
    let expected = (n as u64) * (n as u64).saturating_sub(1) / 2;
    match rt {
        Runtime::Miou => runtimes::miou_domains(
            workers,
            quanta,
            timed(iters, expected, move || {
                call_many!(|i: usize| call_miou(move || async move { i as u64 }), n)
            }),
        ),
        Runtime::TokioMt => runtimes::tokio_mt(
            workers,
            workers,
            timed(iters, expected, move || {
                call_many!(|i: usize| spawn_tokio(async move { i as u64 }), n)
            }),
        ),
        Runtime::AsyncExecutorMt => runtimes::ae_mt(workers, move |ex| {
            timed(iters, expected, move || {
                let ex = ex.clone();
                call_many!(|i: usize| ex.spawn(async move { i as u64 }), n)
            })
        }),
        other => unreachable!("B6 does not run on {}", other.name()),
    }
}
