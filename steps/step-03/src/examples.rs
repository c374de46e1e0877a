//! The example programs of step 3.

use crate::{print, spawn, yield_now};

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

// ANCHOR: counter
/// Prints `name0`, `name1`, ... up to `lines` lines: one scheduling point per
/// line.
pub async fn counter(name: &'static str, lines: u32) {
    for i in 0..lines {
        print(format!("{name}{i}")).await;
    }
}
// ANCHOR_END: counter

// ANCHOR: server
/// A server that must stay responsive: it answers `requests` requests, one
/// per scheduling point.
pub async fn server(requests: u32) {
    for k in 1..=requests {
        print(format!("answer {k}")).await;
    }
}
// ANCHOR_END: server

// ANCHOR: merge_sort
/// What a merge sort awaits after each merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pause {
    /// An effect (it prints "merge"): a scheduling point.
    Effect,
    /// A future that is already ready: the `.await` goes straight on.
    Ready,
}

/// Sorts `v`, awaiting a [`Pause`] after each merge.
pub async fn merge_sort(mut v: Vec<u32>, pause: Pause) -> Vec<u32> {
    if v.len() <= 1 {
        return v;
    }
    let right = v.split_off(v.len() / 2);
    let left = Box::pin(merge_sort(v, pause)).await;
    let right = Box::pin(merge_sort(right, pause)).await;
    let merged = merge(left, right);
    match pause {
        Pause::Effect => print("merge").await,
        Pause::Ready => std::future::ready(()).await,
    }
    merged
}

/// The task that sorts 16 numbers, then prints "sorted".
pub async fn sorter(pause: Pause) {
    let numbers: Vec<u32> = (0..16).map(|i| (i * 7 + 3) % 16).collect();
    let sorted = merge_sort(numbers, pause).await;
    assert!(sorted.is_sorted());
    print("sorted").await;
}
// ANCHOR_END: merge_sort

/// Merges two sorted vectors into one.
fn merge(left: Vec<u32>, right: Vec<u32>) -> Vec<u32> {
    let mut merged = Vec::with_capacity(left.len() + right.len());
    let mut left = left.into_iter().peekable();
    let mut right = right.into_iter().peekable();
    while let (Some(l), Some(r)) = (left.peek(), right.peek()) {
        let next = if l <= r { left.next() } else { right.next() };
        merged.extend(next);
    }
    merged.extend(left);
    merged.extend(right);
    merged
}
