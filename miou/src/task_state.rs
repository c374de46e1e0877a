//! The state word of a task and who waits for its completion: the protocol between the
//! task's runner, the threads that wake it, and its parent.
//!
//! - `SCHEDULED` means the task is in a run queue, or in its turn. Whoever sets it (a
//!   waker, a cancel request) enqueues the task. The runner leaves it set for the turn:
//!   a task that yields goes back to the queue with no atomic operation at all, and
//!   one that parks clears it with one compare-and-swap.
//! - `NOTIFIED` records a wake-up that arrived while `SCHEDULED` was set (the task is
//!   queued or in its turn): a task that parks after such a wake-up is queued again.
//! - `CANCEL` asks the task to tear down at its next turn.
//! - `COMPLETE` (with `COMPLETE_OK`) publishes the result: it is stored before, with a
//!   release, and read after, with an acquire.
//! - `WAITER` says the parent stored its waker; `REGISTERING` that it is storing one.
//!   The slot has no lock of its own: the parent (the only one that waits for a task,
//!   from one thread) takes `REGISTERING` with a compare-and-swap that fails if
//!   `COMPLETE` is set, writes the slot, and clears `REGISTERING` while setting
//!   `WAITER`, learning at that moment whether `COMPLETE` arrived meanwhile. The runner
//!   sets `COMPLETE` and takes the waker only if it saw `WAITER` without
//!   `REGISTERING`; if the parent was registering, it leaves the slot alone and the
//!   parent, seeing `COMPLETE` as it finishes, goes on without a wake-up. Either way a
//!   wake-up is never lost and the slot is never touched by both at once; a task
//!   nobody waits for completes with one atomic operation.

use std::sync::Arc;
use std::task::Waker;

use crate::loom::{AtomicU32, Ordering, UnsafeCell};

/// What a waker wakes: something with a state word that its runner's queue can take.
/// Both methods of a task's `Waker` go through [`wake`] and [`wake_by_ref`] below, so
/// the loom models, which wake a model task through the same two functions, check the
/// very path every wake-up takes.
pub(crate) trait Wakeable: Send + Sync {
    /// The task's state word.
    fn state(&self) -> &TaskState;
    /// Puts the task at the back of its runner's queue (called once per enqueue the
    /// state word grants).
    fn enqueue(self: Arc<Self>);
}

/// `Waker::wake`: records the wake-up in the state word and enqueues the task if the
/// word says nobody else will (it was neither queued, in its turn, nor complete).
pub(crate) fn wake<T: Wakeable>(task: Arc<T>) {
    if task.state().schedule() {
        task.enqueue();
    }
}

/// `Waker::wake_by_ref`: exactly [`wake`], without consuming the reference. A wake-up
/// that arrives while the task is queued or in its turn (its own poll waking itself,
/// or another thread at that moment) must be *recorded* (`NOTIFIED`), never filtered
/// out before the state word sees it: a task that then parks would sleep for ever.
pub(crate) fn wake_by_ref<T: Wakeable>(task: &Arc<T>) {
    if task.state().schedule() {
        task.clone().enqueue();
    }
}

// ANCHOR: state_word
/// The task is in its domain's run queue (or inbox), or in its turn.
pub(crate) const SCHEDULED: u32 = 1;
/// Cancellation was requested.
pub(crate) const CANCEL: u32 = 1 << 1;
/// The task is complete: its result is in the stage, for the promise holder.
pub(crate) const COMPLETE: u32 = 1 << 2;
/// Set with `COMPLETE` when the result is `Ok`.
pub(crate) const COMPLETE_OK: u32 = 1 << 3;
/// A waker is stored in the waiter slot.
const WAITER: u32 = 1 << 4;
/// Woken while scheduled.
const NOTIFIED: u32 = 1 << 5;
/// The parent is writing the waiter slot.
const REGISTERING: u32 = 1 << 6;
// ANCHOR_END: state_word

pub(crate) struct TaskState {
    bits: AtomicU32,
    /// The parent's waker: written under `REGISTERING`, taken by `complete` (see the
    /// module doc).
    waiter: UnsafeCell<Option<Waker>>,
}

// SAFETY: the waiter slot is only touched by the thread that holds `REGISTERING` (the
// parent, which takes it with a compare-and-swap that fails once `COMPLETE` is set), or
// by the runner in `complete` after it set `COMPLETE` and saw `WAITER` without
// `REGISTERING` (so the parent is not in its critical section and will never enter it
// again). The release/acquire pairs on `bits` order the two accesses. `Waker` is
// `Send + Sync`.
unsafe impl Sync for TaskState {}

impl TaskState {
    /// A new task is created straight into a run queue.
    pub(crate) fn new() -> TaskState {
        TaskState {
            bits: AtomicU32::new(SCHEDULED),
            waiter: UnsafeCell::new(None),
        }
    }

    pub(crate) fn get(&self) -> u32 {
        self.bits.load(Ordering::Acquire)
    }

    pub(crate) fn is_complete(&self) -> bool {
        self.get() & COMPLETE != 0
    }

    /// A wake-up. `true` if the caller must now enqueue the task (it was neither
    /// scheduled nor complete); otherwise it is queued or in its turn already, and the
    /// wake-up is recorded for the end of that turn.
    pub(crate) fn schedule(&self) -> bool {
        let mut s = self.bits.load(Ordering::Acquire);
        loop {
            if s & COMPLETE != 0 || s & (SCHEDULED | NOTIFIED) == SCHEDULED | NOTIFIED {
                return false;
            }
            let (next, enqueue) = if s & SCHEDULED != 0 {
                (s | NOTIFIED, false)
            } else {
                (s | SCHEDULED, true)
            };
            match self
                .bits
                .compare_exchange_weak(s, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return enqueue,
                Err(actual) => s = actual,
            }
        }
    }

    /// The runner ends a turn in which the task yielded: it goes back to the queue as
    /// it is (still `SCHEDULED`); a wake-up recorded meanwhile is now moot.
    pub(crate) fn yielded(&self) {
        if self.bits.load(Ordering::Relaxed) & NOTIFIED != 0 {
            self.bits.fetch_and(!NOTIFIED, Ordering::AcqRel);
        }
    }

    /// The runner ends a turn in which the task parked. `true` if it was woken during
    /// the turn and must go back to the queue now (it stays `SCHEDULED`); otherwise it
    /// is no longer scheduled and the next wake-up enqueues it.
    pub(crate) fn parked(&self) -> bool {
        let mut s = self.bits.load(Ordering::Acquire);
        loop {
            let next = if s & NOTIFIED != 0 {
                s & !NOTIFIED
            } else {
                s & !SCHEDULED
            };
            match self
                .bits
                .compare_exchange_weak(s, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return s & NOTIFIED != 0,
                Err(actual) => s = actual,
            }
        }
    }

    /// Asks for cancellation; `true` if this call asked first and the task is not
    /// complete (the caller must then schedule it).
    pub(crate) fn request_cancel(&self) -> bool {
        self.bits.fetch_or(CANCEL, Ordering::AcqRel) & (CANCEL | COMPLETE) == 0
    }

    /// Publishes completion (the result is already stored) and returns the waker to
    /// wake, if the parent stored one.
    pub(crate) fn complete(&self, ok: bool) -> Option<Waker> {
        let flags = if ok { COMPLETE | COMPLETE_OK } else { COMPLETE };
        let before = self.bits.fetch_or(flags, Ordering::AcqRel);
        if before & (WAITER | REGISTERING) == WAITER {
            // SAFETY: `WAITER` without `REGISTERING`: the parent stored its waker and left
            // (its release pairs with our acquire), and `COMPLETE`, now set, keeps it
            // from coming back (see the `Sync` impl).
            self.waiter.with_mut(|slot| unsafe { (*slot).take() })
        } else {
            None
        }
    }

    /// Registers `waker` to be woken at completion. `true` if the task is already
    /// complete (then the caller goes on; the waker may stay stored, harmlessly).
    ///
    /// Only the task's parent calls this, from its own thread: one registration at a
    /// time.
    pub(crate) fn register_waiter(&self, waker: &Waker) -> bool {
        let mut s = self.bits.load(Ordering::Acquire);
        loop {
            if s & COMPLETE != 0 {
                return true;
            }
            assert!(
                s & REGISTERING == 0,
                "miou: a task's completion is awaited from one place at a time"
            );
            match self.bits.compare_exchange_weak(
                s,
                s | REGISTERING,
                Ordering::Acquire,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => s = actual,
            }
        }
        // SAFETY: we hold `REGISTERING`, taken while `COMPLETE` was clear: `complete`
        // will not touch the slot until we clear it (see the `Sync` impl).
        let replaced = self.waiter.with_mut(|slot| unsafe {
            match &*slot {
                Some(w) if w.will_wake(waker) => None,
                _ => (*slot).replace(waker.clone()),
            }
        });
        let mut s = s | REGISTERING;
        let complete = loop {
            match self.bits.compare_exchange_weak(
                s,
                (s & !REGISTERING) | WAITER,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break s & COMPLETE != 0,
                Err(actual) => s = actual,
            }
        };
        // Dropped outside the critical section: a waker's destructor is foreign code.
        drop(replaced);
        complete
    }
}
