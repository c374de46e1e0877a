//! [`Lazy`]: a value computed once, on first use, safe across domains. This file owns
//! the memoised result (value or panic message), the state of the initialiser (not run,
//! running on some thread, done), the tasks waiting for another one's computation (a
//! [`WaitList`]), and the future that forces the value ([`Force`]).
//!
//! The initialiser runs in place, synchronously, inside the first forcer's poll: while
//! it runs, the state records the thread running it. A force from that same thread
//! can only come from inside the initialiser itself: it is re-entrant and panics
//! (Miou's `Undefined`). A force from another thread (another domain) waits until the
//! result is stored.

use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, panic_any, resume_unwind};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use crate::loom::Mutex;
use std::task::{Context, Poll};
use std::thread::{self, ThreadId};

use super::wait_list::{WaitList, WaiterId};
use super::{after_park, lock_state, point_if_in_task};

/// A value computed once, by the first task that [`force`](Lazy::force)s it; every
/// other forcer, on any domain, gets the same value. If the initialiser panics, the
/// panic is memoised: every force panics with the same message.
///
/// ```
/// use std::sync::Arc;
/// use miou::sync::Lazy;
///
/// miou::Builder::new().domains(2).run(async {
///     let config = Arc::new(Lazy::from_fun(|| String::from("computed once")));
///     let ps: Vec<_> = (0..4)
///         .map(|_| {
///             let c = config.clone();
///             miou::call(move || async move { c.force().await.len() })
///         })
///         .collect();
///     for r in miou::await_all(ps).await {
///         assert_eq!(r.unwrap(), 13);
///     }
/// });
/// ```
pub struct Lazy<T> {
    /// The result, once known: the value, or the initialiser's panic message.
    result: OnceLock<Result<T, Arc<str>>>,
    state: Mutex<State<T>>,
}

enum State<T> {
    Unforced(Box<dyn FnOnce() -> T + Send>),
    Running { thread: ThreadId, waiters: WaitList },
    Done,
}

impl<T> Lazy<T> {
    /// A lazy value that is already known: forcing it passes no scheduling point.
    ///
    /// ```
    /// miou::Builder::new().domains(0).run(async {
    ///     let v = miou::sync::Lazy::from_val(42);
    ///     assert_eq!(*v.force().await, 42);
    /// });
    /// ```
    pub fn from_val(value: T) -> Lazy<T> {
        Lazy {
            result: OnceLock::from(Ok(value)),
            state: Mutex::new(State::Done),
        }
    }

    /// A lazy value computed by `f` on first force. `f` runs on the domain of the first
    /// forcer, inside its turn: it should be short, or the domain's other tasks wait.
    ///
    /// ```
    /// miou::Builder::new().domains(0).run(async {
    ///     let v = miou::sync::Lazy::from_fun(|| 6 * 7);
    ///     assert_eq!(*v.force().await, 42);
    /// });
    /// ```
    pub fn from_fun(f: impl FnOnce() -> T + Send + 'static) -> Lazy<T> {
        Lazy {
            result: OnceLock::new(),
            state: Mutex::new(State::Unforced(Box::new(f))),
        }
    }

    /// The value: at once, with no scheduling point, if it was computed already;
    /// otherwise a scheduling point, then the value is computed in place (if nobody is
    /// computing it) or awaited (if a task on another domain is; the wait is
    /// cancellable).
    ///
    /// Panics if the initialiser panicked (now or at an earlier force) with its
    /// message, and if the initialiser itself forces the value (a re-entrant force,
    /// Miou's `Undefined`).
    ///
    /// ```
    /// miou::Builder::new().domains(0).run(async {
    ///     let v = miou::sync::Lazy::from_fun(|| vec![1, 2, 3]);
    ///     assert_eq!(v.force().await.len(), 3);
    ///     assert_eq!(v.get(), Some(&vec![1, 2, 3]));
    /// });
    /// ```
    pub fn force(&self) -> Force<'_, T> {
        Force {
            lazy: self,
            stage: Stage::Start,
        }
    }

    /// The value if it was computed, without computing it. Not a scheduling point.
    ///
    /// ```
    /// miou::Builder::new().domains(0).run(async {
    ///     let v = miou::sync::Lazy::from_fun(|| 1);
    ///     assert_eq!(v.get(), None);
    ///     v.force().await;
    ///     assert_eq!(v.get(), Some(&1));
    /// });
    /// ```
    pub fn get(&self) -> Option<&T> {
        self.result.get()?.as_ref().ok()
    }

    /// Returns the stored result, or resumes the initialiser's panic.
    fn stored(&self) -> Option<&T> {
        match self.result.get()? {
            Ok(v) => Some(v),
            Err(m) => panic_any(m.to_string()),
        }
    }

    /// Runs the initialiser on this thread and stores its result; wakes the waiters.
    /// If it panicked, the panic goes on (with its own payload) once that is done.
    fn compute(&self, f: Box<dyn FnOnce() -> T + Send>) -> &T {
        let (stored, panic) = match catch_unwind(AssertUnwindSafe(f)) {
            Ok(v) => (Ok(v), None),
            Err(p) => {
                let m: Arc<str> = match p.downcast_ref::<&'static str>() {
                    Some(m) => (*m).into(),
                    None => p.downcast_ref::<String>().map_or("", String::as_str).into(),
                };
                (Err(m), Some(p))
            }
        };
        let set = self.result.set(stored);
        debug_assert!(set.is_ok(), "the result is stored once");
        let mut waiters = {
            let mut s = lock_state(&self.state);
            match std::mem::replace(&mut *s, State::Done) {
                State::Running { waiters, .. } => waiters,
                _ => WaitList::default(),
            }
        };
        for w in waiters.drain() {
            w.waker.wake();
        }
        if let Some(p) = panic {
            resume_unwind(p);
        }
        self.stored().expect("stored above")
    }

    fn reentrant() -> ! {
        panic!(
            "miou::sync::Lazy::force: re-entrant force: the initialiser forced the value \
             it is computing (Miou's `Undefined`)"
        )
    }
}

impl<T: fmt::Debug> fmt::Debug for Lazy<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Lazy");
        match self.result.get() {
            Some(Ok(v)) => d.field("value", v),
            Some(Err(m)) => d.field("panicked", m),
            None => match &*lock_state(&self.state) {
                State::Running { waiters, .. } => d
                    .field("state", &"Running")
                    .field("waiters", &waiters.len()),
                _ => d.field("state", &"Unforced"),
            },
        };
        d.finish()
    }
}

/// The future of [`Lazy::force`]. Dropping it while it waits for another domain's
/// computation (the task was cancelled) forgets its waker.
///
/// ```
/// use miou::sync::{Force, Lazy};
///
/// miou::Builder::new().domains(0).run(async {
///     let v = Lazy::from_fun(|| 1 + 1);
///     let f: Force<'_, i32> = v.force();
///     assert_eq!(*f.await, 2);
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Force<'a, T> {
    lazy: &'a Lazy<T>,
    stage: Stage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Start,
    Passed,
    Waiting(WaiterId),
}

impl<T: fmt::Debug> fmt::Debug for Force<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Force")
            .field("lazy", self.lazy)
            .field("stage", &self.stage)
            .finish()
    }
}

impl<'a, T> Future for Force<'a, T> {
    type Output = &'a T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'a T> {
        let this = &mut *self;
        let lazy = this.lazy;
        if this.stage == Stage::Start {
            if let Some(v) = lazy.stored() {
                return Poll::Ready(v);
            }
            // Re-entrancy first: from inside the initialiser, a scheduling point could
            // not end the turn.
            let reentrant = matches!(
                &*lock_state(&lazy.state),
                State::Running { thread, .. } if *thread == thread::current().id()
            );
            if reentrant {
                Lazy::<T>::reentrant();
            }
            if point_if_in_task(cx).is_pending() {
                return Poll::Pending;
            }
            this.stage = Stage::Passed;
        }
        let mut s = lock_state(&lazy.state);
        match &mut *s {
            State::Done => {
                drop(s);
                if let Stage::Waiting(_) = std::mem::replace(&mut this.stage, Stage::Passed) {
                    after_park();
                }
                Poll::Ready(lazy.stored().expect("stored before Done"))
            }
            State::Unforced(_) => {
                let State::Unforced(f) = std::mem::replace(
                    &mut *s,
                    State::Running {
                        thread: thread::current().id(),
                        waiters: WaitList::default(),
                    },
                ) else {
                    unreachable!()
                };
                drop(s);
                // Only `Running` makes a forcer wait, and it never goes back to `Unforced`.
                debug_assert_eq!(this.stage, Stage::Passed);
                Poll::Ready(lazy.compute(f))
            }
            State::Running { thread, waiters } => {
                if *thread == thread::current().id() {
                    drop(s);
                    Lazy::<T>::reentrant();
                }
                match this.stage {
                    Stage::Waiting(id) => {
                        waiters.update(id, cx.waker());
                    }
                    _ => this.stage = Stage::Waiting(waiters.push(cx.waker(), ())),
                }
                Poll::Pending
            }
        }
    }
}

impl<T> Drop for Force<'_, T> {
    fn drop(&mut self) {
        let Stage::Waiting(id) = self.stage else {
            return;
        };
        let removed = match &mut *lock_state(&self.lazy.state) {
            State::Running { waiters, .. } => waiters.remove(id),
            _ => None,
        };
        drop(removed); // the waker is dropped outside the lock
    }
}
