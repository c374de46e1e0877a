//! The example programs of step 4.

use std::future::Future;

use crate::clock::{Clock, sleep};
use crate::{print, spawn};

// ANCHOR: parent_and_child
/// A parent awaits a child that has not run yet: the parent parks, and the
/// child's completion wakes it.
pub async fn parent_and_child() {
    let child = spawn("child", async { print("c").await }).await;
    child.await;
    print("done").await;
}
// ANCHOR_END: parent_and_child

// ANCHOR: sleepers
/// Sleeps `ticks`, then prints when it woke up.
pub async fn sleeper<C: Clock>(clock: C, name: &'static str, ticks: u64) {
    sleep(&clock, ticks).await;
    print(format!("{name} wakes up at {}", clock.now())).await;
}

/// Three sleepers, started in the order a, b, c, with deadlines 3, 1 and 2
/// units of `unit` away; the parent awaits all three.
pub async fn three_sleepers<C: Clock>(clock: C, unit: u64) {
    let a = spawn("a", sleeper(clock.clone(), "a", 3 * unit)).await;
    let b = spawn("b", sleeper(clock.clone(), "b", unit)).await;
    let c = spawn("c", sleeper(clock.clone(), "c", 2 * unit)).await;
    a.await;
    b.await;
    c.await;
}
// ANCHOR_END: sleepers

// ANCHOR: first_of
/// Waits for whichever of two sleeps ends first, and drops the other: its
/// syscall is cancelled.
pub async fn first_of<C: Clock>(clock: C, long: u64, short: u64) {
    let mut long = Box::pin(sleep(&clock, long));
    let mut short = Box::pin(sleep(&clock, short));
    let first = std::future::poll_fn(|cx| {
        if long.as_mut().poll(cx).is_ready() {
            return std::task::Poll::Ready("long");
        }
        short.as_mut().poll(cx).map(|()| "short")
    })
    .await;
    drop((long, short));
    print(format!("the {first} sleep ended first at {}", clock.now())).await;
}
// ANCHOR_END: first_of
