//! Cancel scopes: [`Scope`], and the machinery [`timeout`](crate::time::timeout) shares
//! with it.
//!
//! # How a scope knows its tasks
//!
//! Every child has a *tag* in its parent's entry of the family table
//! ([`Family`](crate::family::Family)): the number of the scope it belongs to (0: none),
//! and a bit saying that its promise is gone ([`ORPHANED`]). A scope gets a number,
//! unique on its domain, when it is first polled, and belongs to the task that polls it.
//! While it polls its future, the domain's [`scope`](crate::scheduler::DomainLocal::scope)
//! cell holds its number, and every child created meanwhile (`spawn`, `call`,
//! `parallel`... all go through `spawn::create`) is tagged with it. Scopes nest: the
//! cell is saved and restored around each poll.
//!
//! While a scope drops its future (it was cancelled, its deadline passed, or it was
//! dropped), the domain's [`unwinding`](crate::scheduler::DomainLocal::unwinding) cell
//! holds its number, and a promise of the current task dropped meanwhile
//! (`promise::dropped_unsettled`) is tagged with it, orphaned: that is how a promise
//! given to `timeout`, or moved into the timed future, joins the scope.
//!
//! # Ending a scope
//!
//! - **Cancelled** ([`Scope::cancel`], or `timeout`'s deadline): drop the future, ask
//!   every member that is not settled to cancel, wait until all are complete (the
//!   subtrees with them: that is what a task's cancellation does), then settle the
//!   orphaned ones (nobody else can). A member whose promise is still alive somewhere
//!   is left to its holder, who will get `Err(Cancelled)`.
//! - **Dropped** before it finished: the same, except that a drop cannot wait. The
//!   members are asked to cancel; the orphaned ones are tagged [`REAP`]: their parent
//!   reaps them, which means that its return waits for them instead of failing with
//!   `StillHasChildren` (`Task::returned`), and that the next scope of the task to be
//!   cancelled or dropped settles those already complete, so a loop does not pile them
//!   up. If the scope is dropped while an enclosing scope of the same task unwinds, its
//!   members move to that scope instead, which waits for them.
//! - **Finished**: nothing. Its unsettled members stay children of the task, as they
//!   would without a scope.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::id::TaskId;
use crate::point;
use crate::promise::forget_child;
use crate::scheduler::{DomainLocal, try_with_domain, with_domain};
use crate::task::{self, Child};
use crate::task_ref::TaskRef;

/// Tag bit: the child's promise was dropped while the child was neither awaited nor
/// cancelled.
pub(crate) const ORPHANED: u64 = 1 << 63;

/// Tag: asked to cancel by a scope that was dropped, its promise gone: the parent reaps
/// it (its scope bits match no scope, which never reaches that number).
pub(crate) const REAP: u64 = u64::MAX;

/// The scope number in a tag.
pub(crate) fn scope_of(tag: u64) -> u64 {
    tag & !ORPHANED
}

/// What the cancel scopes share: which task and scope number they are, once bound.
#[derive(Debug, Default)]
pub(crate) struct Core {
    bound: Option<(TaskId, u64)>,
    /// Between the drop of the future and the end of [`Core::cancel`]: if the
    /// cancellation is itself dropped, its members are left as a drop leaves them.
    cancelling: bool,
}

/// Sets a cell of the domain back when dropped (also when a poll panics).
struct Restore(fn(&DomainLocal) -> &std::cell::Cell<u64>, u64);

impl Drop for Restore {
    fn drop(&mut self) {
        try_with_domain(|d| {
            if let Some(d) = d {
                (self.0)(d).set(self.1);
            }
        });
    }
}

impl Core {
    pub(crate) fn new() -> Core {
        Core::default()
    }

    /// The scope's number; the first time, binds it to the current task. Panics if
    /// another task uses it.
    fn bind(&mut self, d: &DomainLocal) -> u64 {
        let me = d
            .current_id()
            .expect("miou: a cancel scope is used inside a task");
        match self.bound {
            None => {
                let n = d.next_scope();
                self.bound = Some((me, n));
                n
            }
            Some((owner, n)) if owner == me => n,
            Some((owner, _)) => panic!(
                "miou: this cancel scope belongs to task {owner}, but task {me} polled it \
                 (rule: a scope is polled and cancelled by the task that first polled it, \
                 which owns the tasks created inside it)"
            ),
        }
    }

    /// Panics if a task other than the one the scope belongs to cancels it: the scope's
    /// tasks are its owner's children, which only their parent may cancel. (A drop in
    /// another task is not a cancel: the future is just dropped, see [`Core::live`].)
    fn check_canceller(&self) {
        let Some((owner, _)) = self.bound else {
            return;
        };
        let me = try_with_domain(|d| d.and_then(|d| d.current_id()));
        if let Some(me) = me
            && me != owner
        {
            panic!(
                "miou: this cancel scope belongs to task {owner}, but task {me} cancelled \
                 it (rule: a scope is polled and cancelled by the task that first polled \
                 it, which owns the tasks created inside it)"
            );
        }
    }

    /// Runs `poll` (a poll of the scope's future) inside the scope: the children created
    /// meanwhile belong to it.
    pub(crate) fn poll_in<R>(&mut self, poll: impl FnOnce() -> R) -> R {
        let (n, outer) = with_domain(|d| {
            let n = self.bind(d);
            (n, d.scope.replace(n))
        });
        let _restore = Restore(|d| &d.scope, outer);
        debug_assert_ne!(n, 0);
        poll()
    }

    /// The scope's number if it is live in the current task: it must end as a scope
    /// does. It is not outside a task, in another task, while the task tears down (the
    /// teardown cancels every child), while the run fails or a panic unwinds: then the
    /// future is just dropped.
    fn live(&mut self, d: Option<&DomainLocal>) -> Option<u64> {
        let d = d?;
        let me = d.current_id()?;
        if std::thread::panicking() || d.runtime.is_failed() || tears_down(d) {
            return None;
        }
        match self.bound {
            Some((owner, _)) if owner != me => None,
            _ => Some(self.bind(d)),
        }
    }

    /// Runs `drop_it` (which drops the scope's future) with the scope unwinding: the
    /// current task's promises dropped meanwhile join the scope. Returns whether the
    /// scope is [`live`](Core::live), and the rest of its ending must be done.
    fn drop_in(&mut self, drop_it: impl FnOnce()) -> bool {
        let Some(n) = try_with_domain(|d| self.live(d)) else {
            drop_it();
            return false;
        };
        let outer = with_domain(|d| d.unwinding.replace(n));
        let restore = Restore(|d| &d.unwinding, outer);
        drop_it();
        drop(restore);
        true
    }

    /// Ends the scope by cancelling it: drops the future (`drop_it`), cancels every
    /// member not settled, waits until all are gone, settles the orphaned ones. Called
    /// in a poll of the task that owns the scope.
    pub(crate) async fn cancel(&mut self, drop_it: impl FnOnce()) {
        self.check_canceller();
        if !self.drop_in(drop_it) {
            return;
        }
        let (_, n) = self.bound.expect("bound by drop_in");
        let members = with_domain(|d| members(d, n));
        if members.is_empty() {
            with_domain(sweep);
            return;
        }
        self.cancelling = true;
        // One at a time, with no table borrowed: a cancel request reports a trace event,
        // and the reporter is user code.
        for (_, child) in &members {
            with_domain(|d| task::request_cancel(d, child.clone()));
        }
        point::parked(|cx| {
            if members
                .iter()
                .all(|(_, c)| c.header().register_waiter(cx.waker()))
            {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
        with_domain(|d| {
            for (key, child) in members {
                // Nobody can await an orphaned member: the scope settles it. One whose
                // promise is alive is its holder's to await (it gets `Cancelled`), and
                // may have been settled by it meanwhile (then its key is not its own).
                let orphaned = d.family.borrow().get(key).is_some_and(|c| {
                    c.header().id == child.header().id && d.family.borrow().tag(key) & ORPHANED != 0
                });
                if orphaned {
                    settle(d, key, child);
                }
            }
            sweep(d);
        });
        self.cancelling = false;
    }

    /// Ends the scope when it is dropped unfinished: drops the future (`drop_it`), then
    /// [`release`](Core::release)s its members.
    pub(crate) fn abandon(&mut self, drop_it: impl FnOnce()) {
        if self.drop_in(drop_it) {
            self.release();
        }
    }

    /// The scope is dropped (its future is gone): since a drop cannot wait, asks every
    /// member to cancel and leaves the orphaned ones to be reaped, or hands them all to
    /// the enclosing scope that unwinds. Also what a [`cancel`](Core::cancel) dropped
    /// while it waits leaves behind.
    pub(crate) fn release(&mut self) {
        self.cancelling = false;
        try_with_domain(|d| {
            let Some(n) = self.live(d) else { return };
            let d = d.expect("live in a domain");
            let outer = d.unwinding.get();
            for (key, child) in members(d, n) {
                let tag = d.family.borrow().tag(key);
                if outer != 0 {
                    // An enclosing scope of this task unwinds: it will cancel them and
                    // wait for them.
                    d.family.borrow_mut().set_tag(key, outer | (tag & ORPHANED));
                } else {
                    if tag & ORPHANED != 0 {
                        d.family.borrow_mut().set_tag(key, REAP);
                    }
                    task::request_cancel(d, child);
                }
            }
            if outer == 0 {
                sweep(d);
            }
        });
    }

    /// Whether a [`cancel`](Core::cancel) was dropped while it waited.
    pub(crate) fn is_cancelling(&self) -> bool {
        self.cancelling
    }
}

/// Whether the current task tears down (it cancels all its children itself).
fn tears_down(d: &DomainLocal) -> bool {
    d.current
        .try_borrow()
        .map_or(true, |c| c.as_ref().is_none_or(|c| c.local().in_teardown()))
}

/// The current task's children in scope `n`, with their keys.
fn members(d: &DomainLocal, n: u64) -> Vec<(usize, TaskRef<dyn Child>)> {
    children_where(d, |tag, _| scope_of(tag) == n)
}

/// The current task's children whose tag and child pass `keep`.
fn children_where(
    d: &DomainLocal,
    keep: impl Fn(u64, &TaskRef<dyn Child>) -> bool,
) -> Vec<(usize, TaskRef<dyn Child>)> {
    let current = d.current.borrow();
    let me = current.as_ref().expect("a scope ends inside its task");
    let family = d.family.borrow();
    let mut out = Vec::new();
    let children = &me.local().children;
    let mut key = family.first(children);
    while let Some(k) = key {
        if let Some(c) = family.get(k)
            && keep(family.tag(k), c)
        {
            out.push((k, c.clone()));
        }
        key = family.next(children, k);
    }
    out
}

/// Settles the current task's complete child `child` under `key`, whose promise is
/// gone: forgets it (adopting what it handed up) and drops its result.
fn settle(d: &DomainLocal, key: usize, child: TaskRef<dyn Child>) {
    forget_child(d, key, &child);
    child.drop_output();
}

/// Settles the current task's children left to be reaped that are complete by now, so
/// that a task which drops scopes in a loop does not pile them up.
fn sweep(d: &DomainLocal) {
    for (key, child) in children_where(d, |tag, c| tag == REAP && c.header().is_complete()) {
        settle(d, key, child);
    }
}

/// A **cancel scope**: runs a future so that whatever it starts is cancelled when the
/// scope ends early. A future of its own; [`timeout`](crate::time::timeout) is one with
/// a deadline.
///
/// The rules:
///
/// - **Its tasks.** The scope belongs to the task that first polls it (polling it from
///   another task panics). The tasks that task creates while the scope polls its
///   future ([`spawn`](fn@crate::spawn), [`call`](crate::call),
///   [`parallel`](crate::parallel), [`Orphans`](crate::Orphans)...) belong to the
///   scope, their subtrees with them. So does a child of the task whose
///   [`Promise`](crate::Promise) is dropped while the scope drops its future: a promise
///   given as the scope's future, or moved into it.
/// - **Finished**: nothing happens. The tasks it started and did not settle are
///   children of the task like any other, their promises wherever the future put them.
/// - **Cancelled** ([`Scope::cancel`]): the future is dropped where it stands, then
///   every task of the scope that is neither awaited nor cancelled yet is cancelled,
///   with its whole subtree, on whatever domain; `cancel` returns once all of them are
///   gone, their destructors and finalisers run. A task whose promise went with the
///   future is settled by the scope; one whose promise the future stored elsewhere is
///   cancelled, and awaiting that promise gives `Err(Error::Cancelled)`, or the task's
///   value if it had already returned.
/// - **Dropped** unfinished (a `select!` of another crate dropped it, say): the future is
///   dropped and the scope's tasks are asked to cancel. A drop cannot wait, so the
///   tasks whose promise is gone are *reaped*: the task that owns the scope waits for
///   them when it returns, before it completes (no `StillHasChildren`: they are not
///   forgotten, just not awaited one by one), and finished ones are settled whenever
///   another scope of the task ends. If the scope is dropped while an enclosing scope of
///   the same task is being cancelled, that scope takes its tasks and waits for them.
///
/// A [`Promise`](crate::Promise) dropped outside any scope is still a forgotten child:
/// the run fails with [`Error::StillHasChildren`](crate::Error::StillHasChildren) when
/// its parent returns. Inside a combinator of another crate, put the futures that
/// start tasks in scopes, or use [`await_first`](crate::await_first), which cancels
/// the losers and waits for them.
///
/// A scope is not a scheduling point of its own; its future's operations are.
///
/// ```
/// use std::time::Duration;
/// use miou::Scope;
/// use miou::time::sleep;
///
/// /// Runs `work` until `stop` finishes: Some(its value), or None once every task
/// /// `work` started is gone.
/// async fn until<T>(work: impl Future<Output = T>, stop: impl Future<Output = ()>) -> Option<T> {
///     let mut work = Scope::new(work);
///     let mut stop = std::pin::pin!(stop);
///     let first = std::future::poll_fn(|cx| {
///         if let std::task::Poll::Ready(v) = std::pin::Pin::new(&mut work).poll(cx) {
///             return std::task::Poll::Ready(Some(v));
///         }
///         stop.as_mut().poll(cx).map(|()| None)
///     })
///     .await;
///     if first.is_none() {
///         work.cancel().await;
///     }
///     first
/// }
///
/// miou::Builder::new().domains(1).virtual_clock().run(async {
///     let v = until(
///         async {
///             let helper = miou::call(|| sleep(Duration::from_secs(60)));
///             helper.await.unwrap();
///             "done"
///         },
///         sleep(Duration::from_secs(1)),
///     );
///     assert_eq!(v.await, None); // the helper on the other domain was cancelled
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Scope<F> {
    /// `None` once the future finished or was dropped. Boxed: the scope is then
    /// `Unpin`, so that it can be cancelled by value after it was polled.
    fut: Option<Pin<Box<F>>>,
    core: Core,
}

impl<F: Future> Scope<F> {
    /// A scope that runs `fut` (anything that becomes a future, a
    /// [`Promise`](crate::Promise) included).
    ///
    /// ```
    /// miou::Builder::new().domains(0).run(async {
    ///     let v = miou::Scope::new(async { 6 * 7 }).await;
    ///     assert_eq!(v, 42);
    /// });
    /// ```
    pub fn new<I: IntoFuture<IntoFuture = F>>(fut: I) -> Scope<F> {
        Scope {
            fut: Some(Box::pin(fut.into_future())),
            core: Core::new(),
        }
    }

    /// Whether the scope's future finished (or the scope was cancelled).
    ///
    /// ```
    /// use std::future::Future;
    /// miou::Builder::new().domains(0).run(async {
    ///     let mut s = miou::Scope::new(async {});
    ///     assert!(!s.is_finished());
    ///     std::future::poll_fn(|cx| std::pin::Pin::new(&mut s).poll(cx)).await;
    ///     assert!(s.is_finished());
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.fut.is_none()
    }

    /// Cancels the scope: drops its future where it stands, cancels every task of the
    /// scope that is neither awaited nor cancelled (their subtrees with them, on every
    /// domain) and returns once all of them are gone, their destructors and finalisers
    /// run. Nothing to do for a scope that finished. Not a scheduling point of its own:
    /// it parks only if it has tasks to wait for.
    ///
    /// Panics if another task than the one that polled the scope cancels it.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// let dropped = Arc::new(AtomicBool::new(false));
    /// let d = dropped.clone();
    /// miou::Builder::new().domains(1).run(async move {
    ///     struct Flag(Arc<AtomicBool>);
    ///     impl Drop for Flag {
    ///         fn drop(&mut self) { self.0.store(true, Ordering::SeqCst) }
    ///     }
    ///     let mut s = miou::Scope::new(async move {
    ///         let flag = Flag(d);
    ///         let p = miou::call(move || async move {
    ///             let _flag = flag;
    ///             loop { miou::yield_now().await }
    ///         });
    ///         p.await
    ///     });
    ///     // Poll it once: the child starts on the worker.
    ///     let _ = std::future::poll_fn(|cx| {
    ///         std::task::Poll::Ready(std::future::Future::poll(std::pin::Pin::new(&mut s), cx))
    ///     })
    ///     .await;
    ///     s.cancel().await;
    /// });
    /// assert!(dropped.load(Ordering::SeqCst), "the child's destructor ran");
    /// ```
    pub async fn cancel(mut self) {
        let fut = &mut self.fut;
        self.core.cancel(|| *fut = None).await;
    }
}

impl<F: Future> Future for Scope<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let fut = this
            .fut
            .as_mut()
            .expect("miou::Scope polled after it finished");
        let polled = this.core.poll_in(|| fut.as_mut().poll(cx));
        if polled.is_ready() {
            this.fut = None;
        }
        polled
    }
}

impl<F> Drop for Scope<F> {
    fn drop(&mut self) {
        if self.fut.is_some() {
            let fut = &mut self.fut;
            self.core.abandon(|| *fut = None);
        } else if self.core.is_cancelling() {
            self.core.release();
        }
    }
}

impl<F> fmt::Debug for Scope<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("task", &self.core.bound.map(|(t, _)| t))
            .field("finished", &self.fut.is_none())
            .finish()
    }
}

/// A scope over a future pinned by the caller (`timeout`'s): the same as [`Scope`]
/// without the box.
pub(crate) struct Guard<'a, F: Future> {
    /// `None` once the future finished or was dropped.
    fut: Pin<&'a mut Option<F>>,
    core: Core,
}

impl<'a, F: Future> Guard<'a, F> {
    pub(crate) fn new(fut: Pin<&'a mut Option<F>>) -> Guard<'a, F> {
        Guard {
            fut,
            core: Core::new(),
        }
    }

    /// Polls the future inside the scope.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<F::Output> {
        let fut = self
            .fut
            .as_mut()
            .as_pin_mut()
            .expect("a scope is not polled after it finished");
        let polled = self.core.poll_in(|| fut.poll(cx));
        if polled.is_ready() {
            self.fut.set(None);
        }
        polled
    }

    /// [`Scope::cancel`].
    pub(crate) async fn cancel(&mut self) {
        let fut = &mut self.fut;
        self.core.cancel(|| fut.set(None)).await;
    }
}

impl<F: Future> Drop for Guard<'_, F> {
    fn drop(&mut self) {
        if self.fut.is_some() {
            let fut = &mut self.fut;
            self.core.abandon(|| fut.set(None));
        } else if self.core.is_cancelling() {
            self.core.release();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::pin;
    use std::task::Poll;
    use std::time::Duration;

    use super::{REAP, Scope};
    use crate::scheduler::with_domain;

    /// The tags of the current task's children, in creation order.
    fn tags() -> Vec<u64> {
        with_domain(|d| {
            let current = d.current.borrow();
            let me = current.as_ref().unwrap();
            let family = d.family.borrow();
            let mut out = Vec::new();
            let children = &me.local().children;
            let mut key = family.first(children);
            while let Some(k) = key {
                out.push(family.tag(k));
                key = family.next(children, k);
            }
            out
        })
    }

    /// Polls `a` then `b` until one is ready; drops the other (a foreign `select!`).
    async fn race(a: impl Future, b: impl Future) {
        let (mut a, mut b) = (pin!(a), pin!(b));
        std::future::poll_fn(|cx| {
            if a.as_mut().poll(cx).is_ready() || b.as_mut().poll(cx).is_ready() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }

    /// A task that drops scopes in a loop keeps one child to reap at a time: each
    /// scope that ends settles the earlier ones that are complete. Without the sweep,
    /// the table would hold one entry per round until the task returns.
    #[test]
    fn dropped_scopes_do_not_pile_up() {
        let per_round = crate::Builder::new().domains(0).virtual_clock().run(async {
            let mut per_round = Vec::new();
            for _ in 0..5 {
                let work = Scope::new(async {
                    let p = crate::spawn(crate::time::sleep(Duration::from_secs(3600)));
                    let _ = p.await;
                });
                race(work, crate::time::sleep(Duration::from_secs(1))).await;
                per_round.push(tags());
            }
            per_round
        });
        assert_eq!(per_round, vec![vec![REAP]; 5]);
    }

    /// Tags: a child spawned in a scope carries its number, and the orphaned bit once
    /// its promise is dropped; one spawned outside carries none.
    #[test]
    fn children_are_tagged_with_their_scope() {
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let s = seen.clone();
        let r = crate::Builder::new().domains(0).try_run(async move {
            let outside = crate::spawn(async {});
            let mut inside = None;
            Scope::new(async {
                inside = Some(crate::spawn(async {}));
            })
            .await;
            s.lock().unwrap().push(tags());
            drop(inside); // forgotten: the run fails when the root returns
            s.lock().unwrap().push(tags());
            outside.await.unwrap();
        });
        assert!(matches!(r, Err(crate::Error::StillHasChildren)), "{r:?}");
        let seen = seen.lock().unwrap();
        let [before, after] = &seen[..] else {
            panic!("{seen:?}")
        };
        let scope = super::scope_of(before[1]);
        assert_eq!(before[0], 0);
        assert!(scope > 0 && before[1] == scope, "{before:?}");
        assert_eq!(after[1], scope | super::ORPHANED);
    }
}
