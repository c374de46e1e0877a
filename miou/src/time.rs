//! Time: the run's clock ([`Instant`]), sleeping ([`sleep`], [`sleep_until`]) and
//! deadlines ([`timeout`]).
//!
//! The clock is the real one, or the virtual one of
//! [`Builder::virtual_clock`](crate::Builder::virtual_clock), made for tests: it starts
//! at zero and jumps to the next deadline whenever nothing can run. Code that reads the
//! time with [`Instant::now`] rather than [`std::time::Instant::now`] runs the same on
//! both.
//!
//! A sleeping task is a syscall with a deadline, in a heap of its domain's: the domain
//! releases it when the deadline passes, and blocks exactly until the earliest one when
//! nothing else can run. On the real clock the heap is the built-in events backend's, so
//! with a backend of the user's (`Builder::events`) these functions panic with a message
//! saying so: such a backend has its own notion of time. On the virtual clock the domain
//! keeps the heap itself, and any backend works.
//!
//! [`timeout`] is a cancel scope (see [`Scope`](crate::Scope)): when it fires, the tasks
//! the timed computation started and did not settle are cancelled, and it returns once
//! they are gone.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use crate::events::{suspend, syscall};
use crate::scheduler::{try_with_domain, with_domain};
use crate::scope::Guard;

/// A point in time on the run's clock: the real clock, or the virtual clock of
/// [`Builder::virtual_clock`](crate::Builder::virtual_clock). Like
/// [`std::time::Instant`], which it wraps, it is opaque, monotonic, and compared and
/// subtracted to measure durations.
///
/// Outside a task's domain (another thread, after the run) [`Instant::now`] is the real
/// clock's. A virtual instant is the instant the run started plus the virtual time, so
/// it is only meaningful against other instants of the same run.
///
/// ```
/// use std::time::Duration;
/// use miou::time::{Instant, sleep};
/// miou::Builder::new().domains(0).virtual_clock().run(async {
///     let start = Instant::now();
///     sleep(Duration::from_secs(90)).await;
///     assert_eq!(Instant::now() - start, Duration::from_secs(90));
///     assert_eq!(start.elapsed(), Duration::from_secs(90));
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(std::time::Instant);

impl Instant {
    /// The current time on the run's clock (the real clock outside a run).
    ///
    /// ```
    /// let a = miou::time::Instant::now();
    /// let b = miou::time::Instant::now();
    /// assert!(b >= a);
    /// ```
    pub fn now() -> Instant {
        Instant(try_with_domain(|d| {
            match d.and_then(|d| d.runtime.clock.as_ref()) {
                Some(clock) => clock.now(),
                None => std::time::Instant::now(),
            }
        }))
    }

    /// The time from this instant to now, on the run's clock (zero if this instant is
    /// later).
    ///
    /// ```
    /// use std::time::Duration;
    /// miou::Builder::new().domains(0).virtual_clock().run(async {
    ///     let start = miou::time::Instant::now();
    ///     miou::time::sleep(Duration::from_millis(1500)).await;
    ///     assert_eq!(start.elapsed(), Duration::from_millis(1500));
    /// });
    /// ```
    pub fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(*self)
    }

    /// The time from `earlier` to this instant; zero if `earlier` is later.
    ///
    /// ```
    /// use std::time::Duration;
    /// let a = miou::time::Instant::now();
    /// let b = a + Duration::from_secs(2);
    /// assert_eq!(b.duration_since(a), Duration::from_secs(2));
    /// assert_eq!(a.duration_since(b), Duration::ZERO);
    /// ```
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }

    /// The time from `earlier` to this instant, or `None` if `earlier` is later.
    ///
    /// ```
    /// use std::time::Duration;
    /// let a = miou::time::Instant::now();
    /// let b = a + Duration::from_secs(2);
    /// assert_eq!(b.checked_duration_since(a), Some(Duration::from_secs(2)));
    /// assert_eq!(a.checked_duration_since(b), None);
    /// ```
    pub fn checked_duration_since(&self, earlier: Instant) -> Option<Duration> {
        self.0.checked_duration_since(earlier.0)
    }

    /// The time from `earlier` to this instant; zero if `earlier` is later.
    ///
    /// ```
    /// use std::time::Duration;
    /// let a = miou::time::Instant::now();
    /// assert_eq!(a.saturating_duration_since(a + Duration::from_secs(1)), Duration::ZERO);
    /// ```
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        self.0.saturating_duration_since(earlier.0)
    }

    /// `self + duration`, or `None` if that cannot be represented.
    ///
    /// ```
    /// use std::time::Duration;
    /// let a = miou::time::Instant::now();
    /// assert!(a.checked_add(Duration::from_secs(1)).is_some());
    /// assert!(a.checked_add(Duration::MAX).is_none());
    /// ```
    pub fn checked_add(&self, duration: Duration) -> Option<Instant> {
        self.0.checked_add(duration).map(Instant)
    }

    /// `self - duration`, or `None` if that cannot be represented.
    ///
    /// ```
    /// use std::time::Duration;
    /// let a = miou::time::Instant::now();
    /// assert!(a.checked_sub(Duration::MAX).is_none());
    /// ```
    pub fn checked_sub(&self, duration: Duration) -> Option<Instant> {
        self.0.checked_sub(duration).map(Instant)
    }

    /// The `std` instant underneath. On the virtual clock it is the run's start plus
    /// the virtual time, not the wall-clock time.
    ///
    /// ```
    /// let a = miou::time::Instant::now();
    /// let std: std::time::Instant = a.into_std();
    /// assert_eq!(miou::time::Instant::from_std(std), a);
    /// ```
    pub fn into_std(self) -> std::time::Instant {
        self.0
    }

    /// An instant of the run's clock from a `std` instant (the same instant on the real
    /// clock; on the virtual clock, see [`into_std`](Instant::into_std)).
    ///
    /// ```
    /// let now = std::time::Instant::now();
    /// assert_eq!(miou::time::Instant::from_std(now).into_std(), now);
    /// ```
    pub fn from_std(instant: std::time::Instant) -> Instant {
        Instant(instant)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<std::time::Instant> for Instant {
    fn from(instant: std::time::Instant) -> Instant {
        Instant(instant)
    }
}

impl From<Instant> for std::time::Instant {
    fn from(instant: Instant) -> std::time::Instant {
        instant.0
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    /// Panics on overflow, like `std`'s.
    fn add(self, rhs: Duration) -> Instant {
        Instant(self.0 + rhs)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, rhs: Duration) {
        self.0 += rhs;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;

    /// Panics on overflow, like `std`'s.
    fn sub(self, rhs: Duration) -> Instant {
        Instant(self.0 - rhs)
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, rhs: Duration) {
        self.0 -= rhs;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;

    /// The time from `rhs` to `self`; zero if `rhs` is later (like `std`'s).
    fn sub(self, rhs: Instant) -> Duration {
        self.0.saturating_duration_since(rhs.0)
    }
}

/// Suspends the current task for at least `duration`, on the run's clock. A scheduling
/// point.
///
/// Panics on the real clock with a backend of your own ([`Builder::events`]), which
/// keeps its own time (see the [module documentation](self)).
///
/// [`Builder::events`]: crate::Builder::events
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
    // The deadline is read when the sleep starts (its first poll), as it always was.
    let deadline = Instant::now()
        .checked_add(duration)
        .unwrap_or_else(far_future);
    sleep_until(deadline).await
}

/// About thirty years from now: the deadline of a sleep too long to represent, which
/// never comes in practice.
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365 * 30)
}

/// Suspends the current task until `deadline` on the run's clock (at once, after its
/// scheduling point, if the deadline passed). A scheduling point.
///
/// Panics on the real clock with a backend of your own, as [`sleep`] does.
///
/// ```
/// use std::time::Duration;
/// use miou::time::{Instant, sleep_until};
/// miou::Builder::new().domains(0).virtual_clock().run(async {
///     let start = Instant::now();
///     let deadline = start + Duration::from_secs(5);
///     sleep_until(deadline).await;
///     assert_eq!(Instant::now(), deadline);
///     sleep_until(start).await; // in the past: returns at once
///     assert_eq!(Instant::now(), deadline);
/// });
/// ```
pub async fn sleep_until(deadline: Instant) {
    let s = syscall();
    with_domain(|d| {
        s.mark_builtin();
        if d.events.sleep_virtual(deadline.0, &s) {
            return;
        }
        let reactor = d.events.reactor().unwrap_or_else(|| {
            panic!(
                "miou::time::sleep needs the built-in events backend, but this run uses its own \
                 (Builder::events): sleep with that backend's own syscalls instead, or run on \
                 the virtual clock (Builder::virtual_clock), which works with any backend"
            )
        });
        reactor.add_timer(deadline.0, s.clone());
    });
    suspend(s).await;
}

/// The error of [`timeout`]: the deadline passed before the future finished.
///
/// ```
/// use std::time::Duration;
/// use miou::time::{Elapsed, sleep, timeout};
/// miou::Builder::new().domains(0).virtual_clock().run(async {
///     let slow = timeout(Duration::from_secs(1), sleep(Duration::from_secs(2)));
///     let e: Elapsed = slow.await.unwrap_err();
///     assert_eq!(e.to_string(), "the deadline has elapsed");
/// });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

/// Runs `fut` for at most `duration`: `Ok` with its output, or `Err(Elapsed)`.
///
/// `fut` is anything that becomes a future ([`IntoFuture`]), a
/// [`Promise`](crate::Promise) included, and it runs in a **cancel scope** (see
/// [`Scope`](crate::Scope) for the rules). When the deadline passes first, `fut` is
/// dropped where it stands, then every task it created that was neither awaited nor
/// cancelled is cancelled, with its whole subtree, on whatever domain, and `timeout`
/// returns `Err(Elapsed)` only once all of them are gone: their destructors and
/// finalisers ran. A promise dropped with `fut` joins the scope too, so a
/// [`Promise`](crate::Promise) given to `timeout` directly is cancelled when it fires,
/// as Miou's `await_first [p; sleeper]` would. Nothing is left for the task to settle:
/// the run goes on. When `fut` finishes in time, nothing changes: the children it
/// started and did not settle are still the task's (their promises where `fut` put
/// them).
///
/// `fut` is polled first each time, so a future that finishes in the poll where the
/// deadline passes wins. It is not a scheduling point of its own: one whose `fut`
/// finishes at once passes none. Panics on the real clock with a backend of your own,
/// as [`sleep`] does.
///
/// ```
/// use std::time::Duration;
/// use miou::time::{sleep, timeout};
/// miou::Builder::new().domains(1).virtual_clock().run(async {
///     assert_eq!(timeout(Duration::from_secs(5), async { 7 }).await, Ok(7));
///     // A helper task started inside the deadline is cancelled with it.
///     let fetched = timeout(Duration::from_secs(1), async {
///         let fetch = miou::call(|| sleep(Duration::from_secs(60)));
///         fetch.await
///     });
///     assert!(fetched.await.is_err());
///     // A promise given directly: the child is cancelled when the deadline passes.
///     let slow = miou::spawn(sleep(Duration::from_secs(60)));
///     assert!(timeout(Duration::from_secs(1), slow).await.is_err());
/// }); // no StillHasChildren: every child was settled
/// ```
pub async fn timeout<F: IntoFuture>(duration: Duration, fut: F) -> Result<F::Output, Elapsed> {
    let deadline = Instant::now()
        .checked_add(duration)
        .unwrap_or_else(far_future);
    let mut alarm = pin!(sleep_until(deadline));
    let mut fut = pin!(Some(fut.into_future()));
    // Dropped before `fut`'s place: if this future is dropped before it finished, the
    // guard drops `fut` itself, as a scope does when dropped.
    let mut guard = Guard::new(fut.as_mut());
    let done = std::future::poll_fn(|cx| {
        if let Poll::Ready(v) = guard.poll(cx) {
            return Poll::Ready(Some(v));
        }
        if alarm.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await;
    match done {
        Some(v) => Ok(v),
        None => {
            guard.cancel().await;
            Err(Elapsed(()))
        }
    }
}
