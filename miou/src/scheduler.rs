//! One domain's scheduler: its FIFO run queue, its inbox for wake-ups from other
//! threads, its events backend, and the loop that runs them.
//!
//! The loop, on every domain:
//!
//! ```text
//! loop {
//!     run the domain's hooks
//!     move the inbox (tasks woken from other threads) to the back of the run queue
//!     stop? (domain 0: the root is complete; workers: the run is stopping)
//!     if a task is queued: poll it once (one turn: up to `quanta` scheduling points)
//!                          then, if a task is suspended on a syscall, select(block =
//!                          false) (the built-in backend: once 20 µs have passed
//!                          since its last look, see `DomainEvents::look_after_turn`)
//!     else:                select(block = true): sleep until an event or an interrupt
//! }
//! ```
//!
//! The run queue is a plain `VecDeque` touched only by the domain's own thread: the
//! single-domain path takes no lock. Other threads reach a domain through its
//! [`DomainShared`]: a mutex-protected inbox, an atomic hint that it is non-empty, and
//! the backend's [`Interrupter`], used only when the domain says it is going to sleep.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use crate::clock::VirtualClock;
use crate::events::{DomainEvents, Events, Interrupter};
use crate::family::Family;
use crate::id::{DomainId, DomainKey, RunId, TaskId};
use crate::task_ref::TaskRef;
use crate::task_state::TaskState;
use crossbeam_deque::{Injector, Steal};

use crate::hook::HookEntry;
use crate::mailbox::{Mailbox, Pushed};
use crate::rng::Rng;
use crate::runtime::RuntimeShared;
use crate::task::{PollRoot, Runnable};
use crate::trace::{TraceEvent, TraceKind};
use crate::trace_file::Recorder;
use crate::turn::Turn;

/// The part of a domain other threads may touch.
pub(crate) struct DomainShared {
    pub(crate) id: DomainId,
    /// The run it belongs to: with `id`, what names this domain across runs.
    run: RunId,
    /// Tasks woken from other threads (started tasks: they never move).
    mailbox: Mailbox<TaskRef<dyn Runnable>>,
    /// Tasks `call`ed onto this domain that have not started yet; an idle worker may
    /// take them from here.
    fresh: Injector<TaskRef<dyn Runnable>>,
    /// Tasks `parallel` placed on this domain, not yet started: they stay here (no
    /// domain takes them), so that `parallel` spreads its items as it promises.
    pinned: Injector<TaskRef<dyn Runnable>>,
    interrupter: OnceLock<Interrupter>,
    /// How many tasks wait in the run queue (published by the domain; read by `call`
    /// placement to prefer idle domains).
    pub(crate) queued: AtomicUsize,
}

impl DomainShared {
    pub(crate) fn new(key: DomainKey) -> Arc<DomainShared> {
        Arc::new(DomainShared {
            id: key.domain,
            run: key.run,
            mailbox: Mailbox::new(),
            fresh: Injector::new(),
            pinned: Injector::new(),
            interrupter: OnceLock::new(),
            queued: AtomicUsize::new(0),
        })
    }

    /// This domain of this run, never confused with a domain of another run.
    #[inline]
    pub(crate) fn key(&self) -> DomainKey {
        DomainKey {
            run: self.run,
            domain: self.id,
        }
    }

    /// Hands a task to this domain from another thread, and wakes the domain if it
    /// sleeps.
    fn push_inbox(&self, task: TaskRef<dyn Runnable>) {
        // A closed mailbox (the domain stopped) hands the task back: dropping it here
        // breaks the task -> domain -> mailbox -> task cycle.
        if let Ok(Pushed::Interrupt) = self.mailbox.push(task) {
            self.interrupt();
        }
    }

    /// Hands a new `call`ed task to this domain (any thread).
    ///
    /// If this domain sleeps, it is woken. If it is busy, a sleeping worker (other than
    /// the caller's domain, which may not run its own call) is woken to take the task.
    /// Both checks are made under the sleeper's mailbox lock, after the push; a worker
    /// going to sleep announces it under that lock and then looks once more for work
    /// to take (`DomainLocal::idle`), so the task is never left behind a busy domain
    /// while a worker sleeps.
    ///
    /// A `pinned` task (from `parallel`) goes to a queue no other domain takes from.
    pub(crate) fn push_fresh(
        &self,
        task: TaskRef<dyn Runnable>,
        workers: &[Arc<DomainShared>],
        pinned: bool,
    ) {
        let creator = task.place().created_on();
        if pinned {
            self.pinned.push(task);
        } else {
            self.fresh.push(task);
        }
        if self.mailbox.claim_wake() {
            self.interrupt();
            return;
        }
        if pinned || self.mailbox.is_asleep_or_waking() {
            // It will run the task (a woken domain looks at its queues) shortly.
            return;
        }
        for w in workers {
            if w.id != self.id && w.id != creator && w.mailbox.claim_wake() {
                w.interrupt();
                return;
            }
        }
    }

    /// Takes a not-yet-started task that `thief` may run: not one `thief` created
    /// (a `call` never runs on its caller's domain). Gives up after a few tries.
    fn steal_for(&self, thief: DomainId) -> Option<TaskRef<dyn Runnable>> {
        for _ in 0..4 {
            match self.fresh.steal() {
                Steal::Success(t) if t.place().created_on() != thief => return Some(t),
                Steal::Success(t) => {
                    // Ours: it must run elsewhere. Put it back and leave this domain be;
                    // it may have gone to sleep while we held the task, so it is woken
                    // as `push_fresh` would (checked under its lock, after the push).
                    self.fresh.push(t);
                    if self.mailbox.claim_wake() {
                        self.interrupt();
                    }
                    return None;
                }
                Steal::Empty => return None,
                Steal::Retry => {}
            }
        }
        None
    }

    /// Wakes the domain's blocking `select`, if its backend is running.
    pub(crate) fn interrupt(&self) {
        if let Some(i) = self.interrupter.get() {
            i.interrupt();
        }
    }

    pub(crate) fn is_sleeping(&self) -> bool {
        self.mailbox.is_sleeping()
    }

    /// The run stops (its flag is already set): wakes this domain if it sleeps, under
    /// its mailbox lock, where it decides to sleep after looking at the flag. Either it
    /// sees the flag, or it announced its sleep first and is interrupted here.
    pub(crate) fn wake_to_stop(&self) {
        if self.mailbox.claim_wake() {
            self.interrupt();
        }
    }

    /// Tasks handed to this domain that have not started (a placement hint).
    pub(crate) fn waiting_to_start(&self) -> usize {
        self.fresh.len() + self.pinned.len()
    }
}

/// Everything a domain owns, on its own thread.
pub(crate) struct DomainLocal {
    pub(crate) shared: Arc<DomainShared>,
    pub(crate) runtime: Arc<RuntimeShared>,
    /// A trace reporter, `MIOU_DEBUG` or the trace file is on (checked before building
    /// any event).
    tracing: bool,
    /// This domain's part of the trace file, if there is one (see
    /// [`crate::trace_file`]); it hands its events to the run's file when dropped.
    /// Boxed: one word in the struct every turn touches, when the file is off.
    recorder: Option<Box<RefCell<Recorder>>>,
    pub(crate) queue: RefCell<VecDeque<TaskRef<dyn Runnable>>>,
    /// The task being polled (moved here from the queue for the length of its turn).
    pub(crate) current: RefCell<Option<TaskRef<dyn Runnable>>>,
    /// Its id, for the checks every operation makes ("is this my child?").
    current_id: Cell<Option<TaskId>>,
    /// Its block, as the pointer of the reference in `current`: what its turn's waker
    /// borrows (see `Body::waker`). Kept beside `current` so that every turn need not
    /// borrow that `RefCell` for it (4 instructions a turn, by callgrind).
    current_block: Cell<Option<NonNull<TaskState>>>,
    /// The children of every task of this domain.
    pub(crate) family: RefCell<Family>,
    /// The turn under way: its points left, and whether one ended it.
    pub(crate) turn: Turn,
    pub(crate) rng: Cell<Rng>,
    /// The worker domains' scores while a `call` picks one (see `spawn::pick_domain`):
    /// kept so that a call allocates nothing.
    pub(crate) call_scores: RefCell<Vec<((bool, usize), usize)>>,
    next_task: Cell<u64>,
    pub(crate) hooks: RefCell<Vec<HookEntry>>,
    /// The backend, the reactor, and the syscalls of this domain's tasks.
    pub(crate) events: DomainEvents,
    /// A task ran on this domain since it was last idle (virtual time: see
    /// [`crate::clock`]).
    ran: Cell<bool>,
    /// The cancel scope whose future the current task is polling, if any (0: none):
    /// the children created meanwhile belong to it (see [`crate::scope`]).
    pub(crate) scope: Cell<u64>,
    /// The cancel scope whose future is being dropped, if any (0: none): the promises
    /// of the current task dropped meanwhile join it.
    pub(crate) unwinding: Cell<u64>,
    /// The number of the next cancel scope made on this domain (from 1).
    next_scope: Cell<u64>,
}

thread_local! {
    /// The domain this thread runs, if any: set by [`DomainLocal::install`] for the
    /// length of a run. A plain pointer rather than an `Rc` in a `RefCell`: every miou
    /// operation reads it (a yield reads it twice), and a slot with nothing to drop and
    /// nothing to borrow is read with one load.
    static DOMAIN: Cell<*const DomainLocal> = const { Cell::new(std::ptr::null()) };
}

/// Runs `f` with the current domain, or `None` outside any run.
#[inline]
pub(crate) fn try_with_domain<R>(f: impl FnOnce(Option<&DomainLocal>) -> R) -> R {
    let current = DOMAIN.with(Cell::get);
    // SAFETY: a non-null pointer was set by `install` from an `Rc<DomainLocal>` that the
    // returned `Installed` guard owns, and the guard puts the previous pointer back
    // before it drops that `Rc` (even when a panic unwinds the run). The guard lives in
    // the frame of the run that polls every task of this thread, so it outlives any call
    // made from inside the run, `f` included; a nested run installs its own domain and
    // restores this one before returning, and this one stays alive meanwhile (its `Rc`
    // is held by the outer run). This assumes guards drop in the reverse order of their
    // creation, as frames of one call stack do (a nested run suspended inside a
    // stack-switching coroutine would break it, as it breaks `scoped-tls`'s same
    // pattern). Only shared references are made: `DomainLocal`'s state is in cells.
    f(unsafe { current.as_ref() })
}

/// Runs `f` with the current domain; panics with a clear message outside a run.
pub(crate) fn with_domain<R>(f: impl FnOnce(&DomainLocal) -> R) -> R {
    try_with_domain(|d| match d {
        Some(d) => f(d),
        None => panic!(
            "miou: this operation must be used inside a task of a miou runtime \
             (call it from a future given to miou::run, miou::spawn or miou::call)"
        ),
    })
}

/// Is the current thread running this domain (of this run)?
pub(crate) fn on_domain(shared: &Arc<DomainShared>) -> bool {
    try_with_domain(|d| d.is_some_and(|d| Arc::ptr_eq(&d.shared, shared)))
}

/// Queues a task whose `SCHEDULED` flag the caller just set.
pub(crate) fn enqueue(task: TaskRef<dyn Runnable>) {
    let task = try_with_domain(move |d| match d {
        Some(d) if Arc::ptr_eq(&d.shared, task.runner()) => {
            if d.tracing {
                // Checked first: reading the id is a dynamic call, made for nothing
                // on every wake-up when nobody traces.
                d.trace(task.header().id, TraceKind::Wake);
            }
            d.queue.borrow_mut().push_back(task);
            None
        }
        _ => Some(task),
    });
    if let Some(task) = task {
        let domain = task.runner().clone();
        domain.push_inbox(task);
    }
}

/// Restores the previous domain of this thread (nested runs) when a run ends, even
/// by a panic. Owns the installed domain until then (see [`try_with_domain`]).
pub(crate) struct Installed {
    this: Rc<DomainLocal>,
    previous: *const DomainLocal,
}

impl Drop for Installed {
    fn drop(&mut self) {
        DOMAIN.with(|slot| {
            debug_assert!(std::ptr::eq(slot.get(), Rc::as_ptr(&self.this)));
            slot.set(self.previous)
        });
    }
}

impl DomainLocal {
    pub(crate) fn new(
        shared: Arc<DomainShared>,
        runtime: Arc<RuntimeShared>,
        events: Option<Box<dyn Events>>,
    ) -> Rc<DomainLocal> {
        let events = DomainEvents::new(shared.id, events, runtime.clock.is_some());
        let interrupter = events.interrupter();
        let _ = shared.interrupter.set(interrupter);
        let index = shared.id.index() as u64;
        Rc::new(DomainLocal {
            turn: Turn::new(runtime.quanta),
            tracing: runtime.trace.is_some()
                || runtime.debug.is_on()
                || runtime.trace_file.is_some(),
            recorder: runtime
                .trace_file
                .as_ref()
                .map(|f| Box::new(RefCell::new(f.recorder(shared.id)))),
            rng: Cell::new(Rng::new(
                runtime.seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            )),
            shared,
            runtime,
            queue: RefCell::new(VecDeque::new()),
            current: RefCell::new(None),
            current_id: Cell::new(None),
            current_block: Cell::new(None),
            family: RefCell::new(Family::new()),
            next_task: Cell::new(1),
            hooks: RefCell::new(Vec::new()),
            call_scores: RefCell::new(Vec::new()),
            events,
            ran: Cell::new(false),
            scope: Cell::new(0),
            unwinding: Cell::new(0),
            next_scope: Cell::new(1),
        })
    }

    /// Makes `this` the current domain of the thread until the guard drops.
    pub(crate) fn install(this: &Rc<DomainLocal>) -> Installed {
        let previous = DOMAIN.with(|slot| slot.replace(Rc::as_ptr(this)));
        Installed {
            this: this.clone(),
            previous,
        }
    }

    pub(crate) fn id(&self) -> DomainId {
        self.shared.id
    }

    pub(crate) fn next_id(&self) -> TaskId {
        let n = self.next_task.get();
        self.next_task.set(n + 1);
        TaskId::new(self.shared.id.index(), n)
    }

    /// A number for a new cancel scope, unique on this domain for the whole run.
    pub(crate) fn next_scope(&self) -> u64 {
        let n = self.next_scope.get();
        self.next_scope.set(n + 1);
        n
    }

    pub(crate) fn random_below(&self, n: usize) -> usize {
        let mut rng = self.rng.get();
        let r = rng.below(n);
        self.rng.set(rng);
        r
    }

    /// The id of the task being polled, if any.
    #[inline]
    pub(crate) fn current_id(&self) -> Option<TaskId> {
        self.current_id.get()
    }

    /// The block of the task being polled, from the reference the domain holds for
    /// its turn (see `Body::waker`).
    pub(crate) fn current_block(&self) -> Option<NonNull<TaskState>> {
        self.current_block.get()
    }

    /// Whether trace events are reported (to skip building them otherwise).
    #[inline]
    pub(crate) fn tracing(&self) -> bool {
        self.tracing
    }

    #[inline]
    pub(crate) fn trace(&self, task: TaskId, kind: TraceKind) {
        if self.tracing {
            self.report(task, kind, None, None);
        }
    }

    /// [`trace`](DomainLocal::trace), with more for the debug log (where a task was
    /// spawned, which task broke a rule and where the tasks involved were spawned).
    pub(crate) fn trace_detail(&self, task: TaskId, kind: TraceKind, detail: &dyn fmt::Display) {
        if self.tracing {
            self.report(task, kind, Some(detail), None);
        }
    }

    /// The `Spawn` of `task`, created at `at` (the debug log and the trace file name
    /// the spawn site). The caller checked [`tracing`](DomainLocal::tracing).
    pub(crate) fn trace_spawn(
        &self,
        task: TaskId,
        parent: TaskId,
        runner: DomainId,
        at: &'static Location<'static>,
    ) {
        self.report(
            task,
            TraceKind::Spawn { parent, runner },
            Some(&format_args!("spawned at {at}")),
            Some(at),
        );
    }

    /// Gives an event to whoever wants it: the reporter, the debug log, the trace file
    /// (`site`: the spawn site of a `Spawn`'s task, for the file).
    #[cold]
    fn report(
        &self,
        task: TaskId,
        kind: TraceKind,
        detail: Option<&dyn fmt::Display>,
        site: Option<&'static Location<'static>>,
    ) {
        if let Some(recorder) = &self.recorder {
            recorder.borrow_mut().record(task, &kind, site);
        }
        if let Some(reporter) = &self.runtime.trace {
            reporter(&TraceEvent {
                task,
                domain: self.shared.id,
                kind: kind.clone(),
            });
        }
        if self.runtime.debug.is_on() {
            match detail {
                None => self
                    .runtime
                    .debug_event(self.shared.id, task, &format_args!("{kind}")),
                Some(d) => {
                    self.runtime
                        .debug_event(self.shared.id, task, &format_args!("{kind}: {d}"))
                }
            }
        }
    }

    /// Runs the loop until `done` says so. `root` is the body of the run's root task,
    /// on domain 0 (`None` on a worker): the root, the only task without a parent, is
    /// polled through it (see [`RootTurn`](crate::task::RootTurn)).
    pub(crate) fn run(&self, root: Option<&dyn PollRoot>, mut done: impl FnMut() -> bool) {
        // ANCHOR: domain_loop
        loop {
            crate::hook::run_hooks(self);
            self.drain_inbox();
            if done() {
                return;
            }
            let next = self.queue.borrow_mut().pop_front();
            match next {
                Some(task) => {
                    self.run_task(task, root);
                    if self.events.look_after_turn() {
                        self.poll_events(false);
                    }
                }
                None => self.idle(),
            }
        }
        // ANCHOR_END: domain_loop
    }

    /// Takes what other threads handed this domain: the tasks woken from there, and on a
    /// worker the tasks it was given. Called between any two turns, so the common case,
    /// nothing in the mailbox, is one load on domain 0.
    #[inline]
    fn drain_inbox(&self) {
        if self.shared.mailbox.has_mail() {
            self.take_mail();
        }
        if self.shared.id.index() != 0 {
            // Domain 0 is never handed a `call`ed task: nothing more to look at.
            self.take_fresh();
        }
    }

    /// The tasks woken from other threads, at the back of the queue.
    fn take_mail(&self) {
        let mut queue = self.queue.borrow_mut();
        let before = queue.len();
        self.shared.mailbox.drain_into(&mut queue);
        if self.tracing && queue.len() > before {
            // Every task in the mailbox was woken from another thread (new tasks come
            // through `fresh` and `pinned`). Report them outside the queue's borrow: a
            // reporter is user code.
            let woken: Vec<TaskId> = queue.range(before..).map(|t| t.header().id).collect();
            drop(queue);
            for task in woken {
                self.trace(task, TraceKind::Wake);
            }
        }
    }

    /// A worker's new tasks: the pinned ones and one of the others.
    fn take_fresh(&self) {
        let mut queue = self.queue.borrow_mut();
        // Pinned tasks (from `parallel`) stay here anyway: take them all. Of the tasks
        // another domain may take, start one per turn and leave the rest where an idle
        // domain can find them; one per turn still starts every one of them promptly.
        while !self.shared.pinned.is_empty() {
            match self.shared.pinned.steal() {
                Steal::Success(t) => queue.push_back(t),
                Steal::Empty => break,
                Steal::Retry => {}
            }
        }
        while !self.shared.fresh.is_empty() {
            match self.shared.fresh.steal() {
                Steal::Success(t) => {
                    queue.push_back(t);
                    break;
                }
                Steal::Empty => break,
                Steal::Retry => {}
            }
        }
        self.shared.queued.store(queue.len(), Ordering::Relaxed);
    }

    /// Nothing to run: sleep in the backend until an event or an interrupt.
    fn idle(&self) {
        if self.steal() {
            return;
        }
        let clock = self.runtime.clock.as_ref();
        // On virtual time (see `crate::clock`): announce what this domain ran, read the
        // generation before looking for work, and take what is ready now (a socket's
        // data, a sleeper due at the current time): time must not jump past it. The
        // poll comes before `going_to_sleep`: it may swallow an interrupt, which is
        // harmless only as long as we have not decided to block.
        let seen = clock.map(|clock| {
            if self.ran.replace(false) {
                clock.activity();
            }
            clock.generation()
        });
        if seen.is_some() && self.poll_events(false) > 0 {
            return;
        }
        let (fresh, pinned) = (&self.shared.fresh, &self.shared.pinned);
        // The stop of the run is looked at under the mailbox lock too: the stopping
        // thread sets it, then wakes every sleeping worker under that lock
        // (`Stop`'s `Drop`, in runtime.rs), so a worker that is about to sleep either
        // sees the stop or is woken. It may have started an instant before the stop, its
        // interrupter just installed, and never seen a task.
        let runtime = &self.runtime;
        let block = self
            .shared
            .mailbox
            .going_to_sleep(|| fresh.is_empty() && pinned.is_empty() && !runtime.is_stopping());
        // The last look: a task pushed to a busy domain before we announced the sleep
        // is visible now (its sender checked our lock before we took it, or will see
        // us asleep and interrupt us).
        if block && self.steal() {
            self.shared.mailbox.awake();
            return;
        }
        match (clock, seen) {
            (Some(clock), Some(seen)) if block => self.idle_virtual(clock, seen),
            _ => {
                self.poll_events(block);
            }
        }
        self.shared.mailbox.awake();
    }

    /// [`idle`](DomainLocal::idle) on virtual time, once this domain found nothing to
    /// do after it read generation `seen`: tell the clock, which may make time jump.
    fn idle_virtual(&self, clock: &VirtualClock, seen: u64) {
        let me = self.shared.id.index();
        let (earliest, io) = self.events.idle_state();
        let entered = clock.enter_idle(me, seen, earliest, io);
        for d in entered.interrupt {
            self.runtime.domains[d].interrupt();
        }
        if entered.again {
            // Work may have come since we looked: look again (the loop comes back).
        } else if entered.due {
            // Time jumped to our own sleepers: release them, do not block.
            self.fire_due_timers();
        } else if let (Some(at), Some(reactor)) = (entered.recheck_at, self.events.reactor()) {
            reactor.wake_at(Some(at));
            self.poll_events(true);
            reactor.wake_at(None);
        } else {
            self.poll_events(true);
        }
        clock.leave_idle(me);
    }

    /// Asks the backend for events (blocking if `block`) and, on virtual time, releases
    /// the sleepers that are due; returns how many syscalls were released.
    fn poll_events(&self, block: bool) -> usize {
        let signals = self.events.select(block);
        let mut released = signals.len();
        for signal in signals {
            signal.fire(self);
        }
        if self.runtime.clock.is_some() {
            released += self.fire_due_timers();
        }
        released
    }

    /// Virtual time: releases this domain's sleepers whose deadline is not after the
    /// virtual now, earliest first.
    fn fire_due_timers(&self) -> usize {
        let Some(clock) = self.runtime.clock.as_ref() else {
            return 0;
        };
        let due = self.events.due_sleepers(clock.now());
        let released = due.len();
        for signal in due {
            signal.fire(self);
        }
        released
    }

    /// One turn of one task (through `root` if it is the root).
    fn run_task(&self, task: TaskRef<dyn Runnable>, root: Option<&dyn PollRoot>) {
        let header = task.header();
        if header.is_complete() {
            return; // a stale entry: the task completed after it was queued
        }
        let id = header.id;
        // Only the root has no parent, and only domain 0 runs it.
        let root = root.filter(|_| header.parent.is_none());
        self.ran.set(true);
        self.trace(id, TraceKind::Resume);
        self.current_block.set(Some(TaskRef::as_non_null(&task)));
        *self.current.borrow_mut() = Some(task);
        self.current_id.set(Some(id));
        let polled = {
            let current = self.current.borrow();
            let task = current.as_ref().expect("the current task");
            match root {
                Some(root) => root.turn(self),
                None => task.poll_once(self),
            }
        };
        self.current_id.set(None);
        self.current_block.set(None);
        let task = self.current.borrow_mut().take().expect("the current task");
        // Asked whatever the outcome: a task can complete in a turn a point also ended
        // (a combinator's other branch), and the next turn must start clear.
        let ended_at_point = self.turn.ended_at_point();
        if polled.is_pending() {
            if ended_at_point {
                self.trace(id, TraceKind::Yield);
                task.header().state.yielded();
                self.queue.borrow_mut().push_back(task);
            } else {
                self.trace(id, TraceKind::Park);
                // The queue's reference is given up in the same atomic operation,
                // unless the task was woken during its own turn: back to the queue at
                // once. The wake is reported now, so that a trace has one between
                // every park and the next turn.
                if let Some(task) = TaskRef::park(task) {
                    self.trace(id, TraceKind::Wake);
                    self.queue.borrow_mut().push_back(task);
                }
            }
        }
    }

    /// An idle worker takes a not-yet-started task from another worker (domain 0 never
    /// does: `call` never runs there). Starting at a random worker spreads the thieves.
    fn steal(&self) -> bool {
        let me = self.shared.id;
        if me.index() == 0 {
            return false;
        }
        let workers = self.runtime.workers();
        let start = self.random_below(workers.len());
        for i in 0..workers.len() {
            let victim = &workers[(start + i) % workers.len()];
            if victim.id == me {
                continue;
            }
            if let Some(t) = victim.steal_for(me) {
                self.trace(t.header().id, TraceKind::Stolen { from: victim.id });
                self.queue.borrow_mut().push_back(t);
                return true;
            }
        }
        false
    }

    /// Stops the domain: finalise the backend and drop what is left in the queues.
    pub(crate) fn shutdown(&self) {
        let rest = self.shared.mailbox.close();
        drop(rest);
        for fresh in [&self.shared.pinned, &self.shared.fresh] {
            loop {
                match fresh.steal() {
                    Steal::Success(t) => drop(t),
                    Steal::Retry => {}
                    Steal::Empty => break,
                }
            }
        }
        self.queue.borrow_mut().clear();
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| self.events.finalise())) {
            tracing::error!(domain = %self.shared.id, panic = ?crate::Panic::new(p), "an events backend's finalise panicked");
        }
    }
}
