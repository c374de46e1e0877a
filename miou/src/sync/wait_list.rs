//! [`WaitList`]: the queue of tasks waiting on one primitive of `sync/`. This file owns
//! the waiters (a waker and some data each, in the order they came) and their ids;
//! [`Mutex`](super::Mutex), [`Condition`](super::Condition), [`Lazy`](super::Lazy) and
//! [`Trigger`](super::Trigger) each keep one. (It is `pub(crate)` only for its loom model
//! in `loom_models.rs`.)
//!
//! Invariants:
//!
//! - The waiters stay in the order they were pushed: [`pop_front`](WaitList::pop_front)
//!   takes the oldest, and [`update`](WaitList::update) and
//!   [`remove`](WaitList::remove) leave the others' order alone.
//! - Every push gets a fresh [`WaiterId`]: ids are never reused within a list, not even
//!   after a removal or a drain. So the id a waiting future holds names its own waiter
//!   or none (once it left the list), never a newer waiter.
//! - The list is plain data, with no lock and no wake-up of its own: each primitive
//!   keeps it under its state lock, and the operations hand waiters back, so that their
//!   wakers are woken (or dropped) after that lock is released.

use std::collections::VecDeque;
use std::task::Waker;

/// A waiter's name in its [`WaitList`], never given to another waiter of that list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WaiterId(u64);

/// One waiter: its id, the waker that resumes it, and what its primitive records with
/// it (`()` for most).
pub(crate) struct Waiter<T> {
    pub(crate) id: WaiterId,
    pub(crate) waker: Waker,
    pub(crate) data: T,
}

/// A FIFO of waiters, each with a waker and a `T`, under ids never reused.
pub(crate) struct WaitList<T = ()> {
    waiters: VecDeque<Waiter<T>>,
    next_id: u64,
}

impl<T> Default for WaitList<T> {
    fn default() -> Self {
        WaitList {
            waiters: VecDeque::new(),
            next_id: 0,
        }
    }
}

impl<T> WaitList<T> {
    /// Queues a waiter at the back (a clone of `waker`) and returns its new id.
    pub(crate) fn push(&mut self, waker: &Waker, data: T) -> WaiterId {
        let id = WaiterId(self.next_id);
        self.next_id += 1;
        self.waiters.push_back(Waiter {
            id,
            waker: waker.clone(),
            data,
        });
        id
    }

    /// Waiter `id` was polled again, with `waker`: keeps that waker instead of its
    /// own, unless both wake the same task. The waiter keeps its place. `false` if no
    /// such waiter is in the list.
    pub(crate) fn update(&mut self, id: WaiterId, waker: &Waker) -> bool {
        let Some(w) = self.waiters.iter_mut().find(|w| w.id == id) else {
            return false;
        };
        if !w.waker.will_wake(waker) {
            w.waker.clone_from(waker);
        }
        true
    }

    /// Takes waiter `id` out of the list (it gave up), if it is still there.
    pub(crate) fn remove(&mut self, id: WaiterId) -> Option<Waiter<T>> {
        let at = self.waiters.iter().position(|w| w.id == id)?;
        self.waiters.remove(at)
    }

    /// Takes the oldest waiter out of the list.
    pub(crate) fn pop_front(&mut self) -> Option<Waiter<T>> {
        self.waiters.pop_front()
    }

    /// Takes every waiter out at once, into an iterator that owns them (oldest first),
    /// to be woken after the lock is released. The list goes on with fresh ids.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = Waiter<T>> + use<T> {
        std::mem::take(&mut self.waiters).into_iter()
    }

    /// How many waiters are in the list.
    pub(crate) fn len(&self) -> usize {
        self.waiters.len()
    }

    /// Whether nobody waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.waiters.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Wake, Waker};

    use super::*;

    struct Counter(AtomicUsize);

    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counter() -> (Waker, Arc<Counter>) {
        let c = Arc::new(Counter(AtomicUsize::new(0)));
        (Waker::from(c.clone()), c)
    }

    fn data_of(list: &mut WaitList<char>) -> String {
        list.drain().map(|w| w.data).collect()
    }

    #[test]
    fn waiters_leave_in_the_order_they_came() {
        let mut list = WaitList::default();
        let a = list.push(Waker::noop(), 'a');
        let b = list.push(Waker::noop(), 'b');
        list.push(Waker::noop(), 'c');
        assert_eq!(list.len(), 3);
        let first = list.pop_front().unwrap();
        assert_eq!((first.id, first.data), (a, 'a'));
        assert_eq!(list.pop_front().unwrap().id, b);
        list.push(Waker::noop(), 'd');
        assert_eq!(data_of(&mut list), "cd");
        assert!(list.is_empty());
        assert!(list.pop_front().is_none());
    }

    #[test]
    fn ids_are_not_reused_after_a_remove_or_a_drain() {
        let mut list = WaitList::default();
        let a = list.push(Waker::noop(), 'a');
        let b = list.push(Waker::noop(), 'b');
        assert_eq!(list.remove(b).map(|w| w.data), Some('b'));
        let c = list.push(Waker::noop(), 'c');
        let _ = list.drain();
        let d = list.push(Waker::noop(), 'd');
        assert!(a != b && b != c && c != d && a != c && a != d && b != d);
        assert!(list.remove(a).is_none(), "drained: a stale id names nobody");
        assert_eq!(data_of(&mut list), "d");
    }

    #[test]
    fn remove_takes_out_that_waiter_only() {
        let mut list = WaitList::default();
        list.push(Waker::noop(), 'a');
        let b = list.push(Waker::noop(), 'b');
        list.push(Waker::noop(), 'c');
        assert_eq!(list.remove(b).map(|w| w.data), Some('b'));
        assert!(list.remove(b).is_none(), "already gone");
        assert!(!list.update(b, Waker::noop()));
        assert_eq!(data_of(&mut list), "ac");
    }

    #[test]
    fn update_changes_the_waker_and_keeps_the_place() {
        let (old, old_count) = counter();
        let (new, new_count) = counter();
        let mut list = WaitList::default();
        let a = list.push(&old, 'a');
        list.push(Waker::noop(), 'b');
        assert!(list.update(a, &old), "the same waker: kept");
        assert!(list.update(a, &new));
        let first = list.pop_front().unwrap();
        assert_eq!(first.data, 'a', "still the oldest");
        first.waker.wake();
        assert_eq!(old_count.0.load(Ordering::SeqCst), 0);
        assert_eq!(new_count.0.load(Ordering::SeqCst), 1);
    }
}
