//! Synchronisation between tasks, on one domain or across domains.
//!
//! - [`Trigger`] and [`Computation`]: the low-level pieces, a one-shot signal and a
//!   single-assignment result cell, usable from any thread (including threads that are
//!   not miou domains). Awaiting one passes no scheduling point when it is already
//!   signalled or complete, and otherwise waits; their other operations are not
//!   scheduling points.
//!
//! ```
//! use miou::sync::Computation;
//!
//! let v = miou::Builder::new().domains(1).run(async {
//!     let c = Computation::new();
//!     let c2 = c.clone();
//!     let p = miou::call(move || async move { c2.try_return(42) });
//!     let v = c.wait().await;
//!     assert!(p.await.unwrap());
//!     v
//! });
//! assert_eq!(v.unwrap(), 42);
//! ```

use crate::scheduler::try_with_domain;

mod computation;
mod trigger;

pub use computation::{Aborted, Cause, Computation, ComputationWait};
pub use trigger::{Trigger, TriggerWait};

/// Locks one of the internal `std` mutexes, ignoring poisoning. Wakers are woken,
/// callbacks run and values dropped after the lock is released; what runs under it
/// (cloning a waker or a value) leaves the state consistent if it panics.
fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Is the current thread running a miou task right now?
fn in_task() -> bool {
    try_with_domain(|d| d.is_some_and(|d| d.current_id().is_some()))
}

/// An operation that had to wait completes: the wait was its scheduling point.
fn after_park() {
    if in_task() {
        crate::point::consume_after_park();
    }
}
