//! The example programs of step 2.

use crate::{print, spawn, yield_now};

// ANCHOR: examples
/// A program in the style of Miou's book: spawn a task that prints "Hello",
/// print "World", await the task. With `yield_first`, the parent yields
/// before it prints.
pub async fn hello_world(yield_first: bool) {
    let hello = spawn("hello", async { print("Hello").await }).await;
    if yield_first {
        yield_now().await;
    }
    print("World").await;
    hello.await;
}

/// Three tasks that print a line and yield, twice each; the parent adds up
/// their results.
pub async fn three_workers() {
    let a = spawn("a", worker("a")).await;
    let b = spawn("b", worker("b")).await;
    let c = spawn("c", worker("c")).await;
    let total = a.await + b.await + c.await;
    print(format!("{total} lines")).await;
}

/// Prints `name1`, yields, prints `name2`, yields; returns how many lines it
/// printed.
pub async fn worker(name: &'static str) -> usize {
    let rounds = 2;
    for round in 1..=rounds {
        print(format!("{name}{round}")).await;
        yield_now().await;
    }
    rounds
}
// ANCHOR_END: examples
