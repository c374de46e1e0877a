//! B8 cancel_tree: a tree of tasks, fan-out 10 and depth 3 (1 + 10 + 100 + 1,000 =
//! 1,111 tasks), each blocked forever on a future that never completes
//! (`std::future::pending`, the same in both runtimes) and holding a guard that counts
//! its destructor. The root waits until every task has started, then cancels the tree's
//! top and stops the clock when all 1,111 guards have been dropped. Building the tree
//! is not timed.
//!
//! - miou: the tree is made with `spawn` (a task's children are its own, by the
//!   runtime's rules), and `miou::cancel(top).await` returns only when every descendant
//!   has finished and its destructors ran; the count is then checked.
//! - tokio-ct: the tree is built by hand, each task holding its children in a
//!   `JoinSet`; the root `abort`s the top. Abort is asynchronous (the task is dropped
//!   when the scheduler next gets to it, and dropping its `JoinSet` aborts its children
//!   in turn), so the root waits on a `Notify` that the last guard to drop signals.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::{Case, Config, Metric, Run, Target, Unit, thousands};
use crate::runtimes::{self, Runtime};

/// The number of tasks in a tree of this fan-out and depth (depth 0: one task).
pub fn tree_size(fan_out: usize, depth: u32) -> usize {
    (0..=depth).map(|d| fan_out.pow(d)).sum()
}

/// Counts a task's start and, when dropped, its destructor.
struct Guard {
    dropped: Arc<AtomicUsize>,
    total: usize,
    /// Signalled by the last guard to drop (tokio's root waits on it).
    notify: Option<Arc<tokio::sync::Notify>>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let n = self.dropped.fetch_add(1, Ordering::AcqRel) + 1;
        if n == self.total
            && let Some(notify) = &self.notify
        {
            notify.notify_one();
        }
    }
}

/// Shared by the tasks of one tree.
#[derive(Clone)]
struct Tree {
    fan_out: usize,
    total: usize,
    started: Arc<AtomicUsize>,
    dropped: Arc<AtomicUsize>,
    notify: Option<Arc<tokio::sync::Notify>>,
}

impl Tree {
    fn new(fan_out: usize, depth: u32, notify: bool) -> Tree {
        Tree {
            fan_out,
            total: tree_size(fan_out, depth),
            started: Arc::new(AtomicUsize::new(0)),
            dropped: Arc::new(AtomicUsize::new(0)),
            notify: notify.then(|| Arc::new(tokio::sync::Notify::new())),
        }
    }

    fn guard(&self) -> Guard {
        self.started.fetch_add(1, Ordering::AcqRel);
        Guard {
            dropped: self.dropped.clone(),
            total: self.total,
            notify: self.notify.clone(),
        }
    }

    fn started(&self) -> usize {
        self.started.load(Ordering::Acquire)
    }

    fn dropped(&self) -> usize {
        self.dropped.load(Ordering::Acquire)
    }
}

/// A miou task of the tree: spawns its children, then blocks forever.
fn node_miou(tree: Tree, depth: u32) -> Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(async move {
        let _guard = tree.guard();
        let mut children = Vec::new();
        if depth > 0 {
            for _ in 0..tree.fan_out {
                children.push(miou::spawn(node_miou(tree.clone(), depth - 1)));
            }
        }
        std::future::pending::<()>().await;
        drop(children);
    })
}

/// A tokio task of the tree: its children in a `JoinSet`, which aborts them when the
/// task is dropped.
fn node_tokio(tree: Tree, depth: u32) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        let _guard = tree.guard();
        let mut children = tokio::task::JoinSet::new();
        if depth > 0 {
            for _ in 0..tree.fan_out {
                children.spawn(node_tokio(tree.clone(), depth - 1));
            }
        }
        std::future::pending::<()>().await;
        drop(children);
    })
}

/// The B8 case: fan-out 10, depth 3 (depth 2 with `--quick`).
pub fn cases(cfg: &Config) -> Vec<Case> {
    let (fan_out, depth) = if cfg.quick { (10, 2) } else { (10, 3) };
    let quanta = cfg.quanta;
    vec![Case {
        id: "B8".to_string(),
        workload: "B8",
        name: "cancel_tree",
        title: format!(
            "B8 cancel_tree {} tasks (fan-out {fan_out}, depth {depth})",
            thousands(tree_size(fan_out, depth))
        ),
        runtimes: runtimes::TOKIO_CT_ONLY,
        check: None,
        metrics: vec![Metric {
            unit: Unit::Seconds,
            gate: vec![Target::Completes],
            goal: vec![Target::Runtime(Runtime::TokioCt, 1.0)],
        }],
        run: Run::Time(Box::new(move |rt, iters| {
            run(rt, fan_out, depth, iters, quanta)
        })),
    }]
}

/// `iters` trees built and cancelled on a fresh `rt`; the time of the cancellations.
pub fn run(rt: Runtime, fan_out: usize, depth: u32, iters: u32, quanta: usize) -> Duration {
    match rt {
        Runtime::Miou => runtimes::miou(quanta, async move {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let tree = Tree::new(fan_out, depth, false);
                let top = miou::spawn(node_miou(tree.clone(), depth));
                while tree.started() < tree.total {
                    miou::yield_now().await;
                }
                let start = Instant::now();
                miou::cancel(top).await;
                total += start.elapsed();
                assert_eq!(
                    tree.dropped(),
                    tree.total,
                    "miou::cancel returned before every destructor ran"
                );
            }
            total
        }),
        Runtime::TokioCt => runtimes::tokio_ct(async move {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let tree = Tree::new(fan_out, depth, true);
                let top = tokio::spawn(node_tokio(tree.clone(), depth));
                while tree.started() < tree.total {
                    tokio::task::yield_now().await;
                }
                let notify = tree.notify.clone().expect("tokio's tree has a Notify");
                let start = Instant::now();
                top.abort();
                notify.notified().await;
                total += start.elapsed();
                assert_eq!(tree.dropped(), tree.total, "a destructor did not run");
                assert!(
                    top.await.is_err_and(|e| e.is_cancelled()),
                    "the top was not cancelled"
                );
            }
            total
        }),
        other => unreachable!("B8 does not run on {}", other.name()),
    }
}
