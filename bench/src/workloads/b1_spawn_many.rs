//! B1 spawn_many: the root spawns N empty children, then awaits each in turn
//! (tokio's `spawn_many_local` with N = 1,000; async-executor's with N = 25,000).
//! Child `i` returns `i`; the root checks the sum.

use std::time::Duration;

use super::{Case, Config, Metric, Run, thousands, timed};
use crate::runtimes::{self, Runtime, ae, floor, spawn_miou, spawn_tokio};

/// The same body on every runtime.
macro_rules! spawn_many {
    ($spawn:path, $n:expr) => {
        async move {
            let n: usize = $n;
            let mut handles = Vec::with_capacity(n);
            for i in 0..n {
                handles.push($spawn(async move { i as u64 }));
            }
            let mut sum = 0;
            for h in handles {
                sum += h.await;
            }
            sum
        }
    };
}

/// The B1 cases: N = 1,000 and 25,000 (100 and 1,000 with `--quick`).
pub fn cases(cfg: &Config) -> Vec<Case> {
    let sizes: &[usize] = if cfg.quick {
        &[100, 1_000]
    } else {
        &[1_000, 25_000]
    };
    let quanta = cfg.quanta;
    sizes
        .iter()
        .map(|&n| Case {
            id: format!("B1/{n}"),
            workload: "B1",
            name: "spawn_many",
            title: format!("B1 spawn_many N={}", thousands(n)),
            runtimes: runtimes::WITH_FLOOR,
            check: None,
            metrics: Metric::scheduler(true),
            run: Run::Time(Box::new(move |rt, iters| run(rt, n, iters, quanta))),
        })
        .collect()
}

/// `iters` iterations with `n` children on a fresh `rt`.
pub fn run(rt: Runtime, n: usize, iters: u32, quanta: usize) -> Duration {
    let expected = (n as u64) * (n as u64).saturating_sub(1) / 2;
    match rt {
        Runtime::Miou => runtimes::miou(
            quanta,
            timed(iters, expected, move || spawn_many!(spawn_miou, n)),
        ),
        Runtime::TokioCt => {
            runtimes::tokio_ct(timed(iters, expected, move || spawn_many!(spawn_tokio, n)))
        }
        Runtime::AsyncExecutor => {
            ae::block_on(timed(iters, expected, move || spawn_many!(ae::spawn, n)))
        }
        Runtime::Floor => {
            floor::block_on(timed(iters, expected, move || spawn_many!(floor::spawn, n)))
        }
        other => unreachable!("B1 does not run on {}", other.name()),
    }
}

/// The size of one child's future (what a task stores beyond its runtime's overhead).
pub fn future_size() -> usize {
    fn size_of_val<F>(_: &F) -> usize {
        std::mem::size_of::<F>()
    }
    let i = 0usize;
    size_of_val(&async move { i as u64 })
}

/// The size of one join handle in the root's vector, on `rt`.
pub fn handle_size(rt: Runtime) -> usize {
    use std::mem::size_of;
    match rt {
        Runtime::Miou => size_of::<runtimes::Unwrap<miou::Join<u64>>>(),
        Runtime::TokioCt => size_of::<runtimes::Unwrap<tokio::task::JoinHandle<u64>>>(),
        Runtime::AsyncExecutor => size_of::<async_executor::Task<u64>>(),
        Runtime::Floor => size_of::<floor::JoinHandle<u64>>(),
        other => unreachable!("B1 does not run on {}", other.name()),
    }
}
