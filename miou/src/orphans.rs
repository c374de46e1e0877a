//! Background children: a collector for tasks a parent does not want to await one by
//! one (a server's connection handlers), and reaps as they finish.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;

use crate::error::Error;
use crate::id::TaskId;
use crate::point;
use crate::promise::Promise;
use crate::scheduler::with_domain;
use crate::select::poll_choose;
use crate::spawn::{call, spawn};

/// A collector of children. The tasks registered in it are ordinary children of the
/// task that registered them: they must still be consumed before that task returns,
/// taken out with [`care`] or [`take`] and then awaited or cancelled, or awaited in
/// place with [`get`]. The first task that uses a collector owns it; any other task
/// that registers, takes or gets panics ([`len`] and [`is_empty`] only look).
///
/// [`len`]: Orphans::len
/// [`is_empty`]: Orphans::is_empty
///
/// [`care`]: Orphans::care
/// [`take`]: Orphans::take
/// [`get`]: Orphans::get
///
/// ```
/// miou::Builder::new().domains(0).run(async {
///     let orphans = miou::Orphans::new();
///     for i in 0..3 {
///         orphans.spawn(async move { i });
///     }
///     let mut sum = 0;
///     while let Some(r) = orphans.get().await {
///         sum += r.unwrap();
///     }
///     assert_eq!(sum, 3);
/// });
/// ```
pub struct Orphans<T> {
    promises: RefCell<Vec<Promise<T>>>,
    owner: Cell<Option<TaskId>>,
}

impl<T: 'static> fmt::Debug for Orphans<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Orphans")
            .field("owner", &self.owner.get())
            .field("len", &self.promises.borrow().len())
            .finish()
    }
}

impl<T: 'static> Default for Orphans<T> {
    fn default() -> Self {
        Orphans::new()
    }
}

impl<T: 'static> Orphans<T> {
    /// An empty collector, owned by nobody yet.
    ///
    /// ```
    /// miou::Builder::new().domains(0).run(async {
    ///     let orphans: miou::Orphans<u32> = miou::Orphans::new();
    ///     assert!(orphans.is_empty());
    ///     assert!(orphans.get().await.is_none()); // nothing to wait for
    /// });
    /// ```
    pub fn new() -> Orphans<T> {
        Orphans {
            promises: RefCell::new(Vec::new()),
            owner: Cell::new(None),
        }
    }

    /// The current task claims the collector, or panics if another task owns it.
    fn claim(&self) {
        let me = with_domain(|d| d.current_id()).expect("miou::Orphans: used outside a task");
        match self.owner.get() {
            None => self.owner.set(Some(me)),
            Some(owner) if owner == me => {}
            Some(owner) => panic!(
                "miou::Orphans: this collector belongs to task {owner}, not to the current task {me} \
                 (rule: the first task that uses a collector owns it, and only it may use it)"
            ),
        }
    }

    /// Spawns `fut` as a child of the current task (like [`spawn`](fn@crate::spawn)) and
    /// registers it in the collector.
    ///
    /// ```
    /// miou::Builder::new().domains(0).run(async {
    ///     let orphans = miou::Orphans::new();
    ///     orphans.spawn(async { "done" });
    ///     assert_eq!(orphans.len(), 1);
    ///     assert_eq!(orphans.get().await.unwrap().unwrap(), "done");
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F: Future<Output = T> + 'static>(&self, fut: F) {
        self.claim();
        let p = spawn(fut);
        self.promises.borrow_mut().push(p);
    }

    /// Creates a child on another domain (like [`call`]) and registers it.
    ///
    /// ```
    /// miou::Builder::new().domains(1).run(async {
    ///     let orphans = miou::Orphans::new();
    ///     orphans.call(|| async { miou::domain::current().index() });
    ///     assert_eq!(orphans.get().await.unwrap().unwrap(), 1);
    /// });
    /// ```
    #[track_caller]
    pub fn call<F, Fut>(&self, f: F)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = T> + 'static,
        T: Send,
    {
        self.claim();
        let p = call(f);
        self.promises.borrow_mut().push(p);
    }

    /// `None`: the collector is empty. `Some(None)`: every collected task is still
    /// running. `Some(Some(p))`: `p` is complete and no longer in the collector; await
    /// it (it will not block) or cancel it. The most recently added are looked at first.
    ///
    /// ```
    /// miou::Builder::new().domains(0).run(async {
    ///     let orphans = miou::Orphans::new();
    ///     assert!(orphans.care().is_none());
    ///     orphans.spawn(async {});
    ///     assert!(matches!(orphans.care(), Some(None)), "not run yet");
    ///     miou::yield_now().await;
    ///     let p = orphans.care().unwrap().unwrap();
    ///     p.await.unwrap();
    /// });
    /// ```
    pub fn care(&self) -> Option<Option<Promise<T>>> {
        self.claim();
        let mut promises = self.promises.borrow_mut();
        if promises.is_empty() {
            return None;
        }
        let i = promises.iter().rposition(Promise::is_finished);
        Some(i.map(|i| promises.remove(i)))
    }

    /// Removes the most recently added promise, in whatever state; the caller must
    /// await or cancel it. `None` when empty.
    ///
    /// ```
    /// miou::Builder::new().domains(0).run(async {
    ///     let orphans = miou::Orphans::new();
    ///     orphans.spawn(async { loop { miou::yield_now().await } });
    ///     while let Some(p) = orphans.take() {
    ///         miou::cancel(p).await;
    ///     }
    /// });
    /// ```
    pub fn take(&self) -> Option<Promise<T>> {
        self.claim();
        self.promises.borrow_mut().pop()
    }

    /// Waits until one collected task is complete, removes it and returns its result
    /// (chosen like [`await_one`](crate::await_one)); `None` at once when empty. A
    /// scheduling point when it holds a task.
    ///
    /// ```
    /// miou::Builder::new().domains(0).run(async {
    ///     let orphans = miou::Orphans::new();
    ///     orphans.spawn(async { loop { miou::yield_now().await } });
    ///     orphans.spawn(async { 7 });
    ///     assert_eq!(orphans.get().await.unwrap().unwrap(), 7); // the one that finished
    ///     miou::cancel(orphans.take().unwrap()).await;
    ///     assert!(orphans.get().await.is_none()); // empty: at once
    /// });
    /// ```
    pub async fn get(&self) -> Option<Result<T, Error>> {
        self.claim();
        if self.promises.borrow().is_empty() {
            return None;
        }
        point::point().await;
        // The promises stay in the collector while we wait (borrowed only during each
        // poll), so that a cancelled `get` loses nothing.
        let i = point::parked(|cx| poll_choose(&self.promises.borrow(), cx)).await;
        let p = self.promises.borrow_mut().remove(i);
        Some(with_domain(|d| p.finish(d)))
    }

    /// How many tasks the collector holds.
    ///
    /// ```
    /// miou::Builder::new().domains(0).run(async {
    ///     let orphans = miou::Orphans::new();
    ///     orphans.spawn(async {});
    ///     orphans.spawn(async {});
    ///     assert_eq!(orphans.len(), 2);
    ///     orphans.get().await.unwrap().unwrap();
    ///     assert_eq!(orphans.len(), 1);
    ///     orphans.get().await.unwrap().unwrap();
    /// });
    /// ```
    pub fn len(&self) -> usize {
        self.promises.borrow().len()
    }

    /// Whether the collector holds no task.
    ///
    /// ```
    /// miou::Builder::new().domains(0).run(async {
    ///     let orphans = miou::Orphans::new();
    ///     assert!(orphans.is_empty());
    ///     orphans.spawn(async {});
    ///     assert!(!orphans.is_empty());
    ///     orphans.get().await.unwrap().unwrap();
    ///     assert!(orphans.is_empty());
    /// });
    /// ```
    pub fn is_empty(&self) -> bool {
        self.promises.borrow().is_empty()
    }
}
