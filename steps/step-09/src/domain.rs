//! What the domains of a run share, and how one domain hands another work
//! without the other missing it.
//!
//! Each domain is a thread running the scheduler loop of [`crate`]. They
//! share a `World`: the task tree (one tree for the whole run, whatever
//! domain each task lives on), a queue of tasks not yet started for each
//! worker domain, the lines printed, and a `Door` per domain, through which
//! other threads wake its tasks and, if it sleeps, interrupt it.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use crossbeam_deque::{Injector, Steal};

use crate::events::Interrupter;
use crate::{Error, Member, Task};

/// How other threads reach a domain: the tasks they woke, and whether the
/// domain sleeps, in one lock.
pub(crate) struct Door {
    inbox: Mutex<Inbox>,
    interrupter: Interrupter,
}

struct Inbox {
    /// The tasks woken since the domain last looked, in order.
    woken: Vec<usize>,
    /// The domain decided to block in its backend's `select`.
    sleeping: bool,
    /// Someone interrupted that sleep already: the others need not.
    interrupted: bool,
}

impl Inbox {
    /// Whoever calls this after handing the domain work must interrupt it:
    /// `true` once per sleep, for the first one.
    fn claim_interrupt(&mut self) -> bool {
        let claim = self.sleeping && !self.interrupted;
        self.interrupted |= claim;
        claim
    }
}

impl Door {
    /// Wakes task `id` of this domain, from any thread.
    pub(crate) fn wake(&self, id: usize) {
        let mut inbox = self.inbox.lock().unwrap();
        inbox.woken.push(id);
        let interrupt = inbox.claim_interrupt();
        drop(inbox);
        if interrupt {
            self.interrupter.interrupt();
        }
    }

    /// The domain, about to block: it may if nothing was woken and
    /// `nothing_else` (its other sources of work) holds, both looked at
    /// under the lock; it then says it sleeps.
    pub(crate) fn going_to_sleep(
        &self,
        nothing_else: impl FnOnce() -> bool,
    ) -> bool {
        let mut inbox = self.inbox.lock().unwrap();
        inbox.interrupted = false;
        inbox.sleeping = inbox.woken.is_empty() && nothing_else();
        inbox.sleeping
    }

    /// After handing the domain work elsewhere (a task to start): interrupts
    /// it if it sleeps and nobody did yet. `true` if this call interrupted.
    pub(crate) fn nudge(&self) -> bool {
        let interrupt = self.inbox.lock().unwrap().claim_interrupt();
        if interrupt {
            self.interrupter.interrupt();
        }
        interrupt
    }

    /// The domain, back from its `select`.
    pub(crate) fn awake(&self) {
        let mut inbox = self.inbox.lock().unwrap();
        inbox.sleeping = false;
        inbox.interrupted = false;
    }

    /// The domain takes the tasks woken since it last looked.
    pub(crate) fn take_woken(&self) -> Vec<usize> {
        std::mem::take(&mut self.inbox.lock().unwrap().woken)
    }

    /// Interrupts the domain whether it sleeps or not: the run is over.
    pub(crate) fn interrupt(&self) {
        self.interrupter.interrupt();
    }
}

/// A task given to `call`, not started yet: its number in the tree, the
/// domain of its caller (where it must not run), and how to build it. The
/// future is built by the domain that runs it: only the closure that makes
/// it crosses threads.
pub(crate) struct Job {
    pub(crate) id: usize,
    pub(crate) caller: usize,
    pub(crate) build: Box<dyn FnOnce() -> Task + Send>,
}

/// What every domain of a run shares.
pub(crate) struct World {
    /// The task tree: every task's place, by number.
    family: Mutex<Vec<Member>>,
    /// One door per domain; domain 0 runs `run`'s caller.
    doors: Vec<Door>,
    /// The tasks waiting to start on each domain (domain 0's stays empty).
    fresh: Vec<Injector<Job>>,
    /// Where the next `call` goes: calls take the worker domains in turn.
    next: AtomicUsize,
    /// The lines printed, by any domain.
    pub(crate) output: Mutex<Vec<String>>,
    /// The first rule a task broke, which fails the run.
    pub(crate) failure: Mutex<Option<Error>>,
    /// Domain 0 says every task has finished: the workers stop.
    pub(crate) over: AtomicBool,
}

impl World {
    /// The world of a run whose domains are interrupted by `interrupters`,
    /// domain 0 first.
    pub(crate) fn new(interrupters: Vec<Interrupter>) -> World {
        let domains = interrupters.len();
        World {
            family: Mutex::new(Vec::new()),
            doors: interrupters
                .into_iter()
                .map(|interrupter| Door {
                    inbox: Mutex::new(Inbox {
                        woken: Vec::new(),
                        sleeping: false,
                        interrupted: false,
                    }),
                    interrupter,
                })
                .collect(),
            fresh: (0..domains).map(|_| Injector::new()).collect(),
            next: AtomicUsize::new(0),
            output: Mutex::new(Vec::new()),
            failure: Mutex::new(None),
            over: AtomicBool::new(false),
        }
    }

    /// The task tree, locked. Never call `World::wake` while holding it: it
    /// locks the tree itself, to find the task's domain.
    pub(crate) fn family(&self) -> MutexGuard<'_, Vec<Member>> {
        self.family.lock().unwrap()
    }

    /// The door of domain `domain`.
    pub(crate) fn door(&self, domain: usize) -> &Door {
        &self.doors[domain]
    }

    /// The number of domains, domain 0 included.
    pub(crate) fn domains(&self) -> usize {
        self.doors.len()
    }

    /// Wakes task `id` on its domain. A task not started yet has none: it
    /// will look at its state when it starts.
    pub(crate) fn wake(&self, id: usize) {
        let domain = self.family()[id].domain;
        if let Some(domain) = domain {
            self.door(domain).wake(id);
        }
    }

    /// The domain a `call` from domain `caller` goes to: the worker domains
    /// other than the caller's, in turn. `None` if there is none.
    pub(crate) fn pick(&self, caller: usize) -> Option<usize> {
        let others: Vec<usize> =
            (1..self.domains()).filter(|d| *d != caller).collect();
        if others.is_empty() {
            return None;
        }
        let turn = self.next.fetch_add(1, Ordering::Relaxed);
        Some(others[turn % others.len()])
    }

    /// Hands `job` to domain `target`, then interrupts it if it sleeps; if
    /// it does not (it is busy), interrupts another sleeping worker instead,
    /// which may take the job before `target` gets to it.
    pub(crate) fn place(&self, target: usize, job: Job) {
        let caller = job.caller;
        self.fresh[target].push(job);
        if self.door(target).nudge() {
            return;
        }
        for other in 1..self.domains() {
            if other != target && other != caller && self.door(other).nudge() {
                return;
            }
        }
    }

    /// A task for domain `me` to start: one of its own; and, if `idle` (it
    /// has nothing else to run), else one waiting on another worker. Never
    /// one that `me` called: a task never runs on its caller's domain.
    pub(crate) fn take_job(&self, me: usize, idle: bool) -> Option<Job> {
        if let Some(job) = take(&self.fresh[me]) {
            return Some(job);
        }
        if !idle {
            return None;
        }
        for other in (1..self.domains()).filter(|d| *d != me) {
            // Take jobs until one is not ours, then put ours back, and wake
            // their domain: it may have gone to sleep while we held them.
            let mut ours = Vec::new();
            let found = loop {
                match take(&self.fresh[other]) {
                    Some(job) if job.caller == me => ours.push(job),
                    found => break found,
                }
            };
            if !ours.is_empty() {
                for job in ours {
                    self.fresh[other].push(job);
                }
                self.door(other).nudge();
            }
            if found.is_some() {
                return found;
            }
        }
        None
    }

    /// Whether domain `me` has tasks waiting to start.
    pub(crate) fn has_jobs(&self, me: usize) -> bool {
        !self.fresh[me].is_empty()
    }
}

/// Takes the oldest job of `fresh`, if any.
fn take(fresh: &Injector<Job>) -> Option<Job> {
    loop {
        match fresh.steal() {
            Steal::Success(job) => return Some(job),
            Steal::Empty => return None,
            // Another thread took one at the same moment: look again.
            Steal::Retry => {}
        }
    }
}

#[cfg(test)]
mod tests {
    //! The door's protocol, worked out by hand: a domain that says it sleeps
    //! is interrupted once, by the first thread that hands it something.

    use super::*;
    use std::sync::Arc;

    /// A world of one domain whose interrupts are counted.
    fn counted() -> (World, Arc<AtomicUsize>) {
        let count = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&count);
        let interrupter = Interrupter::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        (World::new(vec![interrupter]), count)
    }

    #[test]
    fn an_awake_domain_is_not_interrupted() {
        let (world, count) = counted();
        world.door(0).wake(3);
        assert_eq!(count.load(Ordering::SeqCst), 0);
        assert_eq!(world.door(0).take_woken(), [3]);
    }

    #[test]
    fn a_domain_with_a_woken_task_does_not_sleep() {
        let (world, count) = counted();
        world.door(0).wake(3);
        assert!(!world.door(0).going_to_sleep(|| true));
        assert_eq!(count.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_domain_with_other_work_does_not_sleep() {
        let (world, _) = counted();
        assert!(!world.door(0).going_to_sleep(|| false));
    }

    #[test]
    fn a_sleeping_domain_is_interrupted_once_per_sleep() {
        let (world, count) = counted();
        let door = world.door(0);
        assert!(door.going_to_sleep(|| true));
        door.wake(1);
        door.wake(2);
        assert!(!door.nudge());
        assert_eq!(count.load(Ordering::SeqCst), 1);
        door.awake();
        assert_eq!(door.take_woken(), [1, 2]);
        // The next sleep is interrupted again.
        assert!(door.going_to_sleep(|| true));
        assert!(door.nudge());
        assert_eq!(count.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_job_put_back_wakes_its_sleeping_domain() {
        // Domain 1 looks for work on domain 2, which sleeps with a job that
        // domain 1 called: domain 1 may not take it, puts it back, and
        // interrupts domain 2, which might have gone to sleep while the job
        // was out of its queue.
        let count = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&count);
        let mut interrupters = vec![Interrupter::new(|| {}); 2];
        interrupters.push(Interrupter::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        }));
        let world = World::new(interrupters);
        assert!(world.door(2).going_to_sleep(|| true));
        let build = Box::new(|| Task::new("t", async {}));
        world.place(
            2,
            Job {
                id: 0,
                caller: 1,
                build,
            },
        );
        assert_eq!(count.load(Ordering::SeqCst), 1, "placing it woke 2");
        world.door(2).awake();
        assert!(world.door(2).going_to_sleep(|| true));
        assert!(world.take_job(1, true).is_none());
        assert!(world.has_jobs(2));
        assert_eq!(count.load(Ordering::SeqCst), 2, "putting it back too");
    }

    #[test]
    fn a_busy_worker_takes_only_its_own_jobs() {
        let world = World::new(vec![Interrupter::new(|| {}); 3]);
        let build = Box::new(|| Task::new("t", async {}));
        world.place(
            2,
            Job {
                id: 0,
                caller: 0,
                build,
            },
        );
        assert!(world.take_job(1, false).is_none());
        assert!(world.take_job(1, true).is_some());
    }

    #[test]
    fn calls_take_the_other_workers_in_turn() {
        let interrupters = (0..4).map(|_| Interrupter::new(|| {})).collect();
        let world = World::new(interrupters);
        let from_main: Vec<_> = (0..4).map(|_| world.pick(0)).collect();
        assert_eq!(from_main, [Some(1), Some(2), Some(3), Some(1)]);
        // From domain 2, domains 1 and 3 only.
        let from_two: Vec<_> = (0..3).map(|_| world.pick(2)).collect();
        assert!(from_two.iter().all(|d| matches!(d, Some(1 | 3))));
        let world = World::new(vec![Interrupter::new(|| {})]);
        assert_eq!(world.pick(0), None);
    }
}
