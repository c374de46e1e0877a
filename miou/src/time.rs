//! Time: sleeping and deadlines, on the built-in events backend.
//!
//! A sleeping task is a syscall in its domain's timer heap; the domain's `select`
//! releases it when its deadline passes, and blocks exactly until the earliest one when
//! nothing else can run. With a user backend installed (`Builder::events`) these
//! functions panic with a message saying so: such a backend has its own notion of time.

use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use crate::events::{suspend, syscall};
use crate::scheduler::with_domain;

/// Suspends the current task for at least `duration` (wall clock). A scheduling point.
///
/// ```
/// use std::time::{Duration, Instant};
/// let start = Instant::now();
/// miou::Builder::new().domains(0).run(async {
///     let a = miou::spawn(miou::time::sleep(Duration::from_millis(30)));
///     let b = miou::spawn(miou::time::sleep(Duration::from_millis(30)));
///     miou::await_all(vec![a, b]).await; // the two sleeps overlap
/// });
/// let took = start.elapsed();
/// assert!(took >= Duration::from_millis(30) && took < Duration::from_millis(60 + 500));
/// ```
pub async fn sleep(duration: Duration) {
    let deadline = Instant::now() + duration;
    let s = syscall();
    with_domain(|d| {
        let reactor = d.reactor.as_ref().unwrap_or_else(|| {
            panic!(
                "miou::time::sleep needs the built-in events backend, but this run uses its own \
                 (Builder::events): sleep with that backend's own syscalls instead"
            )
        });
        s.mark_builtin();
        reactor.add_timer(deadline, s.clone());
    });
    suspend(s).await;
}

/// The error of [`timeout`]: the deadline passed before the future finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

/// Runs `fut` for at most `duration`: `Ok` with its output, or `Err(Elapsed)` (then
/// `fut` is dropped where it stands).
///
/// Beware of dropping a [`Promise`](crate::Promise) this way: a child whose promise is
/// dropped is still a child, and must be cancelled; race children with
/// [`await_first`](crate::await_first) instead.
///
/// ```
/// use std::time::Duration;
/// use miou::time::{sleep, timeout};
/// miou::Builder::new().domains(0).run(async {
///     assert_eq!(timeout(Duration::from_secs(5), async { 7 }).await, Ok(7));
///     let slow = timeout(Duration::from_millis(10), sleep(Duration::from_secs(60)));
///     assert!(slow.await.is_err());
/// });
/// ```
pub async fn timeout<F: Future>(duration: Duration, fut: F) -> Result<F::Output, Elapsed> {
    let mut fut = pin!(fut);
    let mut alarm = pin!(sleep(duration));
    std::future::poll_fn(|cx| {
        if let Poll::Ready(v) = fut.as_mut().poll(cx) {
            return Poll::Ready(Ok(v));
        }
        if alarm.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(Elapsed(())));
        }
        Poll::Pending
    })
    .await
}
