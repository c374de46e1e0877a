//! B5 channel_ring: a ring of 300 tasks joined by bounded(1) channels (futures-channel's
//! `mpsc::channel(0)`: one slot per sender, and each link has one sender); the root
//! sends 300 tokens into the ring and takes them out at the other end, each having gone
//! round once (async-executor's `channels`). Each task adds one to every token it
//! forwards; the root checks the sum, and that every task forwarded every token.

use std::future::poll_fn;
use std::time::Duration;

use futures_channel::mpsc;
use futures_lite::StreamExt;

use super::{Case, Config, Metric, Run, timed};
use crate::runtimes::{self, Runtime, ae, spawn_miou, spawn_tokio};

/// Sends `v`, waiting for room.
async fn send(tx: &mut mpsc::Sender<u64>, v: u64) {
    poll_fn(|cx| tx.poll_ready(cx))
        .await
        .expect("the ring is broken");
    tx.start_send(v).expect("the ring is broken");
}

macro_rules! ring {
    ($spawn:path, $tasks:expr, $tokens:expr) => {
        async move {
            let (tasks, tokens): (usize, usize) = ($tasks, $tokens);
            let (first, mut rx) = mpsc::channel::<u64>(0);
            let mut handles = Vec::with_capacity(tasks);
            for _ in 0..tasks {
                let (mut tx, next) = mpsc::channel::<u64>(0);
                let mut input = rx;
                handles.push($spawn(async move {
                    let mut forwarded = 0u64;
                    while let Some(x) = input.next().await {
                        send(&mut tx, x + 1).await;
                        forwarded += 1;
                    }
                    forwarded
                }));
                rx = next;
            }
            // The ring holds every token at once (a slot per link, one in each task's
            // hands), so the root sends them all, then takes them all out.
            let mut tx = first;
            for t in 0..tokens {
                send(&mut tx, t as u64).await;
            }
            drop(tx);
            let mut sum = 0;
            for _ in 0..tokens {
                sum += rx.next().await.expect("a token was lost");
            }
            assert!(rx.next().await.is_none(), "a token too many");
            for h in handles {
                assert_eq!(h.await, tokens as u64, "a task did not forward every token");
            }
            sum
        }
    };
}

/// The B5 case: 300 tasks, 300 tokens (30 and 30 with `--quick`).
pub fn cases(cfg: &Config) -> Vec<Case> {
    let (tasks, tokens) = if cfg.quick { (30, 30) } else { (300, 300) };
    let quanta = cfg.quanta;
    vec![Case {
        id: "B5".to_string(),
        workload: "B5",
        name: "channel_ring",
        title: format!("B5 channel_ring {tasks} tasks, {tokens} tokens"),
        runtimes: runtimes::PEERS_ONLY,
        check: None,
        metrics: Metric::scheduler(false),
        run: Run::Time(Box::new(move |rt, iters| {
            run(rt, tasks, tokens, iters, quanta)
        })),
    }]
}

/// `iters` iterations of the ring on a fresh `rt`.
pub fn run(rt: Runtime, tasks: usize, tokens: usize, iters: u32, quanta: usize) -> Duration {
    let (n, k) = (tokens as u64, tasks as u64);
    let expected = n * n.saturating_sub(1) / 2 + n * k;
    match rt {
        Runtime::Miou => runtimes::miou(
            quanta,
            timed(iters, expected, move || ring!(spawn_miou, tasks, tokens)),
        ),
        Runtime::TokioCt => runtimes::tokio_ct(timed(iters, expected, move || {
            ring!(spawn_tokio, tasks, tokens)
        })),
        Runtime::AsyncExecutor => ae::block_on(timed(iters, expected, move || {
            ring!(ae::spawn, tasks, tokens)
        })),
        other => unreachable!("B5 does not run on {}", other.name()),
    }
}
