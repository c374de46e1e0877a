//! B4 ping_pong: the root spawns 1,000 pair tasks; each makes two oneshot channels
//! (futures-channel's, the same on every runtime), spawns a helper, sends it a value on
//! the first, gets it back plus one on the second, and awaits the helper (tokio's
//! `ping_pong`, with awaiting instead of a counter so that miou's rule holds). Pair `i`
//! returns `i + 1`; the root checks the sum.

use std::time::Duration;

use futures_channel::oneshot;

use super::{Case, Config, Metric, Run, thousands, timed};
use crate::runtimes::{self, Runtime, ae, spawn_miou, spawn_tokio};

macro_rules! ping_pong {
    ($spawn:path, $pairs:expr) => {
        async move {
            let pairs: usize = $pairs;
            let mut handles = Vec::with_capacity(pairs);
            for i in 0..pairs {
                handles.push($spawn(async move {
                    let (ping_tx, ping_rx) = oneshot::channel::<u64>();
                    let (pong_tx, pong_rx) = oneshot::channel::<u64>();
                    let helper = $spawn(async move {
                        let v = ping_rx.await.expect("ping dropped");
                        pong_tx.send(v + 1).expect("pong receiver dropped");
                    });
                    ping_tx.send(i as u64).expect("ping receiver dropped");
                    let v = pong_rx.await.expect("pong dropped");
                    helper.await;
                    v
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

/// The B4 case: 1,000 pairs (100 with `--quick`).
pub fn cases(cfg: &Config) -> Vec<Case> {
    let pairs = if cfg.quick { 100 } else { 1_000 };
    let quanta = cfg.quanta;
    vec![Case {
        id: "B4".to_string(),
        workload: "B4",
        name: "ping_pong",
        title: format!("B4 ping_pong {} pairs", thousands(pairs)),
        runtimes: runtimes::PEERS_ONLY,
        check: None,
        metrics: Metric::scheduler(false),
        run: Run::Time(Box::new(move |rt, iters| run(rt, pairs, iters, quanta))),
    }]
}

/// `iters` iterations of `pairs` round trips on a fresh `rt`.
pub fn run(rt: Runtime, pairs: usize, iters: u32, quanta: usize) -> Duration {
    let n = pairs as u64;
    let expected = n * n.saturating_sub(1) / 2 + n;
    match rt {
        Runtime::Miou => runtimes::miou(
            quanta,
            timed(iters, expected, move || ping_pong!(spawn_miou, pairs)),
        ),
        Runtime::TokioCt => runtimes::tokio_ct(timed(iters, expected, move || {
            ping_pong!(spawn_tokio, pairs)
        })),
        Runtime::AsyncExecutor => {
            ae::block_on(timed(iters, expected, move || ping_pong!(ae::spawn, pairs)))
        }
        other => unreachable!("B4 does not run on {}", other.name()),
    }
}
