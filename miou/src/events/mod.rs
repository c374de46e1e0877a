//! The system layer: how a domain waits for the world.
//!
//! A domain asks its [`Events`] backend for events between turns: `select(block = false)`
//! after every turn while a task is suspended on a syscall, and `select(block = true)`
//! when nothing can run (the domain sleeps there until an event or an interrupt); an
//! idle domain that finds work just as it was about to sleep (or, on the virtual clock,
//! before it decides to) also calls `select(block = false)`. The built-in backend on the
//! real clock is the one exception to "after every turn": it is asked after a turn at
//! most once per 20 µs, since its look is a system call (see
//! `DomainEvents::look_after_turn`); a backend given to
//! [`Builder::events`](crate::Builder::events) is asked after every turn, so a
//! simulation stays deterministic. A task
//! talks to the backend through [`Syscall`]s: it makes one with [`syscall`], registers
//! it with the backend (a timer, a socket...), and [`suspend`]s on it; the backend
//! releases it by returning its [`Signal`] from `select`.

mod domain_events;
pub(crate) mod reactor;

pub(crate) use domain_events::DomainEvents;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use crate::id::{DomainKey, TaskId};
use crate::point;
use crate::scheduler::{DomainLocal, with_domain};

/// An events backend: one per domain, created on the domain's thread by the factory
/// given to [`Builder::events`](crate::Builder::events).
///
/// Contract:
/// - `select(block, cancelled)` is called on the domain's own thread. With
///   `block = false` it returns at once with the signals of the syscalls that are ready.
///   With `block = true` the domain has nothing to run: the backend may wait until one
///   of its events happens **or** its interrupter is called (an interrupt that arrives
///   before `select` is entered must still make it return: remember it). `cancelled`
///   lists the syscalls whose tasks gave up since the previous call: forget them.
/// - `interrupter()` is called once, when the domain starts; the [`Interrupter`] may be
///   called from any thread, any number of times; spurious interrupts are harmless.
/// - `finalise()` is called once when the domain stops, after its last `select`.
///
/// See [`Builder::events`](crate::Builder::events) for another example.
///
/// ```
/// use miou::{Events, Interrupter, Signal, SyscallId};
/// use std::sync::{Arc, Mutex};
///
/// /// Has no events; writes down what its domain asks of it.
/// #[derive(Clone, Default)]
/// struct Log(Arc<Mutex<Vec<&'static str>>>);
/// impl Events for Log {
///     fn select(&mut self, _: bool, _: &[SyscallId]) -> Vec<Signal> {
///         self.0.lock().unwrap().push("select");
///         Vec::new()
///     }
///     fn interrupter(&self) -> Interrupter {
///         self.0.lock().unwrap().push("interrupter");
///         Interrupter::new(|| {})
///     }
///     fn finalise(&mut self) { self.0.lock().unwrap().push("finalise") }
/// }
/// let log = Log::default();
/// let l = log.clone();
/// miou::Builder::new().domains(0).events(move |_| l.clone()).run(async {});
/// let log = log.0.lock().unwrap();
/// assert_eq!((log.first(), log.last()), (Some(&"interrupter"), Some(&"finalise")));
/// ```
pub trait Events: 'static {
    /// Returns the signals of the syscalls that are ready; may block if `block`.
    fn select(&mut self, block: bool, cancelled: &[SyscallId]) -> Vec<Signal>;
    /// How other threads wake a blocked `select`.
    fn interrupter(&self) -> Interrupter;
    /// Releases the backend's resources when the domain stops.
    fn finalise(&mut self) {}
}

/// Wakes a domain's blocked `select`, from any thread.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// let count = Arc::new(AtomicUsize::new(0));
/// let c = count.clone();
/// let i = miou::Interrupter::new(move || { c.fetch_add(1, Ordering::SeqCst); });
/// i.clone().interrupt();
/// assert_eq!(count.load(Ordering::SeqCst), 1);
/// ```
#[derive(Clone)]
pub struct Interrupter(Arc<dyn Fn() + Send + Sync>);

impl Interrupter {
    /// An interrupter that calls `f`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// let woken = Arc::new(AtomicBool::new(false));
    /// let w = woken.clone();
    /// let i = miou::Interrupter::new(move || w.store(true, Ordering::SeqCst));
    /// std::thread::spawn(move || i.interrupt()).join().unwrap(); // from any thread
    /// assert!(woken.load(Ordering::SeqCst));
    /// ```
    pub fn new(f: impl Fn() + Send + Sync + 'static) -> Interrupter {
        Interrupter(Arc::new(f))
    }

    /// Wakes the domain (calls the function given to [`Interrupter::new`]).
    ///
    /// ```
    /// // A wake-up remembered in a channel of one, for a `select` that sleeps on it.
    /// let (tx, rx) = std::sync::mpsc::sync_channel(1);
    /// let i = miou::Interrupter::new(move || { let _ = tx.try_send(()); });
    /// i.interrupt();
    /// i.interrupt(); // a spurious interrupt is harmless: one wake-up is pending
    /// assert!(rx.try_recv().is_ok());
    /// assert!(rx.try_recv().is_err());
    /// ```
    pub fn interrupt(&self) {
        (self.0)()
    }
}

impl fmt::Debug for Interrupter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Interrupter")
    }
}

/// The identity of a syscall, unique in the process.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct SyscallId(u64);

impl SyscallId {
    /// The id as an integer.
    ///
    /// ```
    /// miou::Builder::new().domains(0).run(async {
    ///     let (a, b) = (miou::syscall().id(), miou::syscall().id());
    ///     assert_ne!(a.as_u64(), b.as_u64());
    ///     assert_eq!(a.to_string(), format!("syscall {}", a.as_u64()));
    /// });
    /// ```
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for SyscallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "syscall {}", self.0)
    }
}

struct SyscallInner {
    id: SyscallId,
    task: TaskId,
    /// The domain (of which run: domain ids repeat across runs) that made it.
    domain: DomainKey,
    signalled: AtomicBool,
    /// Registered with the built-in backend (by `time` or `net`), which will signal it.
    builtin: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

/// A point where a task waits for the system: made by [`syscall`], awaited with
/// [`suspend`], released when the backend returns its [`Signal`] from `select`.
/// It belongs to the task and the domain that made it.
///
/// ```
/// use miou::{Events, Interrupter, Signal, Syscall, SyscallId};
/// use std::sync::{Arc, Mutex};
///
/// /// Signals every syscall the task hands it, at the next select.
/// #[derive(Clone, Default)]
/// struct Instant(Arc<Mutex<Vec<Syscall>>>);
/// impl Events for Instant {
///     fn select(&mut self, _block: bool, _: &[SyscallId]) -> Vec<Signal> {
///         self.0.lock().unwrap().drain(..).map(|s| s.signal()).collect()
///     }
///     fn interrupter(&self) -> Interrupter { Interrupter::new(|| {}) }
/// }
/// let backend = Instant::default();
/// let pending = backend.clone();
/// miou::Builder::new().domains(0).events(move |_| backend.clone()).run(async move {
///     let s = miou::syscall();
///     pending.0.lock().unwrap().push(s.clone());
///     miou::suspend(s).await;
/// });
/// ```
#[derive(Clone)]
pub struct Syscall {
    inner: Arc<SyscallInner>,
}

impl fmt::Debug for Syscall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Syscall")
            .field("id", &self.inner.id)
            .field("task", &self.inner.task)
            .field("domain", &self.inner.domain.domain)
            .finish()
    }
}

/// The token a backend returns from `select` to release a suspended [`Syscall`].
///
/// ```
/// use miou::{Events, Interrupter, Signal, SyscallId};
/// use std::sync::{Mutex, mpsc};
///
/// /// Returns the signals sent to it, at its next `select`.
/// struct Inbox(mpsc::Receiver<Signal>);
/// impl Events for Inbox {
///     fn select(&mut self, _: bool, _: &[SyscallId]) -> Vec<Signal> {
///         self.0.try_iter().collect()
///     }
///     fn interrupter(&self) -> Interrupter { Interrupter::new(|| {}) }
/// }
/// let (tx, rx) = mpsc::channel();
/// let rx = Mutex::new(Some(rx)); // for the backend of the one domain
/// let builder = miou::Builder::new()
///     .domains(0)
///     .events(move |_| Inbox(rx.lock().unwrap().take().unwrap()));
/// let v = builder.run(async {
///     let s = miou::syscall();
///     tx.send(s.signal()).unwrap(); // `select` will return it
///     miou::suspend(s).await;
///     "released"
/// });
/// assert_eq!(v, "released");
/// ```
pub struct Signal {
    inner: Arc<SyscallInner>,
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Signal").field(&self.inner.id).finish()
    }
}

static NEXT_SYSCALL: AtomicU64 = AtomicU64::new(1);

/// Makes a new syscall, bound to the current task and domain.
///
/// Panics outside a task. See [`Syscall`] for one that a backend releases.
///
/// ```
/// miou::Builder::new().domains(0).run(async {
///     let (a, b) = (miou::syscall(), miou::syscall());
///     assert_ne!(a.id(), b.id()); // a new syscall each time
/// });
/// assert!(std::panic::catch_unwind(miou::syscall).is_err(), "outside a task");
/// ```
pub fn syscall() -> Syscall {
    with_domain(|d| {
        let task = d
            .current_id()
            .expect("miou::syscall: called outside a task (e.g. in a hook)");
        Syscall {
            inner: Arc::new(SyscallInner {
                id: SyscallId(NEXT_SYSCALL.fetch_add(1, Ordering::Relaxed)),
                task,
                domain: d.shared.key(),
                signalled: AtomicBool::new(false),
                builtin: AtomicBool::new(false),
                waker: Mutex::new(None),
            }),
        }
    })
}

impl Syscall {
    /// The syscall's id (what `select` receives in `cancelled`).
    ///
    /// ```
    /// miou::Builder::new().domains(0).run(async {
    ///     let s = miou::syscall();
    ///     assert_eq!(s.clone().id(), s.id()); // a clone is the same syscall
    ///     assert_ne!(miou::syscall().id(), s.id());
    /// });
    /// ```
    pub fn id(&self) -> SyscallId {
        self.inner.id
    }

    /// Marks the syscall as one the built-in backend knows (it will signal it).
    pub(crate) fn mark_builtin(&self) {
        self.inner.builtin.store(true, Ordering::Relaxed);
    }

    /// The token that releases this syscall when `select` returns it.
    ///
    /// ```
    /// # use miou::{Events, Interrupter, Signal, SyscallId};
    /// # use std::sync::{Mutex, mpsc};
    /// # struct Inbox(mpsc::Receiver<Signal>);
    /// # impl Events for Inbox {
    /// #     fn select(&mut self, _: bool, _: &[SyscallId]) -> Vec<Signal> {
    /// #         self.0.try_iter().collect()
    /// #     }
    /// #     fn interrupter(&self) -> Interrupter { Interrupter::new(|| {}) }
    /// # }
    /// # let (tx, rx) = mpsc::channel();
    /// # let rx = Mutex::new(Some(rx));
    /// // `Inbox`, the backend of `Signal`'s example, returns the signals `tx` sends it.
    /// let builder = miou::Builder::new()
    ///     .domains(0)
    ///     .events(move |_| Inbox(rx.lock().unwrap().take().unwrap()));
    /// let v = builder.run(async {
    ///     let s = miou::syscall();
    ///     tx.send(s.signal()).unwrap(); // to the backend
    ///     miou::suspend(s).await;
    ///     "released"
    /// });
    /// assert_eq!(v, "released");
    /// ```
    pub fn signal(&self) -> Signal {
        Signal {
            inner: self.inner.clone(),
        }
    }
}

impl Signal {
    /// The id of the syscall it releases.
    #[cfg(test)]
    pub(crate) fn id(&self) -> SyscallId {
        self.inner.id
    }

    /// Called by the domain for each signal `select` returned.
    pub(crate) fn fire(self, domain: &DomainLocal) {
        assert!(
            self.inner.domain == domain.shared.key(),
            "miou: an events backend returned the signal of {} which belongs to {}, \
             from the select of domain {} (rule: a backend only signals its own domain's syscalls)",
            self.inner.id,
            self.inner.domain.seen_from(domain.shared.key()),
            domain.id()
        );
        self.inner.signalled.store(true, Ordering::Release);
        let waker = self
            .inner
            .waker
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// Suspends the current task until the backend returns `s.signal()` from `select`.
///
/// A scheduling point. If the task is cancelled while it waits, the syscall's id is
/// handed to the backend in `select`'s `cancelled` list. Panics if `s` was made by
/// another task or on another domain, and with the built-in backend, which has no
/// syscalls to signal (install one with [`Builder::events`](crate::Builder::events)).
/// See also [`Syscall`]'s example.
///
/// ```
/// # use miou::{Events, Interrupter, Signal, SyscallId};
/// # use std::sync::{Mutex, mpsc};
/// # struct Inbox(mpsc::Receiver<Signal>);
/// # impl Events for Inbox {
/// #     fn select(&mut self, _: bool, _: &[SyscallId]) -> Vec<Signal> {
/// #         self.0.try_iter().collect()
/// #     }
/// #     fn interrupter(&self) -> Interrupter { Interrupter::new(|| {}) }
/// # }
/// # let (tx, rx) = mpsc::channel();
/// # let rx = Mutex::new(Some(rx));
/// // `Inbox`, the backend of `Signal`'s example, returns the signals `tx` sends it.
/// let builder = miou::Builder::new()
///     .domains(0)
///     .events(move |_| Inbox(rx.lock().unwrap().take().unwrap()));
/// use std::{cell::Cell, rc::Rc};
/// builder.run(async {
///     let s = miou::syscall();
///     let (signal, tx) = (s.signal(), tx.clone());
///     let sent = Rc::new(Cell::new(false));
///     let flag = sent.clone();
///     let helper = miou::spawn(async move {
///         flag.set(true);
///         tx.send(signal).unwrap(); // to the backend
///     });
///     miou::suspend(s).await; // the helper runs meanwhile
///     assert!(sent.get(), "released only once the backend returned the signal");
///     helper.await.unwrap();
/// });
/// ```
pub fn suspend(s: Syscall) -> Suspend {
    Suspend {
        syscall: s,
        state: SuspendState::Start,
        point: true,
    }
}

/// `suspend` for miou's own operations, which passed their scheduling point already.
pub(crate) fn suspend_parked(s: Syscall) -> Suspend {
    Suspend {
        syscall: s,
        state: SuspendState::Start,
        point: false,
    }
}

/// The future of [`suspend`].
///
/// ```
/// # use miou::{Events, Interrupter, Signal, SyscallId};
/// # use std::sync::{Mutex, mpsc};
/// # struct Inbox(mpsc::Receiver<Signal>);
/// # impl Events for Inbox {
/// #     fn select(&mut self, _: bool, _: &[SyscallId]) -> Vec<Signal> {
/// #         self.0.try_iter().collect()
/// #     }
/// #     fn interrupter(&self) -> Interrupter { Interrupter::new(|| {}) }
/// # }
/// # let (tx, rx) = mpsc::channel();
/// # let rx = Mutex::new(Some(rx));
/// // `Inbox`, the backend of `Signal`'s example, returns the signals `tx` sends it.
/// let builder = miou::Builder::new()
///     .domains(0)
///     .events(move |_| Inbox(rx.lock().unwrap().take().unwrap()));
/// builder.run(async {
///     let s = miou::syscall();
///     let id = s.id();
///     tx.send(s.signal()).unwrap();
///     let waiting: miou::Suspend = miou::suspend(s); // nothing happens until awaited
///     assert_eq!(format!("{waiting:?}"), format!("Suspend {{ syscall: {id:?} }}"));
///     waiting.await;
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Suspend {
    syscall: Syscall,
    state: SuspendState,
    /// Whether the first poll passes a scheduling point.
    point: bool,
}

impl fmt::Debug for Suspend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Suspend")
            .field("syscall", &self.syscall.inner.id)
            .finish()
    }
}

#[derive(PartialEq)]
enum SuspendState {
    Start,
    Waiting,
    Done,
}

impl Future for Suspend {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.state {
            SuspendState::Start => {
                with_domain(|d| {
                    let inner = &self.syscall.inner;
                    assert!(
                        inner.domain == d.shared.key(),
                        "miou::suspend: {} belongs to {}, not to the current domain {} \
                         (rule: a syscall is suspended on by the task and domain that made it)",
                        inner.id,
                        inner.domain.seen_from(d.shared.key()),
                        d.id()
                    );
                    assert!(
                        d.current_id() == Some(inner.task),
                        "miou::suspend: {} belongs to task {}, not to the current task \
                         (rule: a syscall is suspended on by the task that made it)",
                        inner.id,
                        inner.task
                    );
                    assert!(
                        d.events.reactor().is_none() || inner.builtin.load(Ordering::Relaxed),
                        "miou::suspend: {} was not registered with any backend: the built-in \
                         backend only signals the syscalls of miou::time and miou::net; to \
                         signal your own, install a backend with miou::Builder::events",
                        inner.id
                    );
                });
                if self.point && point::poll_point(cx).is_pending() {
                    return Poll::Pending;
                }
                *self
                    .syscall
                    .inner
                    .waker
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) = Some(cx.waker().clone());
                with_domain(|d| d.events.suspend());
                self.state = SuspendState::Waiting;
                if self.syscall.inner.signalled.load(Ordering::Acquire) {
                    return self.finish();
                }
                Poll::Pending
            }
            SuspendState::Waiting => {
                if self.syscall.inner.signalled.load(Ordering::Acquire) {
                    point::consume_after_park();
                    return self.finish();
                }
                let mut slot = self
                    .syscall
                    .inner
                    .waker
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    *slot = Some(cx.waker().clone());
                }
                Poll::Pending
            }
            SuspendState::Done => Poll::Ready(()),
        }
    }
}

impl Suspend {
    fn finish(&mut self) -> Poll<()> {
        self.state = SuspendState::Done;
        with_domain(|d| d.events.resume());
        Poll::Ready(())
    }
}

impl Drop for Suspend {
    fn drop(&mut self) {
        // Given up before it was signalled (the task was cancelled, or a `timeout` won):
        // tell the backend, so it forgets the syscall.
        if self.state != SuspendState::Done {
            let id = self.syscall.inner.id;
            let waiting = self.state == SuspendState::Waiting;
            crate::scheduler::try_with_domain(|d| {
                if let Some(d) = d {
                    d.events.give_up(id, waiting);
                }
            });
        }
    }
}
