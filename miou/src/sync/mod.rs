//! Synchronisation between tasks, on one domain or across domains.
//!
//! - [`Mutex`] and [`Condition`]: mutual exclusion with a FIFO hand-off to waiters, and
//!   waiting for a condition under a mutex.
//! - [`Lazy`]: a value computed once, on first use, by whichever task forces it first.
//! - [`Trigger`] and [`Computation`]: the low-level pieces, a one-shot signal and a
//!   single-assignment result cell, usable from any thread (including threads that are
//!   not miou domains).
//!
//! Every type here is `Send + Sync` (given `Send` contents; a [`Lazy`]'s value must be
//! `Sync` too, as in `std::sync::OnceLock`, since every task reads it) and works across
//! domains: a
//! task that waits leaves its domain's run queue, and whoever releases it (on any
//! thread) wakes it on its own domain. A task cancelled while it waits leaves no trace:
//! it is removed from the queue it waited in, and a lock or a signal already handed to
//! it is passed on to the next waiter (a signal also when the task was cancelled while
//! taking the mutex again: it never saw the change it was signalled for).
//!
//! Awaiting [`Mutex::lock`], [`Condition::wait`] and an unforced [`Lazy::force`] is a
//! scheduling point; [`Condition::signal`], [`Condition::broadcast`],
//! [`Mutex::try_lock`], [`Trigger::signal`] and the `try_*` methods of
//! [`Computation`] are not. Awaiting a [`Trigger`] or a [`Computation`] passes no
//! scheduling point when it is already signalled or complete, and otherwise waits.
//!
//! Outside a task (a plain thread, with some other executor) the operations work too;
//! they simply pass no scheduling point.
//!
//! ```
//! use std::sync::Arc;
//! use miou::sync::Mutex;
//!
//! let total = miou::Builder::new().domains(2).run(async {
//!     let counter = Arc::new(Mutex::new(0));
//!     let c = counter.clone();
//!     let ps = miou::parallel(
//!         move |_: usize| {
//!             let c = c.clone();
//!             async move {
//!                 for _ in 0..100 {
//!                     *c.lock().await += 1;
//!                 }
//!             }
//!         },
//!         vec![0, 1, 2, 3],
//!     );
//!     for r in ps.await {
//!         r.unwrap();
//!     }
//!     *counter.lock().await
//! });
//! assert_eq!(total, 400);
//! ```

use std::task::{Context, Poll};

use crate::id::{RunId, TaskId};
use crate::scheduler::try_with_domain;

mod computation;
mod condition;
mod lazy;
mod mutex;
mod trigger;
pub(crate) mod wait_list;

pub use computation::{Aborted, Cause, Computation, ComputationWait};
pub use condition::{Condition, ConditionWait};
pub use lazy::{Force, Lazy};
pub use mutex::{Lock, Mutex, MutexGuard};
pub use trigger::{Trigger, TriggerWait};

/// Locks a primitive's state (under one of the internal `std` mutexes), ignoring
/// poisoning. Wakers are woken, callbacks run and values dropped after the lock is
/// released; what runs under it (cloning a waker or a value) leaves the state
/// consistent if it panics.
///
/// They are `crate::loom`'s mutexes, so the protocols run under the loom models too.
fn lock_state<T>(m: &crate::loom::Mutex<T>) -> crate::loom::MutexGuard<'_, T> {
    crate::loom::lock(m)
}

/// Is the current thread running a miou task right now?
fn in_task() -> bool {
    try_with_domain(|d| d.is_some_and(|d| d.current_id().is_some()))
}

/// The scheduling point every operation passes on its first poll. Outside a task there
/// is no scheduler to yield to: the point is passed at once.
fn point_if_in_task(cx: &mut Context<'_>) -> Poll<()> {
    if in_task() {
        crate::point::poll_point(cx)
    } else {
        Poll::Ready(())
    }
}

/// An operation that had to wait completes: the wait was its scheduling point.
fn after_park() {
    if in_task() {
        crate::point::consume_after_park();
    }
}

/// A task, identified across runs (task ids restart at every run, and runs may be
/// nested or concurrent: the run's number, never reused, tells them apart).
#[derive(Clone, Copy, PartialEq, Eq)]
struct TaskInRun {
    run: RunId,
    task: TaskId,
}

/// The task being polled on this thread, if any.
fn current_task_in_run() -> Option<TaskInRun> {
    try_with_domain(|d| {
        let d = d?;
        let task = d.current_id()?;
        Some(TaskInRun {
            run: d.shared.key().run,
            task,
        })
    })
}
