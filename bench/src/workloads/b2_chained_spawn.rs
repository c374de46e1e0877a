//! B2 chained_spawn: a task spawns a child, which spawns a child... 1,000 deep; each
//! parent awaits its child (tokio's `chained_spawn`, with awaiting instead of detaching
//! so that miou's rule holds). Each level adds one to its child's value; the root checks
//! that the depth comes back.

use std::time::Duration;

use super::{Case, Config, Metric, Run, thousands, timed};
use crate::runtimes::{self, Runtime, ae, floor, spawn_miou, spawn_tokio};

/// One chain function per runtime, with the same body. No boxing: a level's future
/// holds its child's join handle, not the child's future.
macro_rules! chain {
    ($name:ident, $spawn:path $(, $bound:ident)?) => {
        fn $name(depth: u32) -> impl Future<Output = u64> $(+ $bound)? + 'static {
            async move {
                if depth == 0 {
                    0
                } else {
                    $spawn($name(depth - 1)).await + 1
                }
            }
        }
    };
}

chain!(chain_miou, spawn_miou);
chain!(chain_ae, ae::spawn);
chain!(chain_floor, floor::spawn);

// tokio's spawn needs `Send`: the opaque type says so.
chain!(chain_tokio, spawn_tokio, Send);

/// The B2 case: depth 1,000 (100 with `--quick`).
pub fn cases(cfg: &Config) -> Vec<Case> {
    let depth: u32 = if cfg.quick { 100 } else { 1_000 };
    let quanta = cfg.quanta;
    vec![Case {
        id: "B2".to_string(),
        workload: "B2",
        name: "chained_spawn",
        title: format!("B2 chained_spawn depth={}", thousands(depth as usize)),
        runtimes: runtimes::WITH_FLOOR,
        check: None,
        metrics: Metric::scheduler(true),
        run: Run::Time(Box::new(move |rt, iters| run(rt, depth, iters, quanta))),
    }]
}

/// `iters` chains of `depth` on a fresh `rt`.
pub fn run(rt: Runtime, depth: u32, iters: u32, quanta: usize) -> Duration {
    let expected = u64::from(depth);
    match rt {
        Runtime::Miou => runtimes::miou(quanta, timed(iters, expected, move || chain_miou(depth))),
        Runtime::TokioCt => runtimes::tokio_ct(timed(iters, expected, move || chain_tokio(depth))),
        Runtime::AsyncExecutor => ae::block_on(timed(iters, expected, move || chain_ae(depth))),
        Runtime::Floor => floor::block_on(timed(iters, expected, move || chain_floor(depth))),
        other => unreachable!("B2 does not run on {}", other.name()),
    }
}
