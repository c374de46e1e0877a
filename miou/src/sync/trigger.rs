//! [`Trigger`]: a one-shot signal, thread-safe. This file owns the trigger's state
//! (initial, awaited, signalled), the wakers and callbacks attached to it (a
//! [`WaitList`]), and the future that waits for it ([`TriggerWait`]).
//!
//! The state lives under a `std` mutex; [`Trigger::signal`] takes the attached wakers
//! and callbacks out under the lock and runs them after releasing it, so a callback may
//! use the trigger (or anything else) freely.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;

use crate::loom::Mutex;
use std::task::{Context, Poll, Waker};

use super::wait_list::{WaitList, WaiterId};
use super::{after_park, lock_state};

/// A one-shot signal: it starts *initial*, and [`signal`](Trigger::signal) makes it
/// *signalled* for good. Tasks wait for it with `.await` (on `&trigger`) or
/// [`wait`](Trigger::wait); code that is not a task can attach a callback with
/// [`on_signal`](Trigger::on_signal).
///
/// A trigger may be signalled from any thread, including threads that are not miou
/// domains: a task waiting for it is woken on its own domain. Clones are the same
/// trigger.
///
/// Unlike Miou's, a trigger accepts several waiters and callbacks at once (Miou's
/// raises `Invalid_argument "Trigger: already awaiting"` for a second one).
///
/// ```
/// use miou::sync::Trigger;
///
/// miou::Builder::new().domains(0).run(async {
///     let t = Trigger::new();
///     let t2 = t.clone();
///     let thread = std::thread::spawn(move || t2.signal());
///     t.wait().await; // parks until the thread signals
///     assert!(t.is_signaled());
///     thread.join().unwrap();
/// });
/// ```
#[derive(Clone, Default)]
pub struct Trigger {
    inner: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    signaled: bool,
    /// Tasks waiting (by the id of their [`TriggerWait`]) and callbacks, in order of
    /// attachment: a task with its waker and no callback, a callback with a waker that
    /// does nothing. Empty once signalled.
    waiting: WaitList<Option<Callback>>,
}

type Callback = Box<dyn FnOnce() + Send>;

impl Trigger {
    /// A new trigger, initial.
    ///
    /// ```
    /// let t = miou::sync::Trigger::new();
    /// assert!(t.is_initial());
    /// assert!(!t.is_signaled());
    /// ```
    pub fn new() -> Trigger {
        Trigger::default()
    }

    /// Whether the trigger is initial: not signalled, and nothing waits for it.
    ///
    /// ```
    /// let t = miou::sync::Trigger::new();
    /// assert!(t.is_initial());
    /// assert!(t.on_signal(|| ()));
    /// assert!(!t.is_initial()); // something waits for it
    /// ```
    pub fn is_initial(&self) -> bool {
        let s = lock_state(&self.inner);
        !s.signaled && s.waiting.is_empty()
    }

    /// Whether the trigger was signalled.
    ///
    /// ```
    /// let t = miou::sync::Trigger::new();
    /// t.signal();
    /// assert!(t.is_signaled());
    /// ```
    pub fn is_signaled(&self) -> bool {
        lock_state(&self.inner).signaled
    }

    /// Signals the trigger: wakes every waiting task and runs every attached callback
    /// (on this thread, in order of attachment). Idempotent: only the first call does
    /// anything. Not a scheduling point; callable from any thread.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let t = miou::sync::Trigger::new();
    /// let n = Arc::new(AtomicUsize::new(0));
    /// let n2 = n.clone();
    /// t.on_signal(move || {
    ///     n2.fetch_add(1, Ordering::SeqCst);
    /// });
    /// t.signal();
    /// t.signal();
    /// assert_eq!(n.load(Ordering::SeqCst), 1);
    /// ```
    pub fn signal(&self) {
        let waiting = {
            let mut s = lock_state(&self.inner);
            if s.signaled {
                return;
            }
            s.signaled = true;
            s.waiting.drain()
        };
        for w in waiting {
            w.waker.wake();
            if let Some(f) = w.data {
                f();
            }
        }
    }

    /// Attaches `f`, to be run by the thread that signals the trigger. Returns `false`
    /// (and drops `f` without running it) if the trigger is already signalled.
    ///
    /// ```
    /// let t = miou::sync::Trigger::new();
    /// assert!(t.on_signal(|| println!("signalled")));
    /// t.signal();
    /// assert!(!t.on_signal(|| unreachable!()));
    /// ```
    pub fn on_signal(&self, f: impl FnOnce() + Send + 'static) -> bool {
        let mut s = lock_state(&self.inner);
        if s.signaled {
            return false;
        }
        s.waiting.push(Waker::noop(), Some(Box::new(f)));
        true
    }

    /// Waits until the trigger is signalled: at once, with no scheduling point, if it
    /// already is; otherwise the task leaves its domain's queue until then. `(&t).await`
    /// does the same.
    ///
    /// ```
    /// miou::Builder::new().domains(0).run(async {
    ///     let t = miou::sync::Trigger::new();
    ///     let t2 = t.clone();
    ///     let p = miou::spawn(async move { t2.signal() });
    ///     (&t).await;
    ///     p.await.unwrap();
    /// });
    /// ```
    pub fn wait(&self) -> TriggerWait<'_> {
        TriggerWait {
            trigger: self,
            id: None,
            done: false,
        }
    }

    /// One poll of a wait: `Ready` when signalled, otherwise registers (or refreshes)
    /// the waker under `id`. Consumes the turn's scheduling point if it had waited.
    pub(crate) fn poll_wait(&self, id: &mut Option<WaiterId>, cx: &mut Context<'_>) -> Poll<()> {
        let mut s = lock_state(&self.inner);
        if s.signaled {
            drop(s);
            if id.take().is_some() {
                after_park();
            }
            return Poll::Ready(());
        }
        match *id {
            Some(me) => {
                s.waiting.update(me, cx.waker());
            }
            None => *id = Some(s.waiting.push(cx.waker(), None)),
        }
        Poll::Pending
    }

    /// A wait registered under `id` is given up: forget its waker.
    pub(crate) fn cancel_wait(&self, id: WaiterId) {
        let removed = lock_state(&self.inner).waiting.remove(id);
        drop(removed); // the waker is dropped outside the lock
    }
}

impl fmt::Debug for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = lock_state(&self.inner);
        let state = if s.signaled {
            "Signaled"
        } else if s.waiting.is_empty() {
            "Initial"
        } else {
            "Awaiting"
        };
        f.debug_struct("Trigger")
            .field("state", &state)
            .field("attached", &s.waiting.len())
            .finish()
    }
}

impl<'a> IntoFuture for &'a Trigger {
    type Output = ();
    type IntoFuture = TriggerWait<'a>;

    /// Same as [`Trigger::wait`].
    fn into_future(self) -> TriggerWait<'a> {
        self.wait()
    }
}

/// The future of [`Trigger::wait`]. Dropping it while it waits (the task was cancelled)
/// detaches it from the trigger.
///
/// ```
/// use std::sync::Arc;
/// use miou::sync::Trigger;
///
/// miou::Builder::new().domains(0).run(async {
///     let t = Arc::new(Trigger::new());
///     let t2 = t.clone();
///     let waiter = miou::spawn(async move { t2.wait().await });
///     miou::yield_now().await;
///     assert!(!t.is_initial()); // the waiter is attached
///     miou::cancel(waiter).await;
///     assert!(t.is_initial()); // and gone
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct TriggerWait<'a> {
    trigger: &'a Trigger,
    /// The id under which our waker is attached, while it is.
    id: Option<WaiterId>,
    done: bool,
}

impl fmt::Debug for TriggerWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TriggerWait")
            .field("trigger", self.trigger)
            .field("waiting", &self.id.is_some())
            .finish()
    }
}

impl Future for TriggerWait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        assert!(!this.done, "TriggerWait polled after completion");
        let r = this.trigger.poll_wait(&mut this.id, cx);
        this.done = r.is_ready();
        r
    }
}

impl Drop for TriggerWait<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.trigger.cancel_wait(id);
        }
    }
}
