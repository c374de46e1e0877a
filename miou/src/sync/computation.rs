//! [`Computation`]: a single-assignment result cell, thread-safe. This file owns the
//! cell's state (running with its attached triggers, returned, cancelled), the rule
//! "the first writer wins and signals every attached trigger once", the garbage
//! collection of detached triggers, the error type of a cancellation ([`Cause`]), and
//! the future that awaits a computation ([`ComputationWait`]).
//!
//! Lock order: a computation's lock may be held while a trigger's is taken (to see
//! whether it was signalled), never the reverse; triggers are signalled after the
//! computation's lock is released.

use std::error::Error as StdError;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::sync::Arc;

use crate::loom::Mutex;
use std::task::{Context, Poll};

use super::lock_state;
use super::trigger::Trigger;
use super::wait_list::WaiterId;

/// Why a [`Computation`] was cancelled: any error, shared so that every reader of the
/// computation gets it (cloning is cheap). Find the original type with
/// `cause.downcast_ref::<E>()`.
///
/// ```
/// use miou::sync::Computation;
///
/// let c: Computation<u32> = Computation::new();
/// c.try_cancel(std::io::Error::other("disk on fire"));
/// let cause = c.cancelled().unwrap();
/// assert!(cause.downcast_ref::<std::io::Error>().is_some());
/// assert_eq!(cause.to_string(), "disk on fire");
/// ```
pub type Cause = Arc<dyn StdError + Send + Sync + 'static>;

/// Turns what the user gave into a [`Cause`], without wrapping a `Cause` in another.
fn into_cause(e: impl Into<Box<dyn StdError + Send + Sync>>) -> Cause {
    let b: Box<dyn StdError + Send + Sync> = e.into();
    match b.downcast::<Cause>() {
        Ok(cause) => *cause,
        Err(b) => Arc::from(b),
    }
}

/// The [`Cause`] that [`Computation::try_capture`] gives a computation when the
/// captured future did not return.
///
/// ```
/// use miou::sync::{Aborted, Computation};
///
/// miou::Builder::new().domains(0).run(async {
///     let c: Computation<u32> = Computation::new();
///     let won = c
///         .try_capture(async {
///             if true {
///                 panic!("no value today");
///             }
///             Ok::<_, Aborted>(1)
///         })
///         .await;
///     assert!(won);
///     let cause = c.cancelled().unwrap();
///     assert_eq!(
///         cause.downcast_ref::<Aborted>(),
///         Some(&Aborted::Panicked("no value today".into()))
///     );
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Aborted {
    /// The captured future panicked, with this message (empty if the payload was not a
    /// string).
    Panicked(String),
    /// The captured future was dropped before it returned: the task running it was
    /// cancelled.
    Cancelled,
}

impl fmt::Display for Aborted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Aborted::Panicked(m) => write!(f, "the captured future panicked: {m}"),
            Aborted::Cancelled => f.write_str("the task running the captured future was cancelled"),
        }
    }
}

impl StdError for Aborted {}

/// A single-assignment result cell: it is *running* until the first
/// [`try_return`](Computation::try_return) or [`try_cancel`](Computation::try_cancel)
/// completes it; later attempts return `false`. Completing it signals every
/// [`Trigger`] attached to it, once. Awaiting it (`.await` on `&computation`, or
/// [`wait`](Computation::wait)) gives `Ok(value)` or `Err(cause)`.
///
/// Clones are the same cell; it can be completed and read from any thread, including
/// threads that are not miou domains. Reading the value clones it (`T: Clone`): put an
/// `Arc` in it if the value is large or not `Clone`.
///
/// ```
/// use miou::sync::Computation;
///
/// let v = miou::Builder::new().domains(1).run(async {
///     let c = Computation::new();
///     let c2 = c.clone();
///     let p = miou::call(move || async move {
///         c2.try_return(6 * 7);
///     });
///     let v = (&c).await;
///     p.await.unwrap();
///     v
/// });
/// assert_eq!(v.unwrap(), 42);
/// ```
pub struct Computation<T> {
    inner: Arc<Mutex<State<T>>>,
}

enum State<T> {
    Running {
        triggers: Vec<Trigger>,
        /// Detaches since the last compaction of `triggers`.
        detached: usize,
    },
    Returned(T),
    Cancelled(Cause),
}

impl<T> Clone for Computation<T> {
    fn clone(&self) -> Self {
        Computation {
            inner: self.inner.clone(),
        }
    }
}

impl<T> Default for Computation<T> {
    fn default() -> Self {
        Computation::new()
    }
}

impl<T> Computation<T> {
    /// A new computation, running.
    ///
    /// ```
    /// let c: miou::sync::Computation<()> = miou::sync::Computation::new();
    /// assert!(c.is_running());
    /// ```
    pub fn new() -> Computation<T> {
        Computation {
            inner: Arc::new(Mutex::new(State::Running {
                triggers: Vec::new(),
                detached: 0,
            })),
        }
    }

    /// Completes the computation with `value` if it is still running (`true`), and
    /// signals its triggers; otherwise drops `value` and returns `false`.
    ///
    /// ```
    /// let c = miou::sync::Computation::new();
    /// assert!(c.try_return(1));
    /// assert!(!c.try_return(2));
    /// assert_eq!(c.peek().unwrap().unwrap(), 1);
    /// ```
    pub fn try_return(&self, value: T) -> bool {
        self.complete(State::Returned(value))
    }

    /// Completes the computation with the cancellation `cause` if it is still running
    /// (`true`), and signals its triggers; otherwise returns `false`. Any error will do
    /// (a `&str` or a `String` too); see [`Cause`].
    ///
    /// ```
    /// let c: miou::sync::Computation<u32> = miou::sync::Computation::new();
    /// assert!(c.try_cancel("not needed any more"));
    /// assert!(!c.try_return(1));
    /// assert_eq!(c.cancelled().unwrap().to_string(), "not needed any more");
    /// ```
    pub fn try_cancel(&self, cause: impl Into<Box<dyn StdError + Send + Sync>>) -> bool {
        self.complete(State::Cancelled(into_cause(cause)))
    }

    fn complete(&self, done: State<T>) -> bool {
        let triggers = {
            let mut s = lock_state(&self.inner);
            match &mut *s {
                State::Running { triggers, .. } => {
                    let triggers = std::mem::take(triggers);
                    *s = done;
                    triggers
                }
                _ => {
                    drop(s);
                    drop(done); // the user's value is dropped outside the lock
                    return false;
                }
            }
        };
        for t in triggers {
            t.signal();
        }
        true
    }

    /// Runs `fut` and completes the computation with its result: `Ok(v)` is
    /// [`try_return`](Computation::try_return)ed, `Err(e)` is
    /// [`try_cancel`](Computation::try_cancel)led. If `fut` panics, the panic is caught
    /// and the computation cancelled with [`Aborted::Panicked`]; if this future is
    /// dropped before `fut` returned (the task was cancelled), the computation is
    /// cancelled with [`Aborted::Cancelled`]. Returns whether this completed the
    /// computation. Passes the scheduling points of `fut`, no other.
    ///
    /// ```
    /// use miou::sync::Computation;
    ///
    /// miou::Builder::new().domains(0).run(async {
    ///     let c = Computation::new();
    ///     assert!(c.try_capture(async { "42".parse::<u32>() }).await);
    ///     assert_eq!((&c).await.unwrap(), 42);
    /// });
    /// ```
    pub async fn try_capture<F, E>(&self, fut: F) -> bool
    where
        F: Future<Output = Result<T, E>>,
        E: Into<Box<dyn StdError + Send + Sync>>,
    {
        struct CancelOnDrop<'a, T>(Option<&'a Computation<T>>);
        impl<T> Drop for CancelOnDrop<'_, T> {
            fn drop(&mut self) {
                if let Some(c) = self.0 {
                    c.complete(State::Cancelled(Arc::new(Aborted::Cancelled)));
                }
            }
        }
        let mut armed = CancelOnDrop(Some(self));
        let mut fut = pin!(fut);
        let r = std::future::poll_fn(|cx| {
            match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
                Ok(Poll::Pending) => Poll::Pending,
                Ok(Poll::Ready(r)) => Poll::Ready(Ok(r)),
                Err(p) => Poll::Ready(Err(p)),
            }
        })
        .await;
        armed.0 = None;
        match r {
            Ok(Ok(v)) => self.try_return(v),
            Ok(Err(e)) => self.try_cancel(e),
            Err(p) => {
                let m = crate::Panic::new(p).message().unwrap_or("").to_owned();
                self.complete(State::Cancelled(Arc::new(Aborted::Panicked(m))))
            }
        }
    }

    /// Whether the computation is still running (neither returned nor cancelled).
    ///
    /// ```
    /// let c = miou::sync::Computation::new();
    /// assert!(c.is_running());
    /// c.try_return(());
    /// assert!(!c.is_running());
    /// ```
    pub fn is_running(&self) -> bool {
        matches!(*lock_state(&self.inner), State::Running { .. })
    }

    /// The cause, if the computation was cancelled.
    ///
    /// ```
    /// let c: miou::sync::Computation<()> = miou::sync::Computation::new();
    /// assert!(c.cancelled().is_none());
    /// c.try_cancel("stop");
    /// assert_eq!(c.cancelled().unwrap().to_string(), "stop");
    /// ```
    pub fn cancelled(&self) -> Option<Cause> {
        match &*lock_state(&self.inner) {
            State::Cancelled(cause) => Some(cause.clone()),
            _ => None,
        }
    }

    /// `Err(cause)` if the computation was cancelled, `Ok(())` otherwise (Miou's
    /// `raise_if_errored`): a long computation checks it to stop early, with `?`.
    ///
    /// ```
    /// use miou::sync::{Cause, Computation};
    ///
    /// fn step(c: &Computation<u64>, acc: u64) -> Result<u64, Cause> {
    ///     c.check()?;
    ///     Ok(acc + 1)
    /// }
    /// let c = Computation::new();
    /// assert_eq!(step(&c, 1).unwrap(), 2);
    /// c.try_cancel("enough");
    /// assert!(step(&c, 2).is_err());
    /// ```
    #[doc(alias = "raise_if_errored")]
    pub fn check(&self) -> Result<(), Cause> {
        match self.cancelled() {
            Some(cause) => Err(cause),
            None => Ok(()),
        }
    }

    /// Attaches `trigger`, to be signalled when the computation completes. Returns
    /// `false` (and attaches nothing) if the computation is already complete or the
    /// trigger already signalled.
    ///
    /// ```
    /// use miou::sync::{Computation, Trigger};
    ///
    /// let c = Computation::new();
    /// let t = Trigger::new();
    /// assert!(c.try_attach(&t));
    /// c.try_return(());
    /// assert!(t.is_signaled());
    /// assert!(!c.try_attach(&Trigger::new())); // complete
    /// ```
    pub fn try_attach(&self, trigger: &Trigger) -> bool {
        let mut s = lock_state(&self.inner);
        match &mut *s {
            State::Running { triggers, .. } if !trigger.is_signaled() => {
                triggers.push(trigger.clone());
                true
            }
            _ => false,
        }
    }

    /// Signals `trigger` (it is no longer of use) and forgets it. Signalled triggers
    /// are dropped from the computation lazily, in batches: detaching costs amortised
    /// constant time, and the triggers kept are never more than about twice those
    /// still attached.
    ///
    /// ```
    /// use miou::sync::{Computation, Trigger};
    ///
    /// let c: Computation<()> = Computation::new();
    /// let t = Trigger::new();
    /// assert!(c.try_attach(&t));
    /// c.detach(&t);
    /// assert!(t.is_signaled());
    /// assert!(c.is_running());
    /// ```
    pub fn detach(&self, trigger: &Trigger) {
        trigger.signal();
        let mut s = lock_state(&self.inner);
        if let State::Running { triggers, detached } = &mut *s {
            *detached += 1;
            if *detached > triggers.len() / 2 {
                triggers.retain(|t| !t.is_signaled());
                *detached = 0;
            }
        }
    }

    /// Waits until the computation completes and returns a clone of its value, or the
    /// cancellation's cause. No scheduling point when it is already complete; otherwise
    /// the task waits on a trigger attached to the computation (detached again if the
    /// task is cancelled). `(&c).await` does the same.
    ///
    /// ```
    /// use miou::sync::Computation;
    ///
    /// miou::Builder::new().domains(0).run(async {
    ///     let c: Computation<&str> = Computation::new();
    ///     let c2 = c.clone();
    ///     let p = miou::spawn(async move { c2.try_cancel("no") });
    ///     assert_eq!(c.wait().await.unwrap_err().to_string(), "no");
    ///     assert!(p.await.unwrap());
    /// });
    /// ```
    pub fn wait(&self) -> ComputationWait<'_, T>
    where
        T: Clone,
    {
        ComputationWait {
            computation: self,
            trigger: None,
            id: None,
        }
    }

    /// The result, if the computation is complete: `Some(Ok(value))` (a clone),
    /// `Some(Err(cause))`, or `None` while it runs.
    ///
    /// ```
    /// let c = miou::sync::Computation::new();
    /// assert!(c.peek().is_none());
    /// c.try_return(String::from("done"));
    /// assert_eq!(c.peek().unwrap().unwrap(), "done");
    /// ```
    pub fn peek(&self) -> Option<Result<T, Cause>>
    where
        T: Clone,
    {
        match &*lock_state(&self.inner) {
            State::Running { .. } => None,
            State::Returned(v) => Some(Ok(v.clone())),
            State::Cancelled(cause) => Some(Err(cause.clone())),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Computation<T> {
    /// Shows the state; while running, how many triggers are kept (`attached`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = lock_state(&self.inner);
        let mut d = f.debug_struct("Computation");
        match &*s {
            State::Running { triggers, .. } => d
                .field("state", &"Running")
                .field("attached", &triggers.len()),
            State::Returned(v) => d.field("state", &"Returned").field("value", v),
            State::Cancelled(cause) => d.field("state", &"Cancelled").field("cause", cause),
        };
        d.finish()
    }
}

impl<'a, T: Clone> IntoFuture for &'a Computation<T> {
    type Output = Result<T, Cause>;
    type IntoFuture = ComputationWait<'a, T>;

    /// Same as [`Computation::wait`].
    fn into_future(self) -> ComputationWait<'a, T> {
        self.wait()
    }
}

/// The future of [`Computation::wait`]. Dropping it while it waits (the task was
/// cancelled) detaches its trigger from the computation.
///
/// ```
/// use std::sync::Arc;
/// use miou::sync::Computation;
///
/// miou::Builder::new().domains(0).run(async {
///     let c: Arc<Computation<u8>> = Arc::new(Computation::new());
///     let c2 = c.clone();
///     let waiter = miou::spawn(async move { c2.wait().await });
///     miou::yield_now().await;
///     miou::cancel(waiter).await;
///     assert!(c.try_return(1)); // nobody waits any more; still running until now
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct ComputationWait<'a, T> {
    computation: &'a Computation<T>,
    /// The trigger attached to the computation while we wait.
    trigger: Option<Trigger>,
    /// Our waker's id in that trigger.
    id: Option<WaiterId>,
}

impl<T: fmt::Debug> fmt::Debug for ComputationWait<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ComputationWait")
            .field("computation", self.computation)
            .field("waiting", &self.trigger.is_some())
            .finish()
    }
}

impl<T: Clone> Future for ComputationWait<'_, T> {
    type Output = Result<T, Cause>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if this.trigger.is_none() {
            if let Some(r) = this.computation.peek() {
                return Poll::Ready(r);
            }
            let t = Trigger::new();
            if !this.computation.try_attach(&t) {
                // Completed in the meantime.
                return Poll::Ready(this.computation.peek().expect("complete"));
            }
            this.trigger = Some(t);
        }
        let t = this.trigger.as_ref().expect("set above");
        match t.poll_wait(&mut this.id, cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => {
                this.trigger = None;
                Poll::Ready(this.computation.peek().expect("signalled at completion"))
            }
        }
    }
}

impl<T> Drop for ComputationWait<'_, T> {
    fn drop(&mut self) {
        if let Some(t) = self.trigger.take() {
            if let Some(id) = self.id {
                t.cancel_wait(id);
            }
            self.computation.detach(&t);
        }
    }
}
