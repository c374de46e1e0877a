//! A mutex and a condition variable for tasks, on any domain.
//!
//! Waiting for either is a scheduling point and a park, never a blocked
//! thread: the other tasks of the domain run meanwhile. The [`Mutex`] hands
//! the lock to the task that has waited longest (no *barging*: a task that
//! comes later, or the one that just let go, cannot take it first), and a
//! [`Condition`] lets a task that holds the lock wait for another task to
//! change what it protects. Both are safe under cancellation: a task
//! cancelled while it waits neither keeps nor loses the lock, or a signal.

use std::collections::VecDeque;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::{Arc, Mutex as StdMutex};
use std::task::{Context, Poll, Waker};

use crate::{SHARED, pass_point, point, use_a_point};

// ANCHOR: mutex
/// A mutex: one task at a time holds the value, and the others wait in line,
/// served in the order they came. Clones are the same mutex.
pub struct Mutex<T> {
    inner: Arc<Inner<T>>,
}

struct Inner<T> {
    name: String,
    state: StdMutex<State<T>>,
}

struct State<T> {
    /// The value, while no task holds it.
    value: Option<T>,
    /// A task holds the lock, or it was handed one that has not taken it.
    locked: bool,
    /// The waiter the lock was handed to, until its task takes it.
    handed: Option<u64>,
    /// The tasks waiting, oldest first.
    waiters: VecDeque<Waiter>,
    next_ticket: u64,
}

struct Waiter {
    ticket: u64,
    task: String,
    waker: Waker,
}
// ANCHOR_END: mutex

impl<T> Clone for Mutex<T> {
    fn clone(&self) -> Self {
        Mutex {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T> Mutex<T> {
    /// A mutex named `name` (for the report), holding `value`.
    pub fn new(name: &str, value: T) -> Mutex<T> {
        Mutex {
            inner: Arc::new(Inner {
                name: name.to_string(),
                state: StdMutex::new(State {
                    value: Some(value),
                    locked: false,
                    handed: None,
                    waiters: VecDeque::new(),
                    next_ticket: 0,
                }),
            }),
        }
    }

    /// How many tasks wait in line for the lock.
    pub fn waiting(&self) -> usize {
        self.inner.state.lock().unwrap().waiters.len()
    }

    /// Waits for the lock, in line, and returns the guard that holds it.
    /// A scheduling point first, as every operation.
    pub fn lock(&self) -> Lock<T> {
        Lock {
            mutex: self.clone(),
            passed: false,
            ticket: None,
            done: false,
        }
    }
}

// ANCHOR: lock
/// The future of [`Mutex::lock`].
pub struct Lock<T> {
    mutex: Mutex<T>,
    /// Its scheduling point is behind it.
    passed: bool,
    /// Its place in line, once it has one.
    ticket: Option<u64>,
    done: bool,
}

impl<T> Future for Lock<T> {
    type Output = Guard<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Guard<T>> {
        let name = self.mutex.inner.name.clone();
        if !self.passed {
            if pass_point(&format!("lock {name}")).is_pending() {
                return Poll::Pending;
            }
            self.passed = true;
        }
        let inner = Arc::clone(&self.mutex.inner);
        let mut state = inner.state.lock().unwrap();
        let taken = match self.ticket {
            // Free, and nobody waits: it is ours at once.
            None if !state.locked && state.waiters.is_empty() => {
                state.locked = true;
                true
            }
            // Handed to us by the task that let go.
            Some(ticket) if state.handed == Some(ticket) => {
                state.handed = None;
                true
            }
            _ => false,
        };
        if taken {
            let value = state.value.take().expect("a free lock has its value");
            drop(state);
            if self.ticket.is_some() {
                use_a_point(format!("lock {name}"));
            }
            log(format!("take {name}"));
            self.done = true;
            return Poll::Ready(Guard {
                inner: Arc::clone(&inner),
                value: Some(value),
            });
        }
        // In line: join it the first time, else leave the newest waker.
        let waker = cx.waker().clone();
        match self.ticket {
            None => {
                let ticket = state.next_ticket;
                state.next_ticket += 1;
                let task = SHARED.with_borrow(|s| s.current.clone());
                state.waiters.push_back(Waiter {
                    ticket,
                    task,
                    waker,
                });
                self.ticket = Some(ticket);
                drop(state);
                log(format!("wait {name}"));
            }
            Some(ticket) => {
                let waiter =
                    state.waiters.iter_mut().find(|w| w.ticket == ticket);
                waiter
                    .expect("a waiter not handed the lock is in line")
                    .waker = waker;
            }
        }
        SHARED.with_borrow_mut(|s| s.stopped_at = Some(format!("lock {name}")));
        Poll::Pending
    }
}
// ANCHOR_END: lock

// ANCHOR: cancel_lock
impl<T> Drop for Lock<T> {
    /// A waiter that goes away (its task is cancelled) leaves the line; one
    /// that was handed the lock but never took it hands it on.
    fn drop(&mut self) {
        let Some(ticket) = self.ticket.filter(|_| !self.done) else {
            return;
        };
        let mut state = self.mutex.inner.state.lock().unwrap();
        if state.handed == Some(ticket) {
            state.handed = None;
            hand_on(&self.mutex.inner.name, state);
        } else {
            state.waiters.retain(|w| w.ticket != ticket);
        }
    }
}
// ANCHOR_END: cancel_lock

// ANCHOR: guard
/// Holds the lock, and the value, until it is dropped.
pub struct Guard<T> {
    inner: Arc<Inner<T>>,
    /// Always `Some` until the drop gives it back.
    value: Option<T>,
}

impl<T> Drop for Guard<T> {
    /// Gives the value back, and the lock to the oldest waiter, if any.
    fn drop(&mut self) {
        let mut state = self.inner.state.lock().unwrap();
        state.value = self.value.take();
        hand_on(&self.inner.name, state);
    }
}

/// The lock is let go: handed to the oldest waiter, which stays locked for
/// it (nobody can take the lock in between), or unlocked if none waits.
fn hand_on<T>(name: &str, mut state: std::sync::MutexGuard<'_, State<T>>) {
    match state.waiters.pop_front() {
        Some(next) => {
            state.handed = Some(next.ticket);
            drop(state);
            log(format!("hand {name} to {}", next.task));
            next.waker.wake();
        }
        None => {
            state.locked = false;
            drop(state);
            log(format!("unlock {name}"));
        }
    }
}
// ANCHOR_END: guard

impl<T> Guard<T> {
    /// The mutex this guard holds.
    pub fn mutex(&self) -> Mutex<T> {
        Mutex {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T> Deref for Guard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value.as_ref().expect("a guard holds the value")
    }
}

impl<T> DerefMut for Guard<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.value.as_mut().expect("a guard holds the value")
    }
}

// ANCHOR: condition
/// A condition variable: tasks that hold a mutex wait on it for a change
/// that another task signals. Clones are the same condition.
#[derive(Clone)]
pub struct Condition {
    inner: Arc<CondInner>,
}

struct CondInner {
    name: String,
    state: StdMutex<CondState>,
}

#[derive(Default)]
struct CondState {
    /// The tasks waiting for a signal, oldest first, with their wakers.
    waiting: VecDeque<(u64, Option<Waker>)>,
    /// The waiters signalled that have not woken up yet.
    signalled: Vec<u64>,
    next_ticket: u64,
}

impl Condition {
    /// A condition named `name`, for the report.
    pub fn new(name: &str) -> Condition {
        Condition {
            inner: Arc::new(CondInner {
                name: name.to_string(),
                state: StdMutex::default(),
            }),
        }
    }

    /// Lets go of `guard`'s lock, waits for a signal, then takes the lock
    /// again, in line. The task is a waiter before it lets go: a signal sent
    /// by the next holder of the lock finds it.
    pub async fn wait<T>(&self, guard: Guard<T>) -> Guard<T> {
        point(format!("wait {}", self.inner.name)).await;
        let ticket = {
            let mut state = self.inner.state.lock().unwrap();
            let ticket = state.next_ticket;
            state.next_ticket += 1;
            state.waiting.push_back((ticket, None));
            ticket
        };
        let mutex = guard.mutex();
        drop(guard);
        Signalled {
            condition: self.clone(),
            ticket,
            parked: false,
            done: false,
        }
        .await;
        // The signal is this task's until it has the lock back and can see the
        // change: cancelled in the line for the lock, it passes the signal on.
        let mut pass_on = PassOn {
            condition: self,
            armed: true,
        };
        let guard = mutex.lock().await;
        pass_on.armed = false;
        guard
    }

    /// How many tasks wait for a signal.
    pub fn waiting(&self) -> usize {
        self.inner.state.lock().unwrap().waiting.len()
    }

    /// Wakes the oldest waiter, if any.
    pub fn signal(&self) {
        let mut state = self.inner.state.lock().unwrap();
        let Some((ticket, waker)) = state.waiting.pop_front() else {
            return;
        };
        state.signalled.push(ticket);
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Wakes every waiter.
    pub fn broadcast(&self) {
        let waiting = self.inner.state.lock().unwrap().waiting.len();
        for _ in 0..waiting {
            self.signal();
        }
    }
}
// ANCHOR_END: condition

/// Sends `condition` a signal when dropped while `armed`: the signal of a
/// waiter that went away before it could use it.
struct PassOn<'a> {
    condition: &'a Condition,
    armed: bool,
}

impl Drop for PassOn<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.condition.signal();
        }
    }
}

// ANCHOR: signalled
/// Parks until the waiter `ticket` is signalled.
struct Signalled {
    condition: Condition,
    ticket: u64,
    parked: bool,
    done: bool,
}

impl Future for Signalled {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let ticket = self.ticket;
        let mut state = self.condition.inner.state.lock().unwrap();
        if let Some(k) = state.signalled.iter().position(|t| *t == ticket) {
            state.signalled.swap_remove(k);
            drop(state);
            if self.parked {
                use_a_point(format!("wait {}", self.condition.inner.name));
            }
            self.done = true;
            return Poll::Ready(());
        }
        let waiter = state.waiting.iter_mut().find(|(t, _)| *t == ticket);
        waiter.expect("a waiter not signalled is waiting").1 =
            Some(cx.waker().clone());
        drop(state);
        self.parked = true;
        let at = format!("wait {}", self.condition.inner.name);
        SHARED.with_borrow_mut(|s| s.stopped_at = Some(at));
        Poll::Pending
    }
}

impl Drop for Signalled {
    /// A waiter that goes away leaves the line; one that was signalled but
    /// never woke up passes its signal on to the next waiter.
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut state = self.condition.inner.state.lock().unwrap();
        let ticket = self.ticket;
        if let Some(k) = state.signalled.iter().position(|t| *t == ticket) {
            state.signalled.swap_remove(k);
            drop(state);
            self.condition.signal();
        } else {
            state.waiting.retain(|(t, _)| *t != ticket);
        }
    }
}
// ANCHOR_END: signalled

/// Adds an operation on a mutex to the current turn's report.
fn log(operation: String) {
    SHARED.with_borrow_mut(|s| s.did.push(operation));
}
