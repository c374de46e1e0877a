//! One domain's side of the system layer: everything the domain knows about the events
//! its tasks wait for.
//!
//! [`DomainEvents`] owns the domain's [`Events`] backend, the built-in [`Reactor`] when
//! that backend is the default one (`time` and `net` register with it directly), the
//! count of tasks suspended on a syscall, the syscalls given up since the last `select`,
//! and, on the virtual clock, the domain's sleepers. The scheduler asks it two
//! questions, "is any task waiting for an event?" ([`DomainEvents::has_suspended`]) and
//! "what happened?" ([`DomainEvents::select`], [`DomainEvents::due_sleepers`]), and
//! fires the signals it gets back; [`Suspend`](super::Suspend) counts its task in and
//! out. Nothing else touches these fields.
//!
//! Everything here lives on the domain's own thread; only the backend's
//! [`Interrupter`] leaves it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::reactor::{Builtin, Reactor};
use super::{Events, Interrupter, Signal, Syscall, SyscallId};
use crate::id::DomainId;
use crate::timers::Timers;

/// A domain's backend, its reactor, and the syscalls of its tasks.
pub(crate) struct DomainEvents {
    backend: RefCell<Box<dyn Events>>,
    /// The built-in backend's state, for `time` and `net` (`None` with a user backend).
    reactor: Option<Rc<Reactor>>,
    /// Tasks suspended on a syscall of this domain right now.
    suspended: Cell<usize>,
    /// Syscalls given up (their task was cancelled) since the last `select`.
    given_up: RefCell<Vec<SyscallId>>,
    /// The sleepers of this domain when the run is on virtual time (see
    /// [`crate::clock`]); `None` on the real clock, where the reactor keeps them.
    virtual_sleepers: Option<RefCell<Timers>>,
    /// When the built-in backend last asked the kernel (see [`LOOK_EVERY`]); `None` when
    /// the backend is the run's own or the clock is virtual: then every turn looks.
    last_look: Option<Cell<Instant>>,
}

/// While tasks are ready to run, the built-in backend asks the kernel for events at
/// most this often (a non-blocking `epoll_wait` costs more than a short turn). A domain
/// about to sleep always asks.
pub(crate) const LOOK_EVERY: Duration = Duration::from_micros(20);

impl DomainEvents {
    /// The events of domain `id`: `custom` if the run has its own backend, else a new
    /// built-in reactor. `virtual_clock`: the run's sleepers are kept here rather than by
    /// the backend.
    pub(crate) fn new(
        id: DomainId,
        custom: Option<Box<dyn Events>>,
        virtual_clock: bool,
    ) -> DomainEvents {
        let (backend, reactor): (Box<dyn Events>, _) = match custom {
            Some(e) => (e, None),
            None => {
                let r = Reactor::new().unwrap_or_else(|e| {
                    panic!("miou: cannot create the events backend of domain {id}: {e}")
                });
                (Box::new(Builtin(r.clone())), Some(r))
            }
        };
        DomainEvents {
            backend: RefCell::new(backend),
            suspended: Cell::new(0),
            given_up: RefCell::new(Vec::new()),
            last_look: (reactor.is_some() && !virtual_clock).then(|| Cell::new(Instant::now())),
            reactor,
            virtual_sleepers: virtual_clock.then(|| RefCell::new(Timers::default())),
        }
    }

    /// How other threads wake this domain's blocked `select`.
    pub(crate) fn interrupter(&self) -> Interrupter {
        self.backend.borrow().interrupter()
    }

    /// The built-in reactor, for `time` and `net`; `None` when the run has its own
    /// backend.
    pub(crate) fn reactor(&self) -> Option<&Rc<Reactor>> {
        self.reactor.as_ref()
    }

    /// Is a task of this domain suspended on a syscall? (Then the loop may ask the
    /// backend for events after a turn: see [`look_after_turn`].)
    ///
    /// [`look_after_turn`]: DomainEvents::look_after_turn
    #[inline]
    pub(crate) fn has_suspended(&self) -> bool {
        self.suspended.get() > 0
    }

    /// After a turn: should the loop ask the backend for events now? Only if a task is
    /// suspended on a syscall; then a backend of the run's own is asked after every turn,
    /// and the built-in one once [`LOOK_EVERY`] has passed since it last looked.
    #[inline]
    pub(crate) fn look_after_turn(&self) -> bool {
        if !self.has_suspended() {
            return false;
        }
        match &self.last_look {
            None => true,
            Some(last) => Instant::now().saturating_duration_since(last.get()) >= LOOK_EVERY,
        }
    }

    /// A task suspends on a syscall.
    pub(crate) fn suspend(&self) {
        self.suspended.set(self.suspended.get() + 1);
    }

    /// A suspended task's syscall was signalled and the task goes on.
    pub(crate) fn resume(&self) {
        self.suspended.set(self.suspended.get() - 1);
    }

    /// A task gave its syscall up before it was signalled (it was cancelled, or a
    /// `timeout` won); `suspended` if it had suspended on it. The backend hears of it
    /// at the next `select`.
    pub(crate) fn give_up(&self, id: SyscallId, suspended: bool) {
        if suspended {
            self.resume();
        }
        self.given_up.borrow_mut().push(id);
    }

    /// A sleeper on the virtual clock, released by [`due_sleepers`] once the clock
    /// reaches `deadline`. `false` (nothing is kept) when the run is on the real clock.
    ///
    /// [`due_sleepers`]: DomainEvents::due_sleepers
    pub(crate) fn sleep_virtual(&self, deadline: Instant, syscall: &Syscall) -> bool {
        match &self.virtual_sleepers {
            Some(sleepers) => {
                sleepers.borrow_mut().add(deadline, syscall.clone());
                true
            }
            None => false,
        }
    }

    /// Asks the backend for the signals of what is ready (waiting for one, or for an
    /// interrupt, if `block`), and tells it, and the virtual sleepers, the syscalls given
    /// up since the last call.
    pub(crate) fn select(&self, block: bool) -> Vec<Signal> {
        let given_up = std::mem::take(&mut *self.given_up.borrow_mut());
        if let Some(sleepers) = &self.virtual_sleepers
            && !given_up.is_empty()
        {
            let mut sleepers = sleepers.borrow_mut();
            for &id in &given_up {
                sleepers.cancel(id);
            }
        }
        if let Some(last) = &self.last_look {
            last.set(Instant::now());
        }
        self.backend.borrow_mut().select(block, &given_up)
    }

    /// Virtual time: the signals of the sleepers whose deadline is not after `now`,
    /// earliest first (none on the real clock).
    pub(crate) fn due_sleepers(&self, now: Instant) -> Vec<Signal> {
        match &self.virtual_sleepers {
            Some(sleepers) => {
                let mut due = Vec::new();
                sleepers.borrow_mut().release_due(now, &mut due);
                due
            }
            None => Vec::new(),
        }
    }

    /// Virtual time: the earliest deadline of this domain's sleepers, and whether some
    /// task waits for something other than a sleeper from a backend that can block for
    /// a while (only the built-in one can: see `clock::GRACE`).
    pub(crate) fn idle_state(&self) -> (Option<Instant>, bool) {
        let (earliest, sleepers) = match &self.virtual_sleepers {
            Some(s) => {
                let s = s.borrow();
                (s.next_deadline(), s.len())
            }
            None => (None, 0),
        };
        let io = self.reactor.is_some() && self.suspended.get() > sleepers;
        (earliest, io)
    }

    /// The backend's `finalise`, when the domain stops (after its last `select`).
    pub(crate) fn finalise(&self) {
        self.backend.borrow_mut().finalise();
    }
}
