//! The identities the runtime gives out: of a task, of a domain, of a run.
//!
//! A leaf: it depends on nothing else in the crate, so any module can name a task, a
//! domain or a run without importing the scheduler. An id is a number that is never
//! reused where it must tell things apart: task numbers are unique within a run, and
//! run numbers within the process, so a pair of a run and a domain (a [`DomainKey`])
//! names one domain of one run even after the run ended and another began (nested or
//! concurrent runs included), where an address could be reused.

use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};

/// The identity of a task, unique within one run. It displays as `n@d`: the
/// task was the `n`-th created on domain `d`, the domain of the task that created
/// it. A `call`ed task runs elsewhere (`2@0` may run on domain 1); a spawned one
/// runs where it was created. The root is `1@0`.
///
/// ```
/// miou::Builder::new().domains(0).run(async {
///     let p = miou::spawn(async {});
///     let q = miou::spawn(async {});
///     assert_ne!(p.id(), q.id());
///     miou::await_all(vec![p, q]).await;
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub(crate) NonZeroU64);

impl TaskId {
    /// The `n`-th task created on `domain` (by a task running there, whatever the
    /// domain the new task will run on).
    pub(crate) fn new(domain: usize, n: u64) -> TaskId {
        // `n` starts at 1, so the id is never 0: `Option<TaskId>` is one word.
        TaskId(NonZeroU64::new((n << 16) | domain as u64).expect("task numbers start at 1"))
    }

    /// The id as one opaque integer, which encodes the task's number and the domain that
    /// created it (stable within a run, distinct for distinct ids; for logs and traces).
    /// Not the number shown in `3@0`.
    ///
    /// ```
    /// miou::Builder::new().domains(0).run(async {
    ///     let p = miou::spawn(async {});
    ///     let q = miou::spawn(async {});
    ///     assert_ne!(p.id().as_u64(), q.id().as_u64());
    ///     assert_eq!(p.id().to_string(), "2@0");
    ///     assert_ne!(p.id().as_u64(), 2); // not the number shown
    ///     miou::await_all(vec![p, q]).await;
    /// });
    /// ```
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Debug for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaskId({self})")
    }
}

impl fmt::Display for TaskId {
    /// `n@d`: the `n`-th task created on domain `d` (the root is `1@0`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.0.get() >> 16, self.0.get() & 0xffff)
    }
}

/// The identity of a domain within a run: 0 for the thread that called `run`, 1..=n
/// for the worker domains.
///
/// ```
/// miou::Builder::new().domains(0).run(async {
///     assert_eq!(miou::domain::current().index(), 0);
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainId(pub(crate) usize);

impl DomainId {
    /// The domain's index: 0 is domain 0.
    ///
    /// ```
    /// let (here, there) = miou::Builder::new().domains(1).run(async {
    ///     let p = miou::call(|| async { miou::domain::current().index() });
    ///     (miou::domain::current().index(), p.await.unwrap())
    /// });
    /// assert_eq!((here, there), (0, 1));
    /// ```
    pub fn index(self) -> usize {
        self.0
    }
}

impl fmt::Debug for DomainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DomainId({})", self.0)
    }
}

impl fmt::Display for DomainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The identity of a run, unique in the process (runs are numbered from 1 as they are
/// built).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct RunId(NonZeroU64);

impl RunId {
    /// A number no other run of this process has had.
    pub(crate) fn next() -> RunId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        RunId(NonZeroU64::new(n).expect("run numbers start at 1 and do not wrap"))
    }
}

/// One domain of one run: what a syscall or a hook is bound to. Domain indexes repeat
/// in every run; the pair does not.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct DomainKey {
    pub(crate) run: RunId,
    pub(crate) domain: DomainId,
}

impl DomainKey {
    /// The domain as a message written on domain `here` names it: `domain N`, and `of
    /// another run` when it is not `here`'s run (domain indexes repeat across runs).
    pub(crate) fn seen_from(self, here: DomainKey) -> impl fmt::Display {
        SeenFrom { key: self, here }
    }
}

struct SeenFrom {
    key: DomainKey,
    here: DomainKey,
}

impl fmt::Display for SeenFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "domain {}", self.key.domain)?;
        if self.key.run != self.here.run {
            f.write_str(" of another run")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_are_never_reused() {
        let ids: std::collections::HashSet<RunId> = (0..1000).map(|_| RunId::next()).collect();
        assert_eq!(ids.len(), 1000);
    }

    #[test]
    fn a_domain_of_another_run_says_so() {
        let (a, b) = (RunId::next(), RunId::next());
        let key = |run, i| DomainKey {
            run,
            domain: DomainId(i),
        };
        assert_eq!(key(a, 1).seen_from(key(a, 0)).to_string(), "domain 1");
        assert_eq!(
            key(a, 0).seen_from(key(b, 0)).to_string(),
            "domain 0 of another run"
        );
    }

    #[test]
    fn a_task_id_reads_n_at_d() {
        let id = TaskId::new(2, 7);
        assert_eq!(id.to_string(), "7@2");
        assert_eq!(format!("{id:?}"), "TaskId(7@2)");
    }
}
