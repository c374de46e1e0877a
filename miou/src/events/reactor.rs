//! The built-in events backend: one `mio::Poll` per domain, its `mio::Waker` as the
//! domain's interrupter, the sleepers ([`Timers`]) of [`time`](crate::time) on the real
//! clock (see [`clock`](crate::clock)), and the tasks waiting for a socket to become
//! readable or writable for [`net`](crate::net).
//!
//! # Readiness, edge-triggered
//!
//! mio reports readiness edges (`EPOLLET`): an event says "something changed", once.
//! The rule that makes this correct without a readiness cache: an I/O operation always
//! *tries the system call first*, and waits for an event only after the call said
//! `WouldBlock`; it then tries again. An edge that arrived while nobody was waiting is
//! not lost, because the data it announced is still in the socket and the next attempt
//! finds it. Spurious or stale events (a token reused after a close) only cause a
//! harmless extra attempt.
//!
//! One thing is remembered per socket, to spare a TCP read that would say `WouldBlock`:
//! whether its receive buffer is known empty ([`Reactor::drained`]). A TCP read that
//! returns fewer bytes than it asked for, or says `WouldBlock`, found it empty; the next
//! read then waits for an event before it tries (`Registered::read_once` in
//! `net/io.rs`, which says when a short read does not mean that). Data that arrives
//! after that read raises an edge, which the next `select` reports and which forgets the
//! mark, whether a task waits or not, so the rule above still holds: no data is left
//! unread for want of an event. The end of the stream is the exception: the peer's
//! close is reported once, perhaps with the last data, and no event follows it; a read
//! that emptied the buffer after it must still try, and find the end. So once an event
//! says the reading side is closed (or the socket failed), the mark is never honoured
//! again. A request-response connection saves one `recv` per request this way (the one
//! that used to find the buffer empty after the request was read), as tokio does.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::event::Source;
use mio::{Interest, Token};

use super::{Events, Interrupter, Signal, Syscall, SyscallId};
use crate::slab::Slab;
use crate::timers::Timers;

const WAKER: Token = Token(0);

/// Which way a task waits on a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

/// What reads know of a socket's receive buffer.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum Reading {
    /// Nothing: a read must try.
    #[default]
    Unknown,
    /// A read found it empty, and no readable event came since: the next read waits
    /// for one before it tries.
    Drained,
    /// An event said the reading side is closed, or the socket failed: a read always
    /// tries (it returns the end or the error, which no later event may announce).
    /// Kept for the socket's life: after an error that passes, the socket only loses
    /// the mark's saving.
    Closed,
}

#[derive(Default)]
struct Waiters {
    readers: Vec<Syscall>,
    writers: Vec<Syscall>,
    /// What reads know of the receive buffer (see the module doc).
    reading: Reading,
}

/// The state of one domain's built-in backend, shared (on that domain's thread) by the
/// [`Events`] object the scheduler calls and the `time`/`net` operations of its tasks.
pub(crate) struct Reactor {
    poll: RefCell<mio::Poll>,
    events: RefCell<mio::Events>,
    waker: Arc<mio::Waker>,
    timers: RefCell<Timers>,
    /// Registered sockets, by token (index + 1).
    sources: RefCell<Slab<Waiters>>,
    /// Which socket each I/O waiter waits on, to forget it if its task gives up.
    waiting: RefCell<HashMap<SyscallId, usize>>,
    /// A blocking `select` returns at this real-time instant at the latest (the
    /// virtual clock's grace, see [`crate::clock`]).
    wake_at: Cell<Option<Instant>>,
}

impl Reactor {
    pub(crate) fn new() -> io::Result<Rc<Reactor>> {
        let poll = mio::Poll::new()?;
        let waker = Arc::new(mio::Waker::new(poll.registry(), WAKER)?);
        Ok(Rc::new(Reactor {
            poll: RefCell::new(poll),
            events: RefCell::new(mio::Events::with_capacity(1024)),
            waker,
            timers: RefCell::new(Timers::default()),
            sources: RefCell::new(Slab::new()),
            waiting: RefCell::new(HashMap::new()),
            wake_at: Cell::new(None),
        }))
    }

    /// Releases `syscall` at `deadline`.
    pub(crate) fn add_timer(&self, deadline: Instant, syscall: Syscall) {
        self.timers.borrow_mut().add(deadline, syscall);
    }

    /// A blocking `select` returns at `at` at the latest (`None`: no such limit).
    pub(crate) fn wake_at(&self, at: Option<Instant>) {
        self.wake_at.set(at);
    }

    /// Registers a socket for both directions (once, for its whole life) and returns its
    /// key.
    pub(crate) fn register(&self, source: &mut impl Source) -> io::Result<usize> {
        let key = self.sources.borrow_mut().insert(Waiters::default());
        let token = Token(key + 1);
        if let Err(e) = self.poll.borrow().registry().register(
            source,
            token,
            Interest::READABLE | Interest::WRITABLE,
        ) {
            self.sources.borrow_mut().remove(key);
            return Err(e);
        }
        Ok(key)
    }

    /// Deregisters a socket before it is closed; its waiters are released (they will
    /// find the socket gone).
    pub(crate) fn deregister(&self, source: &mut impl Source, key: usize) {
        let _ = self.poll.borrow().registry().deregister(source);
        if let Some(w) = self.sources.borrow_mut().remove(key) {
            let mut waiting = self.waiting.borrow_mut();
            for s in w.readers.iter().chain(&w.writers) {
                waiting.remove(&s.id());
            }
        }
    }

    /// `syscall` is released at the next readiness event of the socket `key` in that
    /// direction.
    pub(crate) fn wait(&self, key: usize, direction: Direction, syscall: Syscall) {
        let mut sources = self.sources.borrow_mut();
        let Some(w) = sources.get_mut(key) else {
            return;
        };
        self.waiting.borrow_mut().insert(syscall.id(), key);
        match direction {
            Direction::Read => w.readers.push(syscall),
            Direction::Write => w.writers.push(syscall),
        }
    }

    /// Whether the socket `key`'s receive buffer is known empty: a read then waits for
    /// the next readable event before it tries (see the module doc).
    pub(crate) fn drained(&self, key: usize) -> bool {
        self.sources
            .borrow()
            .get(key)
            .is_some_and(|w| w.reading == Reading::Drained)
    }

    /// A read of the socket `key` found its receive buffer empty (it said `WouldBlock`,
    /// or a stream gave fewer bytes than asked for).
    pub(crate) fn mark_drained(&self, key: usize) {
        if let Some(w) = self.sources.borrow_mut().get_mut(key)
            && w.reading == Reading::Unknown
        {
            w.reading = Reading::Drained;
        }
    }

    fn forget(&self, id: SyscallId) {
        if let Some(key) = self.waiting.borrow_mut().remove(&id) {
            if let Some(w) = self.sources.borrow_mut().get_mut(key) {
                w.readers.retain(|s| s.id() != id);
                w.writers.retain(|s| s.id() != id);
            }
        } else {
            self.timers.borrow_mut().cancel(id);
        }
    }

    fn select(&self, block: bool, cancelled: &[SyscallId]) -> Vec<Signal> {
        for &id in cancelled {
            self.forget(id);
        }
        let now = Instant::now();
        let timeout = if !block {
            Some(Duration::ZERO)
        } else {
            [self.next_deadline(), self.wake_at.get()]
                .into_iter()
                .flatten()
                .min()
                .map(|d| d.saturating_duration_since(now))
        };
        let mut signals = Vec::new();
        {
            let mut events = self.events.borrow_mut();
            match self.poll.borrow_mut().poll(&mut events, timeout) {
                Ok(()) => {}
                // A signal interrupted the wait: report what is due, nothing else.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => events.clear(),
                Err(e) => panic!("miou: the events backend cannot poll: {e}"),
            }
            let mut sources = self.sources.borrow_mut();
            let mut waiting = self.waiting.borrow_mut();
            for event in events.iter() {
                if event.token() == WAKER {
                    continue;
                }
                let Some(w) = sources.get_mut(event.token().0 - 1) else {
                    continue;
                };
                let failed = event.is_error();
                if event.is_readable() || event.is_read_closed() || failed {
                    // Whether a task waits or not: the next read must try.
                    if event.is_read_closed() || failed {
                        w.reading = Reading::Closed;
                    } else if w.reading == Reading::Drained {
                        w.reading = Reading::Unknown;
                    }
                    for s in w.readers.drain(..) {
                        waiting.remove(&s.id());
                        signals.push(s.signal());
                    }
                }
                if event.is_writable() || event.is_write_closed() || failed {
                    for s in w.writers.drain(..) {
                        waiting.remove(&s.id());
                        signals.push(s.signal());
                    }
                }
            }
        }
        self.timers
            .borrow_mut()
            .release_due(Instant::now(), &mut signals);
        signals
    }

    /// The earliest deadline of a sleeper.
    fn next_deadline(&self) -> Option<Instant> {
        self.timers.borrow().next_deadline()
    }
}

/// The [`Events`] face of a [`Reactor`].
pub(crate) struct Builtin(pub(crate) Rc<Reactor>);

impl Events for Builtin {
    fn select(&mut self, block: bool, cancelled: &[SyscallId]) -> Vec<Signal> {
        self.0.select(block, cancelled)
    }

    fn interrupter(&self) -> Interrupter {
        let waker = self.0.waker.clone();
        Interrupter::new(move || {
            // Fails only if the poll is gone (the domain stopped): nothing to wake.
            let _ = waker.wake();
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::syscall;

    /// A sleeper given up (what dropping a `sleep` or a `timeout` does) leaves the
    /// backend at its next `select`, long before its deadline, and a given-up socket
    /// waiter is not mistaken for a sleeper.
    #[test]
    fn a_given_up_sleeper_leaves_at_the_next_select() {
        crate::Builder::new().domains(0).run(async {
            let reactor = Reactor::new().expect("a mio poll");
            let far = Instant::now() + Duration::from_secs(30);
            let (kept, dropped) = (syscall(), syscall());
            reactor.add_timer(far, kept.clone());
            reactor.add_timer(far, dropped.clone());
            assert_eq!(reactor.timers.borrow().len(), 2);
            let signals = reactor.select(false, &[dropped.id(), syscall().id()]);
            assert!(signals.is_empty(), "nothing is due");
            assert_eq!(reactor.timers.borrow().len(), 1);
            assert_eq!(reactor.next_deadline(), Some(far));
        });
    }
}
