//! A domain's sleepers: syscalls to release at a deadline, earliest first, ties in the
//! order they were added.
//!
//! The built-in backend keeps one set for the real clock
//! ([`Reactor`](crate::events::reactor::Reactor)), and on the virtual clock the domain
//! keeps one itself ([`DomainEvents`](crate::events::DomainEvents)).
//!
//! A sleeper given up (its task was cancelled, or the timeout around it won, or the
//! future that armed it was dropped) leaves the set as soon as the domain hears of it,
//! at its next look at its events. A server arms a timeout per request and drops it
//! when the request is answered, long before it would fire: kept until its deadline, a
//! given-up sleeper would cost memory and time for as long as the timeout, for every
//! request answered meanwhile (with hyper's header-read timeout of 30 s, up to three
//! million dead sleepers at a hundred thousand requests per second). So the set is
//! ordered by a map with removal in O(log n), and an index finds a sleeper's place from
//! its syscall's id.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use crate::events::{Signal, Syscall, SyscallId};

/// Where a sleeper sits: its deadline, then its number in the order of addition.
type Place = (Instant, u64);

/// One domain's sleepers (runner-only).
#[derive(Default)]
pub(crate) struct Timers {
    by_deadline: BTreeMap<Place, Syscall>,
    places: HashMap<SyscallId, Place>,
    next_seq: u64,
}

impl Timers {
    /// Releases `syscall` at `deadline`.
    pub(crate) fn add(&mut self, deadline: Instant, syscall: Syscall) {
        let place = (deadline, self.next_seq);
        self.next_seq += 1;
        self.places.insert(syscall.id(), place);
        self.by_deadline.insert(place, syscall);
    }

    /// The syscall `id` was given up: if it is a sleeper, it leaves. `false` if it is
    /// not (a socket's, or a sleeper already released).
    pub(crate) fn cancel(&mut self, id: SyscallId) -> bool {
        match self.places.remove(&id) {
            Some(place) => {
                self.by_deadline.remove(&place);
                true
            }
            None => false,
        }
    }

    /// Removes the sleepers whose deadline is not after `now` and adds their signals to
    /// `out`, earliest first.
    pub(crate) fn release_due(&mut self, now: Instant, out: &mut Vec<Signal>) {
        while let Some(entry) = self.by_deadline.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let syscall = entry.remove();
            self.places.remove(&syscall.id());
            out.push(syscall.signal());
        }
    }

    /// The earliest deadline of a sleeper.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.by_deadline
            .first_key_value()
            .map(|((deadline, _), _)| *deadline)
    }

    /// How many sleepers wait.
    pub(crate) fn len(&self) -> usize {
        self.by_deadline.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::events::syscall;

    fn ids(signals: &[Signal]) -> Vec<SyscallId> {
        signals.iter().map(Signal::id).collect()
    }

    /// A syscall is made by a task: each test runs in one.
    fn in_a_task(f: impl FnOnce() + 'static) {
        crate::Builder::new().domains(0).run(async move { f() });
    }

    #[test]
    fn sleepers_leave_in_deadline_order_then_in_the_order_they_came() {
        in_a_task(in_order);
    }

    fn in_order() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let (a, b, c, d) = (syscall(), syscall(), syscall(), syscall());
        let mut timers = Timers::default();
        timers.add(at(20), b.clone());
        timers.add(at(10), a.clone());
        timers.add(at(20), c.clone());
        timers.add(at(30), d.clone());
        assert_eq!(timers.next_deadline(), Some(at(10)));
        let mut out = Vec::new();
        timers.release_due(at(5), &mut out);
        assert!(out.is_empty(), "nothing is due before the first deadline");
        timers.release_due(at(20), &mut out);
        assert_eq!(ids(&out), [a.id(), b.id(), c.id()]);
        assert_eq!((timers.len(), timers.next_deadline()), (1, Some(at(30))));
        assert!(
            !timers.cancel(a.id()),
            "a released sleeper is no longer one"
        );
    }

    /// A server's pattern: a timeout armed per request, given up when the request is
    /// answered. Nothing of a given-up sleeper stays behind.
    #[test]
    fn a_given_up_sleeper_leaves_at_once() {
        in_a_task(given_up);
    }

    fn given_up() {
        let far = Instant::now() + Duration::from_secs(30);
        let mut timers = Timers::default();
        let kept = syscall();
        timers.add(far + Duration::from_secs(1), kept.clone());
        for _ in 0..10_000 {
            let s = syscall();
            timers.add(far, s.clone());
            assert!(timers.cancel(s.id()));
        }
        assert_eq!(timers.len(), 1);
        assert_eq!(timers.places.len(), 1);
        assert_eq!(timers.next_deadline(), Some(far + Duration::from_secs(1)));
        assert!(
            !timers.cancel(syscall().id()),
            "a socket's syscall is not a sleeper"
        );
        let mut out = Vec::new();
        timers.release_due(far + Duration::from_secs(2), &mut out);
        assert_eq!(ids(&out), [kept.id()]);
        assert_eq!((timers.len(), timers.places.len()), (0, 0));
    }
}
