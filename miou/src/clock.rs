//! The run's clock: the real one, or the virtual one of
//! [`Builder::virtual_clock`](crate::Builder::virtual_clock).
//!
//! # Sleepers
//!
//! A sleeper is a syscall with a deadline, kept with the others of its domain in a
//! [`Timers`](crate::timers::Timers). With the real clock that set is in the domain's
//! built-in backend ([`Reactor`](crate::events::reactor::Reactor)), whose blocking
//! `select` waits until the earliest deadline. With the virtual clock the domain keeps
//! it itself (so that `time` also works with a backend of the user's, which knows
//! nothing of virtual time): the domain releases the sleepers whose deadline is not
//! after the virtual now each time it polls its events, and its backend blocks with no
//! timeout.
//!
//! # When virtual time passes
//!
//! Virtual time starts at zero and moves only by jumps, to the earliest deadline of all
//! domains, and only when nothing can happen without time passing: every domain is idle
//! (nothing queued, nothing to steal, nothing in its inbox, and a non-blocking poll of
//! its backend found no event), and stays so. The last part is the subtle one: a domain
//! that says it is idle may have been handed work since it looked (a task woken, a
//! `call`, data written to one of its sockets) by a domain that is still running, or
//! that went idle just after. So the clock counts *generations*:
//!
//! - a domain that ran a task since it was last idle opens a new generation
//!   ([`VirtualClock::activity`]) before it looks for work again: whatever it handed
//!   to others, it handed before that;
//! - a domain reads the generation ([`VirtualClock::generation`]) *before* it looks for
//!   work, and says it is idle in that generation ([`VirtualClock::enter_idle`]);
//! - time jumps only when every domain is idle in the current generation. When all are
//!   idle but some in an older one, those are interrupted (or, for the caller, told to
//!   look again): each looks for work once more, and a domain that only looked opens no
//!   generation, so the round ends.
//!
//! If a domain X looked before work was handed to it, the domain that handed it opened
//! a generation after that, so after X read its generation: X is stale, and looks again
//! before any jump.
//!
//! The domains whose earliest deadline a jump reached are marked busy by the domain
//! that jumped, under the clock's lock, and interrupted: no second jump can happen
//! before they released their sleepers and ran them (they open a new generation when
//! they go idle again). So sleepers are released in deadline order across the whole
//! run, and the tasks released by one jump all run before the next jump.
//!
//! Data written to a socket of the run may reach its reader's poll a little after the
//! write returned (the kernel hands loopback traffic to a softirq, which a loaded
//! machine defers). So while tasks wait for events of the built-in backend, the run
//! must also stay quiescent for a short real time ([`GRACE`]) before time jumps: the
//! domain that finds the run quiescent blocks no longer than that and looks again.
//! Jumps with only sleepers waiting are immediate.
//!
//! Events that come from outside the run (a peer in another process, a thread that is
//! not a task) are not seen by this beyond the grace: time may jump while such an event
//! is on its way. The crate docs say so to the user.
//!
//! `loom_models.rs` checks this protocol against a domain that hands work to another
//! while that one goes idle.

use std::time::{Duration, Instant};

use crate::loom::{Mutex, lock};

/// The virtual clock of a run, shared by its domains.
pub(crate) struct VirtualClock {
    /// What virtual time zero is, as a `std` instant (so that a virtual instant is an
    /// ordinary [`Instant`] underneath).
    origin: Instant,
    state: Mutex<ClockState>,
}

struct ClockState {
    /// Virtual time since `origin`.
    now: Duration,
    /// Bumped by every domain that goes idle after it ran a task.
    generation: u64,
    /// Per domain: `Some(g)` while it is idle, confirmed in generation `g`.
    idle: Vec<Option<u64>>,
    /// Per domain: its earliest sleeper, as it said when it went idle.
    earliest: Vec<Option<Duration>>,
    /// Per domain: it has tasks waiting for a socket (or another event of its
    /// backend), as it said when it went idle.
    io: Vec<bool>,
    /// When the run was first found quiescent in the current generation while tasks
    /// wait for events (see [`GRACE`]).
    quiet: Option<(u64, Instant)>,
}

/// How long the run must stay quiescent, in real time, before virtual time jumps while
/// tasks wait for events of the built-in backend. The kernel may deliver data written
/// to a socket of the run a little after the write returned (loopback traffic is
/// handed to a softirq, which a loaded machine defers): without this grace a timeout
/// around a request to a server of the same run would sometimes fire while the answer
/// is on its way. Jumps with only sleepers waiting do not wait.
pub(crate) const GRACE: Duration = Duration::from_millis(20);

/// What [`VirtualClock::enter_idle`] asks of the domain that went idle.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Entered {
    /// It is stale itself (work may have been handed to it since it looked): look
    /// again instead of blocking.
    pub(crate) again: bool,
    /// Its own sleepers are due (it made time jump to them): release them instead of
    /// blocking.
    pub(crate) due: bool,
    /// Interrupt these domains (they must look for work again, or release their
    /// sleepers).
    pub(crate) interrupt: Vec<usize>,
    /// The run is quiescent but tasks wait for events: block no later than this (real
    /// time), then look again; time will jump if nothing happened meanwhile.
    pub(crate) recheck_at: Option<Instant>,
}

impl VirtualClock {
    /// A clock at zero for a run of `domains` domains (domain 0 included), all busy.
    pub(crate) fn new(domains: usize) -> VirtualClock {
        VirtualClock {
            origin: Instant::now(),
            state: Mutex::new(ClockState {
                now: Duration::ZERO,
                generation: 0,
                idle: vec![None; domains],
                earliest: vec![None; domains],
                io: vec![false; domains],
                quiet: None,
            }),
        }
    }

    /// The virtual now, as an instant (`origin` plus the virtual time).
    pub(crate) fn now(&self) -> Instant {
        self.origin + lock(&self.state).now
    }

    /// A domain ran tasks since it was last idle: whatever work they handed to other
    /// domains, they handed it before this new generation.
    pub(crate) fn activity(&self) {
        lock(&self.state).generation += 1;
    }

    /// The current generation, read by a domain before it looks for work.
    pub(crate) fn generation(&self) -> u64 {
        lock(&self.state).generation
    }

    /// Domain `me` found no work and no event after it read generation `seen`: it is
    /// idle from now on, until [`leave_idle`](VirtualClock::leave_idle). `earliest`:
    /// its earliest sleeper. `io`: some of its tasks wait for events of the built-in
    /// backend (see [`GRACE`]). See the module doc.
    pub(crate) fn enter_idle(
        &self,
        me: usize,
        seen: u64,
        earliest: Option<Instant>,
        io: bool,
    ) -> Entered {
        let mut st = lock(&self.state);
        let generation = st.generation;
        st.idle[me] = Some(seen);
        st.earliest[me] = earliest.map(|e| e.saturating_duration_since(self.origin));
        st.io[me] = io;
        let mut out = Entered::default();
        if st.idle.iter().any(Option::is_none) {
            return out;
        }
        // Every domain is idle. Those that looked before the last activity look again:
        // it may have handed them work they have not seen yet.
        for d in 0..st.idle.len() {
            if st.idle[d] != Some(generation) {
                st.idle[d] = None;
                if d == me {
                    out.again = true;
                } else {
                    out.interrupt.push(d);
                }
            }
        }
        if out.again || !out.interrupt.is_empty() {
            return out;
        }
        // Quiescent: nothing can happen before the earliest deadline. Jump to it.
        let Some(next) = st.earliest.iter().flatten().min().copied() else {
            return out; // nobody sleeps: only an outside event can wake the run
        };
        if st.io.iter().any(|&io| io) {
            // Unless an event may still be on its way: stay quiescent for a grace
            // period of real time first (any activity opens a new generation).
            let real = Instant::now();
            match st.quiet {
                Some((g, since)) if g == generation => {
                    if real < since + GRACE {
                        out.recheck_at = Some(since + GRACE);
                        return out;
                    }
                }
                _ => {
                    st.quiet = Some((generation, real));
                    out.recheck_at = Some(real + GRACE);
                    return out;
                }
            }
        }
        st.now = st.now.max(next);
        let now = st.now;
        for d in 0..st.idle.len() {
            if st.earliest[d].is_some_and(|e| e <= now) {
                // Busy from now on: no other jump until it ran what is due.
                st.idle[d] = None;
                st.earliest[d] = None;
                if d == me {
                    out.due = true;
                } else {
                    out.interrupt.push(d);
                }
            }
        }
        out
    }

    /// Domain `me` is awake again (its blocking poll returned).
    pub(crate) fn leave_idle(&self, me: usize) {
        lock(&self.state).idle[me] = None;
    }
}
