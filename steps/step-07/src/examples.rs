//! The example programs of step 7: tasks called onto worker domains. Each
//! prints only what does not depend on how the threads interleave: values,
//! results in the order they were asked for, and facts about domains that
//! hold on every run.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::{call, domain, note, parallel, print, spawn, yield_now};

/// Writes `"NAME dropped"` when it is dropped: put one in a task to see when
/// its future is dropped, whether it returned, was cancelled or panicked.
pub struct Guard(pub &'static str);

impl Drop for Guard {
    fn drop(&mut self) {
        // A destructor cannot `.await`: `note` writes without a point.
        note(format!("{} dropped", self.0));
    }
}

// ANCHOR: call
/// `main` calls a task that counts with an `Rc`, which cannot cross
/// threads: the worker builds the future, so the `Rc` never has to.
pub async fn on_a_worker() {
    let counter = call("counter", || async {
        let count = Rc::new(Cell::new(0));
        for _ in 0..3 {
            count.set(count.get() + 1);
            yield_now().await;
        }
        (count.get(), domain())
    })
    .await;
    let (count, ran_on) = counter.await.unwrap();
    print(format!("main runs on domain {}", domain())).await;
    print(format!("counter counted to {count}")).await;
    print(format!("counter ran on domain 0: {}", ran_on == 0)).await;
}
// ANCHOR_END: call

/// How many primes there are in `from..to`, by trial division: work enough
/// to keep a domain busy for a while.
pub fn primes(from: u64, to: u64) -> usize {
    let prime = |n: &u64| {
        *n >= 2
            && (2..)
                .take_while(|d| d * d <= *n)
                .all(|d| !n.is_multiple_of(d))
    };
    (from..to).filter(prime).count()
}

// ANCHOR: parallel
/// Counts the primes below 400,000 in eight slices, one task per slice.
pub async fn primes_in_parallel() {
    let slices: Vec<(u64, u64)> =
        (0..8).map(|k| (k * 50_000, (k + 1) * 50_000)).collect();
    let results = parallel("slice", slices, |(from, to)| async move {
        (primes(from, to), domain())
    })
    .await;
    let mut total = 0;
    for (k, result) in results.iter().enumerate() {
        let (count, _) = result.as_ref().unwrap();
        total += count;
        print(format!("slice {k}: {count} primes")).await;
    }
    let on_domain_0 = results.iter().filter(|r| r.as_ref().unwrap().1 == 0);
    print(format!("in all: {total} primes below 400000")).await;
    print(format!("slices run on domain 0: {}", on_domain_0.count())).await;
}
// ANCHOR_END: parallel

// ANCHOR: elsewhere
/// A called task calls another: the second one never runs on the domain of
/// the first, the task that called it.
pub async fn never_the_callers_domain() {
    let outer = call("outer", || async {
        let inner = call("inner", || async { domain() }).await;
        let there = inner.await.unwrap();
        there != domain()
    })
    .await;
    let line = match outer.await {
        Ok(elsewhere) => {
            format!("inner ran on another domain than outer: {elsewhere}")
        }
        Err(error) => format!("outer failed: {error:?}"),
    };
    print(line).await;
}
// ANCHOR_END: elsewhere

// ANCHOR: round_trips
/// 1,000 calls, each awaited before the next: every one puts a worker to
/// work and domain 0 to sleep, then the other way round.
pub async fn round_trips() {
    let mut sum = 0;
    for k in 1..=1000 {
        let echo = call("echo", move || async move { k }).await;
        sum += echo.await.unwrap();
    }
    print(format!("1000 calls answered, their sum: {sum}")).await;
}
// ANCHOR_END: round_trips

// ANCHOR: cancel
/// `main` cancels a called task whose child waits for ever; it waits, on
/// domain 0, until both futures have been dropped on their worker.
pub async fn cancel_across_domains() {
    let started = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&started);
    let worker = call("worker", move || async move {
        let _guard = Guard("worker");
        let helper = spawn("helper", async move {
            let _guard = Guard("helper");
            flag.store(true, Ordering::SeqCst);
            std::future::pending::<()>().await;
        })
        .await;
        helper.await.unwrap();
    })
    .await;
    // We have no channel yet: main yields until the helper has started.
    while !started.load(Ordering::SeqCst) {
        yield_now().await;
    }
    worker.cancel().await.unwrap();
    print("cancel returned").await;
    print(format!("worker: {:?}", worker.await)).await;
}
// ANCHOR_END: cancel
