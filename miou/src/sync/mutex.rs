//! [`Mutex`]: mutual exclusion between tasks, with a FIFO hand-off. This file owns the
//! lock word and the queue of waiters, the future that takes the lock ([`Lock`]), the
//! guard ([`MutexGuard`]) and the protocol that passes the lock from one task to the
//! next.
//!
//! # The hand-off protocol
//!
//! The state (`locked`, the FIFO of waiters, a [`WaitList`], and `handed`) lives under
//! a `std` mutex; the value lives in an `UnsafeCell` beside it.
//!
//! - Taking a free lock sets `locked`. A free lock has no waiters, so a newcomer never
//!   overtakes a waiter.
//! - A task that finds it locked queues its waker under a fresh id and parks.
//! - Unlocking with waiters keeps `locked` set, pops the oldest waiter, records its id
//!   in `handed` and wakes it: the lock now belongs to that waiter, which finds its id
//!   in `handed` when it is next polled and returns its guard. Until then nobody else
//!   can take the lock (no barging).
//! - A waiter whose future is dropped (its task was cancelled) removes itself from the
//!   queue, or, if the lock was already handed to it, hands it on to the next waiter
//!   (or frees it) as an unlock would.
//!
//! Wakers are woken after the state's lock is released.

use std::cell::UnsafeCell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::wait_list::{WaitList, WaiterId};
use super::{TaskInRun, after_park, current_task_in_run, lock_state, point_if_in_task};

/// A mutual-exclusion lock for tasks, on one domain or across domains.
///
/// [`lock`](Mutex::lock) waits (the task leaves its domain's queue, the domain runs
/// others) instead of blocking the thread. Waiters get the lock in the order they
/// asked for it: at unlock, ownership passes directly to the oldest waiter, and no
/// task can take the lock in between. There is no poisoning: a task that panics while
/// holding the lock releases it as its guard drops.
///
/// A task that locks a mutex it already holds panics instead of waiting forever.
///
/// ```
/// use std::sync::Arc;
/// use miou::sync::Mutex;
///
/// let log = miou::Builder::new().domains(0).run(async {
///     let m = Arc::new(Mutex::new(Vec::new()));
///     let ps: Vec<_> = (0..3)
///         .map(|i| {
///             let m = m.clone();
///             miou::spawn(async move {
///                 let mut g = m.lock().await;
///                 g.push(i);
///                 miou::yield_now().await; // others queue up meanwhile
///                 g.push(i);
///             })
///         })
///         .collect();
///     for r in miou::await_all(ps).await {
///         r.unwrap();
///     }
///     m.lock().await.clone()
/// });
/// assert_eq!(log, [0, 0, 1, 1, 2, 2]);
/// ```
pub struct Mutex<T: ?Sized> {
    state: crate::loom::Mutex<State>,
    value: UnsafeCell<T>,
}

// SAFETY: the mutex hands out access to the value (`&T` through a shared guard, `&mut T`
// through a unique one) to one guard at a time, wherever the guard lives; so sharing
// the mutex between threads moves the value's access between threads, which needs
// `T: Send`, and never gives two threads access at once, which `Sync` would need.
// (`Send` is derived: `UnsafeCell<T>` is `Send` for `T: Send`.)
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

#[derive(Default)]
struct State {
    locked: bool,
    /// The task that took the lock (or was handed it), for the self-deadlock check and
    /// `Debug`; `None` outside a task.
    owner: Option<TaskInRun>,
    /// The waiter the lock was handed to, which has not yet come to take it.
    handed: Option<WaiterId>,
    /// The tasks waiting for the lock, oldest first; each waiter's data is its task,
    /// the owner once it is handed the lock (`None` outside a task).
    waiters: WaitList<Option<TaskInRun>>,
}

impl State {
    // ANCHOR: release
    /// Releases the lock held by the owner (or handed to a waiter that gave
    /// it up): hands it to the oldest waiter, whose waker is returned, or frees
    /// it.
    fn release(&mut self) -> Option<Waker> {
        debug_assert!(self.locked);
        match self.waiters.pop_front() {
            Some(w) => {
                self.handed = Some(w.id);
                self.owner = w.data; // the waiter's task
                Some(w.waker)
            }
            None => {
                self.locked = false;
                self.owner = None;
                None
            }
        }
    }
    // ANCHOR_END: release
}

impl<T> Mutex<T> {
    /// A new, unlocked mutex holding `value`.
    ///
    /// ```
    /// let m = miou::sync::Mutex::new(0);
    /// assert_eq!(*m.try_lock().unwrap(), 0);
    /// ```
    pub fn new(value: T) -> Mutex<T> {
        Mutex {
            state: crate::loom::Mutex::new(State::default()),
            value: UnsafeCell::new(value),
        }
    }

    /// Consumes the mutex and returns the value.
    ///
    /// ```
    /// let m = miou::sync::Mutex::new(String::from("x"));
    /// assert_eq!(m.into_inner(), "x");
    /// ```
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Takes the lock: at once if it is free, otherwise when every task that asked
    /// before has had it. A scheduling point; the wait (if any) is cancellable: a task
    /// cancelled while it waits leaves the queue, and a lock already handed to it goes
    /// to the next waiter.
    ///
    /// Panics if the current task already holds the lock (it would wait forever).
    ///
    /// ```
    /// miou::Builder::new().domains(0).run(async {
    ///     let m = miou::sync::Mutex::new(1);
    ///     *m.lock().await += 1;
    ///     assert_eq!(*m.lock().await, 2);
    /// });
    /// ```
    pub fn lock(&self) -> Lock<'_, T> {
        Lock {
            mutex: self,
            stage: Stage::Point,
        }
    }

    /// [`lock`](Mutex::lock) without the scheduling point, for a task that just waited
    /// (a [`Condition`](super::Condition) re-locking).
    pub(crate) fn relock(&self) -> Lock<'_, T> {
        Lock {
            mutex: self,
            stage: Stage::Take,
        }
    }

    /// Takes the lock if it is free, at once; `None` if it is held or handed to a
    /// waiter. Not a scheduling point. (Miou's `try_lock` does not take the lock; this
    /// one does.)
    ///
    /// ```
    /// let m = miou::sync::Mutex::new(());
    /// let g = m.try_lock().unwrap();
    /// assert!(m.try_lock().is_none());
    /// drop(g);
    /// assert!(m.try_lock().is_some());
    /// ```
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        let mut s = lock_state(&self.state);
        if s.locked {
            return None;
        }
        s.locked = true;
        s.owner = current_task_in_run();
        Some(MutexGuard::new(self))
    }

    /// A mutable reference to the value: `&mut self` proves no guard exists.
    ///
    /// ```
    /// let mut m = miou::sync::Mutex::new(1);
    /// *m.get_mut() = 2;
    /// assert_eq!(m.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    /// Unlocks: hands the lock to the oldest waiter, or frees it.
    fn unlock(&self) {
        let next = lock_state(&self.state).release();
        if let Some(w) = next {
            w.wake();
        }
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    /// Shows the value if the lock is free (taking it for the time being), its owner
    /// and the number of waiters.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Some(g) => {
                d.field("data", &&*g);
            }
            None => {
                d.field("data", &format_args!("<locked>"));
            }
        }
        let s = lock_state(&self.state);
        d.field("owner", &s.owner.map(|o| o.task))
            .field("waiters", &s.waiters.len())
            .finish()
    }
}

/// The future of [`Mutex::lock`]. Dropping it while it waits (the task was cancelled)
/// leaves the queue, or passes on a lock already handed to it.
///
/// ```
/// use std::sync::Arc;
/// use miou::sync::Mutex;
///
/// miou::Builder::new().domains(0).run(async {
///     let m = Arc::new(Mutex::new(()));
///     let g = m.lock().await;
///     let m2 = m.clone();
///     let waiter = miou::spawn(async move {
///         let _g = m2.lock().await; // waits in the mutex's queue...
///     });
///     miou::yield_now().await;
///     miou::yield_now().await;
///     miou::cancel(waiter).await; // ...and leaves it when cancelled
///     drop(g);
///     assert!(m.try_lock().is_some());
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Lock<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    stage: Stage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The scheduling point is still to pass.
    Point,
    /// Take the lock, or queue.
    Take,
    /// Queued under this id.
    Queued(WaiterId),
    Done,
}

impl<T: ?Sized> fmt::Debug for Lock<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock").field("stage", &self.stage).finish()
    }
}

impl<'a, T: ?Sized> Future for Lock<'a, T> {
    type Output = MutexGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<MutexGuard<'a, T>> {
        let this = &mut *self;
        if this.stage == Stage::Point {
            if point_if_in_task(cx).is_pending() {
                return Poll::Pending;
            }
            this.stage = Stage::Take;
        }
        let mut s = lock_state(&this.mutex.state);
        match this.stage {
            Stage::Take => {
                let me = current_task_in_run();
                if !s.locked {
                    s.locked = true;
                    s.owner = me;
                    this.stage = Stage::Done;
                    return Poll::Ready(MutexGuard::new(this.mutex));
                }
                if me.is_some() && s.owner == me {
                    drop(s);
                    this.stage = Stage::Done;
                    panic!(
                        "miou::sync::Mutex::lock: the current task already holds this mutex \
                         (it would wait for itself forever)"
                    );
                }
                this.stage = Stage::Queued(s.waiters.push(cx.waker(), me));
                Poll::Pending
            }
            Stage::Queued(id) => {
                if s.handed == Some(id) {
                    s.handed = None;
                    drop(s);
                    this.stage = Stage::Done;
                    after_park();
                    return Poll::Ready(MutexGuard::new(this.mutex));
                }
                s.waiters.update(id, cx.waker());
                Poll::Pending
            }
            Stage::Point | Stage::Done => panic!("miou::sync::Lock polled after completion"),
        }
    }
}

impl<T: ?Sized> Drop for Lock<'_, T> {
    fn drop(&mut self) {
        let Stage::Queued(id) = self.stage else {
            return;
        };
        let (next, removed) = {
            let mut s = lock_state(&self.mutex.state);
            if s.handed == Some(id) {
                s.handed = None;
                (s.release(), None)
            } else {
                (None, s.waiters.remove(id))
            }
        };
        drop(removed);
        if let Some(w) = next {
            w.wake();
        }
    }
}

/// Access to the value of a locked [`Mutex`]; the lock is released (handed to the next
/// waiter, if any) when the guard is dropped.
///
/// ```
/// miou::Builder::new().domains(0).run(async {
///     let m = miou::sync::Mutex::new(vec![1]);
///     let mut g = m.lock().await;
///     g.push(2);
///     assert_eq!(*g, [1, 2]);
/// });
/// ```
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    /// Moving the guard to another thread moves `&mut T` there (`T: Send`); sharing it
    /// shares `&T` (`T: Sync`).
    _access: PhantomData<&'a mut T>,
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// The caller holds the lock.
    fn new(mutex: &'a Mutex<T>) -> MutexGuard<'a, T> {
        MutexGuard {
            mutex,
            _access: PhantomData,
        }
    }

    /// The mutex this guard locks.
    pub(crate) fn mutex(&self) -> &'a Mutex<T> {
        self.mutex
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while its task holds the lock (it is built when
        // the lock is taken and releases it when dropped), so no other guard, hence no
        // other reference to the value, exists; `&self` lends the value shared for as
        // long as the guard is borrowed.
        unsafe { &*self.mutex.value.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, this guard is the only access to the value, and
        // `&mut self` makes this borrow of it unique.
        unsafe { &mut *self.mutex.value.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.unlock();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
