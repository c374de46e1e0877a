//! Two backends for timers: a virtual clock, which jumps to the next deadline
//! when nothing can run, and the real clock, which sleeps until it (or until
//! another domain interrupts it).
//!
//! Both keep their sleepers in [`Timers`] and differ only in what time it is
//! and in how they wait: that is the whole difference between a test clock and
//! a real one.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::events::{
    Events, Interrupter, Signal, Syscall, SyscallId, suspend, syscall,
};
use crate::parker::Parker;

/// The sleepers of a clock: a deadline and a syscall each, and a record of
/// what the clock did, for the report.
#[derive(Default)]
pub struct Timers {
    sleepers: Vec<(u64, Syscall)>,
    /// What happened, in order: `(time, what)`.
    pub log: Vec<(u64, String)>,
    /// Every sleep: the task, when it started, its deadline, its syscall.
    pub sleeps: Vec<(String, u64, u64, SyscallId)>,
    /// The time at the end of each `select`, in order.
    pub selects: Vec<u64>,
}

impl Timers {
    /// Forgets the sleepers whose tasks stopped waiting.
    pub(crate) fn forget(&mut self, now: u64, cancelled: &[SyscallId]) {
        for (deadline, s) in &self.sleepers {
            if cancelled.contains(&s.id()) {
                let what = format!("forgets {} (due at {deadline})", s.id());
                self.log.push((now, what));
            }
        }
        self.sleepers.retain(|(_, s)| !cancelled.contains(&s.id()));
    }

    /// The earliest deadline, if any sleeper is left.
    pub(crate) fn next(&self) -> Option<u64> {
        self.sleepers.iter().map(|(deadline, _)| *deadline).min()
    }

    /// Takes the sleepers due at `now`, earliest deadline first.
    pub(crate) fn due(&mut self, now: u64) -> Vec<Signal> {
        let (mut due, later): (Vec<_>, Vec<_>) =
            self.sleepers.drain(..).partition(|(d, _)| *d <= now);
        self.sleepers = later;
        due.sort_by_key(|(deadline, s)| (*deadline, s.id()));
        due.iter().map(|(_, s)| s.signal()).collect()
    }
}

/// A clock tasks can sleep on: what time it is, and its sleepers.
pub trait Clock: Events + Clone + 'static {
    /// The current time, in ticks (a virtual clock) or milliseconds.
    fn now(&self) -> u64;
    /// The clock's sleepers.
    fn timers(&self) -> &Rc<RefCell<Timers>>;
}

/// Sleeps `ticks` on `clock`: a syscall registered with the clock's timers,
/// then a suspend on it.
pub async fn sleep<C: Clock>(clock: &C, ticks: u64) {
    let s = syscall();
    let (now, deadline) = (clock.now(), clock.now() + ticks);
    {
        let mut timers = clock.timers().borrow_mut();
        timers.sleepers.push((deadline, s.clone()));
        let task = s.task().to_string();
        timers.sleeps.push((task, now, deadline, s.id()));
    }
    suspend(s).await;
}

/// A clock whose time only moves when nothing can run: it then jumps to the
/// next deadline. Deterministic, and an hour of sleeps takes no time.
#[derive(Clone, Default)]
pub struct VirtualClock {
    now: Rc<RefCell<u64>>,
    timers: Rc<RefCell<Timers>>,
    /// Where the domain waits when nobody sleeps: for another domain.
    parker: Parker,
}

impl Events for VirtualClock {
    fn select(&mut self, block: bool, cancelled: &[SyscallId]) -> Vec<Signal> {
        let mut timers = self.timers.borrow_mut();
        let mut now = self.now.borrow_mut();
        timers.forget(*now, cancelled);
        if block {
            // Nothing can run here: the next deadline is the next thing to
            // happen, or, if nobody sleeps, what another domain sends.
            match timers.next() {
                Some(next) if next > *now => {
                    *now = next;
                    timers.log.push((next, format!("jumps to {next}")));
                }
                Some(_) => {}
                None => self.parker.park(None),
            }
        }
        timers.selects.push(*now);
        timers.due(*now)
    }

    fn interrupter(&self) -> Interrupter {
        self.parker.interrupter()
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> u64 {
        *self.now.borrow()
    }

    fn timers(&self) -> &Rc<RefCell<Timers>> {
        &self.timers
    }
}

/// The real clock, in milliseconds since it was made: it sleeps the thread
/// until the next deadline, or until another domain interrupts it, when
/// nothing can run.
#[derive(Clone)]
pub struct RealClock {
    start: Instant,
    timers: Rc<RefCell<Timers>>,
    /// Where the domain waits: until the next deadline or an interrupt.
    parker: Parker,
}

impl Events for RealClock {
    fn select(&mut self, block: bool, cancelled: &[SyscallId]) -> Vec<Signal> {
        let mut timers = self.timers.borrow_mut();
        timers.forget(self.now(), cancelled);
        if block {
            let next = timers.next();
            let wait = next.map(|next| next.saturating_sub(self.now()));
            self.parker.park(wait.map(Duration::from_millis));
        }
        let now = self.now();
        timers.selects.push(now);
        timers.due(now)
    }

    fn interrupter(&self) -> Interrupter {
        self.parker.interrupter()
    }
}

impl RealClock {
    /// A real clock starting now.
    pub fn new() -> RealClock {
        RealClock {
            start: Instant::now(),
            timers: Rc::default(),
            parker: Parker::new(),
        }
    }
}

impl Default for RealClock {
    fn default() -> Self {
        RealClock::new()
    }
}

impl Clock for RealClock {
    fn now(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn timers(&self) -> &Rc<RefCell<Timers>> {
        &self.timers
    }
}
