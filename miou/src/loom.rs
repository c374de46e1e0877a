//! The synchronisation types of miou's cross-thread protocols: `std`'s normally, and
//! `loom`'s when the crate is built with `--cfg loom`, so that the model tests in
//! `loom_models.rs` explore every interleaving of the very code the runtime runs.
//! Only the protocol modules ([`task_state`](crate::task_state) and
//! [`mailbox`](crate::mailbox)) use them.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU32, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};

/// Locks, ignoring poisoning: the protocols keep their invariants across a panic.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
