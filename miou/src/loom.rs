//! The synchronisation types of miou's cross-thread protocols: `std`'s normally, and
//! `loom`'s when the crate is built with `--cfg loom`, so that the model tests in
//! `loom_models.rs` explore every interleaving of the very code the runtime runs.
//! Only the protocol modules ([`task_state`](crate::task_state),
//! [`mailbox`](crate::mailbox), [`sync`](crate::sync) and [`clock`](crate::clock)) use
//! them.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};
#[cfg(loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};
#[cfg(not(loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};

/// An `UnsafeCell` with loom's access API (`with_mut`), so that loom checks that the
/// protocol around it never lets two threads touch the value at once.
#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;

#[cfg(not(loom))]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> UnsafeCell<T> {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    /// Runs `f` with a pointer to the value; the caller's protocol makes it exclusive.
    #[inline]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// Locks, ignoring poisoning: the protocols keep their invariants across a panic.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
