//! Domains: the threads of a run. Domain 0 is the thread that called `run`; the others
//! are worker domains, where `call` and `parallel` send tasks.

pub use crate::id::DomainId;
use crate::scheduler::with_domain;

/// The domain running the current task. Panics outside a run.
///
/// ```
/// let d = miou::Builder::new().domains(0).run(async { miou::domain::current() });
/// assert_eq!(d.index(), 0);
/// ```
pub fn current() -> DomainId {
    with_domain(|d| d.id())
}

/// How many worker domains the run has (domain 0 is not counted).
///
/// ```
/// let n = miou::Builder::new().domains(0).run(async { miou::domain::available() });
/// assert_eq!(n, 0);
/// ```
pub fn available() -> usize {
    with_domain(|d| d.runtime.workers().len())
}

/// The worker domains of the run, in order (domain 0 is not included).
///
/// ```
/// let all = miou::Builder::new().domains(2).run(async { miou::domain::all() });
/// assert_eq!(all.iter().map(|d| d.index()).collect::<Vec<_>>(), vec![1, 2]);
/// ```
pub fn all() -> Vec<DomainId> {
    with_domain(|d| d.runtime.workers().iter().map(|w| w.id).collect())
}
