//! Awaiting several children: all of them, the first one, or any one.

use std::task::{Context, Poll};

use crate::error::Error;
use crate::point;
use crate::promise::{Promise, wait_complete, warn_not_a_child};
use crate::scheduler::{DomainLocal, with_domain};
use crate::task;

/// Awaits every promise in turn and returns their results in input order (an error
/// does not stop the others from being awaited).
///
/// ```
/// let rs = miou::Builder::new().domains(0).run(async {
///     let ps = (0..3).map(|i| miou::spawn(async move { i * 10 })).collect();
///     miou::await_all(ps).await
/// });
/// assert_eq!(rs.into_iter().map(Result::unwrap).collect::<Vec<_>>(), vec![0, 10, 20]);
/// ```
pub async fn await_all<T: 'static>(ps: Vec<Promise<T>>) -> Vec<Result<T, Error>> {
    let mut results = Vec::with_capacity(ps.len());
    for p in ps {
        results.push(p.await);
    }
    results
}

/// Waits until one of the promises is complete and returns its result; the others are
/// handed back, still children of the current task (they must still be awaited or
/// cancelled). Among several complete at once, `Ok` results are preferred, then the
/// seeded generator picks.
///
/// Panics on an empty vector. Returns `Err(Error::NotAChild)` at once, with all the
/// promises, if one of them is not a child of the current task; the same when a child
/// completes if the future was moved into another task after a first poll.
///
/// ```
/// miou::Builder::new().domains(0).run(async {
///     let fast = miou::spawn(async { "fast" });
///     let slow = miou::spawn(async {
///         for _ in 0..10 { miou::yield_now().await }
///         "slow"
///     });
///     let (first, rest) = miou::await_one(vec![fast, slow]).await;
///     assert_eq!(first.unwrap(), "fast");
///     miou::await_all(rest).await;
/// });
/// ```
pub async fn await_one<T: 'static>(mut ps: Vec<Promise<T>>) -> (Result<T, Error>, Vec<Promise<T>>) {
    assert!(
        !ps.is_empty(),
        "miou::await_one: the vector of promises is empty"
    );
    if !with_domain(|d| all_mine(d, &ps, "await (await_one)")) {
        return (Err(Error::NotAChild), ps);
    }
    point::point().await;
    let i = choose(&ps).await;
    // Again after each wait: this future may have been moved into another task.
    if !with_domain(|d| all_mine(d, &ps, "await (await_one)")) {
        return (Err(Error::NotAChild), ps);
    }
    let chosen = ps.remove(i);
    let result = with_domain(|d| chosen.finish(d));
    (result, ps)
}

/// Waits until one of the promises is complete, cancels all the others (as [`cancel`]
/// does: it returns once they are gone) and returns the chosen result. Among several
/// complete at once, `Ok` results are preferred, then the seeded generator picks.
///
/// Panics on an empty vector. Returns `Err(Error::NotAChild)` at once if one of them is
/// not a child of the current task (or, for a future moved into another task after a
/// first poll, when it is woken there). Then nothing is cancelled, but the promises are
/// dropped, all of them: neither their parents nor the caller can await or cancel
/// those children any more, and the run fails with `StillHasChildren` when their
/// parents return. Use [`await_one`], which hands the promises back with the error, to
/// recover from it.
///
/// [`await_one`]: crate::await_one
///
/// [`cancel`]: crate::cancel
///
/// ```
/// let winner = miou::Builder::new().domains(0).run(async {
///     let forever = miou::spawn(async { loop { miou::yield_now().await } });
///     let quick = miou::spawn(async { 42 });
///     miou::await_first(vec![forever, quick]).await
/// });
/// assert_eq!(winner.unwrap(), 42);
/// ```
pub async fn await_first<T: 'static>(mut ps: Vec<Promise<T>>) -> Result<T, Error> {
    assert!(
        !ps.is_empty(),
        "miou::await_first: the vector of promises is empty"
    );
    if !with_domain(|d| all_mine(d, &ps, "await (await_first)")) {
        return Err(Error::NotAChild);
    }
    point::point().await;
    let i = choose(&ps).await;
    // Again after each wait: this future may have been moved into another task.
    if !with_domain(|d| all_mine(d, &ps, "await (await_first)")) {
        return Err(Error::NotAChild);
    }
    let chosen = ps.remove(i);
    let result = with_domain(|d| chosen.finish(d));
    with_domain(|d| {
        for p in &ps {
            task::request_cancel(d, p.child());
        }
    });
    wait_complete(&ps).await;
    if !with_domain(|d| all_mine(d, &ps, "await (await_first)")) {
        return Err(Error::NotAChild);
    }
    with_domain(|d| {
        for p in ps {
            p.discard(d);
        }
    });
    result
}

/// Whether every promise of `ps` is a child of the current task; if not, the first one
/// that is not is reported (see [`warn_not_a_child`]).
fn all_mine<T: 'static>(d: &DomainLocal, ps: &[Promise<T>], what: &str) -> bool {
    match ps.iter().find(|p| !p.is_mine(d)) {
        None => true,
        Some(p) => {
            warn_not_a_child(d, p.task.header(), what);
            false
        }
    }
}

/// Waits until one promise of `ps` is complete and returns its index (no scheduling
/// point of its own unless it had to wait).
pub(crate) async fn choose<T: 'static>(ps: &[Promise<T>]) -> usize {
    point::parked(|cx| poll_choose(ps, cx)).await
}

pub(crate) fn poll_choose<T: 'static>(ps: &[Promise<T>], cx: &mut Context<'_>) -> Poll<usize> {
    loop {
        if let Some(i) = with_domain(|d| pick_complete(d, ps)) {
            return Poll::Ready(i);
        }
        // Nothing complete: register with every child, and look again if one completed
        // while we registered.
        if !ps
            .iter()
            .any(|p| p.task.header().register_waiter(cx.waker()))
        {
            return Poll::Pending;
        }
    }
}

/// Among the complete promises, prefer `Ok` ones, then pick with the seeded generator.
pub(crate) fn pick_complete<T: 'static>(d: &DomainLocal, ps: &[Promise<T>]) -> Option<usize> {
    let (mut oks, mut errs) = (0usize, 0usize);
    for p in ps {
        if p.is_finished() {
            if p.is_ok() { oks += 1 } else { errs += 1 }
        }
    }
    let (want_ok, n) = if oks > 0 { (true, oks) } else { (false, errs) };
    if n == 0 {
        return None;
    }
    let mut k = if n == 1 { 0 } else { d.random_below(n) };
    for (i, p) in ps.iter().enumerate() {
        if p.is_finished() && p.is_ok() == want_ok {
            if k == 0 {
                return Some(i);
            }
            k -= 1;
        }
    }
    unreachable!("counted above")
}
