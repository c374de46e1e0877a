//! The system's side: how a task waits for something outside the scheduler,
//! and how the scheduler learns that it happened.
//!
//! A task makes a [`Syscall`], registers it with a backend (a timer, later a
//! socket), and [`suspend`]s on it: it parks. Between turns the scheduler asks
//! its [`Events`] backend which syscalls are ready, and fires the [`Signal`]s
//! it gets back, which wakes their tasks. These are the names and the roles of
//! `miou::Events`, `miou::syscall`, `miou::suspend` and `miou::Signal`.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::{SHARED, pass_point, use_a_point};

/// A backend: what the scheduler asks, between turns, for the system's
/// events.
pub trait Events {
    /// Returns the signals of the syscalls that are ready. With `block`,
    /// nothing else can run: wait until at least one is, or until another
    /// domain interrupts the wait (then the answer may be empty). `cancelled`
    /// lists the syscalls whose tasks gave up waiting since the last call:
    /// forget them.
    fn select(&mut self, block: bool, cancelled: &[SyscallId]) -> Vec<Signal>;

    /// What another thread calls to end a blocking `select` early. An
    /// interrupt that comes before the `select` begins is not lost: that
    /// `select` returns at once.
    fn interrupter(&self) -> Interrupter;
}

/// Ends a domain's blocking `select` from another thread, so that the
/// domain looks at what it was handed. Cheap to clone, and `Send`.
#[derive(Clone)]
pub struct Interrupter(Arc<dyn Fn() + Send + Sync>);

impl Interrupter {
    /// An interrupter that calls `interrupt`.
    pub fn new(interrupt: impl Fn() + Send + Sync + 'static) -> Interrupter {
        Interrupter(Arc::new(interrupt))
    }

    /// Interrupts the domain's `select`, or the next one if it is not
    /// waiting yet.
    pub fn interrupt(&self) {
        (self.0)()
    }
}

/// The number of a syscall, unique in its domain (each domain's backend sees
/// only its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SyscallId(pub u64);

impl fmt::Display for SyscallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "syscall {}", self.0)
    }
}

/// What a syscall and its signal share.
struct Inner {
    id: SyscallId,
    /// The task that made it, for the report.
    task: String,
    signalled: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

/// A point where a task waits for the system: made by [`syscall`],
/// registered with a backend, waited on with [`suspend`].
#[derive(Clone)]
pub struct Syscall(Rc<Inner>);

/// What a backend returns from `select` to release a syscall.
pub struct Signal(Rc<Inner>);

/// Makes a new syscall for the current task.
pub fn syscall() -> Syscall {
    SHARED.with_borrow_mut(|s| {
        s.next_syscall += 1;
        Syscall(Rc::new(Inner {
            id: SyscallId(s.next_syscall),
            task: s.current.clone(),
            signalled: Cell::new(false),
            waker: RefCell::new(None),
        }))
    })
}

impl Syscall {
    /// The syscall's number (what `select` receives in `cancelled`).
    pub fn id(&self) -> SyscallId {
        self.0.id
    }

    /// The task that made it.
    pub fn task(&self) -> &str {
        &self.0.task
    }

    /// The token that releases this syscall when `select` returns it.
    pub fn signal(&self) -> Signal {
        Signal(Rc::clone(&self.0))
    }
}

impl Signal {
    /// The task waiting on this signal's syscall.
    pub fn task(&self) -> &str {
        &self.0.task
    }

    /// Releases the syscall: its task is woken.
    pub(crate) fn fire(self) {
        self.0.signalled.set(true);
        if let Some(waker) = self.0.waker.borrow_mut().take() {
            waker.wake();
        }
    }
}

/// Waits until the backend returns `s.signal()` from `select`: a scheduling
/// point, then a park.
pub fn suspend(s: Syscall) -> Suspend {
    Suspend {
        syscall: s,
        stage: Stage::Point,
    }
}

/// [`suspend`] for an operation that has passed its scheduling point
/// already: a socket operation, which waits only once its system call would
/// block, passes one point, not two.
pub(crate) fn suspend_after_point(s: Syscall) -> Suspend {
    Suspend {
        syscall: s,
        stage: Stage::Passed,
    }
}

/// The future of [`suspend`].
pub struct Suspend {
    syscall: Syscall,
    stage: Stage,
}

/// Where a [`Suspend`] is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Before its scheduling point.
    Point,
    /// Past its point, not parked yet.
    Passed,
    /// Parked, until the backend signals the syscall.
    Parked,
    /// Released.
    Done,
}

impl Future for Suspend {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let id = self.syscall.0.id.0;
        if self.stage == Stage::Point {
            if pass_point(&format!("suspend {id}")).is_pending() {
                return Poll::Pending;
            }
            self.stage = Stage::Passed;
        }
        if self.syscall.0.signalled.get() {
            if self.stage == Stage::Parked {
                use_a_point(format!("suspend {id}"));
                SHARED.with_borrow_mut(|s| s.suspended -= 1);
            }
            self.stage = Stage::Done;
            return Poll::Ready(());
        }
        *self.syscall.0.waker.borrow_mut() = Some(cx.waker().clone());
        let first_park = self.stage != Stage::Parked;
        SHARED.with_borrow_mut(|s| {
            s.stopped_at = Some(format!("suspend {id}"));
            if first_park {
                s.suspended += 1;
            }
        });
        self.stage = Stage::Parked;
        Poll::Pending
    }
}

/// A task that stops waiting (its `Suspend` is dropped before the syscall was
/// signalled, whether it had reached its point or not) tells the backend,
/// through the next `select`, to forget the syscall.
impl Drop for Suspend {
    fn drop(&mut self) {
        if self.stage == Stage::Done {
            return;
        }
        let id = self.syscall.0.id;
        let parked = self.stage == Stage::Parked;
        SHARED.with_borrow_mut(|s| {
            if parked {
                s.suspended -= 1;
            }
            s.cancelled.push(id);
        });
    }
}
