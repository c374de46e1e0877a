//! A virtual clock as an events backend, after the `Miouc` module of Miou's tests (in
//! `test/test_core.ml`): each domain has a min-heap of sleepers keyed by virtual time,
//! `select` advances a shared virtual `tick`, and `interrupt` sets the domain's flag.
//!
//! One deliberate difference with Miouc. Miouc advances the tick by at most 1 at every
//! `select` call and sleeps 10 ms of real time there, so its "tick < N" assertions rely
//! on every domain getting the CPU within a few ticks — fragile on a loaded 2-core
//! machine. Here virtual time advances only when **every** domain of the run is blocked
//! in `select(block = true)` and no interrupt is pending: nothing can run any more
//! without time passing. It then jumps to the earliest deadline. So a run's final tick
//! is exactly the virtual time the program needed, and the catalogue's bounds
//! ("the two sleeps overlapped", "the cancelled sleeper was cut short") are checked
//! deterministically. A domain whose `select` never returns when interrupted would
//! still show: the others' time would run on to its sleeper's deadline.
//!
//! A blocking `select` with nothing to do waits on a condition variable until it is
//! interrupted (the runtime calls `select(block = true)` on every idle domain, also
//! when nothing sleeps there).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use miou::domain::DomainId;
use miou::{Builder, Events, Interrupter, Signal, Syscall, SyscallId};

/// A virtual clock for one run with `workers` worker domains (plus domain 0).
#[derive(Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    cv: Condvar,
    /// Domains of the run, domain 0 included.
    domains: usize,
}

struct State {
    tick: u64,
    seq: u64,
    /// Domains blocked in `select(block = true)` right now.
    idle: usize,
    interrupted: Vec<bool>,
    heaps: Vec<BinaryHeap<Reverse<Sleeper>>>,
    /// How many times each domain's backend was created, and finalised.
    created: Vec<usize>,
    finalised: Vec<usize>,
}

struct Sleeper {
    time: u64,
    seq: u64,
    syscall: Syscall,
}

impl PartialEq for Sleeper {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}
impl Eq for Sleeper {}
impl PartialOrd for Sleeper {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Sleeper {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.time, self.seq).cmp(&(other.time, other.seq))
    }
}

impl State {
    fn expired(&self, d: usize) -> bool {
        self.heaps[d]
            .peek()
            .is_some_and(|Reverse(s)| s.time <= self.tick)
    }

    fn any_expired(&self) -> bool {
        (0..self.heaps.len()).any(|d| self.expired(d))
    }

    fn earliest(&self) -> Option<u64> {
        self.heaps
            .iter()
            .filter_map(|h| h.peek().map(|Reverse(s)| s.time))
            .min()
    }
}

impl Clock {
    /// A clock at tick 0 for a run with `workers` worker domains.
    pub fn new(workers: usize) -> Clock {
        let domains = workers + 1;
        Clock {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    tick: 0,
                    seq: 0,
                    idle: 0,
                    interrupted: vec![false; domains],
                    heaps: (0..domains).map(|_| BinaryHeap::new()).collect(),
                    created: vec![0; domains],
                    finalised: vec![0; domains],
                }),
                cv: Condvar::new(),
                domains,
            }),
        }
    }

    /// A builder for a run on this clock: its worker domains and its events backend.
    pub fn builder(&self) -> Builder {
        let clock = self.clone();
        Builder::new()
            .domains(self.inner.domains - 1)
            .events(move |id| clock.backend(id))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current virtual time.
    pub fn tick(&self) -> u64 {
        self.lock().tick
    }

    /// Sleepers still registered (not signalled, not cancelled), all domains.
    pub fn sleepers(&self) -> usize {
        self.lock().heaps.iter().map(BinaryHeap::len).sum()
    }

    /// How many times each domain's backend was created and finalised.
    pub fn lifecycle(&self) -> (Vec<usize>, Vec<usize>) {
        let st = self.lock();
        (st.created.clone(), st.finalised.clone())
    }

    /// Suspends the current task for `n` ticks of virtual time (Miouc's `sleep`: the
    /// sleeper is registered before `suspend`).
    pub fn sleep(&self, n: u64) -> impl Future<Output = ()> + use<> {
        let clock = self.clone();
        async move {
            let s = miou::syscall();
            let me = miou::domain::current().index();
            {
                let mut st = clock.lock();
                let time = st.tick + n;
                st.seq += 1;
                let seq = st.seq;
                st.heaps[me].push(Reverse(Sleeper {
                    time,
                    seq,
                    syscall: s.clone(),
                }));
            }
            miou::suspend(s).await;
        }
    }

    fn backend(&self, id: DomainId) -> Backend {
        let me = id.index();
        self.lock().created[me] += 1;
        Backend {
            clock: self.clone(),
            me,
        }
    }
}

/// One domain's backend.
struct Backend {
    clock: Clock,
    me: usize,
}

impl Events for Backend {
    fn select(&mut self, block: bool, cancelled: &[SyscallId]) -> Vec<Signal> {
        let inner = &self.clock.inner;
        let me = self.me;
        let mut st = self.clock.lock();
        if !cancelled.is_empty() {
            st.heaps[me].retain(|Reverse(s)| !cancelled.contains(&s.syscall.id()));
        }
        if block {
            st.idle += 1;
            loop {
                if std::mem::take(&mut st.interrupted[me]) || st.expired(me) {
                    break;
                }
                let quiescent = st.idle == inner.domains
                    && !st.interrupted.iter().any(|&i| i)
                    && !st.any_expired();
                if quiescent && let Some(t) = st.earliest() {
                    // Nothing can run anywhere: time passes, to the next deadline.
                    st.tick = t;
                    inner.cv.notify_all();
                    continue;
                }
                st = inner.cv.wait(st).unwrap_or_else(|e| e.into_inner());
            }
            st.idle -= 1;
        } else {
            st.interrupted[me] = false;
        }
        let mut signals = Vec::new();
        while st.expired(me) {
            let Reverse(s) = st.heaps[me].pop().expect("expired means non-empty");
            signals.push(s.syscall.signal());
        }
        signals
    }

    fn interrupter(&self) -> Interrupter {
        let clock = self.clock.clone();
        let me = self.me;
        Interrupter::new(move || {
            clock.lock().interrupted[me] = true;
            clock.inner.cv.notify_all();
        })
    }

    fn finalise(&mut self) {
        self.clock.lock().finalised[self.me] += 1;
    }
}
