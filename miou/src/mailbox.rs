//! How other threads hand tasks to a domain, and how a domain goes to sleep without
//! missing them.
//!
//! The decision to sleep is taken under the inbox lock: the domain looks at the inbox
//! and, if it is empty, says it sleeps, in one critical section; a sender pushes and
//! reads that word in another. The lock orders the two, so either the domain sees the
//! task and does not sleep, or the sender sees the domain asleep and interrupts it (and
//! the backend remembers an interrupt that arrives before its wait begins). The `ready`
//! hint, raised under the same lock, lets the domain skip the lock on every turn when
//! nothing was pushed.

use std::collections::VecDeque;

use crate::loom::{AtomicBool, Mutex, Ordering, lock};

pub(crate) struct Mailbox<T> {
    inbox: Mutex<Inbox<T>>,
    /// A hint that the inbox is not empty, so the domain does not lock it every turn.
    ready: AtomicBool,
    /// A copy of `sleeping` readable without the lock (a placement hint only).
    asleep_hint: AtomicBool,
}

struct Inbox<T> {
    items: VecDeque<T>,
    /// The domain decided to block in its backend.
    sleeping: bool,
    /// Someone already interrupted the sleep: later senders need not (one wake-up per
    /// sleep, however many tasks arrive while the domain wakes).
    woken: bool,
    /// Once closed (the domain stopped), pushes are refused.
    closed: bool,
}

impl<T> Inbox<T> {
    fn claim_wake(&mut self) -> bool {
        let claim = self.sleeping && !self.woken;
        self.woken |= claim;
        claim
    }
}

/// What a sender must do after a push.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// The domain may be asleep: interrupt it.
    Interrupt,
    /// The domain is awake and will see the item.
    Done,
}

impl<T> Mailbox<T> {
    pub(crate) fn new() -> Mailbox<T> {
        Mailbox {
            inbox: Mutex::new(Inbox {
                items: VecDeque::new(),
                sleeping: false,
                woken: false,
                closed: false,
            }),
            ready: AtomicBool::new(false),
            asleep_hint: AtomicBool::new(false),
        }
    }

    // ANCHOR: push
    /// Sender side. When the domain stopped, the item is handed back in `Err`.
    pub(crate) fn push(&self, item: T) -> Result<Pushed, T> {
        let mut inbox = lock(&self.inbox);
        if inbox.closed {
            return Err(item);
        }
        inbox.items.push_back(item);
        self.ready.store(true, Ordering::Release);
        Ok(if inbox.claim_wake() {
            Pushed::Interrupt
        } else {
            Pushed::Done
        })
    }
    // ANCHOR_END: push

    /// Domain side: whether something was pushed since the last drain. One load, for
    /// the loop's check between turns; [`drain_into`](Mailbox::drain_into) looks again.
    #[inline]
    pub(crate) fn has_mail(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Domain side: moves every pushed item to `queue`.
    #[inline]
    pub(crate) fn drain_into(&self, queue: &mut VecDeque<T>) {
        if self.ready.load(Ordering::Acquire) {
            let mut inbox = lock(&self.inbox);
            self.ready.store(false, Ordering::Relaxed);
            queue.extend(inbox.items.drain(..));
        }
    }

    /// Domain side, before blocking: says whether blocking is allowed (`false`:
    /// something was pushed meanwhile, do not block), and if so announces the sleep.
    ///
    /// `nothing_else` looks at the domain's other sources of work (its fresh tasks) under
    /// the same lock: a sender that adds work there first, then calls [`claim_wake`] (or
    /// [`is_asleep_or_waking`]), is ordered with this decision by the lock.
    ///
    /// [`claim_wake`]: Mailbox::claim_wake
    /// [`is_asleep_or_waking`]: Mailbox::is_asleep_or_waking
    pub(crate) fn going_to_sleep(&self, nothing_else: impl FnOnce() -> bool) -> bool {
        let mut inbox = lock(&self.inbox);
        inbox.woken = false;
        inbox.sleeping = inbox.items.is_empty() && nothing_else();
        self.asleep_hint.store(inbox.sleeping, Ordering::Relaxed);
        inbox.sleeping
    }

    /// Sender side, after adding work elsewhere: must the domain be interrupted? `true`
    /// once per sleep: the first sender interrupts, later ones know it is waking.
    pub(crate) fn claim_wake(&self) -> bool {
        let mut inbox = lock(&self.inbox);
        let claimed = inbox.claim_wake();
        if claimed {
            self.asleep_hint.store(false, Ordering::Relaxed);
        }
        claimed
    }

    /// Whether the domain sleeps or is being woken (it will look at its queues soon).
    pub(crate) fn is_asleep_or_waking(&self) -> bool {
        lock(&self.inbox).sleeping
    }

    /// Domain side, after the backend returned.
    pub(crate) fn awake(&self) {
        let mut inbox = lock(&self.inbox);
        inbox.sleeping = false;
        inbox.woken = false;
        self.asleep_hint.store(false, Ordering::Relaxed);
    }

    /// Whether the domain said it sleeps (a placement hint).
    pub(crate) fn is_sleeping(&self) -> bool {
        self.asleep_hint.load(Ordering::Relaxed)
    }

    /// The domain stops: refuse later pushes and hand back what is left.
    pub(crate) fn close(&self) -> VecDeque<T> {
        let mut inbox = lock(&self.inbox);
        inbox.closed = true;
        std::mem::take(&mut inbox.items)
    }
}
