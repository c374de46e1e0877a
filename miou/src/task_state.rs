//! The state word of a task and who waits for its completion: the protocol between the
//! task's runner, the threads that wake it, and its parent.
//!
//! - `SCHEDULED` makes sure a task sits in at most one queue: whoever sets it (a waker,
//!   a cancel request, the runner re-queueing a yield) must enqueue the task; whoever
//!   finds it set does nothing. The runner clears it when it takes the task out.
//! - `CANCEL` asks the task to tear down at its next turn.
//! - `COMPLETE` (with `COMPLETE_OK`) publishes the result: it is stored before, with a
//!   release, and read after, with an acquire.
//! - The waiter is the parent's waker. The parent stores it *then* re-checks
//!   `COMPLETE`; the runner sets `COMPLETE` *then* takes the waiter under the same lock:
//!   whichever comes second sees the other, so a wake-up is never lost.

use std::task::Waker;

use crate::loom::{AtomicU32, Mutex, Ordering, lock};

/// The task is in its domain's run queue (or inbox).
pub(crate) const SCHEDULED: u32 = 1;
/// Cancellation was requested.
pub(crate) const CANCEL: u32 = 1 << 1;
/// The task is complete: its result is in the stage and belongs to the promise holder.
pub(crate) const COMPLETE: u32 = 1 << 2;
/// Set with `COMPLETE` when the result is `Ok`.
pub(crate) const COMPLETE_OK: u32 = 1 << 3;

pub(crate) struct TaskState {
    bits: AtomicU32,
    waiter: Mutex<Option<Waker>>,
}

impl TaskState {
    /// A new task is created straight into a run queue.
    pub(crate) fn new() -> TaskState {
        TaskState {
            bits: AtomicU32::new(SCHEDULED),
            waiter: Mutex::new(None),
        }
    }

    pub(crate) fn get(&self) -> u32 {
        self.bits.load(Ordering::Acquire)
    }

    pub(crate) fn is_complete(&self) -> bool {
        self.get() & COMPLETE != 0
    }

    /// Marks the task queued; `true` if the caller must now enqueue it (it was neither
    /// queued nor complete).
    pub(crate) fn schedule(&self) -> bool {
        self.bits.fetch_or(SCHEDULED, Ordering::AcqRel) & (SCHEDULED | COMPLETE) == 0
    }

    /// The runner takes the task out of its queue; returns the state before.
    pub(crate) fn dequeue(&self) -> u32 {
        self.bits.fetch_and(!SCHEDULED, Ordering::AcqRel)
    }

    /// Asks for cancellation; `true` if this call asked first and the task is not
    /// complete (the caller must then schedule it).
    pub(crate) fn request_cancel(&self) -> bool {
        self.bits.fetch_or(CANCEL, Ordering::AcqRel) & (CANCEL | COMPLETE) == 0
    }

    /// Publishes completion (the result is already stored) and returns the waker to
    /// wake.
    pub(crate) fn complete(&self, ok: bool) -> Option<Waker> {
        let flags = if ok { COMPLETE | COMPLETE_OK } else { COMPLETE };
        self.bits.fetch_or(flags, Ordering::AcqRel);
        lock(&self.waiter).take()
    }

    /// Registers `waker` to be woken at completion. `true` if the task is already
    /// complete (then the caller goes on; nothing needs to be registered).
    pub(crate) fn register_waiter(&self, waker: &Waker) -> bool {
        if self.is_complete() {
            return true;
        }
        {
            let mut slot = lock(&self.waiter);
            match &mut *slot {
                Some(w) if w.will_wake(waker) => {}
                slot => *slot = Some(waker.clone()),
            }
        }
        self.is_complete()
    }
}
