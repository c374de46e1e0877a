//! The operating system as an events backend: a `mio::Poll` for sockets, and
//! step 4's timers on the real clock.
//!
//! A task that must wait for a socket makes a syscall and leaves it here,
//! under the socket's token and the direction it waits for (reading or
//! writing); `select` asks the system which sockets became ready and returns
//! the signals of the syscalls waiting on them.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::{Events as Readiness, Interest, Poll, Token};

use crate::clock::{Clock, Timers};
use crate::events::{
    Events, Interrupter, Signal, Syscall, SyscallId, suspend_after_point,
    syscall,
};

/// Which way a task waits on a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// For data to read, a connection to accept, or the peer's close.
    Read,
    /// For room to write, or a connection to complete.
    Write,
}

/// A registered socket: its name, for the report, and the syscalls waiting
/// on it, one per direction.
/// One task at a time waits in each direction: a socket belongs to the task
/// that uses it.
struct Source {
    name: String,
    read: Option<Syscall>,
    write: Option<Syscall>,
}

/// What the reactor's handles share.
struct Inner {
    poll: Poll,
    sources: HashMap<Token, Source>,
    next_token: usize,
    /// For each select that returned events, the names of the ready sockets.
    ready: Vec<Vec<String>>,
}

/// The backend: a `mio::Poll`, the sockets registered with it and the tasks
/// waiting on them, and timers. Cloning it gives another handle to the same
/// reactor; sockets keep one to register and wait.
#[derive(Clone)]
pub struct Reactor {
    inner: Rc<RefCell<Inner>>,
    start: Instant,
    timers: Rc<RefCell<Timers>>,
    /// How many times a task waited on a socket, and how many times a task
    /// woken by an event found its system call would still block, for the
    /// report.
    waits: Rc<Cell<usize>>,
    retries: Rc<Cell<usize>>,
    /// Wakes the poll from another thread: mio's `Waker` makes the poll
    /// readable on a token no socket has, and stays so until it is polled,
    /// so an early interrupt is not lost.
    waker: Arc<mio::Waker>,
}

/// The token of the reactor's waker: never a socket's.
const WAKER: Token = Token(usize::MAX);

impl Reactor {
    /// A new reactor, with its own `mio::Poll`.
    pub fn new() -> io::Result<Reactor> {
        let poll = Poll::new()?;
        let waker = Arc::new(mio::Waker::new(poll.registry(), WAKER)?);
        Ok(Reactor {
            inner: Rc::new(RefCell::new(Inner {
                poll,
                sources: HashMap::new(),
                next_token: 0,
                ready: Vec::new(),
            })),
            start: Instant::now(),
            timers: Rc::default(),
            waits: Rc::default(),
            retries: Rc::default(),
            waker,
        })
    }

    /// Registers `source` for both directions, once, for as long as it lives:
    /// mio's events are edge-triggered, so the registration never needs to be
    /// renewed, only the syscalls that wait on it.
    pub(crate) fn register(
        &self,
        source: &mut impl mio::event::Source,
        name: String,
    ) -> io::Result<Token> {
        let mut inner = self.inner.borrow_mut();
        let token = Token(inner.next_token);
        inner.next_token += 1;
        let both = Interest::READABLE | Interest::WRITABLE;
        inner.poll.registry().register(source, token, both)?;
        let waiting = Source {
            name,
            read: None,
            write: None,
        };
        inner.sources.insert(token, waiting);
        Ok(token)
    }

    /// Forgets a socket that is being closed.
    pub(crate) fn deregister(
        &self,
        source: &mut impl mio::event::Source,
        token: Token,
    ) {
        let mut inner = self.inner.borrow_mut();
        let _ = inner.poll.registry().deregister(source);
        inner.sources.remove(&token);
    }

    /// Waits until the socket of `token` is ready in `direction`: a syscall
    /// left under the socket's token, and a suspend on it.
    pub(crate) async fn wait(&self, token: Token, direction: Direction) {
        self.waits.set(self.waits.get() + 1);
        let s = syscall();
        {
            let mut inner = self.inner.borrow_mut();
            let source = inner.sources.get_mut(&token).expect("registered");
            match direction {
                Direction::Read => source.read = Some(s.clone()),
                Direction::Write => source.write = Some(s.clone()),
            }
        }
        // The operation passed its point before its system call.
        suspend_after_point(s).await;
    }

    /// How many times a task waited on a socket (its system call would have
    /// blocked).
    pub fn waits(&self) -> usize {
        self.waits.get()
    }

    /// How many times a task woken by an event found that its system call
    /// would still block: the cost of spurious or stale events.
    pub fn retries(&self) -> usize {
        self.retries.get()
    }

    /// Counts a retry after a hint that found nothing.
    pub(crate) fn count_retry(&self) {
        self.retries.set(self.retries.get() + 1);
    }

    /// For each select that returned events, the names of the ready sockets.
    pub fn ready(&self) -> Vec<Vec<String>> {
        self.inner.borrow().ready.clone()
    }
}

impl Events for Reactor {
    fn select(&mut self, block: bool, cancelled: &[SyscallId]) -> Vec<Signal> {
        let mut inner = self.inner.borrow_mut();
        let now = self.now();
        // Forget the syscalls whose tasks stopped waiting.
        self.timers.borrow_mut().forget(now, cancelled);
        for source in inner.sources.values_mut() {
            for slot in [&mut source.read, &mut source.write] {
                if slot.as_ref().is_some_and(|s| cancelled.contains(&s.id())) {
                    *slot = None;
                }
            }
        }
        // Wait for nothing when a task can run; otherwise for the next
        // deadline, or for ever if nobody sleeps.
        let timeout = match (block, self.timers.borrow().next()) {
            (false, _) => Some(Duration::ZERO),
            (true, Some(deadline)) => {
                Some(Duration::from_millis(deadline.saturating_sub(now)))
            }
            (true, None) => None,
        };
        let mut readiness = Readiness::with_capacity(64);
        if let Err(e) = inner.poll.poll(&mut readiness, timeout) {
            // Interrupted by a signal: nothing is ready, ask again later.
            assert_eq!(e.kind(), io::ErrorKind::Interrupted, "poll: {e}");
        }
        let mut signals = self.timers.borrow_mut().due(self.now());
        let mut ready = Vec::new();
        for event in readiness.iter() {
            let Some(source) = inner.sources.get_mut(&event.token()) else {
                // The waker's (the poll returned, which is all it is for):
                // ignored.
                continue;
            };
            ready.push(source.name.clone());
            // A hint for both directions: whoever waits tries again.
            if event.is_readable() || event.is_read_closed() || event.is_error()
            {
                signals.extend(source.read.take().map(|s| s.signal()));
            }
            if event.is_writable()
                || event.is_write_closed()
                || event.is_error()
            {
                signals.extend(source.write.take().map(|s| s.signal()));
            }
        }
        if !ready.is_empty() {
            inner.ready.push(ready);
        }
        signals
    }

    fn interrupter(&self) -> Interrupter {
        let waker = Arc::clone(&self.waker);
        // A failed wake-up means the poll is gone: nobody is left to wake.
        Interrupter::new(move || {
            let _ = waker.wake();
        })
    }
}

impl Clock for Reactor {
    fn now(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn timers(&self) -> &Rc<RefCell<Timers>> {
        &self.timers
    }
}
