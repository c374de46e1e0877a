//! [`Condition`]: waiting, under a [`Mutex`], for a condition to become true. This
//! file owns the waiters (a [`WaitList`]), the set of waiters signalled but not yet
//! resumed, and the future that waits ([`ConditionWait`]): enqueue, unlock, wait,
//! re-lock.
//!
//! A signal goes to the oldest waiter: it leaves the queue and its id is recorded as
//! *signalled* before its task is woken. A waiter dropped while it waits (its task was
//! cancelled) leaves the queue; if it had already been signalled, the signal is
//! forwarded to the next waiter, so that no signal is lost to a cancelled task. The
//! same holds while it takes the mutex again: the signal is the waiter's until it holds
//! the mutex and can see the change, so one dropped then passes the signal on. Wakers
//! are woken after the state's lock is released; the condition's lock and the mutex's
//! are never held together.

use crate::loom::Mutex as StateLock;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::mutex::{Lock, Mutex, MutexGuard};
use super::wait_list::{WaitList, WaiterId};
use super::{after_park, lock_state, point_if_in_task};

/// A condition variable for tasks: [`wait`](Condition::wait) releases a
/// [`Mutex`] and waits for a [`signal`](Condition::signal) or a
/// [`broadcast`](Condition::broadcast), then takes the mutex again.
///
/// Waiters are woken oldest first. As with every condition variable, a waiter must
/// re-check its condition in a loop: wake-ups may be spurious by contract.
///
/// ```
/// use std::sync::Arc;
/// use miou::sync::{Condition, Mutex};
///
/// miou::Builder::new().domains(1).run(async {
///     let state = Arc::new((Mutex::new(false), Condition::new()));
///     let s = state.clone();
///     let p = miou::call(move || async move {
///         let (ready, cond) = &*s;
///         *ready.lock().await = true;
///         cond.signal();
///     });
///     let (ready, cond) = &*state;
///     let mut g = ready.lock().await;
///     while !*g {
///         g = cond.wait(g).await;
///     }
///     drop(g);
///     p.await.unwrap();
/// });
/// ```
#[derive(Default)]
pub struct Condition {
    state: StateLock<State>,
}

#[derive(Default)]
struct State {
    waiters: WaitList,
    /// Waiters signalled (out of the queue) that have not yet resumed.
    signalled: Vec<WaiterId>,
}

impl State {
    /// Signals the oldest waiter; returns its waker.
    fn signal_one(&mut self) -> Option<Waker> {
        let w = self.waiters.pop_front()?;
        self.signalled.push(w.id);
        Some(w.waker)
    }
}

impl Condition {
    /// A new condition, with no waiter.
    ///
    /// ```
    /// let c = miou::sync::Condition::new();
    /// c.signal(); // nobody waits: nothing happens
    /// ```
    pub fn new() -> Condition {
        Condition::default()
    }

    /// Releases the mutex of `guard`, waits for a signal, takes the mutex again (after
    /// the tasks already waiting for it) and returns the new guard.
    ///
    /// A scheduling point. If the task is cancelled while it waits, it leaves the queue
    /// without taking the mutex again, and a signal it had already received goes to
    /// the next waiter, also when it was cancelled while taking the mutex again.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use miou::sync::{Condition, Mutex};
    ///
    /// miou::Builder::new().domains(0).run(async {
    ///     let q = Arc::new((Mutex::new(Vec::new()), Condition::new()));
    ///     let q2 = q.clone();
    ///     let consumer = miou::spawn(async move {
    ///         let (items, cond) = &*q2;
    ///         let mut g = items.lock().await;
    ///         loop {
    ///             if let Some(x) = g.pop() {
    ///                 return x;
    ///             }
    ///             g = cond.wait(g).await;
    ///         }
    ///     });
    ///     miou::yield_now().await;
    ///     q.0.lock().await.push(7);
    ///     q.1.signal();
    ///     assert_eq!(consumer.await.unwrap(), 7);
    /// });
    /// ```
    pub fn wait<'c, 'a, T: ?Sized>(&'c self, guard: MutexGuard<'a, T>) -> ConditionWait<'c, 'a, T> {
        ConditionWait {
            condition: self,
            stage: Stage::Point(guard),
        }
    }

    /// Wakes the oldest waiter, if any. Not a scheduling point; callable from any
    /// thread, with or without the mutex held.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use miou::sync::{Condition, Mutex};
    ///
    /// miou::Builder::new().domains(0).run(async {
    ///     let s = Arc::new((Mutex::new(0), Condition::new()));
    ///     let s2 = s.clone();
    ///     let p = miou::spawn(async move {
    ///         let mut g = s2.0.lock().await;
    ///         while *g == 0 {
    ///             g = s2.1.wait(g).await;
    ///         }
    ///     });
    ///     miou::yield_now().await;
    ///     *s.0.lock().await = 1;
    ///     s.1.signal();
    ///     p.await.unwrap();
    /// });
    /// ```
    pub fn signal(&self) {
        let w = lock_state(&self.state).signal_one();
        if let Some(w) = w {
            w.wake();
        }
    }

    /// Wakes every waiter, oldest first. Not a scheduling point; callable from any
    /// thread.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use miou::sync::{Condition, Mutex};
    ///
    /// miou::Builder::new().domains(0).run(async {
    ///     let s = Arc::new((Mutex::new(false), Condition::new()));
    ///     let ps: Vec<_> = (0..3)
    ///         .map(|_| {
    ///             let s = s.clone();
    ///             miou::spawn(async move {
    ///                 let mut g = s.0.lock().await;
    ///                 while !*g {
    ///                     g = s.1.wait(g).await;
    ///                 }
    ///             })
    ///         })
    ///         .collect();
    ///     miou::yield_now().await;
    ///     *s.0.lock().await = true;
    ///     s.1.broadcast();
    ///     for r in miou::await_all(ps).await {
    ///         r.unwrap();
    ///     }
    /// });
    /// ```
    pub fn broadcast(&self) {
        let wakers: Vec<Waker> = {
            let mut s = lock_state(&self.state);
            let s = &mut *s;
            s.waiters
                .drain()
                .map(|w| {
                    s.signalled.push(w.id);
                    w.waker
                })
                .collect()
        };
        for w in wakers {
            w.wake();
        }
    }

    /// Queues a new waiter.
    fn enqueue(&self, waker: &Waker) -> WaiterId {
        lock_state(&self.state).waiters.push(waker, ())
    }

    /// `true` if waiter `id` was signalled (it is then forgotten); otherwise refreshes
    /// its waker.
    fn take_signal(&self, id: WaiterId, waker: &Waker) -> bool {
        let mut s = lock_state(&self.state);
        if let Some(at) = s.signalled.iter().position(|&i| i == id) {
            s.signalled.swap_remove(at);
            return true;
        }
        s.waiters.update(id, waker);
        false
    }

    /// Waiter `id` gives up: it leaves the queue, or forwards the signal it received.
    fn give_up(&self, id: WaiterId) {
        let (removed, forward) = {
            let mut s = lock_state(&self.state);
            if let Some(at) = s.signalled.iter().position(|&i| i == id) {
                s.signalled.swap_remove(at);
                (None, s.signal_one())
            } else {
                (s.waiters.remove(id), None)
            }
        };
        drop(removed);
        if let Some(w) = forward {
            w.wake();
        }
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = lock_state(&self.state);
        f.debug_struct("Condition")
            .field("waiters", &s.waiters.len())
            .field("signalled", &s.signalled.len())
            .finish()
    }
}

/// The future of [`Condition::wait`]. Dropping it while it waits (the task was
/// cancelled) leaves the condition's queue, forwarding a signal it had received to the
/// next waiter; the mutex is not taken again.
///
/// ```
/// use std::sync::Arc;
/// use miou::sync::{Condition, Mutex};
///
/// miou::Builder::new().domains(0).run(async {
///     let s = Arc::new((Mutex::new(()), Condition::new()));
///     let s2 = s.clone();
///     let waiter = miou::spawn(async move {
///         let g = s2.0.lock().await;
///         let _g = s2.1.wait(g).await; // never signalled
///     });
///     for _ in 0..3 {
///         miou::yield_now().await;
///     }
///     miou::cancel(waiter).await;
///     assert!(s.0.try_lock().is_some(), "the cancelled waiter did not re-lock");
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct ConditionWait<'c, 'a, T: ?Sized> {
    condition: &'c Condition,
    stage: Stage<'a, T>,
}

enum Stage<'a, T: ?Sized> {
    /// Still holding the mutex; the scheduling point is still to pass.
    Point(MutexGuard<'a, T>),
    /// Queued on the condition under this id; the mutex is released.
    Waiting(WaiterId, &'a Mutex<T>),
    /// Signalled; taking the mutex again.
    Relock(Lock<'a, T>),
    Done,
}

impl<T: ?Sized> fmt::Debug for ConditionWait<'_, '_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = match &self.stage {
            Stage::Point(_) => "Point",
            Stage::Waiting(..) => "Waiting",
            Stage::Relock(_) => "Relock",
            Stage::Done => "Done",
        };
        f.debug_struct("ConditionWait")
            .field("condition", self.condition)
            .field("stage", &stage)
            .finish()
    }
}

impl<'a, T: ?Sized> Future for ConditionWait<'_, 'a, T> {
    type Output = MutexGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<MutexGuard<'a, T>> {
        let this = &mut *self;
        loop {
            match &mut this.stage {
                Stage::Point(_) => {
                    if point_if_in_task(cx).is_pending() {
                        return Poll::Pending;
                    }
                    // Queue first, then unlock: a signal sent as soon as the mutex is
                    // free finds us in the queue.
                    let id = this.condition.enqueue(cx.waker());
                    let Stage::Point(guard) = std::mem::replace(&mut this.stage, Stage::Done)
                    else {
                        unreachable!()
                    };
                    this.stage = Stage::Waiting(id, guard.mutex());
                    drop(guard);
                    return Poll::Pending;
                }
                Stage::Waiting(id, mutex) => {
                    if !this.condition.take_signal(*id, cx.waker()) {
                        return Poll::Pending;
                    }
                    after_park();
                    this.stage = Stage::Relock(mutex.relock());
                }
                Stage::Relock(l) => {
                    let guard = std::task::ready!(Pin::new(l).poll(cx));
                    this.stage = Stage::Done;
                    return Poll::Ready(guard);
                }
                Stage::Done => panic!("miou::sync::ConditionWait polled after completion"),
            }
        }
    }
}

impl<T: ?Sized> Drop for ConditionWait<'_, '_, T> {
    fn drop(&mut self) {
        match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Waiting(id, _) => self.condition.give_up(id),
            Stage::Relock(lock) => {
                // Signalled, and not yet holding the mutex, so not yet able to see the
                // change it was signalled for: leave the mutex's queue (or pass the
                // mutex on), then pass the signal to the next waiter.
                drop(lock);
                self.condition.signal();
            }
            // `Point` drops its guard (unlocks).
            Stage::Point(_) | Stage::Done => {}
        }
    }
}
