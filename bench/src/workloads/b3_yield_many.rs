//! B3 yield_many: 200 tasks each yield 1,000 times; the root awaits all (tokio's
//! `yield_many`). Each runtime uses its own `yield_now` (tokio's defers the wake until
//! after its driver poll; async-executor's is futures-lite's). Task `i` returns `i`.
//!
//! miou's `yield_now` ends the turn whatever the quanta, so the quanta only changes how
//! the root's awaits of finished children are counted; a second row with a larger quanta
//! shows whether that matters.

use std::time::Duration;

use super::{Case, Config, Metric, Run, thousands, timed};
use crate::runtimes::{self, Runtime, ae, floor, spawn_miou, spawn_tokio};

/// A larger miou quanta for the second row: tokio's `event_interval`.
pub const LARGE_QUANTA: usize = 61;

macro_rules! yield_many {
    ($spawn:path, $yield_now:path, $tasks:expr, $yields:expr) => {
        async move {
            let (tasks, yields): (usize, usize) = ($tasks, $yields);
            let mut handles = Vec::with_capacity(tasks);
            for i in 0..tasks {
                handles.push($spawn(async move {
                    for _ in 0..yields {
                        $yield_now().await;
                    }
                    i as u64
                }));
            }
            let mut sum = 0;
            for h in handles {
                sum += h.await;
            }
            sum
        }
    };
}

/// The B3 cases: 200 tasks x 1,000 yields (20 x 100 with `--quick`), with the configured
/// quanta, then with [`LARGE_QUANTA`].
pub fn cases(cfg: &Config) -> Vec<Case> {
    let (tasks, yields) = if cfg.quick { (20, 100) } else { (200, 1_000) };
    let mut quantas = vec![cfg.quanta];
    if cfg.quanta != LARGE_QUANTA {
        quantas.push(LARGE_QUANTA);
    }
    quantas
        .into_iter()
        .enumerate()
        .map(|(i, quanta)| Case {
            id: if i == 0 {
                "B3".to_string()
            } else {
                format!("B3/quanta={quanta}")
            },
            workload: "B3",
            name: "yield_many",
            title: format!(
                "B3 yield_many {tasks}x{}{}",
                thousands(yields),
                if i == 0 {
                    String::new()
                } else {
                    format!(", miou quanta {quanta}")
                }
            ),
            runtimes: runtimes::WITH_FLOOR,
            check: None,
            metrics: Metric::scheduler(true),
            run: Run::Time(Box::new(move |rt, iters| {
                run(rt, tasks, yields, iters, quanta)
            })),
        })
        .collect()
}

/// `iters` iterations of `tasks` x `yields` on a fresh `rt`.
pub fn run(rt: Runtime, tasks: usize, yields: usize, iters: u32, quanta: usize) -> Duration {
    let expected = (tasks as u64) * (tasks as u64).saturating_sub(1) / 2;
    match rt {
        Runtime::Miou => runtimes::miou(
            quanta,
            timed(iters, expected, move || {
                yield_many!(spawn_miou, miou::yield_now, tasks, yields)
            }),
        ),
        Runtime::TokioCt => runtimes::tokio_ct(timed(iters, expected, move || {
            yield_many!(spawn_tokio, tokio::task::yield_now, tasks, yields)
        })),
        Runtime::AsyncExecutor => ae::block_on(timed(iters, expected, move || {
            yield_many!(ae::spawn, ae::yield_now, tasks, yields)
        })),
        Runtime::Floor => floor::block_on(timed(iters, expected, move || {
            yield_many!(floor::spawn, floor::yield_now, tasks, yields)
        })),
        other => unreachable!("B3 does not run on {}", other.name()),
    }
}
