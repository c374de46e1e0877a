//! Domains: the threads of a run. Domain 0 is the thread that called `run`; the others
//! are worker domains, where `call` and `parallel` send tasks.

use std::fmt;

use crate::scheduler::with_domain;

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
