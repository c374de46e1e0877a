//! What every ported suite shares: a watchdog that turns a hang into a failure, the
//! ways to start a miou run from a test, a helper that puts a child task either beside
//! its parent or on another domain, and a few hand-made wakers that stand in for
//! `futures-test`'s.
//!
//! Each test binary uses a part of this module.
#![allow(dead_code)]

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::task::{Wake, Waker};
use std::time::Duration;

/// How long one miou run of a test may take before the watchdog declares it hung.
/// Generous: the slowest run here takes about a second on an idle machine, and other
/// builds may share the machine's two cores.
pub const LIMIT_SECS: u64 = 30;

/// Runs `body` on a thread of its own and hands back its result. If `body` has not
/// finished after `secs` seconds the calling test panics, so a deadlock shows up as a
/// failed test rather than a stuck `cargo test`; the stuck thread is left behind and
/// dies with the test process. A panic in `body` is re-raised here with its original
/// payload (so `#[should_panic(expected = ...)]` still sees the message).
pub fn watchdog<R, B>(secs: u64, body: B) -> R
where
    R: Send + 'static,
    B: FnOnce() -> R + Send + 'static,
{
    let (done, outcome) = mpsc::channel();
    std::thread::Builder::new()
        .name("ecosystem-test-body".into())
        .spawn(move || {
            let r = catch_unwind(AssertUnwindSafe(body));
            let _ = done.send(r);
        })
        .expect("cannot start a thread for the test body");
    match outcome.recv_timeout(Duration::from_secs(secs)) {
        Ok(Ok(value)) => value,
        Ok(Err(payload)) => resume_unwind(payload),
        Err(_) => panic!("watchdog: no result after {secs} s, the test is hung"),
    }
}

/// Builds a future with `make` and runs it as the root task of a miou run with
/// `workers` worker domains (0: everything on one thread), under the watchdog.
///
/// `make` crosses to the watchdog's thread, so it must be `Send`; the future it builds
/// need not be (it may hold `Rc`s), but it must be `'static` like every root of
/// `miou::run`, so a test's state is created inside it or moved into it.
pub fn on_miou<M, F>(workers: usize, make: M) -> F::Output
where
    M: FnOnce() -> F + Send + 'static,
    F: Future + 'static,
    F::Output: Send + 'static,
{
    watchdog(LIMIT_SECS, move || {
        miou::Builder::new().domains(workers).run(make())
    })
}

/// `block_on` of the upstream tests: the future alone on a one-domain run.
pub fn block_on<M, F>(make: M) -> F::Output
where
    M: FnOnce() -> F + Send + 'static,
    F: Future + 'static,
    F::Output: Send + 'static,
{
    on_miou(0, make)
}

/// Where the children of a scenario go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// `miou::spawn`: on the parent's domain, interleaved with it on one thread.
    Here,
    /// `miou::call`: on a worker domain, truly in parallel with the parent.
    Elsewhere,
}

/// Starts the future that `make` builds as a child of the current task, at `place`.
/// (The upstream tests start a thread, or spawn onto a pool, at these points.)
pub fn fork<M, F>(place: Place, make: M) -> miou::Promise<F::Output>
where
    M: FnOnce() -> F + Send + 'static,
    F: Future + 'static,
    F::Output: Send + 'static,
{
    match place {
        Place::Here => miou::spawn(make()),
        Place::Elsewhere => miou::call(make),
    }
}

/// Runs a scenario written against [`fork`] twice: once on a single domain (every
/// child spawned beside the root) and once with `workers` worker domains (every child
/// called onto one of them). Each run has its own watchdog.
pub fn on_both<S, F>(workers: usize, scenario: S)
where
    S: Fn(Place) -> F + Send + Clone + 'static,
    F: Future<Output = ()> + 'static,
{
    let here = scenario.clone();
    on_miou(0, move || here(Place::Here));
    on_miou(workers, move || scenario(Place::Elsewhere));
}

/// Awaits a child and gives its value; a child that panicked has its panic re-raised
/// in the parent with the same payload, so the test fails with the child's message.
pub async fn join<T: 'static>(child: miou::Promise<T>) -> T {
    match child.await {
        Ok(v) => v,
        Err(miou::Error::Panicked(p)) => resume_unwind(p.into_payload()),
        Err(e) => panic!("a child task failed: {e}"),
    }
}

/// [`join`] for each child, in order.
pub async fn join_each<T: 'static>(children: Vec<miou::Promise<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(children.len());
    for c in children {
        out.push(join(c).await);
    }
    out
}

/// A waker that only counts how often it was woken (`futures-test`'s
/// `new_count_waker`).
pub fn counting_waker() -> (Waker, Arc<AtomicUsize>) {
    struct Counter(Arc<AtomicUsize>);
    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let count = Arc::new(AtomicUsize::new(0));
    (Waker::from(Arc::new(Counter(count.clone()))), count)
}

/// A waker that counts its wake-ups in `count` and passes each one on to `inner` (a
/// miou task's own waker): a test sees how often a primitive called its waker, as
/// with [`counting_waker`], and the task is still resumed.
pub fn relay_waker(inner: &Waker, count: &Arc<AtomicUsize>) -> Waker {
    struct Relay(Arc<AtomicUsize>, Waker);
    impl Wake for Relay {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
            self.1.wake_by_ref();
        }
    }
    Waker::from(Arc::new(Relay(count.clone(), inner.clone())))
}

/// An upstream sleep of `ms` milliseconds, scaled down by 4: the upstream tests sleep
/// up to seconds to order events between threads, here 1000 ms is 250 ms and the
/// smallest gap between two events (100 ms upstream) is 25 ms, still well above the
/// wake-up latency of a domain on a busy two-core machine.
pub fn units(ms: u64) -> Duration {
    Duration::from_millis(ms / 4)
}
